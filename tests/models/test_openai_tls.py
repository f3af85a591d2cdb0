"""The openai backend over HTTPS and through a proxy, all on loopback: a throwaway CA and
server certificate made here with trustme, the test server speaking TLS, and a small CONNECT
proxy written below (it only tunnels bytes, which is all a CONNECT proxy does)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import ssl
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import trustme

from visinstruct.config import ModelSpec
from visinstruct.errors import FatalModelError, ModelError
from visinstruct.models.base import CallContext, ChatRequest, Message
from visinstruct.models.endpoint import tls_context
from visinstruct.models.openai import OpenAIBackend
from visinstruct.records import ModelCall

from fakeserver import FakeOpenAIServer


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def server_context(ca: trustme.CA, *hosts: str) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(hosts or ("127.0.0.1", "localhost"))).configure_cert(context)
    return context


@pytest.fixture
def tls_server(ca: trustme.CA) -> Iterator[FakeOpenAIServer]:
    with FakeOpenAIServer(tls=server_context(ca)) as server:
        yield server


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> Path:
    path = tmp_path / "private-ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def call(
    base_url: str, env: dict[str, str] | None = None, **options: Any
) -> tuple[str | ModelError, list[ModelCall], float]:
    """One chat call: (reply text or the error, ledger rows, seconds it took)."""
    spec = ModelSpec(model="m", base_url=base_url, max_retries=2, timeout_s=5, **options)
    rows: list[ModelCall] = []

    async def go() -> str:
        backend = OpenAIBackend(
            spec, "captioner", env=env or {}, backoff_base_s=0.001, backoff_cap_s=0.01
        )
        context = CallContext(stage="caption", unit_key="u", record=rows.append)
        try:
            request = ChatRequest(messages=(Message("user", "hi"),))
            return (await backend.chat(request, context)).text
        finally:
            await backend.aclose()

    t0 = time.monotonic()
    try:
        result: str | ModelError = asyncio.run(asyncio.wait_for(go(), 20))
    except ModelError as exc:
        result = exc
    return result, rows, time.monotonic() - t0


def test_https_with_the_private_ca_configured(tls_server: FakeOpenAIServer, ca_file: Path) -> None:
    assert tls_server.base_url.startswith("https://127.0.0.1:")
    text, rows, _ = call(tls_server.base_url, ca_bundle=str(ca_file))
    assert text == "ok"
    assert [r.outcome for r in rows] == ["ok"]


def test_ssl_cert_file_from_the_environment_is_trusted_too(
    tls_server: FakeOpenAIServer, ca_file: Path
) -> None:
    text, _, _ = call(tls_server.base_url, env={"SSL_CERT_FILE": str(ca_file)})
    assert text == "ok"


def test_ssl_cert_dir_from_the_environment_is_trusted_too(
    tls_server: FakeOpenAIServer, ca: trustme.CA, tmp_path: Path
) -> None:
    if shutil.which("openssl") is None:
        pytest.skip("needs the openssl command to name the file by subject hash")
    pem = ca.cert_pem.bytes()
    # OpenSSL finds a certificate in a directory by its subject hash: <hash>.0
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-subject_hash"],
        input=pem, capture_output=True, check=True, timeout=10,
    )  # fmt: skip
    folder = tmp_path / "certs"
    folder.mkdir()
    (folder / f"{out.stdout.decode().strip()}.0").write_bytes(pem)
    text, _, _ = call(tls_server.base_url, env={"SSL_CERT_DIR": str(folder)})
    assert text == "ok"


def test_untrusted_certificate_stops_at_once_saying_what_to_set(
    tls_server: FakeOpenAIServer,
) -> None:
    error, rows, seconds = call(tls_server.base_url)
    assert isinstance(error, FatalModelError)
    message = str(error)
    assert tls_server.base_url in message
    assert "certificate" in message
    assert "models.captioner.ca_bundle" in message
    assert "SSL_CERT_FILE" in message
    assert [r.outcome for r in rows] == ["fatal"]  # no retries: it would fail the same way
    assert tls_server.requests == []
    assert seconds < 3


def test_certificate_for_another_host_is_refused(ca: trustme.CA, ca_file: Path) -> None:
    with FakeOpenAIServer(tls=server_context(ca, "api.example.org")) as server:
        error, rows, _ = call(server.base_url, ca_bundle=str(ca_file))
        assert server.requests == []
    assert isinstance(error, FatalModelError)
    assert "host" in str(error)
    assert [r.outcome for r in rows] == ["fatal"]


def test_https_to_a_plain_http_server_stops_at_once() -> None:
    with FakeOpenAIServer() as server:
        url = server.base_url.replace("http://", "https://")
        error, rows, seconds = call(url)
    assert isinstance(error, FatalModelError)
    assert url in str(error)
    assert [r.outcome for r in rows] == ["fatal"]
    assert seconds < 3


def test_unreadable_ca_bundle_is_a_clear_error(tmp_path: Path) -> None:
    bad = tmp_path / "not-a-cert.pem"
    bad.write_text("hello")
    spec = ModelSpec(model="m", base_url="https://127.0.0.1:9/v1", ca_bundle=str(bad))
    with pytest.raises(FatalModelError, match=r"models\.captioner: ca_bundle=.*not-a-cert"):
        OpenAIBackend(spec, "captioner", env={})


# -- proxies ---------------------------------------------------------------------------------


class ConnectProxy:
    """A CONNECT-only proxy on 127.0.0.1 in its own thread; records each CONNECT target.
    ``refuse`` answers every CONNECT with that status instead of tunnelling."""

    def __init__(self, refuse: int | None = None):
        self.refuse = refuse
        self.targets: list[str] = []
        self.auth: list[str | None] = []
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.port = 0

    def _run(self) -> None:
        self._loop.run_until_complete(self._serve())
        self._loop.close()

    async def _serve(self) -> None:
        self._stop = asyncio.Event()
        server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.close()
        # Tunnels still open (kept-alive client connections) end with the proxy.
        tunnels = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tunnels:
            task.cancel()
        await asyncio.gather(*tunnels, return_exceptions=True)
        await server.wait_closed()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).decode("latin-1")
            method, target, _ = head.split("\r\n")[0].split(" ")
            auth = [ln.split(":", 1)[1].strip() for ln in head.split("\r\n")
                    if ln.lower().startswith("proxy-authorization:")]  # fmt: skip
            self.targets.append(f"{method} {target}")
            self.auth.append(auth[0] if auth else None)
            if method != "CONNECT" or self.refuse is not None:
                status = self.refuse or 405
                writer.write(f"HTTP/1.1 {status} Refused\r\nContent-Length: 0\r\n\r\n".encode())
                await writer.drain()
                return
            host, port = target.rsplit(":", 1)
            up_reader, up_writer = await asyncio.open_connection(host, int(port))
            writer.write(b"HTTP/1.1 200 Connection established\r\n\r\n")
            await writer.drain()
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
            pass
        finally:
            writer.close()

    def __enter__(self) -> ConnectProxy:
        self._thread.start()
        assert self._ready.wait(5)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(5)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    writer.close()


def test_https_through_a_connect_proxy(tls_server: FakeOpenAIServer, ca_file: Path) -> None:
    with ConnectProxy() as proxy:
        env = {"HTTPS_PROXY": proxy.url.replace("http://", "http://me:pw@")}
        text, rows, _ = call(tls_server.base_url, env=env, ca_bundle=str(ca_file))
    assert text == "ok"
    assert proxy.targets == [f"CONNECT 127.0.0.1:{tls_server.port}"]
    assert proxy.auth == ["Basic bWU6cHc="]  # me:pw, taken from the proxy URL
    assert [r.outcome for r in rows] == ["ok"]
    assert len(tls_server.requests) == 1


def test_no_proxy_bypasses_the_proxy(tls_server: FakeOpenAIServer, ca_file: Path) -> None:
    with ConnectProxy() as proxy:
        env = {"HTTPS_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"}
        text, _, _ = call(tls_server.base_url, env=env, ca_bundle=str(ca_file))
    assert text == "ok"
    assert proxy.targets == []


def test_a_proxy_that_refuses_the_tunnel_stops_at_once(
    tls_server: FakeOpenAIServer, ca_file: Path
) -> None:
    with ConnectProxy(refuse=407) as proxy:
        error, rows, _ = call(
            tls_server.base_url, env={"HTTPS_PROXY": proxy.url}, ca_bundle=str(ca_file)
        )
    assert isinstance(error, FatalModelError)
    assert "407" in str(error)
    assert "HTTPS_PROXY" in str(error)
    assert [r.outcome for r in rows] == ["fatal"]
    assert tls_server.requests == []


def test_ssl_cert_file_adds_to_the_system_store(
    ca_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    system = len(tls_context({}).get_ca_certs())
    if not system:
        pytest.skip("this machine has no system CA certificates")
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))  # replaces OpenSSL's default paths
    assert len(ssl.create_default_context().get_ca_certs()) == 1  # what OpenSSL alone does
    assert len(tls_context(os.environ).get_ca_certs()) == system + 1  # ours beside the system's
