"""The keep-alive HTTP/1.1 pool against a raw asyncio server that answers the ways real servers
do: chunked bodies, idle connections closed by the server, HTTP/1.0 replies, stalls."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from visinstruct.models._http import StreamPool, WireError, WireTimeout

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter, int], Awaitable[None]]


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    return await reader.readexactly(length)


async def _serve(handler: Handler, calls: Callable[[StreamPool], Awaitable[None]]) -> int:
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
    pool = StreamPool(
        f"http://127.0.0.1:{port}/v1", {}, connect_s=2, first_byte_s=0.5, max_connections=1
    )
    try:
        await calls(pool)
    finally:
        await pool.aclose()
        server.close()
        await server.wait_closed()
    return accepted


def test_chunked_body_is_joined_and_the_connection_reused() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        while True:
            body = await _read_request(reader)
            writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
            writer.write(
                b"5\r\nhello\r\n" + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
            )
            await writer.drain()

    async def calls(pool: StreamPool) -> None:
        for _ in range(3):
            reply = await pool.request("POST", "/chat/completions", b'{"a":1}')
            assert (reply.status, reply.body) == (200, b'hello{"a":1}')

    assert asyncio.run(_serve(handler, calls)) == 1


def test_a_connection_the_server_closed_while_idle_is_replaced_silently() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        await writer.drain()
        # Then close without saying so, as servers do after their keep-alive timeout.

    async def calls(pool: StreamPool) -> None:
        for _ in range(3):
            reply = await pool.request("POST", "/x", b"{}")
            assert reply.body == b"ok"
            await asyncio.sleep(0.05)

    assert asyncio.run(_serve(handler, calls)) == 3


def test_http10_reply_without_length_reads_to_close() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        writer.write(b"HTTP/1.0 200 OK\r\n\r\n" + b"x" * 10_000)
        await writer.drain()

    async def calls(pool: StreamPool) -> None:
        for _ in range(2):
            reply = await pool.request("POST", "/x", b"{}")
            assert reply.body == b"x" * 10_000

    assert asyncio.run(_serve(handler, calls)) == 2


def test_stalls_and_broken_replies_are_wire_errors() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, n: int) -> None:
        await _read_request(reader)
        if n == 1:
            await asyncio.sleep(2)  # never answers in time
        elif n == 2:
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
            await writer.drain()
        else:
            writer.write(b"garbage\r\n\r\n")
            await writer.drain()

    async def calls(pool: StreamPool) -> None:
        with pytest.raises(WireTimeout):
            await pool.request("POST", "/x", b"{}")
        with pytest.raises(WireError):
            await pool.request("POST", "/x", b"{}")
        with pytest.raises(WireError, match="not an HTTP reply"):
            await pool.request("POST", "/x", b"{}")

    assert asyncio.run(_serve(handler, calls)) == 3
