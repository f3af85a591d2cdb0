"""Test material for collect: distinct pictures, a bad-input corpus, and a local image server."""

from __future__ import annotations

import io
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from PIL import Image, ImageDraw


def picture(seed: int, size: tuple[int, int] = (240, 180)) -> Image.Image:
    """A picture of random shapes: different seeds give clearly different pictures."""
    rng = random.Random(seed)
    w, h = size
    image = Image.new("RGB", size, tuple(rng.randrange(256) for _ in range(3)))  # type: ignore[arg-type]
    draw = ImageDraw.Draw(image)
    for _ in range(rng.randint(4, 10)):
        x0, y0 = rng.randrange(w), rng.randrange(h)
        box = (x0, y0, x0 + rng.randint(20, w // 2), y0 + rng.randint(20, h // 2))
        fill = tuple(rng.randrange(256) for _ in range(3))
        (draw.rectangle if rng.random() < 0.5 else draw.ellipse)(box, fill=fill)  # type: ignore[arg-type]
    return image


def encoded(image: Image.Image, fmt: str = "PNG", **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0


@dataclass
class ImageServer:
    """A tiny HTTP server on one loopback address; ``hits`` counts requests per path."""

    host: str = "127.0.0.1"
    routes: dict[str, Route] = field(default_factory=dict)
    hits: dict[str, int] = field(default_factory=dict)
    port: int = 0
    active: int = 0
    peak: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"

    def image(self, path: str, data: bytes, kind: str = "image/png") -> str:
        self.routes[path] = Route(200, data, {"Content-Type": kind})
        return self.url(path)

    def redirect(self, path: str, target: str) -> str:
        self.routes[path] = Route(302, b"", {"Location": target})
        return self.url(path)


def _handler(server: ImageServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with server.lock:
                server.hits[self.path] = server.hits.get(self.path, 0) + 1
                server.active += 1
                server.peak = max(server.peak, server.active)
            route = server.routes.get(self.path, Route(404, b"not found"))
            time.sleep(route.delay_s)  # holds the request open so overlap can be seen
            with server.lock:
                server.active -= 1
            self.send_response(route.status)
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(route.body)))
            self.end_headers()
            self.wfile.write(route.body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@contextmanager
def image_server(host: str = "127.0.0.1") -> Iterator[ImageServer]:
    state = ImageServer(host=host)
    httpd = ThreadingHTTPServer((host, 0), _handler(state))
    state.port = int(httpd.server_address[1])
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        httpd.shutdown()
        httpd.server_close()


def exif_rotated(seed: int) -> bytes:
    """A 200×100 JPEG whose EXIF says "rotate 90°": upright it is 100×200."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encoded(picture(seed, (200, 100)), "JPEG", exif=exif)


def animated(seed: int, fmt: str) -> bytes:
    frames = [picture(seed + i) for i in range(3)]
    return encoded(frames[0], fmt, save_all=True, append_images=frames[1:], duration=100)


def bomb_png(side: int = 12_000) -> bytes:
    """A PNG whose header claims side×side pixels: tiny on disk, huge decoded."""
    return encoded(Image.new("1", (side, side)), "PNG", optimize=True)


Writer = Callable[[Path], None]
