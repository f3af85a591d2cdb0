"""What a request may send, checked before any work: body size caps applied while the body is
read (never after), and forms and JSON parsed into clear 400s instead of server errors.

Limits: a login or logout form is at most :data:`FORM_LIMIT` bytes; a save (JSON) at most
:data:`SAVE_LIMIT`, which fits the longest edit the service accepts (six fields of 20,000
characters) with room to spare. A body over its cap is answered 413 as soon as the declared
``Content-Length`` says so, or, for a body without one, as soon as the bytes read pass the
cap: the server never holds more than one cap plus one chunk of it.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from starlette.requests import ClientDisconnect, Request

__all__ = [
    "FORM_LIMIT",
    "SAVE_LIMIT",
    "BadRequest",
    "TooLarge",
    "parse_form",
    "parse_json_object",
    "read_body",
]

FORM_LIMIT = 4_096
SAVE_LIMIT = 256_000
_MAX_FORM_FIELDS = 10
_MAX_JSON_DEPTH = 8


class BadRequest(Exception):
    """A request that cannot be read as sent (answered 400 with this message)."""


class TooLarge(Exception):
    """A body over its cap (answered 413 with this message)."""


def _human(n: int) -> str:
    return f"{n // 1000} KB" if n >= 1000 else f"{n} bytes"


async def read_body(request: Request, limit: int, what: str) -> bytes:
    """The request body, read only while it stays within ``limit`` bytes."""
    too_large = TooLarge(f"the request is too large: {what} are limited to {_human(limit)}")
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest("Content-Length is not a number")
        if int(declared) > limit:
            raise too_large
    chunks, size = [], 0
    try:
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect as exc:
        raise BadRequest("the client went away before sending the whole body") from exc
    return b"".join(chunks)


def parse_form(body: bytes) -> dict[str, str]:
    """An URL-encoded form with at most a few fields, first value of each."""
    try:
        text = body.decode("utf-8")
        parsed = parse_qs(text, max_num_fields=_MAX_FORM_FIELDS)
    except UnicodeDecodeError as exc:
        raise BadRequest("the form is not UTF-8") from exc
    except ValueError as exc:
        raise BadRequest(f"the form has more than {_MAX_FORM_FIELDS} fields") from exc
    return {k: v[0] for k, v in parsed.items() if v}


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_depth, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_depth, value), default=0)
    return 0


def parse_json_object(body: bytes) -> dict[str, Any]:
    """A JSON object, not nested deeper than a save needs."""
    if not body:
        raise BadRequest("send a JSON object (the body is empty)")
    try:
        data = json.loads(body)
    except RecursionError as exc:
        raise BadRequest("the JSON is nested too deeply") from exc
    except UnicodeDecodeError as exc:
        raise BadRequest("the body is not UTF-8") from exc
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise BadRequest(f"send a JSON object, not {type(data).__name__}")
    if _depth(data) > _MAX_JSON_DEPTH:
        raise BadRequest("the JSON is nested too deeply")
    return data
