"""HTTP for feeds and article pages: polite, bounded, and unable to stall a cycle.

Every limit a hostile or broken server could exploit is enforced here, while bytes arrive:
a total deadline (a slow drip never ends a read timeout), a size cap on the wire and another after
decompression (a gzip bomb), a bound on redirects (and loops), and concurrency bounds overall and
per host. Redirects are followed by hand so that a chain made only of permanent redirects (301/308)
can move the stored feed URL, as RFC 9110 intends.

Every hop (redirects and full-text pages included) is resolved here first, and refused when any
address of the host is not a public one (loopback, private, link-local, metadata services …)
unless FEEDS_ALLOW_PRIVATE is set. The request then goes to the address that was checked, with the
host name kept for the Host header and TLS, so a second DNS answer cannot swap it (DNS rebinding).
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import socket
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from http.cookiejar import CookieJar
from types import TracebackType
from urllib.parse import urljoin

import httpx

from briefings.config import Settings
from briefings.gather.clients import HostClients, tls_context
from briefings.gather.urls import host_of, is_http_url
from briefings.timeutil import utcnow

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/rdf+xml;q=0.9, "
    "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
PERMANENT_REDIRECTS = frozenset({301, 308})


class FetchError(Exception):
    """A fetch that produced no usable body. `kind` is a stable machine word, the message Korean."""

    def __init__(
        self, kind: str, message: str, *, status: int | None = None, retry_after: float | None = None
    ) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class FetchResult:
    url: str
    status: int
    content: bytes
    content_type: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    # The new address when every hop of the redirect chain was permanent.
    permanent_url: str | None = None

    @property
    def not_modified(self) -> bool:
        return self.status == 304


def retry_after_seconds(value: str | None, *, now: datetime) -> float | None:
    """Retry-After as seconds from `now` (delta-seconds or an HTTP date); None if absent or invalid."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - now).total_seconds(), 0.0)


class _Decoder:
    """Content-Encoding decoder that refuses to produce more than `cap` bytes (a decompression bomb)."""

    def __init__(self, encoding: str, cap: int) -> None:
        self.cap = cap
        self.produced = 0
        self.encoding = encoding
        if encoding in ("gzip", "x-gzip"):
            self._obj: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif encoding == "deflate":
            self._obj = None  # zlib-wrapped or raw: decided on the first bytes
        else:
            raise FetchError("encoding", f"지원하지 않는 압축 방식입니다: {encoding}")

    def _bomb(self) -> FetchError:
        return FetchError("decompression_bomb", f"압축을 풀면 {self.cap:,}바이트 제한을 넘습니다")

    def feed(self, data: bytes) -> bytes:
        if self._obj is None:
            self._obj = zlib.decompressobj(zlib.MAX_WBITS if data[:1] == b"\x78" else -zlib.MAX_WBITS)
        try:
            out = self._obj.decompress(data, self.cap - self.produced + 1)
        except zlib.error as exc:
            raise FetchError("encoding", f"압축 해제 실패: {exc}") from exc
        self.produced += len(out)
        if self.produced > self.cap or self._obj.unconsumed_tail:
            raise self._bomb()
        return out

    def flush(self) -> bytes:
        if self._obj is None:
            return b""
        try:
            out = self._obj.flush()
        except zlib.error as exc:
            raise FetchError("encoding", f"압축 해제 실패: {exc}") from exc
        self.produced += len(out)
        if self.produced > self.cap:
            raise self._bomb()
        return out


def _content_encodings(headers: httpx.Headers) -> list[str]:
    raw = headers.get("content-encoding", "")
    return [e.strip().lower() for e in raw.split(",") if e.strip() and e.strip().lower() != "identity"]


def is_public_address(address: str) -> bool:
    """A globally routable unicast address (an IPv4-mapped IPv6 address is judged as its IPv4)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def resolve_checked(host: str, port: int, *, allow_private: bool) -> str:
    """The address to connect to for `host`, after checking every address it resolves to."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError("dns", f"주소를 찾을 수 없습니다(DNS): {host[:100]}") from exc
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise FetchError("dns", f"주소를 찾을 수 없습니다(DNS): {host[:100]}")
    if not allow_private:
        for address in addresses:
            if not is_public_address(address):
                raise FetchError("private", f"내부망 주소라 접속하지 않습니다: {host[:100]} → {address}")
    return addresses[0]


def transport_kind(exc: httpx.TransportError) -> str:
    """ "dns" when the name did not resolve, "connect" for other connection failures, else "protocol"."""
    if not isinstance(exc, httpx.ConnectError):
        return "protocol"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "dns"
        cause = cause.__cause__ or cause.__context__
    text = str(exc).lower()
    if "name or service not known" in text or "name resolution" in text or "nodename nor servname" in text:
        return "dns"
    return "connect"


class Fetcher:
    """One shared client with the gatherer's limits. Use as `async with Fetcher(settings) as f:`.

    `transport` swaps the network (httpx.MockTransport, a proxy) without touching the logic.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        concurrency: int | None = None,
        per_host: int | None = None,
    ) -> None:
        self.settings = settings
        self.allow_private = settings.feeds_allow_private
        # Connections go to the checked address; a swapped-in transport (a proxy) resolves itself.
        self.pin_addresses = transport is None
        self._resolved: dict[tuple[str, int], str] = {}
        self.max_bytes = settings.fetch_max_bytes
        self.max_redirects = settings.fetch_max_redirects
        self.total_timeout = settings.fetch_total_timeout
        limit = concurrency or settings.fetch_concurrency
        self._per_host_limit = per_host or settings.fetch_per_host
        self._all = asyncio.Semaphore(limit)
        self._hosts: dict[str, asyncio.Semaphore] = {}
        self._timeout = httpx.Timeout(
            connect=settings.fetch_connect_timeout,
            read=settings.fetch_read_timeout,
            write=settings.fetch_read_timeout,
            pool=settings.fetch_total_timeout,
        )
        # One cookie jar for all of a cycle's clients, as when there was one client.
        self._cookies = CookieJar()
        # A swapped-in transport is one object: it gets one client. The network gets small pools per host.
        self._single = self._client(limit, transport) if transport is not None else None
        self._clients = HostClients(self._client, per_host=self._per_host_limit, max_pools=limit)

    def _client(
        self, connections: int, transport: httpx.AsyncBaseTransport | None = None
    ) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            transport=transport,
            verify=tls_context(),
            cookies=self._cookies,
            follow_redirects=False,
            timeout=self._timeout,
            limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
            headers={"User-Agent": self.settings.user_agent, "Accept-Encoding": "gzip, deflate"},
            trust_env=False,
        )

    @contextlib.asynccontextmanager
    async def _client_for(self, url: str) -> AsyncIterator[httpx.AsyncClient]:
        if self._single is not None:
            yield self._single
        else:
            async with self._clients.client_for(url) as client:
                yield client

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        if self._single is not None:
            await self._single.aclose()
        await self._clients.aclose()

    def _host_slot(self, url: str) -> asyncio.Semaphore:
        host = host_of(url)
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self._per_host_limit)
        return slot

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        accept: str = FEED_ACCEPT,
    ) -> FetchResult:
        """GET `url` within every limit; raises FetchError for anything that is not a usable answer.

        The host slot is taken before the global one, so a busy host never holds global slots idle.
        The total deadline starts once both slots are held: waiting in line is not the server's fault.
        """
        async with self._host_slot(url), self._all:
            try:
                async with asyncio.timeout(self.total_timeout):
                    return await self._fetch_following(url, etag, last_modified, accept)
            except TimeoutError:
                raise FetchError("timeout", f"전체 제한 시간 {self.total_timeout:g}초를 넘었습니다") from None
            except httpx.TimeoutException as exc:
                raise FetchError("timeout", f"응답 시간 초과 ({type(exc).__name__})") from None
            except httpx.TransportError as exc:
                kind = transport_kind(exc)
                raise FetchError(kind, f"연결 오류: {type(exc).__name__}: {exc}"[:300]) from None

    async def _fetch_following(
        self, url: str, etag: str | None, last_modified: str | None, accept: str
    ) -> FetchResult:
        headers = {"Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        seen = {url}
        current = url
        all_permanent = True
        for _hop in range(self.max_redirects + 1):
            async with self._send(current, headers) as response:
                if response.status_code in REDIRECT_STATUSES:
                    location = response.headers.get("location")
                    if not location:
                        raise FetchError(
                            "bad_redirect", "Location 없는 리다이렉트", status=response.status_code
                        )
                    target = urljoin(current, location.strip())
                    if not is_http_url(target):
                        raise FetchError("bad_redirect", f"잘못된 리다이렉트 주소: {target[:200]}")
                    if target in seen:
                        raise FetchError(
                            "redirect_loop", f"리다이렉트 순환: {target[:200]}", status=response.status_code
                        )
                    all_permanent = all_permanent and response.status_code in PERMANENT_REDIRECTS
                    seen.add(target)
                    current = target
                    continue
                moved = current if current != url and all_permanent else None
                if response.status_code == 304:
                    # A 304 has no body by definition; reading its end hands the connection back to
                    # the pool instead of closing it (unchanged cycles are mostly connections).
                    await response.aread()
                    return FetchResult(
                        url=current, status=304, content=b"", permanent_url=moved, **self._meta(response)
                    )
                if response.status_code >= 400 or response.status_code < 200:
                    raise FetchError(
                        "http",
                        f"HTTP {response.status_code} {response.reason_phrase}".strip(),
                        status=response.status_code,
                        retry_after=retry_after_seconds(response.headers.get("retry-after"), now=utcnow()),
                    )
                content = await self._read_capped(response)
                return FetchResult(
                    url=current,
                    status=response.status_code,
                    content=content,
                    permanent_url=moved,
                    **self._meta(response),
                )
        raise FetchError("too_many_redirects", f"리다이렉트가 {self.max_redirects}번을 넘었습니다")

    @contextlib.asynccontextmanager
    async def _send(self, url: str, headers: dict[str, str]) -> AsyncIterator[httpx.Response]:
        """One hop: the response to GET `url` on a pool of its host, streaming until the block ends."""
        async with self._client_for(url) as client:
            request = await self._checked_request(client, url, headers)
            response = await client.send(request, stream=True)
            try:
                yield response
            finally:
                await response.aclose()

    async def _checked_request(
        self, client: httpx.AsyncClient, url: str, headers: dict[str, str]
    ) -> httpx.Request:
        """A request for `url` whose host passed the address check, aimed at the checked address."""
        target = httpx.URL(url)
        host = target.host
        port = target.port or (443 if target.scheme == "https" else 80)
        key = (host, port)
        address = self._resolved.get(key)
        if address is None:  # once per host and Fetcher (a cycle): the checked answer is the one used
            address = await resolve_checked(host, port, allow_private=self.allow_private)
            self._resolved[key] = address
        if not self.pin_addresses or address == host:
            return client.build_request("GET", target, headers=headers)
        pinned = {**headers, "Host": target.netloc.decode("ascii")}
        extensions = {"sni_hostname": host} if target.scheme == "https" else {}
        return client.build_request(
            "GET", target.copy_with(host=address), headers=pinned, extensions=extensions
        )

    @staticmethod
    def _meta(response: httpx.Response) -> dict[str, str | None]:
        return {
            "content_type": response.headers.get("content-type"),
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
        }

    async def _read_capped(self, response: httpx.Response) -> bytes:
        """Read the body raw, decompressing ourselves so both the wire and the output are capped."""
        cap = self.max_bytes
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError("too_large", f"응답이 {cap:,}바이트 제한보다 큽니다 ({int(declared):,})")
        decoders = [_Decoder(enc, cap) for enc in reversed(_content_encodings(response.headers))]
        received = 0
        parts: list[bytes] = []
        async for chunk in response.aiter_raw():
            received += len(chunk)
            if received > cap:
                raise FetchError("too_large", f"응답이 {cap:,}바이트 제한을 넘었습니다")
            for decoder in decoders:
                chunk = decoder.feed(chunk)
            parts.append(chunk)
        tail = b""
        for decoder in decoders:
            tail = decoder.feed(tail) + decoder.flush() if tail else decoder.flush()
        parts.append(tail)
        return b"".join(parts)
