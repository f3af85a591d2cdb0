"""The ``openai-batch`` backend: the Batch API, at half price, resumable without double work.

Stages need no change to use it. A stage awaits ``chat()`` as always; this backend parks the
request in a queue, writes full queues out as JSONL input files (``POST /files``), creates a
batch for each (``POST /batches``), polls it (``GET /batches/{id}``) and downloads its output
(``GET /files/{id}/content``); each waiting ``chat()`` then returns its own reply and the stage
commits its unit as usual.

Scale. Up to ``max_open_batches`` batches are in flight at once; the executor keeps
``batch_size × max_open_batches`` units waiting, so every open batch fills. A file holds at most
``batch_size`` requests and ``batch_max_bytes`` bytes (the provider's 50,000 / 200 MB); a part
filled file leaves once ``linger_s`` has passed and a slot is free. Memory stays bounded: a
request's JSON line is dropped once uploaded, and new requests are admitted (their images
encoded) only while the queue waiting for a slot holds less than one file.

Nothing is sent twice, nothing is billed twice. A request's custom id is the hash of its stage,
unit and body, so the same work has the same id in every run. The journal in the project store
records each input file before its batch is created, the batch id once it is, and every answer
with its ledger row as soon as it is downloaded; an answer is kept (and billed, at
``batch_discount`` of the prices) only by the transaction that moves its request from pending
to answered, so several processes downloading one batch (Ray workers resuming the same run)
bill it once. Creating an uploaded batch is claimed in the journal first, so those processes
create it once. After a crash a rerun finds its custom ids answered (returned at once, never
billed again), in a batch still running (polled, not resubmitted), or in an upload whose batch
may or may not have been created: that one is looked up in the account's batch list, paging
(``after``, ``has_more``) newest first until batches older than the upload, matched by input
file and the ``metadata`` this backend sets, and created only if absent.

Faults stay local. A batch that fails (or whose polling keeps failing) fails the units in it and
no others; requests a batch did not answer (expired, cancelled, a 429/5xx line) go into a later
batch on their own, up to ``max_retries`` times.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import FatalModelError, ModelError, TransientModelError
from visinstruct.models._batch_api import BatchApi, batch_line
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse
from visinstruct.models.openai import _Prepared
from visinstruct.models.replies import server_says as _server_says
from visinstruct.records import ModelCall, content_id
from visinstruct.store.sqlite import Store

__all__ = ["OpenAIBatchBackend"]

log = logging.getLogger("visinstruct.models")

_DONE = {"completed", "expired", "failed", "cancelled"}
_CLAIM = "claim:"
_PREPARING = 64  # requests encoding their images at once, ahead of the queue


@dataclass
class _Ticket:
    custom_id: str
    context: CallContext
    prepared: _Prepared  # without its messages: only the token counts are kept
    line: bytes = b""
    tries: int = 0
    future: asyncio.Future[str] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


class OpenAIBatchBackend(BatchApi):
    """See the module docstring. ``linger_s`` bounds how long a part-filled batch waits;
    ``claim_s`` is how long another process's claim to create a batch is honoured."""

    name: ClassVar[str] = "openai-batch"
    keeps_state_in_store: ClassVar[bool] = True  # the batch journal
    output_of: ClassVar[str | None] = "openai"  # a transport, not another model

    def __init__(
        self,
        spec: ModelSpec,
        role: Role,
        *,
        linger_s: float = 0.5,
        claim_s: float = 60.0,
        **options: Any,
    ):
        super().__init__(spec, role, **options)
        self._linger_s = linger_s
        self._claim_s = claim_s
        self._claim = f"{_CLAIM}{uuid.uuid4().hex}"
        self._store: Store | None = None
        self._tickets: dict[str, _Ticket] = {}
        self._queue: deque[_Ticket] = deque()
        self._queued_bytes = 0
        self._linger_due = False
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._polled: set[int] = set()
        self._open = 0
        self.open_peak = 0
        """The most batches this backend had in flight at once (for tests and benchmarks)."""
        self._preparing: asyncio.Semaphore | None = None
        self._room: asyncio.Event | None = None
        self._resumed = False

    @property
    def concurrency(self) -> int:
        return self.spec.batch_size * self.spec.max_open_batches

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
        self._resume()
        async with self._admission():
            prepared = await self._prepare(request)
            mode = self._json_mode if request.json_schema is not None else "off"
            body = self._body(request, prepared, mode)
            custom_id = content_id(context.stage, context.unit_key, body)
            light = _Prepared([], prepared.image_tokens, prepared.prompt_tokens)
            known = self.store.batch_request(custom_id)
            if known is not None and known.state == "answered" and known.reply is not None:
                return self._reply(known.reply, light)  # billed when it was downloaded
            ticket = self._tickets.get(custom_id)
            if ticket is None:
                ticket = self._tickets[custom_id] = _Ticket(custom_id, context, light)
                if known is not None and known.state == "pending":
                    self._poll(known.batch)  # in a batch of an earlier run: wait for it
                else:
                    ticket.line = batch_line(custom_id, body)
                    self._enqueue(ticket)
            del body, prepared  # the images: only the queued line keeps them, until uploaded
        try:
            raw = await asyncio.shield(ticket.future)
        finally:
            self._tickets.pop(custom_id, None)
        return self._reply(raw, ticket.prepared)

    @asynccontextmanager
    async def _admission(self) -> AsyncIterator[None]:
        """Encode a request only while the queue waiting for a free batch is short of a file."""
        if self._preparing is None or self._room is None:  # made in the loop that uses them
            self._preparing, self._room = asyncio.Semaphore(_PREPARING), asyncio.Event()
            self._room.set()
        async with self._preparing:
            while not self._room.is_set():
                await self._room.wait()
            yield

    def _reply(self, raw: str, prepared: _Prepared) -> ChatResponse:
        outcome = self._judge_body(raw, 200, prepared)
        if outcome.reply is None:
            raise ModelError(f"batch answer is not a chat completion: {outcome.message}", raw=raw)
        return dataclasses.replace(
            outcome.reply, cost_usd=outcome.reply.cost_usd * self.spec.batch_discount
        )

    # -- filling batches ----------------------------------------------------------------------

    def _enqueue(self, ticket: _Ticket) -> None:
        if len(ticket.line) > self.spec.batch_max_bytes:
            ticket.future.set_exception(
                ModelError(
                    f"one request is {len(ticket.line):,} bytes, over batch_max_bytes="
                    f"{self.spec.batch_max_bytes:,}: lower image_max_side or raise the cap"
                )
            )
            return
        self._queue.append(ticket)
        self._queued_bytes += len(ticket.line)
        self._pump()
        if self._queue and self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._linger_s, self._linger)

    def _linger(self) -> None:
        self._timer = None
        self._linger_due = True
        self._pump()

    def _cut(self) -> tuple[int, bool]:
        """How many queued requests the next file takes, and whether that file is full."""
        size, count = 0, 0
        for ticket in self._queue:
            if count == self.spec.batch_size or size + len(ticket.line) > self.spec.batch_max_bytes:
                return count, True
            size += len(ticket.line)
            count += 1
        return count, count == self.spec.batch_size

    def _pump(self) -> None:
        """Send whatever is ready while batch slots are free; then say if there is room."""
        while self._queue and self._open < self.spec.max_open_batches:
            count, full = self._cut()
            if not (full or self._linger_due):
                break
            chunk = [self._queue.popleft() for _ in range(count)]
            self._queued_bytes -= sum(len(t.line) for t in chunk)
            self._start(self._run_batch(chunk, None))
        if not self._queue:
            self._linger_due = False
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None
        if self._room is not None:
            if self._cut()[1]:
                self._room.clear()
            else:
                self._room.set()

    def _start(self, coro: Any) -> None:
        self._open += 1
        self.open_peak = max(self.open_peak, self._open)
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _poll(self, local: int) -> None:
        """Follow a journalled batch (one of an earlier run, or another process's)."""
        if local not in self._polled:
            self._polled.add(local)
            self._start(self._run_batch(None, local))

    def _resume(self) -> None:
        """Once per run: follow every batch an earlier run left open on this endpoint."""
        if self._resumed:
            return
        self._resumed = True
        for batch in self.store.open_batches(self._endpoint):
            self._poll(int(batch["id"]))

    async def _run_batch(self, tickets: list[_Ticket] | None, local: int | None) -> None:
        """One batch slot's life: upload and create (for a new file), follow, collect. A
        fault fails the units of this batch alone; the journal keeps it for a rerun."""
        try:
            if tickets is not None:
                local = await self._submit(tickets)
            assert local is not None
            await self._follow(local)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._fail_batch(tickets or [], local, exc)
        finally:
            self._open -= 1
            if local is not None:
                self._polled.discard(local)
            self._pump()

    def _fail_batch(self, tickets: list[_Ticket], local: int | None, exc: Exception) -> None:
        cids = {t.custom_id for t in tickets}
        if local is not None:
            cids |= {cid for cid, _, _ in self.store.batch_requests_of(local)}
        where = f"batch {local}" if local is not None else "a batch not yet journalled"
        log.warning("%s %s failed: %s", self._endpoint, where, exc)
        error = exc if isinstance(exc, ModelError) else ModelError(f"{where} failed: {exc!r}")
        for ticket in [*tickets, *(self._tickets.get(cid) for cid in cids)]:
            if ticket is not None and not ticket.future.done():
                ticket.future.set_exception(error)

    async def _submit(self, tickets: list[_Ticket]) -> int:
        jsonl = b"".join(t.line for t in tickets)
        file_id = await self._upload(jsonl)
        requests = [(t.custom_id, t.context.stage, t.context.unit_key) for t in tickets]
        local = self.store.batch_uploaded(self._endpoint, file_id, requests)
        self._polled.add(local)
        for ticket in tickets:
            ticket.line = b""  # uploaded: a resend takes it back from the input file
        if self.store.batch_claim(local, self._claim, time.time() - self._claim_s):
            self.store.batch_submitted(
                local, await self._claimed(local, self._create(file_id, local))
            )
        return local

    async def _claimed(self, local: int, creating: Any) -> str:
        """The batch id ``creating`` comes to; on failure the claim is given up, not held."""
        try:
            return str(await creating)
        except BaseException:
            self.store.batch_release(local, self._claim)
            raise

    # -- following and collecting -------------------------------------------------------------

    async def _remote_id(self, local: int) -> str | None:
        """The remote id of a journalled batch, None once it is closed (by anyone). An upload
        whose batch may not exist is claimed, looked up by its input file, created if absent;
        one another live process has claimed is waited for."""
        while True:
            row = self.store.batch_row(local)
            if row is None or row["status"] == "finished":
                return None
            batch_id = row["batch_id"]
            if batch_id and not str(batch_id).startswith(_CLAIM):
                return str(batch_id)
            if self.store.batch_claim(local, self._claim, time.time() - self._claim_s):
                found = await self._claimed(local, self._find_or_create(row))
                self.store.batch_submitted(local, found)
                return found
            log.info("%s batch %d: another process is creating it; waiting", self._endpoint, local)
            await self._sleep(self.spec.batch_poll_s)

    async def _find_or_create(self, row: dict[str, Any]) -> str:
        found = await self._find(row)
        return found or await self._create(str(row["input_file_id"]), int(row["id"]))

    async def _follow(self, local: int) -> None:
        batch_id = await self._remote_id(local)
        if batch_id is None:
            self._resolve_from_journal(local)
            return
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
        resend = self._collect(local, batch, lines)
        if resend:
            await self._resend(local, resend)

    def _collect(
        self, local: int, batch: dict[str, Any], lines: list[str]
    ) -> list[tuple[_Ticket, int | None, str]]:
        """Keep what a finished batch answered; the waiting tickets it did not answer."""
        status = str(batch.get("status"))
        owners = {cid: (stage, key) for cid, stage, key in self.store.batch_requests_of(local)}
        answers: dict[str, str] = {}
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
                answers[cid] = raw
            else:
                failed[cid] = (code, self._redact(raw))
        calls = {cid: self._ledger_row(cid, owners[cid], raw) for cid, raw in answers.items()}
        settled = self.store.batch_settle(local, status, list(answers.items()), calls)
        if settled is None:  # another process collected it first: its journal says all
            return self._resolve_from_journal(local)
        log.info("%s batch %d %s: %d answered, %d to resend", self._endpoint, local, status,
                 len(answers), len(settled[1]))  # fmt: skip
        resend: list[tuple[_Ticket, int | None, str]] = []
        for cid in owners:
            ticket = self._tickets.get(cid)
            if ticket is None or ticket.future.done():
                continue  # no one waits in this run: a rerun finds it answered or missing
            if cid in answers:
                ticket.future.set_result(answers[cid])
            elif status == "failed":
                said = self._redact(json.dumps(batch.get("errors") or {}, ensure_ascii=False))
                message = f"{self._endpoint} batch {batch.get('id')} failed: {_server_says(said)}"
                ticket.future.set_exception(ModelError(message, raw=said))
            else:
                resend.append((ticket, *failed.get(cid, (None, f"batch {status} without it"))))
        return resend

    def _resolve_from_journal(self, local: int) -> list[tuple[_Ticket, int | None, str]]:
        """Answer this run's waiters on a batch someone else closed, from the journal."""
        resend: list[tuple[_Ticket, int | None, str]] = []
        for cid, _, _ in self.store.batch_requests_of(local):
            ticket = self._tickets.get(cid)
            if ticket is None or ticket.future.done():
                continue
            known = self.store.batch_request(cid)
            if known is not None and known.state == "answered" and known.reply is not None:
                ticket.future.set_result(known.reply)
            elif known is not None and known.state == "pending" and known.batch != local:
                self._poll(known.batch)  # resent by its collector: wait for that batch
                continue
            else:
                resend.append((ticket, None, "batch ended without it"))
        return resend

    async def _resend(self, local: int, resend: list[tuple[_Ticket, int | None, str]]) -> None:
        """Queue again what a batch left unanswered (if worth it), its lines taken back from
        the batch's input file, so no request body stays in memory while its batch runs."""
        again: list[_Ticket] = []
        for ticket, code, said in resend:
            transient = code is None or code == 429 or code >= 500
            ticket.tries += 1
            if transient and ticket.tries <= self.spec.max_retries:
                again.append(ticket)
                continue
            message = f"{self._endpoint} batch request failed (HTTP {code}): {_server_says(said)}"
            error_cls = TransientModelError if transient else ModelError
            ticket.future.set_exception(error_cls(message, status=code, raw=said))
        if not again:
            return
        row = self.store.batch_row(local)
        assert row is not None
        sent = await self._raw_call("GET", f"/files/{row['input_file_id']}/content")
        lines = {str(json.loads(x)["custom_id"]): x for x in sent.text.splitlines() if x.strip()}
        for ticket in again:
            line = lines.get(ticket.custom_id)
            if line is None:
                ticket.future.set_exception(
                    ModelError(f"batch {local}'s input file lacks request {ticket.custom_id}")
                )
                continue
            ticket.line = (line + "\n").encode()
            self._enqueue(ticket)

    def _ledger_row(self, cid: str, owner: tuple[str, str], raw: str) -> ModelCall:
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
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await super().aclose()
