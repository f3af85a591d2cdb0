"""One HTTP client per model endpoint, on aiohttp.

Why aiohttp: measured on the project machine (2 cores) with ``bench/throughput.py
transports`` — 2,000 POSTs of a chat-sized body at concurrency 64 against a loopback server —
aiohttp's client costs 0.11–0.15 ms of CPU per call, httpx with a tuned pool 4–9 ms (its pool
bookkeeping grows with the connections), the hand-written pool this replaced 0.06–0.08 ms
(bench/RESULTS.md, "The HTTP client on aiohttp"). And it is maintained by others: TLS, proxies
(CONNECT tunnels), chunked bodies and keep-alive are its job, not ours.

What this module adds is policy, in one place:

- **Pool.** One :class:`aiohttp.ClientSession` per endpoint, keep-alive, at most
  ``max_connections`` connections (the role's concurrency). Idle connections are dropped after
  :data:`KEEPALIVE_S`, under the 5 s keep-alive of uvicorn-based servers (vLLM, LMDeploy), so a
  reused connection is almost never one the server is closing at that instant.
- **Timeouts.** ``connect_s`` bounds TCP and TLS setup; ``first_byte_s`` bounds the wait for
  the reply after the request is sent and every later read. Waiting for a free connection is
  not bounded here: the executor never runs more calls than there are connections.
- **TLS.** Verified always: the system trust store, plus ``SSL_CERT_FILE`` / ``SSL_CERT_DIR``,
  plus a per-role ``ca_bundle``. A certificate error is :class:`WireCertificateError`, which the
  backend turns into a stop of the whole run saying what to set.
- **Proxies.** ``HTTPS_PROXY`` / ``HTTP_PROXY`` / ``ALL_PROXY`` / ``NO_PROXY`` (either case, as
  curl reads them) from the ``env`` mapping the backend is given, on the same session.
- **No hidden resends.** aiohttp retries a request on a stale kept-alive connection only for
  idempotent methods; a POST that fails is reported as :class:`WireError` and the backend
  retries it as a counted attempt with its own ledger row.
"""

from __future__ import annotations

import asyncio
import os
import ssl
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import aiohttp
from yarl import URL

__all__ = [
    "KEEPALIVE_S",
    "EndpointClient",
    "HttpReply",
    "WireCertificateError",
    "WireConnectError",
    "WireError",
    "WireProxyError",
    "WireTLSError",
    "WireTimeout",
    "WireUnsupportedURL",
    "proxy_for",
    "tls_context",
]

KEEPALIVE_S = 4.0
_DROPPED = (ssl.SSLEOFError, ssl.SSLZeroReturnError, ssl.SSLSyscallError, ConnectionError)


class WireError(Exception):
    """The request got no usable HTTP reply (a dropped connection, a broken reply)."""


class WireConnectError(WireError):
    """No connection could be made (refused, unknown host, connect timeout)."""


class WireTimeout(WireError):
    """The server did not answer within the first-byte (or read) timeout."""


class WireUnsupportedURL(WireError):
    """The URL is not an http(s) URL this client can use."""


class WireCertificateError(WireError):
    """The server's TLS certificate is not trusted (or a CA file cannot be read)."""


class WireTLSError(WireError):
    """The TLS handshake failed for a reason other than trust (e.g. no TLS on that port)."""


class WireProxyError(WireError):
    """The proxy refused to open a tunnel (e.g. 407 Proxy Authentication Required)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class HttpReply:
    status: int
    headers: dict[str, str]
    """Header names lower-cased (the last value wins)."""
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def tls_context(env: Mapping[str, str], ca_bundle: str | None = None) -> ssl.SSLContext:
    """A verifying context: the system store, then ``SSL_CERT_FILE`` / ``SSL_CERT_DIR`` from
    ``env``, then ``ca_bundle`` (a PEM file or a hashed directory). Falls back to certifi's
    roots only when the system store is empty (some Python builds ship without one)."""
    context = ssl.create_default_context()
    defaults = ssl.get_default_verify_paths()
    if os.environ.get("SSL_CERT_FILE") or os.environ.get("SSL_CERT_DIR"):
        # Set in this process, they *replaced* OpenSSL's default paths just now; load the
        # compiled-in ones too, so the system store stays beside them.
        if defaults.openssl_cafile and Path(defaults.openssl_cafile).is_file():
            context.load_verify_locations(cafile=defaults.openssl_cafile)
        if defaults.openssl_capath and Path(defaults.openssl_capath).is_dir():
            context.load_verify_locations(capath=defaults.openssl_capath)
    if not context.cert_store_stats()["x509_ca"] and not (
        defaults.capath and Path(defaults.capath).is_dir()
    ):
        try:  # a Python build without a system store (e.g. python.org's on macOS)
            import certifi

            context.load_verify_locations(cafile=certifi.where())
        except ImportError:  # pragma: no cover - certifi comes with most installs
            pass
    for name, path in (("SSL_CERT_FILE", env.get("SSL_CERT_FILE")), ("ca_bundle", ca_bundle)):
        if path:
            _load(context, name, path)
    cert_dir = env.get("SSL_CERT_DIR")
    if cert_dir:
        for part in cert_dir.split(":"):
            if part:
                _load(context, "SSL_CERT_DIR", part)
    return context


def _load(context: ssl.SSLContext, name: str, path: str) -> None:
    where = Path(path).expanduser()
    try:
        if where.is_dir():
            context.load_verify_locations(capath=str(where))
        else:
            context.load_verify_locations(cafile=str(where))
    except (OSError, ssl.SSLError) as exc:
        raise WireCertificateError(
            f"{name}={path!r} cannot be used as CA certificates ({exc}): "
            "point it at a PEM file or a directory of PEM certificates"
        ) from exc


def proxy_for(url: str, env: Mapping[str, str]) -> str | None:
    """The proxy ``env`` asks for on ``url`` (lower-case names first, as curl does), or None
    when there is none or ``NO_PROXY`` excludes the host."""
    parts = urlsplit(url)

    def var(name: str) -> str | None:
        return env.get(name.lower()) or env.get(name.upper()) or None

    proxy = var(f"{parts.scheme}_proxy") or var("all_proxy")
    if not proxy:
        return None
    no_proxy = var("no_proxy")
    host = parts.hostname or ""
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]
    if no_proxy and (no_proxy.strip() == "*" or bypass(host, {"no": no_proxy})):
        return None
    return proxy


def _host_only(url: str) -> str:
    """``url`` without user:password, for messages."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.hostname}" + (f":{parts.port}" if parts.port else "")


class EndpointClient:
    """Requests to one base URL over one keep-alive aiohttp session (created on first use,
    inside the running event loop)."""

    def __init__(
        self,
        base_url: str,
        headers: Mapping[str, str],
        *,
        connect_s: float,
        first_byte_s: float,
        max_connections: int,
        env: Mapping[str, str],
        ca_bundle: str | None = None,
    ):
        parts = urlsplit(base_url)
        self._unsupported: str | None = None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            self._unsupported = f"unsupported URL {base_url!r}"
        self._base = base_url
        self._headers = dict(headers)
        self._timeout = aiohttp.ClientTimeout(
            total=None, connect=None, sock_connect=connect_s, sock_read=first_byte_s
        )
        self._connect_s, self._first_byte_s = connect_s, first_byte_s
        self._max_connections = max_connections
        self._ssl = tls_context(env, ca_bundle) if parts.scheme == "https" else None
        proxy = proxy_for(base_url, env) if self._unsupported is None else None
        self._proxy_headers: dict[str, str] | None = None
        self.proxy: str | None = None
        """The proxy in use (without credentials), or None."""
        if proxy:
            proxy = proxy if "://" in proxy else f"http://{proxy}"
            auth = aiohttp.BasicAuth.from_url(URL(proxy))
            if auth is not None:
                self._proxy_headers = {"Proxy-Authorization": auth.encode()}
            self.proxy = _host_only(proxy)
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _open(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._session is None or self._loop is not loop:
            # A session belongs to the loop it was made on; a later asyncio.run() gets its own.
            self._loop = loop
            connector = aiohttp.TCPConnector(
                limit=self._max_connections,
                limit_per_host=0,
                keepalive_timeout=KEEPALIVE_S,
                ssl=self._ssl if self._ssl is not None else True,
            )
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                connector=connector,
                timeout=self._timeout,
                trust_env=False,  # the proxy comes from the env mapping, decided once
                proxy=self.proxy,
                auto_decompress=True,
            )
        return self._session

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> HttpReply:
        if self._unsupported is not None:
            raise WireUnsupportedURL(self._unsupported)
        session = self._open()
        headers = {"Content-Type": content_type} if body or method != "GET" else None
        try:
            async with session.request(
                method,
                self._base + path,
                data=body or None,
                headers=headers,
                proxy_headers=self._proxy_headers,
            ) as response:
                data = await response.read()
                reply_headers = {k.lower(): v for k, v in response.headers.items()}
                return HttpReply(response.status, reply_headers, data)
        except aiohttp.ClientError as exc:
            raise self._wire_error(exc) from exc
        except asyncio.TimeoutError as exc:  # pragma: no cover - aiohttp raises its own
            raise WireTimeout(f"no reply within {self._first_byte_s:g}s") from exc

    def _wire_error(self, exc: aiohttp.ClientError) -> WireError:
        """aiohttp's exception tree mapped onto what the backend decides on."""
        if isinstance(exc, aiohttp.ClientConnectorCertificateError):
            return WireCertificateError(f"certificate not trusted: {exc.certificate_error}")
        if isinstance(exc, aiohttp.ClientConnectorSSLError):
            if isinstance(exc.os_error, _DROPPED):  # the peer hung up mid-handshake: may pass
                return WireConnectError(f"connection dropped during the TLS handshake: {exc}")
            return WireTLSError(f"TLS handshake failed: {exc.os_error}")
        if isinstance(exc, aiohttp.ClientHttpProxyError):
            message = f"proxy {self.proxy} answered {exc.status} {exc.message}"
            return WireProxyError(message, exc.status)
        if isinstance(exc, aiohttp.ClientProxyConnectionError):
            return WireConnectError(f"cannot connect to proxy {self.proxy}: {exc.os_error}")
        if isinstance(exc, aiohttp.ClientConnectorError):
            return WireConnectError(str(exc.os_error) or type(exc).__name__)
        if isinstance(exc, aiohttp.ConnectionTimeoutError):
            return WireConnectError(f"connect timeout after {self._connect_s:g}s")
        if isinstance(exc, aiohttp.ServerTimeoutError):
            return WireTimeout(f"no reply within {self._first_byte_s:g}s")
        if isinstance(exc, (aiohttp.InvalidURL, aiohttp.NonHttpUrlClientError)):
            return WireUnsupportedURL(str(exc))
        if isinstance(exc, aiohttp.ServerDisconnectedError):
            return WireError("the server closed the connection without a reply")
        if isinstance(exc, aiohttp.ClientPayloadError):
            return WireError(f"broken reply body: {exc}")
        if isinstance(exc, aiohttp.ClientResponseError):
            return WireError(f"not an HTTP reply: {exc.message}")
        return WireError(f"{type(exc).__name__}: {exc}")

    async def aclose(self) -> None:
        session, self._session = self._session, None
        if session is not None and self._loop is asyncio.get_running_loop():
            await session.close()
