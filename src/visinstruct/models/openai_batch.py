"""The ``openai-batch`` backend: the Batch API, at half price, resumable without double work.

Stages need no change to use it. A stage awaits ``chat()`` as always; this backend parks the
request, and once ``batch_size`` requests wait (or a short linger passes) it writes them to a
JSONL file, uploads it (``POST /files``), creates a batch (``POST /batches``), polls it
(``GET /batches/{id}``) and downloads the output (``GET /files/{id}/content``); each waiting
``chat()`` then returns its own reply and the stage commits its unit as usual. The executor
keeps ``batch_size`` units in flight, so batches fill.

Nothing is sent twice. A request's custom id is the hash of its stage, unit and body, so the
same work has the same id in every run. The journal in the project store records each input
file before its batch is created, the batch id once it is, and every answer (with its ledger
row, billed at ``batch_discount`` of the prices) as soon as it is downloaded. After a crash,
a rerun asks for the same custom ids and finds them answered (returned at once, never billed
again), in a batch still running (polled, not resubmitted), or in an upload whose batch may or
may not have been created (looked up by input file id first). Requests a batch did not answer
(expired, failed, or a 429/5xx line) go into the next batch on their own.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, ClassVar

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import FatalModelError, ModelError, TransientModelError
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse
from visinstruct.models.endpoint import HttpReply, WireError
from visinstruct.models.openai import OpenAIBackend, _Prepared
from visinstruct.models.replies import server_says as _server_says
from visinstruct.records import ModelCall, content_id
from visinstruct.store.sqlite import Store

__all__ = ["OpenAIBatchBackend"]

log = logging.getLogger("visinstruct.models")

_DONE = {"completed", "expired", "failed", "cancelled"}
_CHAT_PATH = "/v1/chat/completions"


@dataclass
class _Ticket:
    custom_id: str
    body: dict[str, Any]
    context: CallContext
    prepared: _Prepared
    tries: int = 0
    future: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class OpenAIBatchBackend(OpenAIBackend):
    """See the module docstring. ``linger_s`` bounds how long a part-filled batch waits."""

    name: ClassVar[str] = "openai-batch"

    def __init__(self, spec: ModelSpec, role: Role, *, linger_s: float = 0.5, **options: Any):
        super().__init__(spec, role, **options)
        self._linger_s = linger_s
        self._store: Store | None = None
        self._tickets: dict[str, _Ticket] = {}
        self._queue: list[_Ticket] = []
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._polled: set[int] = set()
        self._resumed = False

    @property
    def concurrency(self) -> int:
        return self.spec.batch_size

    def bind_store(self, store: Any) -> None:
        self._store = store

    @property
    def store(self) -> Store:
        if self._store is None:
            raise FatalModelError(
                "the openai-batch backend keeps its batches in the project store; "
                "use it through a project stage (e.g. `visinstruct caption`)"
            )
        return self._store

    # -- the stage's side ---------------------------------------------------------------------

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        prepared = await self._prepare(request)
        mode = self._json_mode if request.json_schema is not None else "off"
        body = self._body(request, prepared, mode)
        custom_id = content_id(context.stage, context.unit_key, body)
        self._resume()
        known = self.store.batch_request(custom_id)
        if known is not None and known.state == "answered" and known.reply is not None:
            return self._reply(known.reply, prepared)  # billed when it was downloaded
        ticket = self._tickets.get(custom_id)
        if ticket is None:
            ticket = self._tickets[custom_id] = _Ticket(custom_id, body, context, prepared)
            if known is not None and known.state == "pending":
                self._poll(known.batch)  # in a batch of an earlier run: wait for it
            else:
                self._enqueue(ticket)
        try:
            raw = await asyncio.shield(ticket.future)
        finally:
            self._tickets.pop(custom_id, None)
        return self._reply(raw, prepared)

    def _reply(self, raw: str, prepared: _Prepared) -> ChatResponse:
        outcome = self._judge_body(raw, 200, prepared)
        if outcome.reply is None:
            raise ModelError(f"batch answer is not a chat completion: {outcome.message}", raw=raw)
        return dataclasses.replace(
            outcome.reply, cost_usd=outcome.reply.cost_usd * self.spec.batch_discount
        )

    # -- building and sending batches ---------------------------------------------------------

    def _spawn(self, coro: Any) -> None:
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._finished_task)

    def _finished_task(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            error = task.exception()
            for ticket in list(self._tickets.values()):  # nothing can progress: fail loudly
                if not ticket.future.done():
                    ticket.future.set_exception(error or ModelError("batch task failed"))

    def _enqueue(self, ticket: _Ticket) -> None:
        self._queue.append(ticket)
        if len(self._queue) >= self.spec.batch_size:
            self._submit_queue()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger_s, self._submit_queue)

    def _submit_queue(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        while self._queue:
            chunk, self._queue = (
                self._queue[: self.spec.batch_size],
                self._queue[self.spec.batch_size :],
            )
            self._spawn(self._submit(chunk))

    async def _submit(self, tickets: list[_Ticket]) -> None:
        lines = [
            json.dumps(
                {"custom_id": t.custom_id, "method": "POST", "url": _CHAT_PATH, "body": t.body},
                ensure_ascii=False,
            )
            for t in tickets
        ]
        file_id = await self._upload("\n".join(lines) + "\n")
        requests = [(t.custom_id, t.context.stage, t.context.unit_key) for t in tickets]
        local = self.store.batch_uploaded(self._endpoint, file_id, requests)
        batch_id = await self._create(file_id)
        self.store.batch_submitted(local, batch_id)
        self._poll(local)

    async def _upload(self, jsonl: str) -> str:
        boundary = uuid.uuid4().hex
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
            f'filename="visinstruct.jsonl"\r\nContent-Type: application/jsonl\r\n\r\n'
            f"{jsonl}\r\n--{boundary}--\r\n"
        ).encode()
        data = await self._call("POST", "/files", body, f"multipart/form-data; boundary={boundary}")
        return str(data["id"])

    async def _create(self, file_id: str) -> str:
        payload = {"input_file_id": file_id, "endpoint": _CHAT_PATH, "completion_window": "24h"}
        data = await self._call("POST", "/batches", json.dumps(payload).encode())
        return str(data["id"])

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

    # -- polling and collecting ---------------------------------------------------------------

    def _resume(self) -> None:
        """Once per run: poll every batch an earlier run left open on this endpoint."""
        if self._resumed:
            return
        self._resumed = True
        for batch in self.store.open_batches(self._endpoint):
            self._poll(int(batch["id"]))

    def _poll(self, local: int) -> None:
        if local not in self._polled:
            self._polled.add(local)
            self._spawn(self._follow(local))

    async def _batch_id(self, local: int) -> str:
        """The remote id of a journalled batch; one that was uploaded but maybe never
        created is looked up by its input file before it is created (never twice)."""
        row = next(b for b in self.store.open_batches(self._endpoint) if b["id"] == local)
        if row["batch_id"]:
            return str(row["batch_id"])
        listing = await self._call("GET", "/batches?limit=100")
        for batch in listing.get("data") or []:
            if isinstance(batch, dict) and batch.get("input_file_id") == row["input_file_id"]:
                batch_id = str(batch["id"])
                break
        else:
            batch_id = await self._create(str(row["input_file_id"]))
        self.store.batch_submitted(local, batch_id)
        return batch_id

    async def _follow(self, local: int) -> None:
        batch_id = await self._batch_id(local)
        while True:
            batch = await self._call("GET", f"/batches/{batch_id}")
            status = str(batch.get("status"))
            if status in _DONE:
                break
            await self._sleep(self.spec.batch_poll_s)
        lines: list[str] = []
        for key in ("output_file_id", "error_file_id"):
            if batch.get(key):
                reply = await self._raw_call("GET", f"/files/{batch[key]}/content")
                lines += [line for line in reply.text.splitlines() if line.strip()]
        self._collect(local, status, lines)
        self._polled.discard(local)

    def _collect(self, local: int, status: str, lines: list[str]) -> None:
        owners = {cid: (stage, key) for cid, stage, key in self.store.batch_requests_of(local)}
        answers: list[tuple[str, str]] = []
        calls: list[ModelCall] = []
        failed: dict[str, tuple[int | None, str]] = {}
        for line in lines:
            item = json.loads(line)
            cid = str(item.get("custom_id"))
            response = item.get("response") or {}
            code = response.get("status_code")
            raw = json.dumps(response.get("body") or item.get("error") or {}, ensure_ascii=False)
            if cid not in owners:
                continue
            if code == 200:
                answers.append((cid, raw))
                calls.append(self._ledger_row(cid, owners[cid], raw, status))
            else:
                failed[cid] = (code, self._redact(raw))
        missing = self.store.batch_finished(local, status, answers, calls)
        log.info("%s batch %d %s: %d answered, %d to resend", self._endpoint, local, status,
                 len(answers), len(missing))  # fmt: skip
        answered = dict(answers)
        for cid in owners:
            ticket = self._tickets.get(cid)
            if ticket is None or ticket.future.done():
                continue  # no one waits in this run: a rerun finds it answered or missing
            if cid in answered:
                ticket.future.set_result(answered[cid])
            else:
                self._retry(ticket, *failed.get(cid, (None, f"batch {status} without it")))

    def _retry(self, ticket: _Ticket, code: int | None, said: str) -> None:
        transient = code is None or code == 429 or code >= 500
        ticket.tries += 1
        if transient and ticket.tries <= self.spec.max_retries:
            self._enqueue(ticket)
            return
        message = f"{self._endpoint} batch request failed (HTTP {code}): {_server_says(said)}"
        error_cls = TransientModelError if transient else ModelError
        ticket.future.set_exception(error_cls(message, status=code, raw=said))

    def _ledger_row(self, cid: str, owner: tuple[str, str], raw: str, status: str) -> ModelCall:
        ticket = self._tickets.get(cid)
        prepared = ticket.prepared if ticket else _Prepared([], 0, 0)
        reply = self._reply(raw, prepared)
        return ModelCall(
            stage=owner[0], unit_key=owner[1], role=self.role, model=self.spec.model,
            endpoint=self._endpoint, started_at=time.time(), latency_s=0.0, outcome="ok",
            http_status=200, input_tokens=reply.input_tokens, output_tokens=reply.output_tokens,
            image_tokens=prepared.image_tokens, cost_usd=reply.cost_usd,
        )  # fmt: skip

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().aclose()
