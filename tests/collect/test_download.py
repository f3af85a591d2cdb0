"""Downloads over real HTTP on 127.0.0.1: allowed only when private addresses are allowed,
redirects checked hop by hop, size and type capped, politeness, and the cache on rerun."""

from __future__ import annotations

from pathlib import Path

import pytest

from collect.corpus import encoded, image_server, picture
from visinstruct.collect import download
from visinstruct.collect.download import Downloader, DownloadSettings, address_problem

ALLOW = DownloadSettings(allow_private_addresses=True, timeout_s=5)


def test_local_server_downloads_when_private_addresses_are_allowed(tmp_path: Path) -> None:
    with image_server() as server:
        url = server.image("/a.png", encoded(picture(1)))
        hop = server.redirect("/hop", url)
        with Downloader(tmp_path, ALLOW) as dl:
            first = dl.fetch(hop)
            again = dl.fetch(hop)
        assert first.file is not None and first.file.read_bytes() == encoded(picture(1))
        assert first.content_type == "image/png"
        assert again.cached and server.hits["/a.png"] == 1


def test_loopback_refused_by_default_even_by_name(tmp_path: Path) -> None:
    with image_server() as server:
        url = server.image("/a.png", encoded(picture(1)))
        with Downloader(tmp_path) as dl:
            direct = dl.fetch(url)
            by_name = dl.fetch(url.replace("127.0.0.1", "localhost"))
        assert server.hits == {}
    assert direct.file is None and direct.reason is not None
    assert direct.reason.startswith(
        "refused address: 127.0.0.1 resolves to 127.0.0.1 is a loopback"
    )
    assert by_name.reason is not None and by_name.reason.startswith("refused address: localhost")


def test_redirect_to_loopback_refused_at_the_hop(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = download.address_problem
    monkeypatch.setattr(
        download, "address_problem", lambda ip: None if ip == "127.0.0.2" else real(ip)
    )
    with image_server("127.0.0.2") as public, image_server("127.0.0.1") as private:
        inside = private.image("/inside.png", encoded(picture(2)))
        hop = public.redirect("/hop", inside)
        ok = public.image("/fine.png", encoded(picture(3)))
        with Downloader(tmp_path) as dl:
            refused = dl.fetch(hop)
            fine = dl.fetch(ok)
        assert private.hits == {}
    assert refused.reason is not None and "127.0.0.1" in refused.reason
    assert fine.file is not None


@pytest.mark.parametrize(
    ("ip", "label"),
    [
        ("10.1.2.3", "private"),
        ("169.254.169.254", "link-local"),
        ("::1", "loopback"),
        ("::ffff:127.0.0.1", "loopback"),
        ("0.0.0.0", "unspecified"),
    ],
)
def test_address_classes(ip: str, label: str) -> None:
    problem = address_problem(ip)
    assert problem is not None and label in problem
    assert address_problem("93.184.216.34") is None


def test_size_type_and_redirect_limits(tmp_path: Path) -> None:
    settings = DownloadSettings(allow_private_addresses=True, max_bytes=1000, max_redirects=2)
    with image_server() as server:
        big = server.image("/big.png", b"\x89PNG" + b"\x00" * 5000)
        html = server.image("/page", b"<html>hi</html>", kind="text/html")
        fake = server.image("/fake.png", b"GIF? no, just words", kind="image/png")
        server.redirect("/r3", server.url("/r2"))
        server.redirect("/r2", server.url("/r1"))
        server.redirect("/r1", big)
        with Downloader(tmp_path, settings) as dl:
            outcomes = {u: dl.fetch(u) for u in (big, html, fake, server.url("/r3"))}
    reasons = {u: o.reason or "" for u, o in outcomes.items()}
    assert reasons[big].startswith("too large: 5,004 bytes is over the 1,000-byte cap")
    assert reasons[html].startswith("not an image: the server says it is text/html")
    assert reasons[fake].startswith("not an image: the downloaded bytes")
    assert reasons[server.url("/r3")].startswith("too many redirects")
    assert not any(tmp_path.rglob("*.part*"))


def test_fetch_all_streams_in_order_with_per_host_limit(tmp_path: Path) -> None:
    settings = DownloadSettings(allow_private_addresses=True, concurrency=4, per_host=1)
    with image_server() as server:
        urls = [server.image(f"/{n}.png", encoded(picture(n))) for n in range(12)]
        for route in server.routes.values():
            route.delay_s = 0.02
        with Downloader(tmp_path, settings) as dl:
            got = [d.url for d in dl.fetch_all(iter(urls))]
        assert server.peak == 1  # one host: one request at a time, though 4 workers ran
    assert got == urls
    assert all(server.hits[f"/{n}.png"] == 1 for n in range(12))
