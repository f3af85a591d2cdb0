"""The ``openai`` backend: any OpenAI-compatible chat-completions endpoint.

OpenAI itself, vLLM, LMDeploy, Ollama, LiteLLM and most hosted VLM APIs speak the same
``POST /chat/completions``. What differs between them is what this module is about: how much
they accept per minute (paced here, before sending), how they fail (retried or not, and with
what message), and which JSON modes they support (downgraded here when refused).

Every HTTP attempt is reported to the caller's ledger, and every text that leaves this module
(ledger rows, exceptions, log lines) has been through :func:`~visinstruct.models.redact.redact`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Literal
from urllib.parse import urlsplit

from visinstruct.config import ModelSpec, Role
from visinstruct.errors import (
    FatalModelError,
    InputError,
    ModelError,
    TransientModelError,
    UnitError,
)
from visinstruct.models.base import CallContext, ChatRequest, ChatResponse, Message, ModelBackend
from visinstruct.models.endpoint import (
    EndpointClient,
    HttpReply,
    WireCertificateError,
    WireConnectError,
    WireError,
    WireProxyError,
    WireTimeout,
    WireTLSError,
    WireUnsupportedURL,
)
from visinstruct.models.images import encode_image, image_tokens
from visinstruct.models.ratelimit import (
    Clock,
    RateLimiter,
    Sleep,
    estimate_request_tokens,
    estimate_text_tokens,
)
from visinstruct.models.redact import redact
from visinstruct.models.replies import (
    content_text,
    display_url,
    parse_retry_after,
    server_says,
    top_logprobs,
    usage_int,
)
from visinstruct.records import ModelCall

__all__ = ["DEFAULT_BASE_URL", "OpenAIBackend", "parse_retry_after"]

DEFAULT_BASE_URL = "https://api.openai.com/v1"
RAW_LIMIT = 20_000
PACING_HEADROOM = 0.015
"""Requests are paced 1.5% under ``requests_per_minute``: enough for 15 ms of timer jitter
within a one-second window, which is what keeps a server's per-second limit from answering
429 to a client that is, on average, exactly at the limit."""
_MAX_RETRY_AFTER_S = 300.0
_JSON_DOWNGRADE: dict[str, Literal["object", "off"]] = {"schema": "object", "object": "off"}
_TOP_LOGPROBS = 5  # alternatives per token when a request asks for log-probabilities
_NOT_CHAT = frozenset({405, 501})
"""Statuses that say the URL has no chat route at all: a wrong endpoint, not a busy one."""
_JSON_REFUSAL = re.compile(r"response_format|json_schema|json_object", re.IGNORECASE)

log = logging.getLogger("visinstruct.models")

Verdict = Literal["ok", "downgrade", "transient", "fatal", "error"]
CallOutcome = Literal["ok", "retry", "error", "fatal"]


@dataclass
class _Prepared:
    """A request turned into wire messages once, reused by every attempt and retry."""

    messages: list[dict[str, Any]]
    image_tokens: int
    prompt_tokens: int  # estimate, for the ledger when the server reports no usage


@dataclass
class _Outcome:
    """What one HTTP attempt came to."""

    verdict: Verdict
    message: str = ""
    status: int | None = None
    raw: str | None = None
    retry_after: float | None = None
    unreachable: bool = False
    reply: ChatResponse | None = None
    cause: BaseException | None = None


class OpenAIBackend(ModelBackend):
    """Chat completions over HTTP with pacing, retries, JSON-mode fallback and a ledger.

    ``env`` defaults to ``os.environ`` (keys, ``OPENAI_BASE_URL``, proxies, CA certificates);
    ``sleep``, ``clock`` and ``rng`` are the seams tests use. ``backoff_base_s`` and
    ``backoff_cap_s`` shape the full-jitter backoff. Pass ``limiter`` to share one endpoint's
    quota between backends (e.g. two roles, one server).
    """

    name: ClassVar[str] = "openai"

    def __init__(
        self,
        spec: ModelSpec,
        role: Role,
        *,
        env: Mapping[str, str] | None = None,
        sleep: Sleep = asyncio.sleep,
        clock: Clock = time.monotonic,
        backoff_base_s: float = 0.5,
        backoff_cap_s: float = 30.0,
        limiter: RateLimiter | None = None,
        rng: random.Random | None = None,
    ):
        super().__init__(spec, role)
        env = os.environ if env is None else env
        self._base_url = (spec.base_url or env.get("OPENAI_BASE_URL") or DEFAULT_BASE_URL).rstrip(
            "/"
        )
        self._endpoint = display_url(self._base_url)
        key = env.get(spec.api_key_env) or None
        self._has_key = key is not None
        self._secrets = (key, urlsplit(self._base_url).password)
        self._sleep = sleep
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._rng = rng or random.Random()
        self._json_mode: Literal["schema", "object", "off"] = spec.json_mode
        self.limiter = limiter or RateLimiter(
            spec.requests_per_minute,
            spec.tokens_per_minute,
            clock=clock,
            sleep=sleep,
            headroom=PACING_HEADROOM,
        )
        headers = {"User-Agent": "visinstruct"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key}"
        # One client for the backend's life: connections stay warm between calls.
        try:
            self._http = EndpointClient(
                self._base_url,
                headers,
                connect_s=spec.connect_timeout_s,
                first_byte_s=spec.timeout_s,
                max_connections=spec.concurrency,
                env=env,
                ca_bundle=spec.ca_bundle,
            )
        except WireCertificateError as exc:  # a CA file that cannot be read
            raise FatalModelError(f"models.{role}: {exc}") from exc

    @property
    def endpoint(self) -> str:
        return self._endpoint

    @property
    def json_mode(self) -> str:
        """The JSON mode in use now; lower than configured after the server refused one."""
        return self._json_mode

    async def aclose(self) -> None:
        await self._http.aclose()

    def _redact(self, text: str) -> str:
        return redact(text, self._secrets)

    # -- building the request -------------------------------------------------------------

    async def _prepare(self, request: ChatRequest) -> _Prepared:
        """Encode images off the event loop (resizing a photo takes tens of milliseconds)."""
        paths = [p for m in request.messages for p in m.images]
        try:
            encoded = await asyncio.gather(
                *(asyncio.to_thread(encode_image, p, self.spec.image_max_side) for p in paths)
            )
        except InputError as exc:
            raise UnitError(str(exc)) from exc
        urls = iter(encoded)
        messages = [self._wire_message(m, urls) for m in request.messages]
        img = sum(image_tokens(w, h, self.spec.image_detail) for _, w, h in encoded)
        prompt = estimate_request_tokens((m.text for m in request.messages), img, 0)
        return _Prepared(messages=messages, image_tokens=img, prompt_tokens=prompt)

    def _wire_message(
        self, message: Message, urls: Iterator[tuple[str, int, int]]
    ) -> dict[str, Any]:
        if not message.images:
            return {"role": message.role, "content": message.text}
        parts: list[dict[str, Any]] = []
        if message.text:
            parts.append({"type": "text", "text": message.text})
        for _ in message.images:
            url, _w, _h = next(urls)
            parts.append(
                {"type": "image_url", "image_url": {"url": url, "detail": self.spec.image_detail}}
            )
        return {"role": message.role, "content": parts}

    def _body(self, request: ChatRequest, prepared: _Prepared, mode: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.spec.model,
            "messages": prepared.messages,
            "temperature": request.temperature,
            "max_tokens": request.max_tokens,
        }
        if request.json_schema is not None and mode == "schema":
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": request.schema_name, "schema": request.json_schema},
            }
        elif request.json_schema is not None and mode == "object":
            body["response_format"] = {"type": "json_object"}
        if request.logprobs:
            body["logprobs"] = True
            body["top_logprobs"] = _TOP_LOGPROBS
        body.update(self.spec.extra_body)
        if "max_completion_tokens" in body:  # newer OpenAI models refuse max_tokens beside it
            body.pop("max_tokens", None)
        # ``extra_body: {temperature: null}`` removes a field some models refuse.
        return {k: v for k, v in body.items() if v is not None}

    # -- judging a reply --------------------------------------------------------------------

    def _judge_http_error(self, exc: WireError) -> _Outcome:
        detail = self._redact(str(exc) or type(exc).__name__)
        if isinstance(exc, WireUnsupportedURL):  # e.g. "localhost:8000/v1", no scheme
            message = (
                f"{self._endpoint} is not a usable http(s) URL ({detail}): check base_url / "
                "OPENAI_BASE_URL, e.g. http://localhost:8000/v1"
            )
            return _Outcome("fatal", message, cause=exc)
        if isinstance(exc, WireCertificateError):  # every call would fail the same way
            message = (
                f"{self._endpoint}: {detail}. If the endpoint uses a private CA, set "
                f"models.{self.role}.ca_bundle (or SSL_CERT_FILE / SSL_CERT_DIR) to its CA "
                "certificate (PEM); check that the host in base_url is the one the "
                "certificate names"
            )
            return _Outcome("fatal", message, cause=exc)
        if isinstance(exc, WireTLSError):
            message = (
                f"{self._endpoint}: {detail}: check that the server speaks HTTPS on that port "
                "(base_url / OPENAI_BASE_URL with http:// if it does not)"
            )
            return _Outcome("fatal", message, cause=exc)
        if isinstance(exc, WireProxyError):
            message = (
                f"cannot reach {self._endpoint} through the proxy: {detail}: check "
                "HTTPS_PROXY / HTTP_PROXY (credentials as http://user:password@host:port), "
                "or add the host to NO_PROXY"
            )
            return _Outcome("fatal", message, exc.status, cause=exc)
        if isinstance(exc, WireConnectError):
            message = f"cannot connect: {detail}"
            return _Outcome("transient", message, unreachable=True, cause=exc)
        if isinstance(exc, WireTimeout):
            message = f"no reply within timeout_s={self.spec.timeout_s:g}s ({detail})"
            return _Outcome("transient", message, cause=exc)
        message = f"connection failed: {type(exc).__name__}: {detail}"
        return _Outcome("transient", message, cause=exc)

    def _judge_status(self, response: HttpReply, raw: str, mode: str) -> _Outcome:
        status = response.status
        said = server_says(raw)
        where = self._endpoint
        env_var = self.spec.api_key_env
        if status in (401, 403):
            what = "rejected the API key" if status == 401 else "refused access"
            hint = f"set {env_var} to a valid key for this endpoint"
            if not self._has_key:
                hint = f"no key was sent because {env_var} is not set; {hint}"
            message = f"{where} {what} (HTTP {status}): {hint} (server said: {said})"
            return _Outcome("fatal", message, status, raw)
        if status == 404:
            message = (
                f"no model {self.spec.model!r} at {where} or wrong URL (HTTP 404): check the "
                f"model name and base_url/OPENAI_BASE_URL (server said: {said})"
            )
            return _Outcome("fatal", message, status, raw)
        if status in _NOT_CHAT:
            message = (
                f"{where}/chat/completions answered HTTP {status}: this is not an "
                "OpenAI-compatible chat-completions endpoint; check base_url / OPENAI_BASE_URL "
                f"(it usually ends in /v1) (server said: {said})"
            )
            return _Outcome("fatal", message, status, raw)
        if status == 400 and mode != "off" and _JSON_REFUSAL.search(raw):
            return _Outcome("downgrade", f"HTTP 400, json_mode {mode!r} refused: {said}", 400, raw)
        if status in (408, 429) or status >= 500:
            retry_after = parse_retry_after(response.headers)
            return _Outcome("transient", f"HTTP {status}: {said}", status, raw, retry_after)
        return _Outcome("error", f"{where} answered HTTP {status}: {said}", status, raw)

    def _judge_body(self, raw: str, status: int, prepared: _Prepared) -> _Outcome:
        """A 2xx is only a success if it is a chat completion. A truncated or incomplete JSON
        body (an overloaded server, a proxy cutting the stream) is worth a retry; a body that
        is not JSON at all (an HTML page) means the URL is not a chat endpoint: stop."""
        try:
            data = json.loads(raw)
            choice = data["choices"][0]
            message = choice["message"]
            if not isinstance(message, dict):
                raise TypeError("message is not an object")
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            if isinstance(exc, ValueError) and raw.strip() and raw.lstrip()[0] not in "{[":
                what = (
                    f"{self._endpoint}/chat/completions answered HTTP {status} with something "
                    f"that is not JSON ({server_says(raw)[:120]!r}): this is not an "
                    "OpenAI-compatible chat-completions endpoint; check base_url / "
                    "OPENAI_BASE_URL (it usually ends in /v1)"
                )
                return _Outcome("fatal", self._redact(what), status, raw)
            what = f"HTTP {status} but not a chat completion ({type(exc).__name__}: {exc})"
            return _Outcome("transient", self._redact(what), status, raw)
        text = content_text(message.get("content"))
        usage = data.get("usage")
        in_tok = usage_int(usage, "prompt_tokens")
        out_tok = usage_int(usage, "completion_tokens")
        in_tok = prepared.prompt_tokens if in_tok is None else in_tok
        out_tok = estimate_text_tokens(text) if out_tok is None else out_tok
        price_in, price_out = self.spec.price_input_per_1m, self.spec.price_output_per_1m
        reply = ChatResponse(
            text=text,
            finish_reason=choice.get("finish_reason"),
            input_tokens=in_tok,
            output_tokens=out_tok,
            image_tokens=prepared.image_tokens,
            cost_usd=(in_tok * price_in + out_tok * price_out) / 1e6,
            model=str(data.get("model") or self.spec.model),
            top_logprobs=top_logprobs(choice),
        )
        return _Outcome("ok", status=status, reply=reply)

    async def _attempt(self, body: dict[str, Any], mode: str, prepared: _Prepared) -> _Outcome:
        data = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
        try:
            response = await self._http.request("POST", "/chat/completions", data)
        except WireError as exc:
            return self._judge_http_error(exc)
        raw = self._redact(response.text)
        if 200 <= response.status < 300:
            return self._judge_body(raw, response.status, prepared)
        return self._judge_status(response, raw, mode)

    # -- the loop -------------------------------------------------------------------------

    def _record(
        self,
        context: CallContext,
        outcome: _Outcome,
        kind: CallOutcome,
        started_at: float,
        latency: float,
        image_tokens: int,
    ) -> None:
        """Write one ledger row. Failed attempts carry no tokens or cost: providers do not
        bill refused requests, and estimates there would inflate cost reports."""
        reply = outcome.reply
        context.record(
            ModelCall(
                stage=context.stage,
                unit_key=context.unit_key,
                role=self.role,
                model=self.spec.model,
                endpoint=self._endpoint,
                started_at=started_at,
                latency_s=latency,
                outcome=kind,
                http_status=outcome.status,
                input_tokens=reply.input_tokens if reply else 0,
                output_tokens=reply.output_tokens if reply else 0,
                image_tokens=image_tokens,
                cost_usd=reply.cost_usd if reply else 0.0,
                error=None if reply else self._redact(outcome.message)[:RAW_LIMIT],
                raw=None if reply or outcome.raw is None else outcome.raw[:RAW_LIMIT],
            )
        )

    def _backoff(self, retry: int, retry_after: float | None) -> float:
        """Full jitter (uniform in [0, min(cap, base·2^retry)]) unless the server said when."""
        if retry_after is not None:
            return min(retry_after, _MAX_RETRY_AFTER_S)
        return self._rng.uniform(0.0, min(self._backoff_cap_s, self._backoff_base_s * 2**retry))

    def _downgrade(self, sent_mode: str) -> None:
        """Step the JSON mode down once; concurrent refusals of the same mode step only once."""
        if sent_mode == self._json_mode and sent_mode in _JSON_DOWNGRADE:
            self._json_mode = _JSON_DOWNGRADE[sent_mode]
            log.warning(
                "%s refused json_mode %r; using %r from now on",
                self._endpoint,
                sent_mode,
                self._json_mode,
            )

    def _give_up(self, outcome: _Outcome, attempts: int, unreachable: bool) -> ModelError:
        if unreachable:
            return FatalModelError(
                f"cannot reach {self._endpoint} ({outcome.message}; {attempts} attempts): "
                "check base_url / OPENAI_BASE_URL and that the server is running"
            )
        if outcome.verdict == "fatal":
            return FatalModelError(outcome.message, status=outcome.status, raw=outcome.raw)
        if outcome.verdict == "error":
            return ModelError(outcome.message, status=outcome.status, raw=outcome.raw)
        return TransientModelError(
            f"{self._endpoint} still failing after {attempts} attempts: {outcome.message}",
            status=outcome.status,
            raw=outcome.raw,
            retry_after=outcome.retry_after,
        )

    async def _retry_wait(self, outcome: _Outcome, retry: int, context: CallContext) -> None:
        delay = self._backoff(retry, outcome.retry_after)
        log.info(
            "%s %s: %s; retry %d/%d in %.2fs",
            self._endpoint,
            context.unit_key,
            self._redact(outcome.message),
            retry + 1,
            self.spec.max_retries,
            delay,
        )
        await self._sleep(delay)

    async def chat(self, request: ChatRequest, context: CallContext) -> ChatResponse:
        prepared = await self._prepare(request)
        budget = prepared.prompt_tokens + request.max_tokens
        retries = attempts = 0
        unreachable = True  # stays true only while every attempt failed to connect
        while True:
            mode = self._json_mode if request.json_schema is not None else "off"
            body = self._body(request, prepared, mode)
            await self.limiter.acquire(budget)
            started_at, t0 = time.time(), time.perf_counter()
            outcome = await self._attempt(body, mode, prepared)
            latency = time.perf_counter() - t0
            attempts += 1
            unreachable = unreachable and outcome.unreachable
            if outcome.reply is not None:
                self._record(context, outcome, "ok", started_at, latency, prepared.image_tokens)
                return outcome.reply
            downgrade = outcome.verdict == "downgrade"
            if not downgrade and not (
                outcome.verdict == "transient" and retries < self.spec.max_retries
            ):
                error = self._give_up(outcome, attempts, unreachable)
                kind: CallOutcome = "fatal" if isinstance(error, FatalModelError) else "error"
                self._record(context, outcome, kind, started_at, latency, prepared.image_tokens)
                log.debug("%s %s: giving up: %s", self._endpoint, context.unit_key, error)
                raise error from outcome.cause
            self._record(context, outcome, "retry", started_at, latency, prepared.image_tokens)
            if downgrade:
                self._downgrade(mode)
            else:
                await self._retry_wait(outcome, retries, context)
                retries += 1
