"""Sessions, revocation, body caps and malformed requests over real HTTP (uvicorn on
127.0.0.1): what a reviewer and an attacker can and cannot do with a login."""

from __future__ import annotations

import re
import select
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from review.reviewkit import build_project, rss_mb, serve, serve_process
from visinstruct.project import Project
from visinstruct.review import add_reviewer
from visinstruct.review.app import COOKIE
from visinstruct.review.auth import (
    SessionPolicy,
    remove_reviewer,
    rotate_token,
    session_reviewer,
    start_session,
)
from visinstruct.store import Store


@dataclass
class App:
    url: str
    folder: Path
    image_id: str
    mc_id: str

    def store(self) -> Store:
        return Store(self.folder / "visinstruct.db")

    def token(self, name: str) -> str:
        with self.store() as store:
            return add_reviewer(store, name)

    @contextmanager
    def login(self, token: str) -> Iterator[httpx.Client]:
        with httpx.Client(base_url=self.url, follow_redirects=False) as client:
            assert client.post("/login", data={"token": token}).status_code == 303
            yield client


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    folder = build_project(tmp_path_factory.mktemp("sessions"), {"landmark": 2})
    with Project.open(folder) as project:
        image_id = sorted(i.id for i in project.store.images())[0]
        mc_id = next(
            i.id for i in project.store.image_instructions(image_id) if i.kind == "multiple_choice"
        )
    with serve(folder) as url:
        yield App(url, folder, image_id, mc_id)


def _csrf(client: httpx.Client, path: str = "/") -> str:
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_a_logged_out_cookie_is_refused(app: App) -> None:
    with app.login(app.token("leaver")) as client:
        cookie = client.cookies[COOKIE]
        assert client.get("/").status_code == 200
        out = client.post("/logout", data={"csrf": _csrf(client)})
        assert out.status_code == 303
    with httpx.Client(base_url=app.url, cookies={COOKIE: cookie}) as replay:
        assert replay.get("/").status_code == 401


def test_a_removed_reviewers_open_session_is_refused_on_its_next_request(app: App) -> None:
    token = app.token("removed")
    with app.login(token) as client:
        assert client.get("/").status_code == 200
        with app.store() as store:
            assert remove_reviewer(store, "removed") == 1  # one session ended
        assert client.get("/").status_code == 401
        csrf = {"x-csrf-token": "0" * 64}
        save = client.post(f"/api/instructions/{app.mc_id}", json={}, headers=csrf)
        assert save.status_code == 401
    bearer = {"authorization": f"Bearer {token}"}
    assert httpx.get(app.url + "/", headers=bearer).status_code == 401
    again = httpx.post(app.url + "/login", data={"token": token})
    assert again.status_code == 401
    with app.store() as store:
        assert "removed" not in {r["name"] for r in store.reviewers()}


def test_rotating_a_token_ends_the_sessions_and_the_old_token(app: App) -> None:
    old = app.token("rotated")
    with app.login(old) as client:
        assert client.get("/").status_code == 200
        with app.store() as store:
            new, ended = rotate_token(store, "rotated")
        assert ended == 1
        assert client.get("/").status_code == 401
    assert httpx.post(app.url + "/login", data={"token": old}).status_code == 401
    with app.login(new) as fresh:
        assert fresh.get("/").status_code == 200


def test_sessions_expire_when_idle_and_in_all(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 1})
    policy = SessionPolicy(idle_s=600, max_s=3600)
    with Store(folder / "visinstruct.db") as store:
        token = add_reviewer(store, "ann")
        started = start_session(store, token)
        assert started is not None
        session_id, _ = started
        t0 = store.session(started[1].session or "")
        assert t0 is not None
        created = t0[3]
        assert session_reviewer(store, session_id, policy, now=created + 590) is not None
        # each request (touched once a minute) keeps it alive, up to the absolute limit
        for minute in range(9, 60, 9):
            alive = session_reviewer(store, session_id, policy, now=created + minute * 60)
            assert alive is not None, minute
        assert session_reviewer(store, session_id, policy, now=created + 3601) is None
        assert store.session(started[1].session or "") is None  # deleted, not just refused
        idle = start_session(store, token)
        assert idle is not None
        assert session_reviewer(store, idle[0], policy, now=created + 601) is None


def test_the_cookie_lives_no_longer_than_the_session(app: App) -> None:
    response = httpx.post(app.url + "/login", data={"token": app.token("cookie")})
    cookie = response.headers["set-cookie"].lower()
    assert "max-age=43200" in cookie  # review.session_max_hours
    assert "secure" not in cookie  # plain HTTP on loopback; set when the scheme is https


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"token=" + b"x" * 5000, 413, "too large"),
        (b"&".join(b"f%d=1" % i for i in range(11)), 400, "more than 10 fields"),
        (b"token=\xff\xfe", 400, "not UTF-8"),
    ],
)
def test_bad_login_forms_get_a_reason(app: App, body: bytes, status: int, says: str) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = httpx.post(app.url + "/login", content=body, headers=headers)
    assert response.status_code == status
    assert says in response.text


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b'{"action": "edit", "question": "' + b"x" * 1_000_000 + b'"}', 413, "too large"),
        (b"[" * 150_000 + b"]" * 150_000, 413, "too large"),
        (b"[" * 50_000 + b"]" * 50_000, 400, "nested too deeply"),
        (b'{"a": ' * 20 + b"1" + b"}" * 20, 400, "nested too deeply"),
        (b"{nope", 400, "not valid JSON"),
        (b"[1, 2]", 400, "send a JSON object"),
        (b"", 400, "body is empty"),
        (b'{"action": "accept"}', 400, "which revision"),
        (b'{"action": "accept", "revision": "1", "seconds": 9}', 400, "unknown field"),
        (b'{"action": 3, "revision": "1"}', 400, "action must be a string"),
    ],
)
def test_bad_saves_get_a_reason(app: App, body: bytes, status: int, says: str) -> None:
    with app.login(app.token(f"saver{abs(hash(body)) % 10**8}")) as client:
        headers = {"x-csrf-token": _csrf(client), "content-type": "application/json"}
        response = client.post(f"/api/instructions/{app.mc_id}", content=body, headers=headers)
    assert response.status_code == status, response.text
    assert says in response.json()["error"]
    with app.store() as store:
        assert store.review_events(instruction_id=app.mc_id) == []


def test_failed_logins_are_throttled_per_address(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 1})
    with Store(folder / "visinstruct.db") as store:
        token = add_reviewer(store, "ann")
    with serve(folder) as url, httpx.Client(base_url=url) as client:
        for _ in range(10):
            assert client.post("/login", data={"token": "vir_guess"}).status_code == 401
        refused = client.post("/login", data={"token": token})  # even a right one, for now
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) > 0
        assert "Too many failed logins" in refused.text


def _send_until_answered(url: str, head: bytes, chunks: Iterator[bytes]) -> tuple[bytes, int]:
    """Send a request body chunk by chunk until the server answers; (answer, bytes sent)."""
    where = urlsplit(url)
    sent = 0
    with socket.create_connection((where.hostname or "", where.port or 80), timeout=10) as sock:
        sock.sendall(head)
        for chunk in chunks:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(chunk)
            except OSError:  # the server answered and closed: read what it said
                break
            sent += len(chunk)
        sock.settimeout(10)
        return sock.recv(65536), sent


@pytest.mark.slow
def test_a_200_mb_login_body_is_refused_without_the_server_holding_it(tmp_path: Path) -> None:
    folder = build_project(tmp_path, {"landmark": 1})
    piece = b"x" * 65536
    total = 200 * 1024 * 1024
    with serve_process(folder) as (url, pid):
        httpx.get(url + "/login")  # warm: templates loaded
        before = rss_mb(pid)
        declared = (
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            b"\r\nContent-Length: %d\r\n\r\n" % total
        )
        answer, _ = _send_until_answered(url, declared, iter([piece] * (total // len(piece))))
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        # without a length: chunked, so the server must count as it reads
        chunked = (
            b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded"
            b"\r\nTransfer-Encoding: chunked\r\n\r\n"
        )
        framed = b"%x\r\n%s\r\n" % (len(piece), piece)
        answer2, sent = _send_until_answered(url, chunked, iter([framed] * (total // len(piece))))
        assert answer2.startswith(b"HTTP/1.1 413"), answer2[:200]
        growth = rss_mb(pid) - before
    print(f"\nserver RSS growth after two 200 MB login bodies: {growth:.1f} MB "
          f"(chunked: {sent / 1e6:.1f} MB sent before the 413)")  # fmt: skip
    assert growth < 20
