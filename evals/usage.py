"""Counting every model call of a trial: tokens, cost, and infrastructure failures.

A langchain configure hook adds :class:`TrialUsage` to every callback manager created in a
trial's context, so *every* chat-model call is seen — the agent's brain, a simulated user,
a model inside a custom tool — whether or not the caller passes callbacks. Calls tagged
``errand-eval:user`` are the simulated user's and are counted apart.

Prices come from a price file (``--prices``: ``{model: {input, output}}`` per million
tokens). A call whose model has no price, or whose provider reported no token counts,
makes the cost *unknown* (None) — never zero. Tokens are still counted.
"""

from __future__ import annotations

import fnmatch
import threading
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, LLMResult
from langchain_core.tracers.context import register_configure_hook
from pydantic import BaseModel, Field, RootModel

from evals.record import Usage
from tools.loading import load_model

USER_TAG = "errand-eval:user"

_trial_usage: ContextVar["TrialUsage | None"] = ContextVar("errand_eval_usage", default=None)
register_configure_hook(_trial_usage, inheritable=True)


class Price(BaseModel):
    input: Decimal = Field(ge=0, description="Per million input tokens")
    output: Decimal = Field(ge=0, description="Per million output tokens")
    currency: str = "USD"


class PriceTable(RootModel[dict[str, Price]]):
    """Model name (or glob) → price per million tokens."""

    def price(self, model: str) -> Price | None:
        if model in self.root:
            return self.root[model]
        return next((p for pattern, p in self.root.items() if fnmatch.fnmatchcase(model, pattern)), None)

    @classmethod
    def load(cls, path: str | Path | None) -> "PriceTable":
        return cls({}) if path is None else load_model(path, cls)


# -- infrastructure failures ------------------------------------------------------------------

_INFRA_NAMES = {"APIConnectionError", "APITimeoutError", "InternalServerError", "RateLimitError",
                "ServiceUnavailableError", "ConnectError", "ConnectTimeout", "ReadTimeout", "WriteTimeout",
                "PoolTimeout", "RemoteProtocolError", "ReadError", "ServerError", "ServiceUnavailable",
                "OverloadedError"}


def is_infrastructure(error: BaseException) -> bool:
    """A failure of what the agent runs on (model server down, 5xx, rate limit, timeout), not of
    the agent: such trials are retried and reported apart, never counted as agent failures."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if any(cls.__name__ in _INFRA_NAMES for cls in type(current).__mro__):
            return True
        status = getattr(current, "status_code", None)
        if isinstance(status, int) and (status >= 500 or status == 429):
            return True
        current = current.__cause__ or current.__context__
    return False


# -- the handler ------------------------------------------------------------------------------

class _Call(BaseModel):
    model: str
    user: bool
    input_tokens: int | None = None
    output_tokens: int | None = None


class TrialUsage(BaseCallbackHandler):
    """Everything one trial's model calls cost, and the infrastructure errors they hit."""

    raise_error = False
    run_inline = True

    def __init__(self, prices: PriceTable) -> None:
        self.prices = prices
        self._lock = threading.Lock()
        self._open: dict[UUID, _Call] = {}
        self.calls: list[_Call] = []
        self.infra_errors: list[str] = []

    def on_chat_model_start(self, serialized: dict[str, Any], messages: list[list[Any]], *, run_id: UUID,
                            tags: list[str] | None = None, **kwargs: Any) -> None:
        params = kwargs.get("invocation_params") or {}
        model = str(params.get("model") or params.get("model_name") or params.get("_type")
                    or (serialized or {}).get("name") or "unknown")
        with self._lock:
            self._open[run_id] = _Call(model=model, user=USER_TAG in (tags or []))

    def on_llm_start(self, serialized: dict[str, Any], prompts: list[str], *, run_id: UUID,
                     tags: list[str] | None = None, **kwargs: Any) -> None:
        self.on_chat_model_start(serialized, [], run_id=run_id, tags=tags, **kwargs)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            call = self._open.pop(run_id, None) or _Call(model="unknown", user=False)
        usage = _reported_usage(response)
        if usage is not None:
            call.input_tokens, call.output_tokens = usage
        model = _reported_model(response)
        if model:
            call.model = model
        with self._lock:
            self.calls.append(call)

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        with self._lock:
            call = self._open.pop(run_id, None) or _Call(model="unknown", user=False)
            self.calls.append(call)  # a failed call still happened (and may have been billed)
            if is_infrastructure(error):
                self.infra_errors.append(f"{type(error).__name__}: {error}")

    def usage(self, *, user: bool = False) -> Usage:
        with self._lock:
            calls = [c for c in self.calls if c.user is user]
        total = Usage()
        for call in calls:
            total = total.add(_usage_of(call, self.prices.price(call.model)))
        return total


def _reported_usage(response: LLMResult) -> tuple[int, int] | None:
    try:
        generation = response.generations[0][0]
    except IndexError:
        generation = None
    if isinstance(generation, ChatGeneration) and isinstance(generation.message, AIMessage):
        meta = generation.message.usage_metadata
        if meta:
            return int(meta.get("input_tokens") or 0), int(meta.get("output_tokens") or 0)
    token_usage = (response.llm_output or {}).get("token_usage") or {}
    if token_usage:
        return int(token_usage.get("prompt_tokens") or 0), int(token_usage.get("completion_tokens") or 0)
    return None


def _reported_model(response: LLMResult) -> str | None:
    try:
        generation = response.generations[0][0]
    except IndexError:
        return None
    if isinstance(generation, ChatGeneration):
        return generation.message.response_metadata.get("model_name") or None
    return None


def _usage_of(call: _Call, price: Price | None) -> Usage:
    known = call.input_tokens is not None and call.output_tokens is not None
    cost: float | None = None
    if known and price is not None:
        cost = float((price.input * call.input_tokens + price.output * call.output_tokens) / Decimal(1_000_000))
    return Usage(calls=1, input_tokens=call.input_tokens or 0, output_tokens=call.output_tokens or 0,
                 calls_without_usage=0 if known else 1, cost=cost, currency=price.currency if price else "USD",
                 models={call.model: 1}, unpriced=[] if price else [call.model])


@contextmanager
def counting(handler: TrialUsage) -> Iterator[TrialUsage]:
    """Count every model call made in this context (and threads started from it)."""
    token = _trial_usage.set(handler)
    try:
        yield handler
    finally:
        _trial_usage.reset(token)
