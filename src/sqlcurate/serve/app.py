"""The HTTP API: OpenAI's chat completions (plain and streamed), models, health, feedback, the analyst page.

Every error is OpenAI's shape, ``{"error": {"message", "type", "param", "code"}}``, so the official
clients raise their usual exceptions (401 AuthenticationError, 429 RateLimitError, ...). Each answer
carries its SQL verdicts: ``sqlcurate.verdict`` in the JSON (in the last chunk when streamed) and the
``X-SQL-Verdict`` header on plain responses.
"""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from dataclasses import dataclass
from importlib.resources import files
from typing import Literal

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from sqlcurate.serve.feedback_log import FeedbackLog
from sqlcurate.serve.keys import KeyStore
from sqlcurate.serve.limits import KeyLimiter, Limits
from sqlcurate.serve.service import ChatService, Completion, GenerationFailed, PromptError, check_messages
from sqlcurate.serve.verdicts import AnswerChecker

# The ``code`` of every error response (OpenAI's field; clients show it), declared once.
CODES = {
    "invalid_api_key": "no Authorization: Bearer header, or a key that is unknown or revoked (401)",
    "rate_limit_exceeded": "the key has too many requests in flight or went over its rate (429)",
    "request_too_large": "the request body is over the server's limit (413)",
    "invalid_request": "the body is not valid JSON for this route, or a field is out of range (400)",
    "invalid_message": "a message is not {role: system|user|assistant, content: text} (400)",
    "invalid_content": "a message holds a control character other than tab, CR and LF, or a non-text part (400)",
    "invalid_conversation": "the turns do not alternate user/assistant after an optional system message, ending with user (400)",
    "too_many_messages": "more messages than the server takes (400)",
    "max_tokens_too_large": "max_tokens over the server's limit (400)",
    "context_length_exceeded": "the conversation leaves no room in the model's context (400)",
    "unknown_completion": "feedback about an id that is not in the feedback log (404)",
    "generation_failed": "the model failed while decoding this request (500)",
    "not_found": "no such route (404)",
    "method_not_allowed": "the route exists, not with this method (405)",
    "http_error": "another HTTP-level error",
}

NO_AUTH_LABEL = "no-auth"
# A retry for --require-valid-sql samples instead of repeating the greedy answer.
RETRY_TEMPERATURE = 0.7


class ChatRequest(BaseModel):
    model_config = ConfigDict(extra="ignore")
    model: str | None = None
    messages: list[dict] = Field(min_length=1)
    stream: bool = False
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)  # greedy unless asked: SQL wants determinism
    top_k: int | None = Field(default=None, ge=1)
    seed: int | None = None
    n: int = Field(default=1, ge=1, le=1)


class FeedbackRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1, max_length=64)
    rating: Literal["up", "down"]
    corrected_sql: str | None = Field(default=None, max_length=20_000)
    comment: str = Field(default="", max_length=2_000)


@dataclass
class ServeState:
    service: ChatService
    model_name: str
    keys: KeyStore | None  # None: --no-auth (loopback only)
    limits: Limits
    checker: AnswerChecker
    log: FeedbackLog
    require_valid_sql: int = 0  # extra attempts when an answer's SQL fails a check (plain responses)


class BodyTooLarge(Exception):
    pass


class Refused(Exception):
    """A request answered before its route's work starts (401, 400): the handler returns ``response``."""

    def __init__(self, response: JSONResponse):
        self.response = response


def error(status: int, message: str, code: str, type_: str = "invalid_request_error", param: str | None = None,
          headers: dict | None = None) -> JSONResponse:
    assert code in CODES, code
    return JSONResponse({"error": {"message": message, "type": type_, "param": param, "code": code}},
                        status_code=status, headers=headers)


class BodyLimit:
    """Refuse request bodies over ``limit`` bytes: by Content-Length up front, else while reading."""

    def __init__(self, app, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.limit:
            return await error(413, f"the request body is over {self.limit} bytes", "request_too_large")(scope, receive, send)
        seen = 0

        async def limited():
            nonlocal seen
            message = await receive()
            seen += len(message.get("body", b""))
            if seen > self.limit:
                raise BodyTooLarge
            return message

        await self.app(scope, limited, send)


def create_app(state: ServeState) -> FastAPI:
    app = FastAPI(title="sqlcurate serve", docs_url=None, redoc_url=None, openapi_url=None)
    app.add_middleware(BodyLimit, limit=state.limits.max_body_bytes)
    limiter = app.state.limiter = KeyLimiter(state.limits)
    page = files("sqlcurate.serve").joinpath("page.html").read_text(encoding="utf-8")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request, exc):
        return error(exc.status_code, str(exc.detail), {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error"))

    @app.exception_handler(Refused)
    async def refused(request, exc):
        return exc.response

    @app.exception_handler(BodyTooLarge)
    async def too_large(request, exc):
        return error(413, f"the request body is over {state.limits.max_body_bytes} bytes", "request_too_large")

    def caller(request: Request) -> str:
        """The key's label; a request without a valid key is refused with 401."""
        if state.keys is None:
            return NO_AUTH_LABEL
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        entry = state.keys.verify(key.strip()) if scheme.lower() == "bearer" and key.strip() else None
        if entry is None:
            raise Refused(error(401, "a valid API key is required: Authorization: Bearer KEY (keys come from "
                              "`sqlcurate serve keys add`)", "invalid_api_key",
                         headers={"WWW-Authenticate": "Bearer"}))
        return entry.label

    async def parse(request: Request, model: type[BaseModel]) -> BaseModel:
        """The body as ``model``; a body that is not one is refused with 400."""
        try:
            return model.model_validate_json(await request.body())
        except ValidationError as e:
            first = e.errors()[0]
            where = ".".join(map(str, first["loc"])) or "body"
            raise Refused(error(400, f"{where}: {first['msg']}", "invalid_request", param=where)) from None

    @app.get("/", response_class=HTMLResponse)
    async def index():
        return HTMLResponse(page, headers={"Content-Security-Policy": "default-src 'self'; style-src 'self' 'unsafe-inline'; "
                                                                       "script-src 'unsafe-inline'; connect-src 'self'"})

    @app.get("/healthz")
    async def healthz():
        b = state.service.batcher
        return {"status": "ok", "model": state.model_name, "batch_steps": b.steps, "peak_batch": b.peak_rows}

    @app.get("/v1/models")
    async def models(request: Request):
        caller(request)  # refuses without a valid key
        return {"object": "list", "data": [{"id": state.model_name, "object": "model", "created": 0, "owned_by": "sqlcurate"}]}

    @app.post("/v1/chat/completions")
    async def chat_completions(request: Request):
        who = caller(request)
        body = await parse(request, ChatRequest)
        try:
            messages = check_messages(body.messages)
            if len(messages) > state.limits.max_messages:
                raise PromptError("too_many_messages", f"at most {state.limits.max_messages} messages per request")
            prompt = state.service.prompt_ids(messages)
        except PromptError as e:
            return error(400, str(e), e.code, param=e.param)
        asked = body.max_completion_tokens or body.max_tokens
        room = state.service.context - len(prompt)
        if asked is not None and asked > state.limits.max_tokens:
            return error(400, f"max_tokens is at most {state.limits.max_tokens} on this server", "max_tokens_too_large", param="max_tokens")
        max_tokens = min(asked or state.limits.max_tokens, room)
        if max_tokens < 1:
            return error(400, f"the conversation is {len(prompt)} tokens; the model's context is {state.service.context}",
                         "context_length_exceeded", param="messages")
        if (refused := limiter.acquire(who)) is not None:
            return error(429, refused, "rate_limit_exceeded", type_="rate_limit_error", headers={"Retry-After": "1"})
        settings = dict(max_tokens=max_tokens, temperature=body.temperature, top_k=body.top_k,
                        seed=body.seed if body.seed is not None else 42)
        cid = "chatcmpl-" + secrets.token_hex(12)
        created = int(time.time())
        if body.stream:
            # started here, so that its `finally` (which frees the slot) runs even if the client leaves before
            # the response starts: a started async generator is closed when dropped, a fresh one is not
            events = _sse(state, limiter, who, cid, created, messages, prompt, settings)
            first = await anext(events)
            return StreamingResponse(_prepend(first, events), media_type="text/event-stream",
                                     headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
        try:
            done, verdict, attempts = await _complete(state, request, prompt, settings)
        except GenerationFailed as e:
            return error(500, f"the model failed on this request: {e}", "generation_failed", type_="server_error")
        finally:
            limiter.release(who)
        if done is None:  # the client went away; nothing to answer or log
            return JSONResponse({}, status_code=499)
        usage = _usage(done)
        await asyncio.to_thread(state.log.exchange, cid, who, state.model_name, messages, done.text, verdict.to_json(),
                                done.finish_reason, usage)  # redaction and fsync off the event loop
        return JSONResponse({
            "id": cid, "object": "chat.completion", "created": created, "model": state.model_name,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": done.text}, "finish_reason": done.finish_reason}],
            "usage": usage, "sqlcurate": {"verdict": verdict.to_json(), "attempts": attempts},
        }, headers={"X-SQL-Verdict": verdict.header()})

    @app.post("/v1/feedback")
    async def feedback(request: Request):
        who = caller(request)
        body = await parse(request, FeedbackRequest)
        if (refused := limiter.acquire(who)) is not None:  # feedback counts against the key's rate too
            return error(429, refused, "rate_limit_exceeded", type_="rate_limit_error", headers={"Retry-After": "1"})
        limiter.release(who)
        if body.id not in state.log.ids:
            return error(404, f"no answer with id {body.id!r} in the feedback log", "unknown_completion", param="id")
        verdict = None
        if body.corrected_sql is not None:
            verdict = await asyncio.to_thread(state.checker.verdict, f"```sql\n{body.corrected_sql.strip()}\n```")
        await asyncio.to_thread(state.log.feedback, body.id, who, body.rating, body.corrected_sql, body.comment)
        return {"ok": True, "corrected_sql_verdict": verdict.to_json() if verdict else None}

    return app


def _usage(done: Completion) -> dict:
    return {"prompt_tokens": done.prompt_tokens, "completion_tokens": done.completion_tokens,
            "total_tokens": done.prompt_tokens + done.completion_tokens}


async def _complete(state: ServeState, request: Request, prompt: list[int], settings: dict):
    """(completion, verdict, attempts); (None, None, n) if the client disconnected while waiting."""
    attempts = 0
    while True:
        attempts += 1
        task = asyncio.ensure_future(state.service.complete(prompt, **settings))
        while not task.done():
            await asyncio.wait({task}, timeout=0.25)
            if not task.done() and await request.is_disconnected():
                task.cancel()  # closes the stream, which cancels the batch row
                return None, None, attempts
        done = task.result()
        verdict = await asyncio.to_thread(state.checker.verdict, done.text)
        if verdict.ok is True or attempts > state.require_valid_sql:  # no SQL counts as not valid
            return done, verdict, attempts
        settings = {**settings, "seed": settings["seed"] + attempts,
                    "temperature": max(settings["temperature"], RETRY_TEMPERATURE)}


async def _prepend(first: str, rest):
    yield first
    async for item in rest:
        yield item


async def _sse(state, limiter, who, cid, created, messages, prompt, settings):
    """The streamed answer as server-sent events; the last chunk carries the finish reason and verdict."""
    def event(delta: dict, finish: str | None = None, **extra) -> str:
        chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": state.model_name,
                 "choices": [{"index": 0, "delta": delta, "finish_reason": finish}], **extra}
        return f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n"

    done = Completion("", len(prompt), 0, "stop")
    try:
        yield event({"role": "assistant", "content": ""})
        try:
            async for piece in state.service.stream(prompt, result=done, **settings):
                yield event({"content": piece})
        except GenerationFailed as e:  # headers are sent: the error goes in the stream, as OpenAI's does
            failure = {"message": f"the model failed on this request: {e}", "type": "server_error", "param": None,
                       "code": "generation_failed"}
            yield f"data: {json.dumps({'error': failure})}\n\n"
            return
        verdict = await asyncio.to_thread(state.checker.verdict, done.text)
        usage = _usage(done)
        await asyncio.to_thread(state.log.exchange, cid, who, state.model_name, messages, done.text, verdict.to_json(),
                                done.finish_reason, usage)  # redaction and fsync off the event loop
        yield event({}, done.finish_reason, usage=usage, sqlcurate={"verdict": verdict.to_json(), "attempts": 1})
        yield "data: [DONE]\n\n"
    finally:  # also when the client disconnects: the stream is closed and its slot and batch row freed
        limiter.release(who)
