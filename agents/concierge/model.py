"""What a life-event bundle is, and what a concierge plan made from one is.

A **bundle** (data, YAML) describes one life event — moving city, a new baby — as the
sub-errands it takes across domains: each item names the domain agent that does it, the
request that agent gets (a template over the bundle's slots, in English and Chinese),
whether the person may drop it, and which items must have happened first. Slots say where
each detail comes from: the words of the request (``from``), a default (an expression over
the profile and the clock), or a question to the person.

A **plan** is a bundle bound to one request: slots filled, templates rendered, one child
run id per item. It never changes once made; where each item stands is read from its
child run (see :mod:`agents.concierge.progress`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from agents.models import RunStatus
from agents.playbooks.model import Choice, ExprField, Identifier, Text, Value

Language = Literal["en", "zh"]

BundleSlotType = Literal["city", "date", "count", "money", "choice", "text"]
"""What a bundle slot holds, normalised: city (canonical name), date (ISO), count (int >= 1),
money (decimal string, CNY), choice (one of the slot's ``choices``), text."""

Source = Literal["city.origin", "city.destination", "city.place", "city", "date.start", "date.end", "date.return",
                 "date", "nights", "quantity", "money"]
"""Where in the request a slot's value may be found: a city said as where a journey starts
(``city.origin``), where it goes (``city.destination``), where something happens
(``city.place``), or any city not used by an earlier slot (``city``); likewise a date by the
role its words give it (start, end, return) or any date; a number of nights; a number of
people or things; an amount of money."""

SOURCES: dict[str, frozenset[str]] = {
    "city": frozenset({"city.origin", "city.destination", "city.place", "city"}),
    "date": frozenset({"date.start", "date.end", "date.return", "date"}),
    "count": frozenset({"nights", "quantity"}),
    "money": frozenset({"money"}),
    "choice": frozenset(),
    "text": frozenset(),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class Bilingual(Text):
    """Words shown to the person or given to an agent, in English and Simplified Chinese: a
    life event is asked for in either language, so both are required."""

    zh: str = Field(min_length=1)  # type: ignore[assignment]


class Cues(_Strict):
    """More ways people say the life event happened or is coming (phrases, matched like the
    government catalogue's keywords: English by word stems, Chinese by words)."""

    en: list[str] = Field(default_factory=list)
    zh: list[str] = Field(default_factory=list)


class BundleSlot(_Strict):
    """A detail the bundle's items need. Sources, in order: the request (``from``, first
    match wins), the person's answers, ``default``; a ``required`` slot still missing is asked
    (``ask``)."""

    type: BundleSlotType
    from_: list[Source] = Field(default_factory=list, alias="from")
    required: bool = False
    default: Value = None
    ask: Bilingual | None = None
    choices: dict[Identifier, Choice] = Field(default_factory=dict)
    about: str = Field(default="", description="What the detail means, for a chat model reading the request")

    @model_validator(mode="after")
    def _consistent(self) -> "BundleSlot":
        if self.required and self.ask is None:
            raise ValueError("a required slot needs `ask` (the question, in en and zh)")
        if (self.type == "choice") != bool(self.choices):
            raise ValueError("`choices` go with slots of type `choice`, and a `choice` slot needs them")
        wrong = [s for s in self.from_ if s not in SOURCES[self.type]]
        if wrong:
            allowed = ", ".join(sorted(SOURCES[self.type])) or "none: it is read from the words of its choices"
            raise ValueError(f"a {self.type} slot cannot be read from {', '.join(wrong)} (allowed: {allowed})")
        return self


class BundleItem(_Strict):
    """One sub-errand: the domain agent that does it and the request it gets.

    ``intent`` (and ``expect``) say how that request must be read — the offline brain's
    understanding is checked against it when the plan is made, so a template that a domain
    agent would misread stops that item with a clear message instead of doing something else.
    ``after`` lists items that must have *happened* (done, with an effect) before this one
    starts; if one of them is declined, rejected or fails, this one is skipped."""

    key: Identifier
    agent: Identifier
    title: Bilingual
    task: Bilingual
    intent: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    expect: dict[str, Value] = Field(default_factory=dict)
    optional: bool = False
    after: list[Identifier] = Field(default_factory=list)
    when: ExprField | None = None

    @model_validator(mode="after")
    def _expectations(self) -> "BundleItem":
        if self.expect and self.intent is None:
            raise ValueError("`expect` needs `intent`: the reading whose slots it checks")
        return self


class Bundle(_Strict):
    """A life event as one plan of sub-errands across domains."""

    id: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    name: Bilingual
    title: Bilingual
    life_event: str | None = Field(default=None, description="The government catalogue's life event, if any")
    cues: Cues = Field(default_factory=Cues)
    slots: dict[Identifier, BundleSlot] = Field(default_factory=dict)
    items: list[BundleItem] = Field(min_length=1)
    source: str = Field(default="", exclude=True, description="Where it was loaded from (set by the loader)")

    def item(self, key: str) -> BundleItem:
        return next(i for i in self.items if i.key == key)


class BundleFile(_Strict):
    """A bundle file: ``bundles:`` and, optionally, ``shared:`` for YAML anchors reused below."""

    bundles: list[Bundle] = Field(min_length=1)
    shared: Any = None


# -- a plan ------------------------------------------------------------------------------------

class Reading(BaseModel):
    """What a planner read in a request: the bundle (None when no life event is clear), the
    slot values the request states, normalised, and the request's language."""

    bundle: str | None
    slots: dict[str, Any] = Field(default_factory=dict)
    lang: Language = "en"
    candidates: list[str] = Field(default_factory=list, description="Bundles that could fit, best first")
    note: str = Field(default="", description="How it was read (e.g. why a chat model's reading was not used)")


class PlanItem(BaseModel):
    """One sub-errand of a plan, fixed when the plan is made."""

    key: str
    agent: str
    title: str
    task: str = Field(description="The request the domain agent gets, in the person's language")
    intent: str | None = None
    optional: bool = False
    after: list[str] = Field(default_factory=list)
    run_id: str = Field(description="The child run's id, derived from the plan's run id and the key")
    problem: str | None = Field(default=None, description="Why the item cannot run (a bundle that needs fixing)")


class ConciergePlan(BaseModel):
    bundle: str
    title: str
    lang: Language
    slots: dict[str, Any]
    items: list[PlanItem]

    def item(self, key: str) -> PlanItem | None:
        return next((i for i in self.items if i.key == key), None)


ItemStatus = Literal["not_started", "running", "waiting", "done", "no_effect", "rejected", "declined", "skipped",
                     "failed"]
"""Where one item stands: not started (its prerequisites have not happened yet), running,
waiting for the person, done (it did something consequential), no effect (it finished
without anything to do, e.g. not eligible), rejected (the person turned its action down),
declined (dropped from the plan), skipped (a prerequisite did not happen), failed."""

SETTLED: frozenset[str] = frozenset({"done", "no_effect", "rejected", "declined", "skipped", "failed"})


class ItemView(BaseModel):
    key: str
    title: str
    agent: str
    optional: bool
    after: list[str]
    task: str
    run_id: str
    status: ItemStatus
    text: str = Field(default="", description="The sub-errand's own final answer, or why it did not run")
    waiting_for: dict[str, Any] | None = Field(default=None, description="The child run's pause, when waiting")
    receipts: list[dict[str, Any]] = Field(default_factory=list)

    @property
    def settled(self) -> bool:
        return self.status in SETTLED


class PlanView(BaseModel):
    """The whole plan as the person sees it: every item and where it stands, and the report."""

    run_id: str
    request: str
    bundle: str
    title: str
    lang: Language
    slots: dict[str, Any]
    status: RunStatus
    settled: bool
    items: list[ItemView]
    report: str

    def item(self, key: str) -> ItemView:
        return next(i for i in self.items if i.key == key)


__all__ = [
    "Bilingual", "Bundle", "BundleFile", "BundleItem", "BundleSlot", "ConciergePlan", "Cues", "ItemStatus",
    "ItemView", "Language", "PlanItem", "PlanView", "Reading", "SETTLED", "SOURCES", "Source",
]
