"""What errand remembers about the person: explicit entries, each with its evidence.

An entry is a preference learned from the person's own decisions (see :mod:`agents.memory.learn`):
"avoid departures between 22:00 and 06:00" after two rejected night departures, "prefers
merchant M004" after repeated approved orders there, "not merchant M007" after a rejection whose
reason says so, "no more birthday-gift proposals" after two dismissals. Every entry names the
decisions it came from, so the person can see *why* errand believes it, and can delete it.

Planners and triggers never read entries directly: they read the :class:`PlannerView` — the
few facts an errand can act on — as the ``memory`` root of playbook and trigger expressions.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

Kind = Literal["avoid_departures", "prefer_merchant", "avoid_merchant", "mute_trigger"]


class Window(BaseModel):
    """A time-of-day window, ``start`` inclusive, ``end`` exclusive; it wraps midnight when
    ``start`` is later than ``end`` (22:00–06:00 is the night)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: str
    end: str
    label_en: str
    label_zh: str

    @field_validator("start", "end")
    @classmethod
    def _hhmm(cls, value: str) -> str:
        if not HHMM.match(value):
            raise ValueError(f"{value!r} is not a 24-hour HH:MM time")
        return value

    def contains(self, hhmm: str) -> bool:
        if self.start <= self.end:
            return self.start <= hhmm < self.end
        return hhmm >= self.start or hhmm < self.end


# The parts of the day a person may turn down. Bands do not overlap, so one departure time
# is evidence about exactly one band; the most common complaint (red-eye flights) is "night".
BANDS: dict[str, Window] = {
    "night": Window(start="22:00", end="06:00", label_en="overnight (22:00–06:00)", label_zh="夜间（22:00–06:00）"),
    "early": Window(start="06:00", end="08:00", label_en="early morning (06:00–08:00)",
                    label_zh="清晨（06:00–08:00）"),
    "evening": Window(start="20:00", end="22:00", label_en="late evening (20:00–22:00)",
                      label_zh="晚间（20:00–22:00）"),
}


def band_of(hhmm: str | None) -> str | None:
    """The band a departure time falls in, or None for the daytime."""
    if not hhmm:
        return None
    return next((name for name, window in BANDS.items() if window.contains(hhmm)), None)


Decision = Literal["approved", "rejected", "dismissed"]


class Evidence(BaseModel):
    """One decision an entry was learned from."""

    ref: str = Field(description="The observation id (run:action:kind); forgetting an entry tombstones it")
    run_id: str
    action_id: str | None = None
    decision: Decision
    reason: str = Field(default="", description="What the person said when deciding, if anything")
    detail: str = Field(default="", description="What was decided on, e.g. 'flight CZ3363 departing 22:40'")
    stated: bool = Field(default=False, description="The reason itself states the preference")
    at: str = ""


class Statement(BaseModel):
    en: str
    zh: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class MemoryEntry(BaseModel):
    """One remembered preference: what it says, what it means to a planner, and why."""

    id: str = Field(description="Stable and readable: avoid-departures-night, prefer-merchant-M004, …")
    kind: Kind
    subject: str = Field(description="The band, merchant id or trigger id the entry is about")
    statement: Statement
    value: dict[str, Any] = Field(default_factory=dict)
    evidence: list[Evidence] = Field(default_factory=list)
    created_at: str
    updated_at: str


class PlannerView(BaseModel):
    """What planners and triggers may act on — the ``memory`` root of their expressions."""

    avoid_departures: list[Window] = Field(default_factory=list,
                                           description="Departure windows the person turns down")
    preferred_merchants: list[str] = Field(default_factory=list)
    avoided_merchants: list[str] = Field(default_factory=list)
    muted_triggers: list[str] = Field(default_factory=list,
                                      description="Triggers whose proposals the person keeps dismissing")

    def as_root(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


MEMORY_FIELDS = frozenset(PlannerView.model_fields)


def empty_view() -> dict[str, Any]:
    """The ``memory`` root when nothing is remembered (a fresh copy: expressions get their own)."""
    return PlannerView().as_root()


__all__ = ["BANDS", "Evidence", "MEMORY_FIELDS", "MemoryEntry", "PlannerView", "Statement",
           "Window", "band_of", "empty_view"]
