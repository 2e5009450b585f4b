"""What a playbook is: the intent it serves, its slots, its steps, and how it reports back.

A playbook is data (YAML), so people can write one for their own tool pack without
touching errand's code. This module only says what a well-formed playbook looks like;
:mod:`agents.playbooks.loader` checks it against the tools and against itself (references
to undefined slots or steps), and :mod:`agents.playbooks.engine` runs it.

Expressions (see :mod:`agents.playbooks.expr`) appear in two forms. Fields that are
always an expression (``when``, ``where``, ``from``, ``key``, rule keys, ``nth``, ``by``,
``that``, ``items``) take a bare expression (``item.bookable``) or the same wrapped in
``${...}``. Fields that are values or text (``args``, ``default``, ``say``, ``ask``,
report text) are literal unless they contain ``${...}``.
"""

from __future__ import annotations

import keyword
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from agents.playbooks.expr import Expr, ExprError, Template, compile_expr, compile_template

SlotType = Literal["city", "date", "money", "count", "rating", "seat_class", "preference", "choice", "text",
                   "reference"]
"""What a slot holds, normalised (values that do not fit the type count as missing):

city (canonical name), date (ISO "YYYY-MM-DD"; a range is two dates, or a date and a
count of nights), money (decimal string, CNY), count (int >= 1: a quantity, nights, an
ordinal, days), rating (decimal 0-5), seat_class, preference (cheapest, earliest, …),
choice (one of the slot's ``choices``), text (words to search with), reference (an id or
words naming a product, service, order, booking or application). People — the passenger,
the applicant, the recipient — come from the profile, bound as ``$user.<field>``."""
Language = Literal["en", "zh"]


@lru_cache(maxsize=4096)
def expression(source: str) -> Expr:
    """The compiled form of an expression field (bare or ``${...}``), cached by source."""
    text = source.strip()
    if text.startswith("${") and text.endswith("}"):
        inner = compile_template(text)
        if inner.whole is not None:
            return inner.whole
    return compile_expr(text)


@lru_cache(maxsize=4096)
def template(source: str) -> Template:
    """The compiled form of a value or text field, cached by source."""
    return compile_template(source)


def _check_expression(value: str | None) -> str | None:
    if value is not None:
        try:
            expression(value)
        except ExprError as exc:
            raise ValueError(str(exc)) from None
    return value


def _check_templates(value: Any) -> Any:
    if isinstance(value, str) and "${" in value:
        try:
            template(value)
        except ExprError as exc:
            raise ValueError(str(exc)) from None
    elif isinstance(value, dict):
        for v in value.values():
            _check_templates(v)
    elif isinstance(value, list):
        for v in value:
            _check_templates(v)
    return value


def _not_keyword(name: str) -> str:
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        raise ValueError(f"{name!r} is a reserved word of the expression language; choose another name")
    return name


Identifier = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$"), AfterValidator(_not_keyword)]
"""A name expressions can use after a dot: lower-case letters, digits and '_', not a reserved word."""
ExprField = Annotated[str, AfterValidator(_check_expression)]
"""A field that is always an expression, bare or ``${...}``; checked when the file loads."""
Condition = bool | ExprField
"""``true``/``false``, or an expression decided at run time."""
Value = Annotated[Any, AfterValidator(_check_templates)]
"""A literal YAML value in which strings may hold ``${...}`` expressions."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Text(_Strict):
    """Words shown to the person, in English and (recommended) Simplified Chinese.

    A plain string is accepted as English only. Templates may use ``${...}``."""

    en: str = Field(min_length=1)
    zh: str | None = Field(default=None, min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _plain_string(cls, value: Any) -> Any:
        return {"en": value} if isinstance(value, str) else value

    @field_validator("en", "zh")
    @classmethod
    def _templates(cls, value: str | None) -> str | None:
        return _check_templates(value)

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else self.en


class Choice(_Strict):
    """One value of a ``choice`` slot: how it reads, and words that select it in a request or answer."""

    label: Text
    words: list[str] = Field(default_factory=list)


class Slot(_Strict):
    """A piece of information the playbook needs, and where it may come from.

    Sources, in order: the request (the understanding's slot of the same name, then
    ``aliases``), the person's answers, ``default`` (a literal or an expression over the
    profile, the clock and earlier slots), and finally a question (``ask``) when the slot is
    ``required`` (true, or an expression over earlier slots) and still missing."""

    type: SlotType
    required: Condition = False
    default: Value = None
    aliases: list[Identifier] = Field(default_factory=list)
    ask: Text | None = None
    choices: dict[Identifier, Choice] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> "Slot":
        if self.required is not False and self.ask is None:
            raise ValueError("a slot that can be required needs `ask` (the question, in en and zh)")
        if self.type == "choice" and not self.choices:
            raise ValueError("a `choice` slot needs `choices`")
        if self.type != "choice" and self.choices:
            raise ValueError("`choices` only apply to slots of type `choice`")
        return self


class Rule(_Strict):
    """A selection rule: a sort key over candidates (smallest first) and how it reads."""

    key: ExprField
    label: Text


class Choose(_Strict):
    """Pick one candidate from an earlier result.

    Candidates come ``from`` an expression (``None`` when its step was skipped: then
    nothing is picked), are filtered by ``where``, narrowed to the one the person named
    when ``slot`` holds a value (an id, or words matched against the candidate), ordered
    by the rule named by ``by`` (default: the first rule; no rules keeps the service's
    order), and the ``nth`` is taken. Candidates whose action the person rejected or the
    service refused are skipped automatically. With several left and ``ask_if_many`` true,
    the person is asked which one (``question``, each candidate shown as ``label``)."""

    from_: ExprField = Field(alias="from")
    where: ExprField | None = None
    slot: Identifier | None = None
    key: ExprField = "item.id"
    rules: dict[Identifier, Rule] = Field(default_factory=dict)
    by: ExprField | None = None
    nth: ExprField | None = None
    ask_if_many: Condition = False
    question: Text | None = None
    label: Text | None = None
    on_none: Text
    on_reject: Literal["next", "ask", "stop"] = "next"
    next_on: list[str] = Field(default_factory=list, description=(
        "Error codes of the service that are about the option, not the errand (sold_out, slot_full): "
        "after one of these the next candidate is proposed; any other error stops and explains"))

    @model_validator(mode="after")
    def _asking(self) -> "Choose":
        if self.ask_if_many is not False and not (self.question and self.label and self.slot):
            raise ValueError("`ask_if_many` needs `question`, `label` and `slot` (where the answer goes)")
        return self


class Guard(_Strict):
    """A condition a step needs; when it is false the errand stops and ``else`` says why.
    Checked after the step's selection, so it can read the candidate about to be used (``pick``)."""

    that: ExprField
    else_: Text = Field(alias="else")


class Step(_Strict):
    """One step: a tool call (``tool`` + ``args``, explained by ``say``), or a pure
    selection (``choose`` without ``tool``) whose pick later steps read as ``steps.<id>``."""

    id: Identifier
    tool: str | None = None
    when: ExprField | None = None
    require: list[Guard] = Field(default_factory=list)
    choose: Choose | None = None
    args: dict[str, Value] = Field(default_factory=dict)
    say: Text | None = None

    @model_validator(mode="after")
    def _shape(self) -> "Step":
        if self.tool is None and self.choose is None:
            raise ValueError("a step needs a `tool` to call or a `choose` to select with")
        if self.tool is None and self.args:
            raise ValueError("`args` need a `tool`")
        if self.tool is not None and self.say is None:
            raise ValueError("a tool step needs `say`: the one-sentence reason shown at approval")
        return self


class Section(_Strict):
    """One part of the final report: a line of text and/or a list of items."""

    when: ExprField | None = None
    text: Text | None = None
    items: ExprField | None = None
    item: Text | None = None
    empty: Text | None = None
    limit: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _pairs(self) -> "Section":
        if (self.items is None) != (self.item is None):
            raise ValueError("`items` and `item` go together")
        if self.text is None and self.items is None:
            raise ValueError("a report section needs `text` or `items`")
        return self


class Playbook(_Strict):
    """A reusable plan for one kind of errand (one intent)."""

    intent: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    title: Text
    slots: dict[Identifier, Slot] = Field(default_factory=dict)
    vars: dict[Identifier, ExprField] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    report: list[Section] = Field(default_factory=list)
    source: str = Field(default="", exclude=True, description="Where it was loaded from (set by the loader)")

    @property
    def domain(self) -> str:
        return self.intent.split(".", 1)[0]

    @property
    def tools(self) -> list[str]:
        return [s.tool for s in self.steps if s.tool]

    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)


class PlaybookFile(_Strict):
    """A playbook file: ``playbooks:`` and, optionally, ``shared:`` for YAML anchors reused below."""

    playbooks: list[Playbook] = Field(min_length=1)
    shared: Any = None
