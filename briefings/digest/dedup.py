"""Near-duplicates: the same wire copy or press release reprinted by many outlets.

MinHash over morpheme shingles (three consecutive content lemmas), indexed with datasketch's
MinHashLSH so each new article is compared with a handful of candidates, not with every article of
the last days. Shingles are hashed with CRC-32, which unlike Python's `hash` is the same in every
process: signatures are stored in `Article.minhash` and a new process rebuilds its index from them.

The stored blob is an article *fingerprint*: the MinHash signature, the hashed topic words the
story grouping compares (see stories.py) and a digest of the cleaned text, so none of them needs the
text to be analysed again. One rule finds copies everywhere (`DuplicateIndex`): the same cleaned
text, else a MinHash near-duplicate; `briefings analyze` and the stored digest both use it.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
from datasketch import LeanMinHash, MinHash, MinHashLSH

from briefings.digest.nlp import Morph
from briefings.digest.terms import lemma_runs

NUM_PERM = 64
SHINGLE = 3
# Estimated Jaccard similarity of shingle sets from which two articles are the same copy.
DUPLICATE_THRESHOLD = 0.5
# Fewer shingles than this (a bare headline) say too little to call two texts copies.
MIN_SHINGLES = 8
_SEED = 1
_SCHEME = "affine32"
_MAGIC = b"BF1"  # signature and topic words
_MAGIC_KEYED = b"BF2"  # the same, then the text key
TEXT_KEY_BYTES = 8


# One permutation table for the process: MinHash would otherwise draw it again for every article.
_TEMPLATE = MinHash(num_perm=NUM_PERM, seed=_SEED, hashfunc=zlib.crc32, scheme=_SCHEME)


def shingles(morphs: Sequence[Morph]) -> list[bytes]:
    """Distinct shingles of three consecutive content lemmas (particles and punctuation left out)."""
    return shingles_of_lemmas([r[0] for r in lemma_runs(morphs)])


def shingles_of_lemmas(lemmas: Sequence[str]) -> list[bytes]:
    """Distinct shingles, in no particular order (a MinHash does not depend on it)."""
    return [s.encode("utf-8") for s in _shingle_set(lemmas)]


def _shingle_set(lemmas: Sequence[str]) -> set[str]:
    if len(lemmas) < SHINGLE:
        return set()
    return {f"{a}\x1f{b}\x1f{c}" for a, b, c in zip(lemmas, lemmas[1:], lemmas[2:], strict=False)}


def signature(shingle_set: Sequence[bytes]) -> LeanMinHash | None:
    """The MinHash of a shingle set, or None when the text is too short to compare."""
    if len(shingle_set) < MIN_SHINGLES:
        return None
    return _minhash([zlib.crc32(s) for s in shingle_set])


def lemma_signature(lemmas: Sequence[str]) -> LeanMinHash | None:
    """`signature(shingles_of_lemmas(lemmas))` without the list of encoded shingles in between."""
    seen = _shingle_set(lemmas)
    if len(seen) < MIN_SHINGLES:
        return None
    return _minhash([zlib.crc32(s.encode("utf-8")) for s in seen])


# datasketch's affine32 scheme: each 32-bit hash is mixed by the MurmurHash3 finalizer, then
# permuted by a * h + b (mod 2^32). Done here in a few array operations: a datasketch MinHash made
# and updated per article cost more than the rest of its fingerprint (tests/digest/test_dedup.py
# holds the two to the same values).
_PERM_A, _PERM_B = _TEMPLATE.permutations
_FMIX_1, _FMIX_2 = np.uint32(0x85EBCA6B), np.uint32(0xC2B2AE35)


def _minhash(hashes: list[int]) -> LeanMinHash:
    hv = np.array(hashes, dtype=np.uint32)
    hv ^= hv >> 16
    hv *= _FMIX_1
    hv ^= hv >> 13
    hv *= _FMIX_2
    hv ^= hv >> 16
    values = (hv[:, None] * _PERM_A + _PERM_B).min(axis=0)
    return LeanMinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)


@dataclass(frozen=True, slots=True)
class Fingerprint:
    """What later comparisons need of an article: its MinHash and its weighted topic-word hashes."""

    minhash: LeanMinHash | None
    topic: tuple[tuple[int, int], ...]  # (crc32 of a topic word, weight 1..255)
    # The first bytes of the cleaned text's SHA-1: copies too short for MinHash are still caught.
    text_key: bytes = b""

    def encode(self) -> bytes:
        values = (
            np.asarray(self.minhash.hashvalues, dtype="<u4").tobytes() if self.minhash is not None else b""
        )
        n_perm = NUM_PERM if self.minhash is not None else 0
        key = self.text_key[:TEXT_KEY_BYTES]
        magic = _MAGIC_KEYED if len(key) == TEXT_KEY_BYTES else _MAGIC
        parts = [magic, struct.pack("<HH", n_perm, len(self.topic)), values]
        parts += [struct.pack("<IB", h, min(255, max(1, w))) for h, w in self.topic]
        if magic == _MAGIC_KEYED:
            parts.append(key)
        return b"".join(parts)

    @classmethod
    def decode(cls, blob: bytes) -> Fingerprint:
        keyed = blob.startswith(_MAGIC_KEYED)
        if not (keyed or blob.startswith(_MAGIC)):
            raise ValueError("not an article fingerprint")
        n_perm, n_topic = struct.unpack_from("<HH", blob, 3)
        pos = 7
        minhash = None
        if n_perm:
            values = np.frombuffer(blob, dtype="<u4", count=n_perm, offset=pos).astype(np.uint64)
            minhash = LeanMinHash(seed=_SEED, hashvalues=values, scheme=_SCHEME)
            pos += 4 * n_perm
        topic = tuple(struct.unpack_from("<IB", blob, pos + 5 * i) for i in range(n_topic))
        pos += 5 * n_topic
        return cls(minhash, topic, bytes(blob[pos : pos + TEXT_KEY_BYTES]) if keyed else b"")


def word_hash(word: str) -> int:
    return zlib.crc32(word.encode("utf-8"))


@cache
def _lsh_params(threshold: float) -> tuple[int, int]:
    """Bands and rows for a threshold: datasketch integrates to find them, which is worth doing once."""
    lsh = MinHashLSH(threshold=threshold, num_perm=NUM_PERM)
    return lsh.b, lsh.r


# A bucket holds the one article that has its value (nearly every bucket), or a list of them, oldest
# first: a list per bucket would cost more than the article's whole signature.
_Bucket = Hashable | list[Hashable]


def _bucket_add(table: dict[Any, _Bucket], value: Any, key: Hashable) -> None:
    current = table.get(value)
    if current is None:
        table[value] = key
    elif isinstance(current, list):
        current.append(key)
    else:
        table[value] = [current, key]


def _bucket_remove(table: dict[Any, _Bucket], value: Any, key: Hashable) -> None:
    current = table.get(value)
    if isinstance(current, list):
        if key in current:
            current.remove(key)
        if len(current) == 1:
            table[value] = current[0]
    elif current is not None and current == key:
        del table[value]


def _bucket_keys(bucket: _Bucket | None) -> list[Hashable]:
    if bucket is None:
        return []
    return bucket if isinstance(bucket, list) else [bucket]


@dataclass(slots=True)
class _Indexed:
    rank: int  # order its signature was added in: the earliest copy is the original
    values: bytes | None  # the MinHash values as 32-bit numbers (the scheme's values fit in 32 bits)
    text_key: bytes


class DuplicateIndex:
    """Incremental copy lookup over the articles of the recent window: same text, else near-duplicate.

    The near-duplicate lookup is MinHash LSH with datasketch's bands and rows for the threshold; the
    bands are kept as hashed band values, each naming its article directly, so an article in the
    window costs its 256-byte signature and one small entry per band rather than a set per band.
    """

    def __init__(self, threshold: float = DUPLICATE_THRESHOLD) -> None:
        self.threshold = threshold
        self._bands, self._rows = _lsh_params(threshold)
        self._tables: list[dict[int, _Bucket]] = [{} for _ in range(self._bands)]
        self._entries: dict[Hashable, _Indexed] = {}
        self._next = 0
        self._texts: dict[bytes, _Bucket] = {}  # text key -> articles with that text, oldest first
        self._signed = 0

    def __len__(self) -> int:
        return self._signed

    def __contains__(self, key: Hashable) -> bool:
        return key in self._entries

    def _band_values(self, values: bytes) -> list[int]:
        width = 4 * self._rows
        return [hash(values[i * width : (i + 1) * width]) for i in range(self._bands)]

    def find(self, sig: LeanMinHash | None, text_key: bytes = b"") -> Hashable | None:
        """The earliest-added indexed article this one is a copy of, or None."""
        if text_key:
            same = _bucket_keys(self._texts.get(text_key))
            if same:
                return same[0]
        if sig is None or not self._signed:
            return None
        values = _values(sig)
        mine = np.frombuffer(values, dtype=np.uint32)
        found: set[Hashable] = set()
        for table, band in zip(self._tables, self._band_values(values), strict=True):
            found.update(_bucket_keys(table.get(band)))
        best: tuple[int, Hashable] | None = None
        for key in found:
            entry = self._entries[key]
            assert entry.values is not None
            theirs = np.frombuffer(entry.values, dtype=np.uint32)
            # LeanMinHash.jaccard: the share of equal values
            similar = np.count_nonzero(mine == theirs) / NUM_PERM >= self.threshold
            if similar and (best is None or entry.rank < best[0]):
                best = (entry.rank, key)
        return None if best is None else best[1]

    def add(self, key: Hashable, sig: LeanMinHash | None, text_key: bytes = b"") -> None:
        entry = self._entries.get(key)
        if entry is None:
            if sig is None and not text_key:
                return
            entry = self._entries[key] = _Indexed(-1, None, b"")
        if text_key and not entry.text_key:
            entry.text_key = text_key
            _bucket_add(self._texts, text_key, key)
        if sig is None or entry.values is not None:
            return
        entry.values = _values(sig)
        entry.rank = self._next  # ranked by when its signature came
        self._next += 1
        self._signed += 1
        for table, band in zip(self._tables, self._band_values(entry.values), strict=True):
            _bucket_add(table, band, key)

    def remove(self, keys: Iterable[Hashable]) -> None:
        """Forget articles that left the window (keeps the index small in a long-running worker)."""
        for key in keys:
            entry = self._entries.pop(key, None)
            if entry is None:
                continue
            if entry.values is not None:
                self._signed -= 1
                for table, band in zip(self._tables, self._band_values(entry.values), strict=True):
                    _bucket_remove(table, band, key)
            if entry.text_key:
                _bucket_remove(self._texts, entry.text_key, key)


def _values(sig: LeanMinHash) -> bytes:
    return np.asarray(sig.hashvalues, dtype=np.uint32).tobytes()
