"""Downloading images from URLs: guarded, polite, cached, resumable.

Guards: only http(s); every TCP connection (the first request and every redirect hop) is made
to an address this module resolved and checked itself, so a host that resolves to a private,
loopback or link-local address is refused, and DNS cannot answer differently between the check
and the connect (``collect.allow_private_addresses`` lifts this for intranet collections).
Redirects are followed by hand up to ``max_redirects``; bodies are streamed and cut off at
``max_bytes``; a reply must say it is an image (or be untyped) and start like one.

Politeness: at most ``concurrency`` downloads at once and ``per_host`` per host. A file is
cached under the project by a hash of its URL, so a rerun never downloads it again.
"""

from __future__ import annotations

import hashlib
import ipaddress
import socket
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpcore
import httpx

__all__ = [
    "DownloadSettings",
    "Downloaded",
    "Downloader",
    "address_problem",
    "cache_path",
    "windowed",
]

T = TypeVar("T")
R = TypeVar("R")
_IMAGE_MAGIC = (
    b"\xff\xd8\xff", b"\x89PNG", b"GIF8", b"RIFF", b"BM", b"II*\x00", b"MM\x00*",
)  # fmt: skip
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class DownloadSettings:
    timeout_s: float = 20.0
    max_bytes: int = 50_000_000
    max_redirects: int = 5
    concurrency: int = 16
    per_host: int = 2
    allow_private_addresses: bool = False
    user_agent: str = "visinstruct-collect/0.1 (+https://github.com/visinstruct)"


@dataclass(frozen=True)
class Downloaded:
    """A URL's outcome: the cached file, or the reason there is none."""

    url: str
    file: Path | None
    reason: str | None = None
    content_type: str | None = None
    cached: bool = False


class _Refused(Exception):
    pass


def address_problem(ip: str) -> str | None:
    """Why a connection to ``ip`` is refused without allow_private_addresses, or None."""
    addr = ipaddress.ip_address(ip)
    if isinstance(addr, ipaddress.IPv6Address) and addr.ipv4_mapped is not None:
        addr = addr.ipv4_mapped
    for label, flag in (
        ("loopback", addr.is_loopback),
        ("link-local", addr.is_link_local),
        ("unspecified", addr.is_unspecified),
        ("multicast", addr.is_multicast),
        ("reserved", addr.is_reserved),
        ("private", addr.is_private),
    ):
        if flag:
            return f"{ip} is a {label} address"
    return None


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to addresses it resolved and vetted itself (no DNS rebinding window)."""

    def __init__(self, allow_private: bool):
        self._allow_private = allow_private
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        ips = list(dict.fromkeys(str(info[4][0]) for info in infos))
        if not self._allow_private:
            for ip in ips:
                problem = address_problem(ip)
                if problem is not None:
                    raise _Refused(f"refused address: {host} resolves to {problem}")
        last: Exception | None = None
        for ip in ips:
            try:
                return self._inner.connect_tcp(ip, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                last = exc
        raise last or httpcore.ConnectError(f"no address for {host}")


def _transport(settings: DownloadSettings) -> httpx.HTTPTransport:
    transport = httpx.HTTPTransport(trust_env=False)
    # httpx has no resolver hook; the connection pool's network backend is the one seam that
    # sees every TCP connect, so the guarded backend goes there.
    transport._pool = httpcore.ConnectionPool(
        ssl_context=httpx.create_ssl_context(trust_env=False),
        max_connections=settings.concurrency * 2,
        network_backend=_GuardedBackend(settings.allow_private_addresses),
    )
    return transport


def cache_path(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()
    return cache_dir / digest[:2] / digest


def windowed(
    items: Iterable[T], work: Callable[[T], R], workers: int, window: int | None = None
) -> Iterator[R]:
    """``work`` over ``items`` on ``workers`` threads, results in the order of ``items``.

    At most ``window`` (default ``2×workers``) items are in flight, so a source of millions
    streams; keeping the input order keeps a collection's outcome the same on every run.
    """
    limit = window or 2 * workers
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="collect") as pool:
        queue: deque[Future[R]] = deque()
        for item in items:
            queue.append(pool.submit(work, item))
            if len(queue) >= limit:
                yield queue.popleft().result()
        while queue:
            yield queue.popleft().result()


class Downloader:
    """Fetches URLs into ``cache_dir`` under ``settings``. Use as a context manager."""

    def __init__(self, cache_dir: Path, settings: DownloadSettings | None = None):
        self.cache_dir = cache_dir
        self.settings = settings or DownloadSettings()
        timeout = httpx.Timeout(self.settings.timeout_s)
        self._client = httpx.Client(
            transport=_transport(self.settings), timeout=timeout, follow_redirects=False,
            headers={"User-Agent": self.settings.user_agent, "Accept": "image/*"},
        )  # fmt: skip
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._lock = threading.Lock()

    def __enter__(self) -> Downloader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _host_slot(self, host: str) -> threading.BoundedSemaphore:
        with self._lock:
            if host not in self._hosts:
                self._hosts[host] = threading.BoundedSemaphore(self.settings.per_host)
            return self._hosts[host]

    def fetch_all(self, urls: Iterable[str]) -> Iterator[Downloaded]:
        """Every URL's outcome, in the order they finish."""
        return windowed(urls, self.fetch, self.settings.concurrency)

    def fetch(self, url: str) -> Downloaded:
        """One URL into the cache (or straight from it); failures are reasons, not raised."""
        target = cache_path(self.cache_dir, url)
        if target.is_file():
            return Downloaded(url, target, cached=True)
        try:
            content_type = self._get(url, target)
        except _Refused as exc:
            return Downloaded(url, None, str(exc))
        except httpx.TimeoutException:
            reason = f"download failed: timed out after {self.settings.timeout_s:g} s"
            return Downloaded(url, None, reason)
        except (httpx.HTTPError, httpcore.ConnectError, OSError) as exc:
            return Downloaded(url, None, f"download failed: unreachable ({exc})")
        return Downloaded(url, target, content_type=content_type)

    def _get(self, url: str, target: Path) -> str | None:
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            scheme = urlsplit(current).scheme.lower()
            if scheme not in ("http", "https"):
                raise _Refused(f"refused address: {scheme or 'no'} scheme; only http(s) URLs")
            host = urlsplit(current).hostname or ""
            with self._host_slot(host), self._client.stream("GET", current) as reply:
                if reply.is_redirect:
                    location = reply.headers.get("location", "")
                    current = str(reply.url.join(location))
                    continue
                if reply.status_code >= 400:
                    raise _Refused(f"download failed: HTTP {reply.status_code} from {host}")
                return self._save(reply, target)
        raise _Refused(
            f"too many redirects: more than {self.settings.max_redirects} (collect.max_redirects)"
        )

    def _save(self, reply: httpx.Response, target: Path) -> str | None:
        kind = reply.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind and not kind.startswith("image/") and kind != "application/octet-stream":
            raise _Refused(f"not an image: the server says it is {kind}")
        declared = int(reply.headers.get("content-length", "0") or 0)
        if declared > self.settings.max_bytes:
            raise _Refused(self._too_big(declared))
        chunks: list[bytes] = []
        size = 0
        for chunk in reply.iter_bytes(_CHUNK):
            size += len(chunk)
            if size > self.settings.max_bytes:
                raise _Refused(self._too_big(size, more=True))
            chunks.append(chunk)
        data = b"".join(chunks)
        if data and not data.startswith(_IMAGE_MAGIC) and b"ftyp" not in data[:16]:
            raise _Refused("not an image: the downloaded bytes do not start like an image file")
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".part{threading.get_ident()}")
        partial.write_bytes(data)
        partial.replace(target)  # atomic: a crash never leaves half a file under the name
        return kind or None

    def _too_big(self, size: int, more: bool = False) -> str:
        amount = f"over {size:,}" if more else f"{size:,}"
        return (
            f"too large: {amount} bytes is over the {self.settings.max_bytes:,}-byte cap "
            "(collect.max_download_bytes)"
        )
