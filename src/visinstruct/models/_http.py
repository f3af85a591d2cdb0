"""A small keep-alive HTTP/1.1 client for the hot path of model calls.

Why not httpx for every call: measured on the project machine (2 cores), an httpx
``AsyncClient.post`` costs about 2.2 ms of client CPU per chat completion against a loopback
server, most of it in the connection pool's bookkeeping, which scans every connection for every
request. A chat call needs one thing: send a JSON body on a warm connection, read one reply.
This module does that on asyncio streams for about 0.2 ms. It is used only for plain ``http``
and ``https`` URLs without a proxy; :func:`open_pool` falls back to httpx (proxies from the
environment, an injected test transport) so nothing a user relies on is lost.

Timeouts are separate: ``connect_s`` covers TCP and TLS setup, ``first_byte_s`` the wait from
the request being written to the first byte of the reply (a hung server), and the same value
bounds each later read. A timed-out connection is closed, never reused, so a hang frees its
slot at once.
"""

from __future__ import annotations

import asyncio
import ssl
import urllib.request
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Awaitable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

__all__ = [
    "HttpPool",
    "HttpReply",
    "WireConnectError",
    "WireError",
    "WireTimeout",
    "WireUnsupportedURL",
    "open_pool",
]

_MAX_HEAD = 64 * 1024


class WireError(Exception):
    """The request got no usable HTTP reply (a dropped connection, a broken reply)."""


class WireConnectError(WireError):
    """No connection could be made (refused, unknown host, connect timeout)."""


class WireTimeout(WireError):
    """The server did not answer within the first-byte (or read) timeout."""


class WireUnsupportedURL(WireError):
    """The URL is not an http(s) URL this client can use."""


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    """Header names lower-cased (the last value wins)."""
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


class HttpPool(ABC):
    """Requests to one base URL over reused connections."""

    @abstractmethod
    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> HttpReply: ...

    @abstractmethod
    async def aclose(self) -> None: ...


@dataclass
class _Conn:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    reused: bool = False


class StreamPool(HttpPool):
    """HTTP/1.1 with keep-alive on asyncio streams; idle connections are reused LIFO."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        connect_s: float,
        first_byte_s: float,
        max_connections: int,
    ):
        parts = urlsplit(base_url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise WireUnsupportedURL(f"unsupported URL {base_url!r}")
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._ssl: ssl.SSLContext | None = _ssl_context() if parts.scheme == "https" else None
        self._prefix = parts.path.rstrip("/")
        host_header = parts.netloc.rpartition("@")[2]
        fixed = {"Host": host_header, "Connection": "keep-alive", **headers}
        self._fixed = "".join(f"{k}: {v}\r\n" for k, v in fixed.items()).encode("latin-1")
        self._connect_s = connect_s
        self._first_byte_s = first_byte_s
        self._idle: deque[_Conn] = deque()
        self._slots = asyncio.Semaphore(max_connections)

    async def _connect(self) -> _Conn:
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(self._host, self._port, ssl=self._ssl, limit=_MAX_HEAD),
                self._connect_s,
            )
        except asyncio.TimeoutError as exc:
            raise WireConnectError(f"connect timeout after {self._connect_s:g}s") from exc
        except OSError as exc:
            raise WireConnectError(str(exc) or type(exc).__name__) from exc
        return _Conn(reader, writer)

    def _take_idle(self) -> _Conn | None:
        while self._idle:
            conn = self._idle.pop()
            if not conn.reader.at_eof() and not conn.writer.is_closing():
                conn.reused = True
                return conn
            conn.writer.close()
        return None

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> HttpReply:
        async with self._slots:
            conn = self._take_idle()
            if conn is not None:
                try:
                    return await self._exchange(conn, method, path, body, content_type)
                except _StaleConnection:
                    pass  # the server closed a kept-alive connection: once more, fresh
            conn = await self._connect()
            try:
                return await self._exchange(conn, method, path, body, content_type)
            except _StaleConnection as exc:
                raise WireError("the server closed the connection without a reply") from exc

    async def _exchange(
        self, conn: _Conn, method: str, path: str, body: bytes, content_type: str
    ) -> HttpReply:
        head = (
            f"{method} {self._prefix}{path} HTTP/1.1\r\n".encode("latin-1")
            + self._fixed
            + f"Content-Type: {content_type}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        )
        keep = False
        try:
            conn.writer.write(head + body)
            status, headers = await self._read_head(conn)
            reply = HttpReply(status, headers, await self._read_body(conn, headers))
            keep = headers.get("connection", "").lower() != "close"
            return reply
        finally:
            if keep:
                self._idle.append(conn)
            else:
                conn.writer.close()

    async def _read_head(self, conn: _Conn) -> tuple[int, dict[str, str]]:
        try:
            raw = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), self._first_byte_s)
        except asyncio.TimeoutError as exc:
            raise WireTimeout(f"no reply within {self._first_byte_s:g}s") from exc
        except asyncio.IncompleteReadError as exc:
            if conn.reused and not exc.partial:
                raise _StaleConnection from exc
            raise WireError("the server closed the connection mid-reply") from exc
        except (asyncio.LimitOverrunError, ConnectionError) as exc:
            if conn.reused and isinstance(exc, ConnectionError):
                raise _StaleConnection from exc
            raise WireError(f"broken reply head: {type(exc).__name__}") from exc
        lines = raw.decode("latin-1").split("\r\n")
        try:
            status = int(lines[0].split(" ", 2)[1])
        except (IndexError, ValueError) as exc:
            raise WireError(f"not an HTTP reply: {lines[0][:80]!r}") from exc
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, sep, value = line.partition(":")
            if sep:
                headers[name.strip().lower()] = value.strip()
        if lines[0].startswith("HTTP/1.0") and "connection" not in headers:
            headers["connection"] = "close"
        return status, headers

    async def _read_body(self, conn: _Conn, headers: dict[str, str]) -> bytes:
        try:
            if "chunked" in headers.get("transfer-encoding", "").lower():
                return await self._timed(self._read_chunked(conn.reader))
            if "content-length" in headers:
                n = int(headers["content-length"])
                return await self._timed(conn.reader.readexactly(n))
            headers["connection"] = "close"
            return await self._timed(conn.reader.read())
        except asyncio.TimeoutError as exc:
            raise WireTimeout(f"reply stalled for more than {self._first_byte_s:g}s") from exc
        except (asyncio.IncompleteReadError, ConnectionError, ValueError) as exc:
            raise WireError(f"broken reply body: {type(exc).__name__}") from exc

    async def _timed(self, read: Awaitable[bytes]) -> bytes:
        return await asyncio.wait_for(read, self._first_byte_s)

    @staticmethod
    async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
        parts: list[bytes] = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers are sent to us in practice
                return b"".join(parts)
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)

    async def aclose(self) -> None:
        while self._idle:
            self._idle.pop().writer.close()


class _StaleConnection(Exception):
    """A reused keep-alive connection turned out closed before any reply byte."""


class HttpxPool(HttpPool):
    """The same interface over httpx: proxies from the environment, injected transports."""

    def __init__(
        self,
        base_url: str,
        headers: dict[str, str],
        *,
        connect_s: float,
        first_byte_s: float,
        max_connections: int,
        transport: httpx.AsyncBaseTransport | None = None,
    ):
        self._base = base_url
        self._client = httpx.AsyncClient(
            headers=headers,
            timeout=httpx.Timeout(first_byte_s, connect=connect_s),
            limits=httpx.Limits(
                max_connections=max_connections, max_keepalive_connections=max_connections
            ),
            transport=transport,
        )

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> HttpReply:
        try:
            response = await self._client.request(
                method, self._base + path, content=body, headers={"Content-Type": content_type}
            )
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise WireUnsupportedURL(str(exc)) from exc
        except (httpx.ConnectTimeout, httpx.ConnectError) as exc:
            raise WireConnectError(str(exc) or type(exc).__name__) from exc
        except httpx.TimeoutException as exc:
            raise WireTimeout(str(exc) or type(exc).__name__) from exc
        except httpx.HTTPError as exc:
            raise WireError(f"{type(exc).__name__}: {exc}") from exc
        headers = {k.lower(): v for k, v in response.headers.items()}
        return HttpReply(response.status_code, headers, response.content)

    async def aclose(self) -> None:
        await self._client.aclose()


def _ssl_context() -> ssl.SSLContext:
    try:
        import certifi  # httpx's own CA bundle, so both paths trust the same roots

        return ssl.create_default_context(cafile=certifi.where())
    except ImportError:  # pragma: no cover - certifi comes with httpx
        return ssl.create_default_context()


def _proxied(base_url: str) -> bool:
    host = urlsplit(base_url).hostname or ""
    proxies = urllib.request.getproxies()
    scheme = urlsplit(base_url).scheme
    if scheme not in proxies and "all" not in proxies:
        return False
    return not urllib.request.proxy_bypass(host)


def open_pool(
    base_url: str,
    headers: dict[str, str],
    *,
    connect_s: float,
    first_byte_s: float,
    max_connections: int,
    transport: httpx.AsyncBaseTransport | None = None,
) -> HttpPool:
    """The fast stream pool for a direct http(s) URL, else the httpx one."""
    options = {"connect_s": connect_s, "first_byte_s": first_byte_s}
    if transport is None and not _proxied(base_url):
        try:
            return StreamPool(base_url, headers, max_connections=max_connections, **options)
        except WireUnsupportedURL:
            pass  # httpx gives the precise complaint about the URL
    return HttpxPool(
        base_url, headers, max_connections=max_connections, transport=transport, **options
    )
