"""Keep API keys out of everything a backend lets go of.

Servers are not careful with keys: an OpenAI 401 body quotes the key it was sent, proxies echo
request headers in error pages. Every raw body, error message and log line a backend produces
passes through :func:`redact` before it reaches a ledger row, an exception or a log record.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

__all__ = ["MASK", "redact"]

MASK = "***"

# ``Bearer <token>`` anywhere (headers echoed in error pages), keeping the word so the text
# still says what was there. Eight characters at least, so "a bearer of news" survives.
_BEARER = re.compile(r"(?i)\b(Bearer\s+)[A-Za-z0-9._~+/=\-]{8,}")
# OpenAI-style keys (sk-..., sk-proj-..., sk-ant-...) even when they are not *our* key: a
# server may quote another key the user has in their environment.
_SK_KEY = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")


def _variants(secret: str) -> set[str]:
    """The spellings a secret takes in a body: as is, and JSON-escaped (``/`` → ``\\/``)."""
    escaped = json.dumps(secret)[1:-1]
    return {secret, escaped, escaped.replace("/", "\\/")}


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """``text`` with each of ``secrets`` and anything that looks like a key replaced by ``***``.

    Empty secrets are skipped (replacing "" would mangle every character boundary). Longer
    secrets go first so a secret that contains another is masked whole.
    """
    spellings: set[str] = set()
    for secret in secrets:
        if secret:
            spellings |= _variants(secret)
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling, MASK)
    text = _BEARER.sub(lambda m: m.group(1) + MASK, text)
    return _SK_KEY.sub(MASK, text)
