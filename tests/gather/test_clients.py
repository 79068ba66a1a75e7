"""The fetcher's connection pools: small ones per host, the least busy first, idle ones closed."""

from __future__ import annotations

import asyncio
import contextlib

import httpx

from briefings.gather.clients import POOL_CONNECTIONS, HostClients


class _Made:
    def __init__(self) -> None:
        self.sizes: list[int] = []

    def __call__(self, connections: int) -> httpx.AsyncClient:
        self.sizes.append(connections)
        return httpx.AsyncClient(limits=httpx.Limits(max_connections=connections))


def test_a_host_allowed_more_connections_than_a_pool_gets_several_used_least_busy_first() -> None:
    made = _Made()
    clients = HostClients(made, per_host=2 * POOL_CONNECTIONS, max_pools=8)

    async def run() -> None:
        async with contextlib.AsyncExitStack() as stack:
            held = [
                await stack.enter_async_context(clients.client_for(f"https://a.kr/{n}"))
                for n in range(2 * POOL_CONNECTIONS)
            ]
            first, second = held[0], held[POOL_CONNECTIONS]
            assert first is not second
            assert held == [first] * POOL_CONNECTIONS + [second] * POOL_CONNECTIONS
            other = await stack.enter_async_context(clients.client_for("https://b.kr/1"))
            assert other not in (first, second)  # hosts never share a pool
        assert made.sizes == [POOL_CONNECTIONS] * 3
        async with clients.client_for("https://a.kr/again") as again:
            assert again is first  # idle pools are reused, not multiplied
        assert len(made.sizes) == 3
        await clients.aclose()

    asyncio.run(run())


def test_beyond_max_pools_the_least_recently_used_idle_pool_is_closed_never_a_busy_one() -> None:
    made = _Made()
    clients = HostClients(made, per_host=1, max_pools=2)

    async def run() -> None:
        async with clients.client_for("https://a.kr/1") as a:
            pass
        async with clients.client_for("https://b.kr/1") as b:
            async with clients.client_for("https://c.kr/1") as c:
                assert a.is_closed and not b.is_closed and not c.is_closed
            async with clients.client_for("https://d.kr/1") as d:
                assert not b.is_closed and c.is_closed  # b is in use: c, idle, goes
        async with clients.client_for("https://b.kr/2") as b_again:
            assert b_again is b
        await clients.aclose()
        assert b.is_closed and d.is_closed

    asyncio.run(run())
