"""The Batch API's own requests, for the ``openai-batch`` backend: upload an input file, create
a batch, find one again in the account's list (paging), and any GET, each retried like a chat
call. Kept apart from the batching logic (``openai_batch``) so that module never touches the
transport: everything here goes through ``self._http`` and the base backend's verdicts.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from visinstruct.errors import TransientModelError
from visinstruct.models.endpoint import HttpReply, WireError
from visinstruct.models.openai import OpenAIBackend

__all__ = ["CHAT_PATH", "BatchApi", "batch_line"]

CHAT_PATH = "/v1/chat/completions"
_LIST_SLACK_S = 3600.0  # clock skew allowed between us and the provider when paging back


class BatchApi(OpenAIBackend):
    """The Batch API endpoints on top of the chat backend's client, retries and verdicts."""

    async def _upload(self, jsonl: bytes) -> str:
        boundary = uuid.uuid4().hex
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="visinstruct.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n'
        ).encode()
        body = head + jsonl + f"\r\n--{boundary}--\r\n".encode()
        data = await self._call("POST", "/files", body, f"multipart/form-data; boundary={boundary}")
        return str(data["id"])

    async def _create(self, file_id: str, local: int) -> str:
        payload = {
            "input_file_id": file_id, "endpoint": CHAT_PATH, "completion_window": "24h",
            "metadata": _metadata(file_id, local),
        }  # fmt: skip
        data = await self._call("POST", "/batches", json.dumps(payload).encode())
        return str(data["id"])

    async def _find(self, row: dict[str, Any]) -> str | None:
        """The remote batch made from this journalled upload, if one was created: the
        account's list, newest first, page by page until batches older than the upload."""
        file_id, local = str(row["input_file_id"]), int(row["id"])
        oldest = float(row["created_at"]) - _LIST_SLACK_S
        after: str | None = None
        while True:
            path = "/batches?limit=100" + (f"&after={after}" if after else "")
            page = await self._call("GET", path)
            batches = [b for b in page.get("data") or [] if isinstance(b, dict)]
            ours: tuple[dict[str, str], ...] = (
                {},
                _metadata(file_id, local),
            )  # untagged: made before tags were set
            for batch in batches:
                if batch.get("input_file_id") == file_id and (batch.get("metadata") or {}) in ours:
                    return str(batch["id"])
            if not batches or not page.get("has_more"):
                return None
            if float(batches[-1].get("created_at") or oldest + 1) < oldest:
                return None
            after = str(batches[-1]["id"])

    async def _call(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> dict[str, Any]:
        """One Batch API request, retried like a chat call; the JSON object it returned."""
        reply = await self._raw_call(method, path, body, content_type)
        try:
            data = json.loads(reply.body)
        except ValueError as exc:
            raise TransientModelError(f"{method} {path}: not JSON", raw=reply.text) from exc
        if not isinstance(data, dict):
            raise TransientModelError(f"{method} {path}: not a JSON object", raw=reply.text)
        return data

    async def _raw_call(
        self, method: str, path: str, body: bytes = b"", content_type: str = "application/json"
    ) -> HttpReply:
        for retry in range(self.spec.max_retries + 1):
            try:
                reply = await self._http.request(method, path, body, content_type)
            except WireError as exc:
                outcome = self._judge_http_error(exc)
            else:
                if 200 <= reply.status < 300:
                    return reply
                outcome = self._judge_status(reply, self._redact(reply.text), "off")
            if outcome.verdict != "transient" or retry == self.spec.max_retries:
                raise self._give_up(outcome, retry + 1, outcome.unreachable)
            await self._sleep(self._backoff(retry, outcome.retry_after))
        raise AssertionError("unreachable")  # pragma: no cover


def batch_line(custom_id: str, body: dict[str, Any]) -> bytes:
    item = {"custom_id": custom_id, "method": "POST", "url": CHAT_PATH, "body": body}
    return (json.dumps(item, ensure_ascii=False) + "\n").encode()


def _metadata(file_id: str, local: int) -> dict[str, str]:
    """What this backend tags its batches with, to know them again in the account's list."""
    return {"visinstruct_batch": str(local), "visinstruct_input": file_id}
