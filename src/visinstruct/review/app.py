"""The review web app: server-rendered pages, a little JavaScript, JSON saves.

Security, in the order a request meets it: every route but the login page (and its script
and stylesheet) needs a live session (the HttpOnly cookie the login page sets, see
:mod:`.auth`) or a reviewer token in ``Authorization: Bearer``, else 401. Failed logins are
throttled per client address. A body is read only within its cap (:mod:`.limits`): 413 past
it, 400 for a form or JSON that cannot be read. A write authenticated by the cookie also needs
the session's CSRF token in ``X-CSRF-Token`` and, when the browser sends an ``Origin``, the
app's own. Admin pages need the admin role. Images are looked up by id in the store
(:mod:`.images`). Every response forbids framing and inline scripts (CSP), so even a template
mistake could not run model output as code.

A save names the revision it was made on: a stale one is answered 409 with the newer version.
The time an action took is measured here, from the reviewer's last page view or action to the
action, capped at ``review.max_seconds_per_action``; clients do not report it.

Needs the ``review`` extra (Starlette, Jinja2, uvicorn).
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from visinstruct.config import ProjectConfig
from visinstruct.errors import StoreError
from visinstruct.review.auth import (
    LoginThrottle,
    Reviewer,
    SessionPolicy,
    csrf_ok,
    end_session,
    identify,
    session_reviewer,
    start_session,
)
from visinstruct.review.cost import cost_summary
from visinstruct.review.images import ImageCache, ImageUnavailable, valid_image_id
from visinstruct.review.limits import (
    FORM_LIMIT,
    SAVE_LIMIT,
    BadRequest,
    TooLarge,
    parse_form,
    parse_json_object,
    read_body,
)
from visinstruct.review.quality import agreement
from visinstruct.review.service import (
    Edit,
    Outcome,
    ReviewProblem,
    ReviewService,
    StaleRevision,
    UnknownInstruction,
)
from visinstruct.review.views import (
    STATUSES,
    card,
    filter_from_query,
    filter_query,
    without_status,
)
from visinstruct.store import Store
from visinstruct.store.sqlite import ReviewFilter

__all__ = ["COOKIE", "create_app"]

COOKIE = "visinstruct_review"
_STATIC = {"review.js": "text/javascript", "review.css": "text/css"}
_CSP = (
    "default-src 'none'; img-src 'self'; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_HEADERS = [
    (b"content-security-policy", _CSP.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
]
_FACET_TTL_S = 30.0
_SAVE_FIELDS = {"action", "revision", "question", "choices", "answer", "reason"}

Handler = Callable[[Request, Reviewer], Awaitable[Response]]


class _SecurityHeaders:
    """Adds the security headers to every response."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers if scope["type"] == "http" else send)


class ReviewApp:
    """The app's state (one store connection, used only on the event loop) and handlers."""

    def __init__(self, root: Path, db_path: Path, config: ProjectConfig):
        self.root = root
        self.db_path = db_path
        self.config = config
        r = config.review
        self.policy = SessionPolicy(
            idle_s=r.session_idle_minutes * 60, max_s=r.session_max_hours * 3600
        )
        self.throttle = LoginThrottle()
        # When each reviewer's clock last started (a page view or an action): what the time an
        # action took is measured from. In memory: after a restart the first action counts 0.
        self.clock: dict[str, float] = {}
        self.cache = ImageCache(root / ".cache" / "review", config.review.image_max_side)
        self.env = jinja2.Environment(
            loader=jinja2.PackageLoader("visinstruct.review", "templates"),
            autoescape=True,
            undefined=jinja2.StrictUndefined,
        )
        self.static = {
            name: (
                resources.files("visinstruct.review").joinpath("static").joinpath(name).read_bytes()
            )
            for name in _STATIC
        }
        digest = hashlib.sha256(b"".join(self.static.values())).hexdigest()[:10]
        self.env.globals["asset_version"] = digest
        self.env.filters["when"] = _when
        self._store: Store | None = None
        self._facets: tuple[float, dict[str, list[str]]] | None = None

    # -- plumbing ---------------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError("the review app's store is not open (the app has not started)")
        return self._store

    @asynccontextmanager
    async def lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        # Opened here, on the event loop's thread: the only thread that touches it.
        self._store = Store(self.db_path)
        self.service = ReviewService(self._store, self.config)
        now = time.time()
        self._store.end_stale_sessions(now - self.policy.max_s, now - self.policy.idle_s)
        try:
            yield
        finally:
            self._store.close()
            self._store = None

    def page(
        self,
        name: str,
        context: dict[str, Any],
        status: int = 200,
        reviewer: Reviewer | None = None,
    ) -> HTMLResponse:
        csrf = (reviewer.csrf or "") if reviewer else ""
        html = self.env.get_template(name).render(reviewer=reviewer, csrf=csrf, **context)
        return HTMLResponse(html, status_code=status, headers={"cache-control": "no-store"})

    def who(self, request: Request) -> tuple[Reviewer | None, bool]:
        """(reviewer, authenticated by cookie?) for a request."""
        header = request.headers.get("authorization", "")
        if header.lower().startswith("bearer "):
            return identify(self.store, header[7:].strip()), False
        return session_reviewer(self.store, request.cookies.get(COOKIE), self.policy), True

    def unauthorised(self, request: Request, message: str) -> Response:
        if request.url.path.startswith("/api/") or "text/html" not in request.headers.get(
            "accept", ""
        ):
            return JSONResponse(
                {"error": message}, status_code=401, headers={"www-authenticate": "Bearer"}
            )
        response = self.page("login.html", {"error": None, "next": _local(request.url.path)}, 401)
        if request.cookies.get(COOKIE):
            response.delete_cookie(COOKIE, path="/")
        return response

    def guarded(
        self, handler: Handler, *, write: bool = False, admin: bool = False,
        limit: int = FORM_LIMIT, what: str = "forms",
    ) -> Callable[[Request], Awaitable[Response]]:  # fmt: skip
        async def endpoint(request: Request) -> Response:
            reviewer, by_cookie = self.who(request)
            if reviewer is None:
                return self.unauthorised(request, "log in again: no live session or token")
            if write:
                try:  # only an authenticated write gets its body read, and only within a cap
                    request.state.body = await read_body(request, limit, what)
                except TooLarge as exc:
                    return JSONResponse({"error": str(exc)}, status_code=413)
                except BadRequest as exc:
                    return JSONResponse({"error": str(exc)}, status_code=400)
                if by_cookie and not self._csrf_passes(request, reviewer):
                    return JSONResponse(
                        {"error": "missing or wrong CSRF token: reload the page"}, status_code=403
                    )
            if admin and not reviewer.is_admin:
                return self.page("error.html", {"message": "Admins only."}, 403, reviewer)
            return await handler(request, reviewer)

        return endpoint

    def _csrf_passes(self, request: Request, reviewer: Reviewer) -> bool:
        origin = request.headers.get("origin")
        if origin and urlsplit(origin).netloc != request.headers.get("host"):
            return False
        presented = request.headers.get("x-csrf-token")
        if presented is None and request.headers.get("content-type", "").startswith(
            "application/x-www-form-urlencoded"
        ):
            try:
                presented = parse_form(request.state.body).get("csrf")
            except BadRequest:
                return False
        return csrf_ok(reviewer, presented)

    def facets(self) -> dict[str, list[str]]:
        now = time.monotonic()
        if self._facets is None or now - self._facets[0] > _FACET_TTL_S:
            self._facets = (now, self.store.review_facets())
        return self._facets[1]

    def progress(self, f: ReviewFilter, reviewer: Reviewer) -> dict[str, Any]:
        """The queue's progress (over every status, so deciding an item does not shrink it)
        and the reviewer's pace over the last hour."""
        totals = self.store.review_status_totals(without_status(f))
        total = sum(totals.values())
        remaining = totals["unreviewed"]
        return {
            "total": total,
            "decided": total - remaining,
            "remaining": remaining,
            "percent": round(100 * (total - remaining) / total, 1) if total else 100.0,
            "per_hour": self.store.reviewer_pace(reviewer.name, time.time() - 3600),
        }

    # -- login ------------------------------------------------------------------------------

    async def login_page(self, request: Request) -> Response:
        return self.page(
            "login.html", {"error": None, "next": _local(request.query_params.get("next"))}
        )

    async def login(self, request: Request) -> Response:
        address = request.client.host if request.client else "?"
        wait = self.throttle.wait_s(address)
        if wait > 0:
            message = f"Too many failed logins from this address: try again in {wait:.0f} s."
            refused = self.page("login.html", {"error": message, "next": "/"}, 429)
            refused.headers["retry-after"] = str(int(wait) + 1)
            return refused
        try:
            form = parse_form(await read_body(request, FORM_LIMIT, "login forms"))
        except TooLarge as exc:
            return self.page("login.html", {"error": str(exc), "next": "/"}, 413)
        except BadRequest as exc:
            return self.page("login.html", {"error": str(exc), "next": "/"}, 400)
        target = _local(form.get("next"))
        started = start_session(self.store, form.get("token", "").strip())
        if started is None:
            self.throttle.failed(address)
            return self.page(
                "login.html", {"error": "That token is not valid.", "next": target}, 401
            )
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE, started[0], max_age=int(self.policy.max_s), httponly=True,
            samesite="strict", secure=request.url.scheme == "https", path="/",
        )  # fmt: skip
        return response

    async def logout(self, request: Request, reviewer: Reviewer) -> Response:
        end_session(self.store, reviewer)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE, path="/")
        return response

    # -- pages ------------------------------------------------------------------------------

    async def queue(self, request: Request, reviewer: Reviewer) -> Response:
        f = filter_from_query(request.query_params)
        size = self.config.review.page_size
        images, instructions = self.store.review_queue_size(f)
        pages = max(1, -(-images // size))
        page = min(max(_int(request.query_params.get("page"), 1), 1), pages)
        rows = self.store.review_queue(f, size, (page - 1) * size)
        context = {
            "rows": rows, "filters": f, "facets": self.facets(), "statuses": STATUSES,
            "page": page, "pages": pages, "images": images, "instructions": instructions,
            "qs": filter_query(f), "page_qs": lambda n: filter_query(f, page=n),
            "progress": self.progress(f, reviewer),
        }  # fmt: skip
        return self.page("queue.html", context, reviewer=reviewer)

    def cards(self, image_id: str, f: ReviewFilter, reviewer: Reviewer) -> list[dict[str, Any]]:
        instructions = self.store.image_instructions(image_id)
        ids = [i.id for i in instructions]
        revisions = self.store.current_revisions(ids)
        members = self.store.queue_members(image_id, f) if f != ReviewFilter() else set(ids)
        plans = self.store.plan_reasons(ids)
        history = self.store.revision_history(ids)
        others: dict[str, list[dict[str, str]]] = {}
        for instruction_id, name, status in self.store.review_decisions(ids):
            if name != reviewer.name:
                others.setdefault(instruction_id, []).append({"reviewer": name, "status": status})
        return [
            card(i, revisions[i.id], others.get(i.id), in_queue=i.id in members,
                 plan=plans.get(i.id), history=history.get(i.id))
            for i in instructions
        ]  # fmt: skip

    async def image_page(self, request: Request, reviewer: Reviewer) -> Response:
        image_id = request.path_params["image_id"]
        if not valid_image_id(image_id):
            return self.page("error.html", {"message": "No such image."}, 404, reviewer)
        try:
            image = self.store.image(image_id)
        except StoreError:
            return self.page("error.html", {"message": "No such image."}, 404, reviewer)
        f = filter_from_query(request.query_params)
        context = {
            "image": image, "name": Path(image.path).name, "qs": filter_query(f),
            "cards": self.cards(image_id, f, reviewer),
            "prev_id": self.store.review_neighbour(image_id, f, forward=False),
            "next_id": self.store.review_neighbour(image_id, f, forward=True),
            "position": self.store.review_position(image_id, f),
            "total": self.store.review_queue_size(f)[0], "progress": self.progress(f, reviewer),
            "filtered": f != ReviewFilter(),
        }  # fmt: skip
        self.clock[reviewer.name] = time.monotonic()
        return self.page("image.html", context, reviewer=reviewer)

    async def image_file(self, request: Request, reviewer: Reviewer) -> Response:
        image_id, size = request.path_params["image_id"], request.path_params["size"]
        target = self.cache.cached(image_id, size)
        if target is None:
            return Response("not found", status_code=404)
        try:
            source = Path(self.store.image(image_id).path)
            await run_in_threadpool(self.cache.render, source, target, size)
        except (StoreError, ImageUnavailable):
            return Response("not found", status_code=404)
        return FileResponse(
            target, media_type="image/jpeg", headers={"cache-control": "private, max-age=86400"}
        )

    async def static_file(self, request: Request) -> Response:
        """The page script and stylesheet: package files, public (the login page needs them)."""
        name = request.path_params["name"]
        if name not in _STATIC:
            return Response("not found", status_code=404)
        headers = {"cache-control": "private, max-age=86400"}
        return Response(self.static[name], media_type=_STATIC[name], headers=headers)

    async def admin(self, request: Request, reviewer: Reviewer) -> Response:
        page = max(_int(request.query_params.get("page"), 1), 1)
        context = {
            "reviewers": self.store.reviewers(),
            "agreement": agreement(self.store),
            "cost": cost_summary(self.store, self.config),
            "events": self.store.review_events(limit=50, offset=(page - 1) * 50),
            "page": page,
            "progress": self.progress(ReviewFilter(), reviewer),
        }
        return self.page("admin.html", context, reviewer=reviewer)

    # -- the JSON API -----------------------------------------------------------------------

    def _spent(self, reviewer: Reviewer) -> float:
        """Seconds since the reviewer's clock started; the clock restarts now."""
        now = time.monotonic()
        started = self.clock.get(reviewer.name, now)
        self.clock[reviewer.name] = now
        return now - started

    def _act(self, reviewer: Reviewer, instruction_id: str, data: dict[str, Any]) -> Outcome:
        action, revision = _text(data, "action") or "", _text(data, "revision")
        unknown = sorted(set(data) - _SAVE_FIELDS)
        if unknown:
            raise BadRequest(f"unknown field {unknown[0]!r}; a save sends {sorted(_SAVE_FIELDS)}")
        if not revision:
            raise BadRequest("say which revision the action was made on (field 'revision')")
        started = self.clock.get(reviewer.name)
        seconds = 0.0 if started is None else time.monotonic() - started
        if action == "undo":
            outcome = self.service.undo(reviewer, instruction_id, revision, seconds=seconds)
        else:
            outcome = self.service.decide(
                reviewer, instruction_id, action, revision=revision, edit=_edit(data),
                reason=_text(data, "reason"), seconds=seconds,
            )  # fmt: skip
        if outcome.saved:  # a repeat is neither written nor timed
            self._spent(reviewer)
        return outcome

    def _card(self, outcome: Outcome | StaleRevision, reviewer: Reviewer) -> dict[str, Any]:
        ins = outcome.instruction if isinstance(outcome, Outcome) else outcome.current
        others = [
            {"reviewer": name, "status": status}
            for _, name, status in self.store.review_decisions([ins.id])
            if name != reviewer.name
        ]
        plan = self.store.plan_reasons([ins.id]).get(ins.id)
        return card(ins, outcome.revision, others, plan=plan)

    async def apply(self, request: Request, reviewer: Reviewer) -> Response:
        instruction_id = request.path_params["instruction_id"]
        try:
            outcome = self._act(reviewer, instruction_id, parse_json_object(request.state.body))
        except BadRequest as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        except UnknownInstruction as exc:
            return JSONResponse({"error": str(exc)}, status_code=404)
        except StaleRevision as stale:
            current = self._card(stale, reviewer)
            return JSONResponse({"error": str(stale), "instruction": current}, status_code=409)
        except ReviewProblem as exc:
            problem = {"error": str(exc), "code": exc.code, "field": exc.field}
            return JSONResponse(problem, status_code=422)
        except (TypeError, ValueError) as exc:
            return JSONResponse({"error": f"malformed request: {exc}"}, status_code=400)
        body = {"instruction": self._card(outcome, reviewer), "saved": outcome.saved}
        return JSONResponse(body)

    def routes(self) -> list[Route]:
        g = self.guarded
        save = g(self.apply, write=True, limit=SAVE_LIMIT, what="saves")
        return [
            Route("/login", self.login_page, methods=["GET"]),
            Route("/login", self.login, methods=["POST"]),
            Route("/logout", g(self.logout, write=True), methods=["POST"]),
            Route("/", g(self.queue), methods=["GET"]),
            Route("/image/{image_id}", g(self.image_page), methods=["GET"]),
            Route("/img/{image_id}/{size}", g(self.image_file), methods=["GET"]),
            Route("/static/{name}", self.static_file, methods=["GET"]),
            Route("/admin", g(self.admin, admin=True), methods=["GET"]),
            Route("/api/instructions/{instruction_id}", save, methods=["POST"]),
        ]


def _when(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def _local(target: str | None) -> str:
    """A redirect target that stays on this site: a path, never another host."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return "/" if target.startswith("/login") else target


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default


def _text(data: dict[str, Any], key: str) -> str | None:
    value = data.get(key)
    if value is not None and not isinstance(value, str):
        raise TypeError(f"{key} must be a string")
    return value


def _edit(data: dict[str, Any]) -> Edit | None:
    if data.get("action") != "edit":
        return None
    choices = data.get("choices") or []
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise TypeError("choices must be a list of strings")
    return Edit(
        question=_text(data, "question") or "",
        answer=_text(data, "answer") or "",
        choices=tuple(choices),
    )


def create_app(
    root: str | Path, config: ProjectConfig, db_path: str | Path | None = None
) -> ASGIApp:
    """The review app (an ASGI application) for the project in ``root``."""
    from visinstruct.project import DB_FILENAME

    root = Path(root).resolve()
    state = ReviewApp(root, Path(db_path) if db_path else root / DB_FILENAME, config)
    app = Starlette(routes=state.routes(), lifespan=state.lifespan)
    app.state.review = state
    return _SecurityHeaders(app)
