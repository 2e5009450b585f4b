"""Durations and spending windows: rolling ("the last 7 days") or calendar ("this month").

A rolling window of any length ends now; a calendar window starts at the beginning of the
current day, week (Monday), month or year in the policy's time zone, so "per day" means the
person's day, not UTC's.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo

from pydantic import BeforeValidator, PlainSerializer

_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "h": 3600, "hr": 3600, "d": 86400, "day": 86400,
          "w": 604800, "week": 604800}
_DURATION = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$")
CALENDAR = ("day", "week", "month", "year")


def parse_duration(value: Any) -> timedelta:
    """'90s', '10m', '24h', '7d', '2w', '3 days' or a number of seconds."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise ValueError("a duration cannot be negative")
        return timedelta(seconds=value)
    if isinstance(value, str):
        match = _DURATION.match(value.lower())
        if match and match[2] in _UNITS:
            return timedelta(seconds=int(match[1]) * _UNITS[match[2]])
    raise ValueError(f"{value!r} is not a duration (write e.g. '10m', '24h', '7d' or '2w')")


def describe_duration(value: timedelta) -> str:
    seconds = int(value.total_seconds())
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds and seconds % size == 0:
            n = seconds // size
            return f"{n} {unit}{'s' if n != 1 else ''}"
    return f"{seconds} seconds"


Duration = Annotated[timedelta, BeforeValidator(parse_duration),
                     PlainSerializer(lambda d: f"{int(d.total_seconds())}s", return_type=str)]


@dataclass(frozen=True, slots=True)
class Window:
    """A spending window: ``calendar`` (day/week/month/year) or ``rolling`` (a duration)."""

    kind: Literal["calendar", "rolling"]
    unit: str | None = None
    length: timedelta | None = None

    @classmethod
    def parse(cls, value: Any) -> "Window":
        """'day' / 'week' / 'month' / 'year' (calendar) or 'rolling 7d' / '24h' / '30d' (rolling)."""
        if isinstance(value, Window):
            return value
        if isinstance(value, str):
            text = value.strip().lower()
            for prefix in ("calendar ", "per ", "this "):
                text = text.removeprefix(prefix)
            if text in CALENDAR:
                return cls("calendar", unit=text)
            length = parse_duration(text.removeprefix("rolling ").removeprefix("last "))
            if length <= timedelta(0):
                raise ValueError("a rolling window must be longer than zero")
            return cls("rolling", length=length)
        raise ValueError(f"{value!r} is not a window (day, week, month, year, or a rolling duration like '7d')")

    def start(self, now: datetime, tz: ZoneInfo) -> datetime:
        """When the window that contains ``now`` began."""
        if self.kind == "rolling":
            assert self.length is not None
            return now - self.length
        local = now.astimezone(tz)
        midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
        if self.unit == "day":
            return midnight
        if self.unit == "week":
            return midnight - timedelta(days=local.weekday())
        if self.unit == "month":
            return midnight.replace(day=1)
        return midnight.replace(month=1, day=1)

    def phrase(self) -> str:
        """'today', 'this week', 'this month', 'this year', 'in the last 7 days'."""
        if self.kind == "calendar":
            return "today" if self.unit == "day" else f"this {self.unit}"
        assert self.length is not None
        return f"in the last {describe_duration(self.length).removeprefix('1 ')}"

    def canonical(self) -> str:
        return self.unit if self.kind == "calendar" else f"rolling {int(self.length.total_seconds())}s"  # type: ignore[union-attr]


WindowField = Annotated[Window, BeforeValidator(Window.parse), PlainSerializer(Window.canonical, return_type=str)]
