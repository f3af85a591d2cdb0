"""Reviewer tokens, server-side sessions, CSRF tokens and login throttling.

A token is shown once, when the reviewer is added (or rotated); the store keeps only its
SHA-256, so a copy of the database does not let anyone in. Logging in with a token starts a
session: a fresh random id in an HttpOnly cookie, of which the store again keeps only the hash,
with an idle and an absolute expiry. Logging out, removing the reviewer or rotating their token
ends sessions at once, because every request looks its session up in the store.

Each session has its own random CSRF token, kept in the store with it: a page from another
origin cannot read it, so it cannot forge a write even when the browser sends the cookie along,
and a page loaded before a server restart still saves after it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections import deque
from dataclasses import dataclass
from typing import Literal

from visinstruct.errors import InputError
from visinstruct.store import Store

__all__ = [
    "ROLES",
    "LoginThrottle",
    "Reviewer",
    "Role",
    "SessionPolicy",
    "add_reviewer",
    "csrf_ok",
    "end_session",
    "hash_token",
    "identify",
    "remove_reviewer",
    "rotate_token",
    "session_reviewer",
    "start_session",
]

Role = Literal["reviewer", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "admin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_TOKEN_PREFIX = "vir_"
_MAX_TOKEN = 200
# A session's last-seen time is written at most this often: a page view is not a write.
_TOUCH_EVERY_S = 60.0


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: Role
    token_hash: str = ""
    session: str | None = None  # the hash of the session id, for cookie logins
    csrf: str | None = None  # that session's CSRF token

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


@dataclass(frozen=True)
class SessionPolicy:
    """How long a session lives: ``idle_s`` without a request, ``max_s`` in all."""

    idle_s: float
    max_s: float


def hash_token(token: str) -> str:
    """What the store keeps of a token or session id (256 random bits: no salt or KDF
    needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _new_token() -> str:
    return _TOKEN_PREFIX + secrets.token_urlsafe(32)


def _role(value: str) -> Role:
    return "admin" if value == "admin" else "reviewer"


def add_reviewer(store: Store, name: str, role: Role = "reviewer") -> str:
    """Add a reviewer and return their token; it is not kept anywhere, so show it once."""
    if not _NAME.match(name):
        raise InputError(
            f"reviewer name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    token = _new_token()
    store.add_reviewer(name, role, hash_token(token))
    return token


def remove_reviewer(store: Store, name: str) -> int:
    """Remove a reviewer: their token stops working and their open sessions end now (how
    many: returned). Their audit trail and decisions stay."""
    return store.remove_reviewer(name)


def rotate_token(store: Store, name: str) -> tuple[str, int]:
    """A new token for ``name`` (the old one stops working) and how many sessions ended."""
    token = _new_token()
    return token, store.replace_reviewer_token(name, hash_token(token))


def identify(store: Store, token: str | None) -> Reviewer | None:
    """The reviewer a presented token belongs to, or None for a missing or wrong token."""
    if not token or len(token) > _MAX_TOKEN:
        return None
    digest = hash_token(token)
    found = store.reviewer_by_token(digest)
    if found is None:
        return None
    return Reviewer(name=found[0], role=_role(found[1]), token_hash=digest)


def start_session(store: Store, token: str | None) -> tuple[str, Reviewer] | None:
    """Log in with a token: (the new session id for the cookie, the reviewer), or None."""
    reviewer = identify(store, token)
    if reviewer is None:
        return None
    session_id = secrets.token_urlsafe(32)
    csrf = secrets.token_hex(32)
    store.create_session(hash_token(session_id), reviewer.name, csrf)
    return session_id, Reviewer(
        name=reviewer.name, role=reviewer.role, session=hash_token(session_id), csrf=csrf
    )


def session_reviewer(
    store: Store, session_id: str | None, policy: SessionPolicy, now: float | None = None
) -> Reviewer | None:
    """The reviewer of a live session, or None (no such session, ended, or expired: an
    expired one is deleted)."""
    if not session_id or len(session_id) > _MAX_TOKEN:
        return None
    digest = hash_token(session_id)
    found = store.session(digest)
    if found is None:
        return None
    name, role, csrf, created_at, seen_at = found
    now = time.time() if now is None else now
    if now - created_at > policy.max_s or now - seen_at > policy.idle_s:
        store.end_session(digest)
        return None
    if now - seen_at > _TOUCH_EVERY_S:
        store.touch_session(digest, now)
    return Reviewer(name=name, role=_role(role), session=digest, csrf=csrf)


def end_session(store: Store, reviewer: Reviewer) -> None:
    """Log out: the session's cookie is refused from now on."""
    if reviewer.session is not None:
        store.end_session(reviewer.session)


def csrf_ok(reviewer: Reviewer, presented: str | None) -> bool:
    if not presented or not reviewer.csrf:
        return False
    return hmac.compare_digest(reviewer.csrf, presented)


class LoginThrottle:
    """At most ``limit`` failed logins per client address in any ``window_s`` seconds.

    Kept in memory: it slows token guessing from one address, which is all a localhost app
    behind a proxy needs; a restart clears it."""

    def __init__(self, limit: int = 10, window_s: float = 300.0):
        self.limit = limit
        self.window_s = window_s
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, address: str, now: float) -> deque[float]:
        times = self._failures.setdefault(address, deque())
        while times and now - times[0] > self.window_s:
            times.popleft()
        return times

    def wait_s(self, address: str, now: float | None = None) -> float:
        """Seconds ``address`` must wait before it may try again (0: it may now)."""
        now = time.monotonic() if now is None else now
        times = self._recent(address, now)
        if len(times) < self.limit:
            if not times:
                self._failures.pop(address, None)
            return 0.0
        return max(0.0, self.window_s - (now - times[0]))

    def failed(self, address: str, now: float | None = None) -> None:
        now = time.monotonic() if now is None else now
        self._recent(address, now).append(now)
