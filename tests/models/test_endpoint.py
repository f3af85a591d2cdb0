"""The endpoint client against raw asyncio servers that answer the ways real servers do:
chunked bodies, idle connections closed by the server, HTTP/1.0 replies, stalls, a POST dropped
before any reply byte; and the proxy choice from the environment."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Awaitable, Callable

import pytest

from visinstruct.models.endpoint import (
    EndpointClient,
    WireConnectError,
    WireError,
    WireTimeout,
    WireUnsupportedURL,
    proxy_for,
)

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def read_request(reader: asyncio.StreamReader) -> tuple[bytes, bytes]:
    """(head, body) of one request."""
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return head, await reader.readexactly(length)


async def serve(handler: Handler, calls: Callable[[EndpointClient], Awaitable[None]]) -> int:
    """Run ``calls`` against a server whose connections are handled by ``handler``;
    return how many connections the server accepted."""
    accepted = 0

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal accepted
        accepted += 1
        try:
            await handler(reader, writer, accepted)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = EndpointClient(
        f"http://127.0.0.1:{port}/v1",
        {},
        connect_s=2,
        first_byte_s=0.5,
        max_connections=1,
        env={},
    )
    try:
        await asyncio.wait_for(calls(client), 10)
    finally:
        await client.aclose()
        server.close()
        await server.wait_closed()
    return accepted


def test_chunked_body_is_joined_and_the_connection_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            _, body = await read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(
                b"5\r\nhello\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
            )
            await writer.drain()

    async def calls(client: EndpointClient) -> None:
        for _ in range(3):
            reply = await client.request("POST", "/chat/completions", b'{"a":1}')
            assert (reply.status, reply.body) == (200, b'hello{"a":1}')

    assert asyncio.run(serve(handler, calls)) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # Then close without saying so, as servers do after their keep-alive timeout.

    async def calls(client: EndpointClient) -> None:
        for _ in range(3):
            reply = await client.request("POST", "/x", b"{}")
            assert reply.body == b"ok"
            await asyncio.sleep(0.05)

    assert asyncio.run(serve(handler, calls)) == 3


def test_a_post_dropped_before_any_reply_byte_is_not_resent() -> None:
    """The request may have reached the model (and be billed): the client reports it and
    sends nothing again on its own; the backend decides, and counts the attempt."""
    seen = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        nonlocal seen
        while True:
            await read_request(reader)
            seen += 1
            if seen == 2:
                return  # read the request, then hang up without a byte of reply
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
            await writer.drain()

    async def calls(client: EndpointClient) -> None:
        assert (await client.request("POST", "/x", b"{}")).body == b"ok"
        with pytest.raises(WireError, match="closed the connection"):
            await client.request("POST", "/x", b"{}")  # on the kept-alive connection

    asyncio.run(serve(handler, calls))
    assert seen == 2


def test_http10_reply_without_length_reads_to_close() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 10_000)
        await writer.drain()

    async def calls(client: EndpointClient) -> None:
        for _ in range(2):
            reply = await client.request("POST", "/x", b"{}")
            assert reply.body == b"x" * 10_000

    assert asyncio.run(serve(handler, calls)) == 2


def test_stalls_and_broken_replies_are_wire_errors() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await read_request(reader)
        if n == 1:
            await asyncio.sleep(2)  # never answers in time
        elif n == 2:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
            await writer.drain()
        else:
            writer.write(b"garbage\r\n\r\n")
            await writer.drain()

    async def calls(client: EndpointClient) -> None:
        with pytest.raises(WireTimeout):
            await client.request("POST", "/x", b"{}")
        with pytest.raises(WireError):
            await client.request("POST", "/x", b"{}")
        with pytest.raises(WireError, match="not an HTTP reply"):
            await client.request("POST", "/x", b"{}")

    assert asyncio.run(serve(handler, calls)) == 3


def test_headers_are_sent_and_reply_headers_lower_cased() -> None:
    heads: list[bytes] = []

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        head, _ = await read_request(reader)
        heads.append(head)
        writer.write(b"HTTP/1.1 429 Too Many\r\nRetry-After: 2\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async def calls(client: EndpointClient) -> None:
        reply = await client.request("POST", "/chat/completions", b"{}")
        assert (reply.status, reply.headers["retry-after"]) == (429, "2")

    asyncio.run(serve(handler, calls))
    assert heads[0].startswith(b"POST /v1/chat/completions HTTP/1.1\r\n")
    assert b"Content-Type: application/json" in heads[0]


def test_url_without_scheme_fails_on_use() -> None:
    client = EndpointClient(
        "localhost:8000/v1", {}, connect_s=1, first_byte_s=1, max_connections=1, env={}
    )
    with pytest.raises(WireUnsupportedURL, match="localhost:8000"):
        asyncio.run(client.request("POST", "/x", b"{}"))


@pytest.mark.parametrize(
    ("url", "env", "expected"),
    [
        ("https://api.example.org/v1", {"HTTPS_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://api.example.org/v1", {"https_proxy": "http://a:1", "HTTPS_PROXY": "http://b:2"},
         "http://a:1"),
        ("http://api.example.org/v1", {"HTTPS_PROXY": "http://p:3128"}, None),
        ("http://api.example.org/v1", {"HTTP_PROXY": "http://p:3128"}, "http://p:3128"),
        ("http://api.example.org/v1", {"ALL_PROXY": "http://p:3128"}, "http://p:3128"),
        ("https://api.example.org/v1",
         {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "localhost,.example.org"}, None),
        ("https://127.0.0.1:8000/v1", {"HTTPS_PROXY": "http://p:3128", "no_proxy": "127.0.0.1"},
         None),
        ("https://api.example.org/v1", {"HTTPS_PROXY": "http://p:3128", "NO_PROXY": "*"}, None),
        ("https://api.example.org/v1", {}, None),
    ],
)  # fmt: skip
def test_proxy_choice_follows_the_environment(
    url: str, env: dict[str, str], expected: str | None
) -> None:
    assert proxy_for(url, env) == expected


def test_connect_timeout_is_its_own_bound() -> None:
    """A listener whose accept queue is full drops new SYNs, so connecting hangs: the client
    gives up after ``connect_s``, not after the (longer) first-byte timeout."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = [socket.socket() for _ in range(2)]
        for filler in fillers:  # never blocks: the second one's SYN is dropped too
            filler.setblocking(False)
            filler.connect_ex(("127.0.0.1", port))
        client = EndpointClient(
            f"http://127.0.0.1:{port}/v1", {}, connect_s=0.3, first_byte_s=30,
            max_connections=1, env={},
        )  # fmt: skip

        async def call() -> None:
            try:
                await client.request("POST", "/x", b"{}")
            finally:
                await client.aclose()

        t0 = time.monotonic()
        with pytest.raises(WireConnectError, match=r"connect timeout after 0\.3s"):
            asyncio.run(asyncio.wait_for(call(), 10))
        assert time.monotonic() - t0 < 3
        for filler in fillers:
            filler.close()
