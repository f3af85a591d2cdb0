"""Reading what an OpenAI-compatible server sent back: the reply's text, usage and
log-probabilities, the server's own error message, and when it asked us to retry."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = [
    "content_text",
    "display_url",
    "parse_retry_after",
    "server_says",
    "top_logprobs",
    "usage_int",
]


def display_url(url: str) -> str:
    """``url`` without user:password, so it can go into messages and the ledger."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))


def parse_retry_after(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """Seconds the server asked us to wait: ``retry-after-ms``, or ``Retry-After`` given as
    seconds or as an HTTP date. ``None`` when absent or unreadable."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(0.0, float(millis) / 1000.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


def server_says(raw: str) -> str:
    """The server's own error message (``error.message`` when JSON), short enough to quote."""
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict):
        err = data.get("error")
        if isinstance(err, dict) and isinstance(err.get("message"), str):
            return str(err["message"])[:300]
        if isinstance(err, str):
            return err[:300]
        if isinstance(data.get("detail"), str):  # FastAPI-style servers (vLLM, LMDeploy)
            return str(data["detail"])[:300]
    return " ".join(raw.split())[:300]


def content_text(content: Any) -> str:
    """Message content as text; some servers return a list of parts instead of a string."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(p.get("text", ""))
            for p in content
            if isinstance(p, dict) and p.get("type") == "text"
        )
    return ""


def top_logprobs(choice: dict[str, Any]) -> tuple[dict[str, float], ...] | None:
    """``choices[0].logprobs.content`` as token -> log-probability maps, one per reply token
    (the chosen token included); None when the server sent none or something unreadable."""
    block = choice.get("logprobs")
    content = block.get("content") if isinstance(block, dict) else None
    if not isinstance(content, list) or not content:
        return None
    tokens: list[dict[str, float]] = []
    for entry in content:
        if not isinstance(entry, dict):
            return None
        alternatives = {
            str(alt["token"]): float(alt["logprob"])
            for alt in entry.get("top_logprobs") or ()
            if isinstance(alt, dict) and isinstance(alt.get("logprob"), int | float)
        }
        if isinstance(entry.get("logprob"), int | float):
            alternatives.setdefault(str(entry.get("token", "")), float(entry["logprob"]))
        tokens.append(alternatives)
    return tuple(tokens)


def usage_int(usage: Any, key: str) -> int | None:
    if isinstance(usage, dict) and isinstance(usage.get(key), int):
        return int(usage[key])
    return None
