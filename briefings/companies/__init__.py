"""The company directory: one registry of companies, groups and aliases, and one resolver over it.

* `records`: what is known of a company, the one normalisation, the packaged data file;
* `store`: the registry in the database (seeding, operators' changes, the version caches key on);
* `index`: the `Registry` and its resolver, which every surface asks (`/news`, `lookup`,
  `companies list -q`, the digester);
* `matching`: finding registry companies in analysed Korean text;
* `context`: the rules that decide whether a name read is the company and what the article is about.
"""

from briefings.companies.index import (
    CompanyRef,
    OrdinaryWords,
    Registry,
    Resolution,
    default_registry,
    ordinary_words,
)
from briefings.companies.matching import CompanyMatcher, substring_baseline
from briefings.companies.records import (
    KINDS,
    MARKETS,
    AliasRecord,
    CompanyHit,
    CompanyRecord,
    load_registry_file,
    nfc,
    normalize,
    normalize_ticker,
    registry_hash,
    ticker_problem,
    valid_ticker,
)
from briefings.companies.store import (
    CachedRegistry,
    RegistryError,
    add_alias,
    add_company,
    bump_version,
    find_company,
    registry_from_session,
    registry_version,
    remove_alias,
    remove_company,
    resolve_company,
    seed_companies,
    seed_if_needed,
)

__all__ = [
    "KINDS",
    "MARKETS",
    "AliasRecord",
    "CachedRegistry",
    "CompanyHit",
    "CompanyMatcher",
    "CompanyRecord",
    "CompanyRef",
    "OrdinaryWords",
    "Registry",
    "RegistryError",
    "Resolution",
    "add_alias",
    "add_company",
    "bump_version",
    "default_registry",
    "find_company",
    "load_registry_file",
    "nfc",
    "normalize",
    "normalize_ticker",
    "ordinary_words",
    "registry_from_session",
    "registry_hash",
    "registry_version",
    "remove_alias",
    "remove_company",
    "resolve_company",
    "seed_companies",
    "seed_if_needed",
    "substring_baseline",
    "ticker_problem",
    "valid_ticker",
]
