"""Reviewer tokens and CSRF tokens.

A token is shown once, when the reviewer is added; the store keeps only its SHA-256, so a copy
of the database does not let anyone in. The CSRF token of a session is an HMAC of the token
hash under a secret that lives only in the server process: a page from another origin cannot
read it, so it cannot forge a write even when the browser sends the cookie along.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Literal

from visinstruct.errors import InputError
from visinstruct.store import Store

__all__ = [
    "ROLES",
    "Reviewer",
    "Role",
    "add_reviewer",
    "csrf_ok",
    "csrf_token",
    "hash_token",
    "identify",
]

Role = Literal["reviewer", "admin"]
ROLES: tuple[Role, ...] = ("reviewer", "admin")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,63}$")
_TOKEN_PREFIX = "vir_"


@dataclass(frozen=True)
class Reviewer:
    name: str
    role: Role
    token_hash: str

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def hash_token(token: str) -> str:
    """What the store keeps of a token (tokens are 256 random bits: no salt or KDF needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_reviewer(store: Store, name: str, role: Role = "reviewer") -> str:
    """Add a reviewer and return their token; it is not kept anywhere, so show it once."""
    if not _NAME.match(name):
        raise InputError(
            f"reviewer name {name!r}: use 1-64 letters, digits, '_', '.', '@' or '-', "
            "starting with a letter or digit"
        )
    if role not in ROLES:
        raise InputError(f"role {role!r}: choose one of {', '.join(ROLES)}")
    token = _TOKEN_PREFIX + secrets.token_urlsafe(32)
    store.add_reviewer(name, role, hash_token(token))
    return token


def identify(store: Store, token: str | None) -> Reviewer | None:
    """The reviewer a presented token belongs to, or None for a missing or wrong token."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    found = store.reviewer_by_token(digest)
    if found is None:
        return None
    name, role = found
    return Reviewer(name=name, role="admin" if role == "admin" else "reviewer", token_hash=digest)


def csrf_token(secret: bytes, reviewer: Reviewer) -> str:
    """The CSRF token pages of ``reviewer``'s session carry in their writes."""
    return hmac.new(secret, reviewer.token_hash.encode("ascii"), hashlib.sha256).hexdigest()


def csrf_ok(secret: bytes, reviewer: Reviewer, presented: str | None) -> bool:
    if not presented:
        return False
    return hmac.compare_digest(csrf_token(secret, reviewer), presented)
