"""The review app over real HTTP (uvicorn on 127.0.0.1): tokens, CSRF, escaping, the image
route, saves as JSON."""

from __future__ import annotations

import http.client
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from review.reviewkit import SCRIPT_QUESTION, build_project, serve
from visinstruct.project import Project
from visinstruct.review import add_reviewer
from visinstruct.review.app import COOKIE
from visinstruct.store import Store


@dataclass
class Site:
    url: str
    folder: Path
    admin: str
    reviewer: str
    image_id: str
    script_id: str
    mc_id: str

    @contextmanager
    def client(self, token: str | None = None) -> Iterator[httpx.Client]:
        """A client logged in with ``token`` (a session cookie), or with none."""
        with httpx.Client(base_url=self.url, follow_redirects=False) as client:
            if token:
                assert client.post("/login", data={"token": token}).status_code == 303
            yield client

    def store(self) -> Store:
        return Store(self.folder / "visinstruct.db")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    folder = build_project(tmp_path_factory.mktemp("review"), {"landmark": 2, "ocr": 2})
    with Project.open(folder) as project:
        admin = add_reviewer(project.store, "root", "admin")
        reviewer = add_reviewer(project.store, "ann")
        image_id = sorted(i.id for i in project.store.images())[0]
        items = project.store.image_instructions(image_id)
    script_id = next(i.id for i in items if i.question == SCRIPT_QUESTION)
    mc_id = next(i.id for i in items if i.kind == "multiple_choice")
    with serve(folder) as url:
        yield Site(url, folder, admin, reviewer, image_id, script_id, mc_id)


def _csrf(client: httpx.Client, path: str) -> str:
    page = client.get(path)
    assert page.status_code == 200, page.text
    found = re.search(r'name="csrf-token" content="([0-9a-f]+)"', page.text)
    assert found is not None
    return found.group(1)


def _revision(client: httpx.Client, image_id: str, instruction_id: str) -> str:
    """The revision the image page shows for one instruction (what a save must send)."""
    page = client.get(f"/image/{image_id}")
    found = re.search(rf'data-id="{instruction_id}"[^>]*data-revision="([^"]+)"', page.text)
    assert found is not None, instruction_id
    return found.group(1)


def _raw_get(url: str, path: str, token: str) -> tuple[int, bytes]:
    """A GET whose path goes on the wire exactly as written (no dot-segment clean-up)."""
    where = urlsplit(url)
    conn = http.client.HTTPConnection(where.hostname or "", where.port, timeout=10)
    try:
        conn.request("GET", path, headers={"Authorization": f"Bearer {token}"})
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


@pytest.mark.parametrize("token", [None, "vir_wrong", "not-even-a-token"])
def test_requests_without_or_with_a_wrong_token_get_401(site: Site, token: str | None) -> None:
    cookies = {COOKIE: token} if token else {}
    with httpx.Client(base_url=site.url, cookies=cookies) as client:
        for path in ["/", f"/image/{site.image_id}", f"/img/{site.image_id}/full", "/admin"]:
            assert client.get(path).status_code == 401, path
        page = client.get("/", headers={"accept": "text/html"})
        assert page.status_code == 401 and 'name="token"' in page.text  # the login form
        saved = client.post(f"/api/instructions/{site.mc_id}", json={"action": "accept"})
        assert saved.status_code == 401
    bearer = {"authorization": f"Bearer {token or 'x'}"}
    assert httpx.get(site.url + "/", headers=bearer).status_code == 401
    with site.store() as store:
        assert store.review_events(instruction_id=site.mc_id) == []


def test_login_sets_an_httponly_cookie_and_a_wrong_token_is_refused(site: Site) -> None:
    with site.client() as client:
        wrong = client.post("/login", data={"token": site.reviewer + "x"})
        assert wrong.status_code == 401 and "not valid" in wrong.text
        right = client.post("/login", data={"token": site.reviewer, "next": "//evil.example/"})
    assert right.status_code == 303
    assert right.headers["location"] == "/"  # never off-site
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie
    assert site.reviewer.lower() not in cookie  # the cookie is a session id, not the token
    with site.client(site.reviewer) as client:
        assert client.get("/").status_code == 200


def test_a_script_in_a_question_renders_as_text(site: Site) -> None:
    with site.client(site.reviewer) as client:
        page = client.get(f"/image/{site.image_id}")
    assert page.status_code == 200
    assert "&lt;script&gt;window.pwned=1&lt;/script&gt;" in page.text
    assert "<script>window" not in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"


@pytest.mark.parametrize(
    "path",
    [
        "/img/../visinstruct.yaml/full",
        "/img/..%2Fvisinstruct.yaml/full",
        "/img/..%2F..%2F..%2F..%2Fetc%2Fpasswd/full",
        "/img/%2e%2e/full",
        "/img/%2e%2e%2fvisinstruct.db/thumb",
        "/img/{id}/..%2F..%2Fvisinstruct.yaml",
        "/img/{id}/../../visinstruct.yaml",
        "/img/{id}/full%00",
        "/img/{ID}/full",
        "/img/{id}.jpg/full",
        "/img/%2Fetc%2Fpasswd/full",
        "/image/..%2Fvisinstruct.yaml",
    ],
)
def test_path_traversal_on_the_image_route_gets_404(site: Site, path: str) -> None:
    path = path.format(id=site.image_id, ID=site.image_id.upper())
    status, body = _raw_get(site.url, path, site.reviewer)
    assert status == 404, (path, status)
    assert b"root:" not in body and b"version: 1" not in body


def test_images_are_served_resized_and_cached(site: Site) -> None:
    with site.client(site.reviewer) as client:
        for size in ("thumb", "full"):
            image = client.get(f"/img/{site.image_id}/{size}")
            assert image.status_code == 200
            assert image.headers["content-type"] == "image/jpeg"
            assert image.content[:2] == b"\xff\xd8"
        assert client.get(f"/img/{site.image_id}/huge").status_code == 404
    cached = list((site.folder / ".cache" / "review").glob(f"{site.image_id}-*.jpg"))
    assert len(cached) == 2


def test_a_write_without_the_csrf_token_is_refused(site: Site) -> None:
    path = f"/api/instructions/{site.script_id}"
    with site.client(site.reviewer) as client:
        csrf = _csrf(client, f"/image/{site.image_id}")
        assert client.post(path, json={"action": "flag"}).status_code == 403
        wrong = client.post(path, json={"action": "flag"}, headers={"x-csrf-token": "0" * 64})
        assert wrong.status_code == 403
        other_origin = {"x-csrf-token": csrf, "origin": "http://evil.example"}
        assert client.post(path, json={"action": "flag"}, headers=other_origin).status_code == 403
        with site.store() as store:
            assert store.review_events(instruction_id=site.script_id) == []
        flag = {"action": "flag", "revision": _revision(client, site.image_id, site.script_id)}
        ok = client.post(path, json=flag, headers={"x-csrf-token": csrf})
    assert ok.status_code == 200
    assert ok.json()["instruction"]["status"] == "flagged"
    assert ok.json()["instruction"]["question"] == SCRIPT_QUESTION  # JSON, not HTML
    with site.store() as store:
        (event,) = store.review_events(instruction_id=site.script_id)
    assert (event["reviewer"], event["action"]) == ("ann", "flag")


def test_a_csrf_token_belongs_to_one_session(site: Site) -> None:
    with site.client(site.admin) as admin:
        admins = _csrf(admin, "/")
    with site.client(site.reviewer) as client:
        saved = client.post(
            f"/api/instructions/{site.mc_id}", json={"action": "accept"},
            headers={"x-csrf-token": admins},
        )  # fmt: skip
    assert saved.status_code == 403


def test_saves_validate_edits_and_report_the_field(site: Site) -> None:
    path = f"/api/instructions/{site.mc_id}"
    with site.client(site.reviewer) as client:
        h = {"x-csrf-token": _csrf(client, f"/image/{site.image_id}")}
        bad = client.post(path, headers=h, json={
            "action": "edit", "question": "What colour is the circle?", "revision": "0.x",
            "choices": ["red", "red", "green", "white"], "answer": "A",
        })  # fmt: skip
        assert bad.status_code == 422
        assert bad.json()["field"] == "choices" and bad.json()["code"] == "mc_duplicate_options"
        assert client.post(path, headers=h, content=b"{nope").status_code == 400
        typed = client.post(path, headers=h, json={"action": "edit", "choices": "abc"})
        assert typed.status_code == 400
        missing = client.post(
            "/api/instructions/" + "0" * 32, headers=h, json={"action": "accept", "revision": "0.x"}
        )
        assert missing.status_code == 404
        reject = client.post(
            path, headers=h, json={"action": "reject", "reason": "", "revision": "0.x"}
        )
        assert reject.status_code == 422 and reject.json()["field"] == "reason"
    with site.store() as store:
        assert store.review_events(instruction_id=site.mc_id) == []


def test_admin_pages_need_the_admin_role(site: Site) -> None:
    with site.client(site.reviewer) as client:
        assert client.get("/admin").status_code == 403
    with site.client(site.admin) as client:
        page = client.get("/admin")
    assert page.status_code == 200
    assert "Audit trail" in page.text and "Ratio to manual" in page.text


def test_bearer_tokens_work_for_scripts_without_csrf(site: Site) -> None:
    headers = {"authorization": f"Bearer {site.admin}"}
    queue = httpx.get(site.url + "/?kind=multiple_choice&status=unreviewed", headers=headers)
    assert queue.status_code == 200
    assert queue.text.count('class="thumb"') == 4


def test_logout_needs_csrf_and_clears_the_cookie(site: Site) -> None:
    with site.client(site.reviewer) as client:
        assert client.post("/logout").status_code == 403
        csrf = _csrf(client, "/")
        out = client.post("/logout", data={"csrf": csrf})
    assert out.status_code == 303 and out.headers["location"] == "/login"
    assert f'{COOKIE}=""' in out.headers["set-cookie"]
