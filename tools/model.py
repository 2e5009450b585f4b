"""The errand tool model: a langchain-core tool plus the metadata the policy gate reads.

Any ``BaseTool`` works as an errand tool. errand's own metadata lives under the
``"errand"`` key of the tool's standard ``metadata`` dict, so a tool stays a plain
langchain-core tool that LangGraph, LangChain and chat models understand, and a
tool without that key is simply *unknown* to the gate (which then never allows it
silently).
"""

from __future__ import annotations

import inspect
import typing
from decimal import Decimal
from enum import Enum
from typing import Any, Callable, Iterable

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, field_validator

METADATA_KEY = "errand"


class Effect(str, Enum):
    """How consequential calling a tool is. Ordered: read < write < payment < irreversible."""

    READ = "read"
    WRITE = "write"
    PAYMENT = "payment"
    IRREVERSIBLE = "irreversible"

    @property
    def rank(self) -> int:
        return _EFFECT_ORDER.index(self)

    # str already defines the comparisons (alphabetical), so every one is overridden here.
    def __lt__(self, other: object) -> bool:
        return self.rank < Effect(other).rank

    def __le__(self, other: object) -> bool:
        return self.rank <= Effect(other).rank

    def __gt__(self, other: object) -> bool:
        return self.rank > Effect(other).rank

    def __ge__(self, other: object) -> bool:
        return self.rank >= Effect(other).rank

    __hash__ = str.__hash__


_EFFECT_ORDER = [Effect.READ, Effect.WRITE, Effect.PAYMENT, Effect.IRREVERSIBLE]


class MoneyArg(BaseModel):
    """Which argument of a tool is an amount of money, and in which currency.

    The currency is either fixed (``currency``) or read from another argument
    (``currency_arg``). Amounts are handled as :class:`~decimal.Decimal`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    amount_arg: str
    currency: str | None = "CNY"
    currency_arg: str | None = None

    def amount(self, args: dict[str, Any]) -> tuple[Decimal, str] | None:
        """The (amount, currency) this call would move, or None if the argument is absent."""
        raw = args.get(self.amount_arg)
        if raw is None:
            return None
        currency = args.get(self.currency_arg) if self.currency_arg else self.currency
        return Decimal(str(raw)), str(currency or "CNY").upper()


class ToolMeta(BaseModel):
    """What the policy gate needs to know about a tool before it runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    effect: Effect
    domain: str | None = None
    personal_data: tuple[str, ...] = Field(
        default=(),
        description="User-profile fields the tool releases to the service (e.g. national_id, phone).",
    )
    money: MoneyArg | None = None
    summary: str | None = Field(
        default=None,
        description="A plain-language template of what the call does, formatted with its args.",
    )

    @field_validator("personal_data", mode="before")
    @classmethod
    def _tuple(cls, value: Any) -> Any:
        return tuple(value) if isinstance(value, (list, set)) else value

    def describe(self, args: dict[str, Any]) -> str | None:
        """Fill the summary template with the call's arguments; None if there is no template."""
        if not self.summary:
            return None
        try:
            return self.summary.format_map(_Lenient(args))
        except (ValueError, IndexError):
            return self.summary


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def tool_meta(tool: BaseTool) -> ToolMeta | None:
    """The errand metadata of a tool, or None when the tool carries none (an *unknown* tool)."""
    raw = (tool.metadata or {}).get(METADATA_KEY)
    if raw is None:
        return None
    if isinstance(raw, ToolMeta):
        return raw
    return ToolMeta.model_validate(raw)


def with_meta(tool: BaseTool, meta: ToolMeta | None = None, **fields: Any) -> BaseTool:
    """Attach errand metadata to any langchain-core tool (in place) and return it."""
    meta = meta or ToolMeta(**fields)
    tool.metadata = {**(tool.metadata or {}), METADATA_KEY: meta}
    return tool


def errand_tool(
    *,
    effect: Effect | str,
    domain: str | None = None,
    personal_data: Iterable[str] = (),
    money: MoneyArg | str | None = None,
    summary: str | None = None,
    name: str | None = None,
    args_schema: type[BaseModel] | None = None,
) -> Callable[[Callable[..., Any]], BaseTool]:
    """Decorator: turn a function into a langchain-core tool carrying errand metadata.

    ``money`` may be the name of the amount argument (currency CNY) or a :class:`MoneyArg`.
    The function's docstring becomes the tool description the planner sees.
    """
    if isinstance(money, str):
        money = MoneyArg(amount_arg=money)
    meta = ToolMeta(
        effect=Effect(effect),
        domain=domain,
        personal_data=tuple(personal_data),
        money=money,
        summary=summary,
    )

    def wrap(func: Callable[..., Any]) -> BaseTool:
        is_async = inspect.iscoroutinefunction(func)
        try:  # resolve string annotations once: langchain reads the hints again on every call
            func.__annotations__ = typing.get_type_hints(func, include_extras=True)
        except (NameError, TypeError):  # a hint that names something not importable here: leave as is
            pass
        tool = StructuredTool.from_function(
            func=None if is_async else func,
            coroutine=func if is_async else None,
            name=name or func.__name__,
            # the docstring is what a chat model reads: without its source indentation
            description=inspect.cleandoc(func.__doc__ or "") or None,
            args_schema=args_schema,
            infer_schema=args_schema is None,
            parse_docstring=False,
        )
        return with_meta(tool, meta)

    return wrap
