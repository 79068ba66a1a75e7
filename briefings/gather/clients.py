"""HTTP clients for the fetcher: small connection pools, one set per host.

httpcore walks every connection of its pool (and asks each idle socket whether it is readable) on
every request and every response it hands back, so one pool of 32 connections costs a cycle of 300
unchanged feeds several times the requests themselves. Each host gets its own pools of at most
`POOL_CONNECTIONS` connections instead (a host allowed more gets more pools, and a request goes to
the least busy one), so the walk stays short whatever the concurrency. Keyed by the host name, not
the address it resolved to, a TLS connection is only ever reused for the name it was verified for.
Pools unused for a while are closed once there are more than `max_pools`, so idle sockets stay bounded.
"""

from __future__ import annotations

import contextlib
import ssl
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import cache
from urllib.parse import urlsplit

import certifi
import httpx

POOL_CONNECTIONS = 4


@cache
def tls_context() -> ssl.SSLContext:
    """The CA bundle is read once per process, not once per client (tens of milliseconds each)."""
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(slots=True)
class _Pool:
    client: httpx.AsyncClient
    busy: int = 0


class HostClients:
    """`async with clients.client_for(url) as client:` a client whose pool serves `url`'s host."""

    def __init__(self, make: Callable[[int], httpx.AsyncClient], *, per_host: int, max_pools: int) -> None:
        # make(connections) -> a client whose pool holds at most that many connections
        self._make = make
        self._pool_size = max(1, min(per_host, POOL_CONNECTIONS))
        self._shards = -(-max(1, per_host) // self._pool_size)
        self._max_pools = max(self._shards, max_pools)
        self._pools: OrderedDict[tuple[str, str, int | None, int], _Pool] = OrderedDict()

    @contextlib.asynccontextmanager
    async def client_for(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        pool = await self._pick(url)
        pool.busy += 1
        try:
            yield pool.client
        finally:
            pool.busy -= 1

    async def _pick(self, url: str) -> _Pool:
        """The host's least busy pool with a free connection, else a new pool if the host may have more."""
        parts = urlsplit(url)
        keys = [(parts.scheme, (parts.hostname or "").lower(), parts.port, n) for n in range(self._shards)]
        present = [(key, self._pools[key]) for key in keys if key in self._pools]
        roomy = [(key, pool) for key, pool in present if pool.busy < self._pool_size]
        if roomy or len(present) == len(keys):
            key, pool = min(roomy or present, key=lambda item: item[1].busy)
        else:
            key = next(key for key in keys if key not in self._pools)
            await self._evict()
            pool = self._pools[key] = _Pool(self._make(self._pool_size))
        self._pools.move_to_end(key)
        return pool

    async def _evict(self) -> None:
        """Close the least recently used idle pools while there are too many."""
        for key in list(self._pools):
            if len(self._pools) < self._max_pools:
                return
            pool = self._pools[key]
            if pool.busy == 0:
                del self._pools[key]
                await pool.client.aclose()

    async def aclose(self) -> None:
        pools, self._pools = list(self._pools.values()), OrderedDict()
        for pool in pools:
            await pool.client.aclose()
