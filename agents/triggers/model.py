"""What a trigger is: a source to watch, a condition, an event key, and the errand to propose.

A trigger is data (YAML, see ``agents/triggers/*.yaml``) or the same model built in Python.
Each time the watcher looks, the trigger's **source** yields events (a booking with its
departure status, an order with its delays, a document with its expiry …); for every event
where ``when`` holds, the trigger's **key** names the event (``BK-000003:delayed``) and — the
first time that key is seen, ever — errand starts a run of ``agent`` on the prepared
``errand`` (intent + slots) with ``request`` as its words, which parks in the inbox as a
proposal the person approves, edits or dismisses.

Expressions are the playbooks' language (:mod:`agents.playbooks.expr`) over these roots:

=========  ===================================================================================
event      the event (its fields are listed by the source: see :mod:`agents.triggers.sources`)
params     the trigger's own ``params``
user       the person's profile
memory     what errand remembers of the person (:class:`agents.memory.PlannerView`)
today      today's date (ISO), from the sandbox clock
now        the current time (ISO, China time)
lang       the person's language (``en``/``zh``)
=========  ===================================================================================
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from agents.playbooks.expr import ExprError
from agents.playbooks.model import Condition, Text, Value, template

TriggerId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]*$", max_length=64)]
"""Lower-case words joined by '-': flight-disrupted, passport-expiring."""


def _template_with_expression(value: str) -> str:
    try:
        compiled = template(value)
    except ExprError as exc:
        raise ValueError(str(exc)) from None
    if not compiled.exprs:
        raise ValueError("the key must name the event with at least one ${...} (e.g. ${event.id}); "
                         "a constant key would fire once, ever")
    return value


EventKey = Annotated[str, AfterValidator(_template_with_expression)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ErrandSpec(_Strict):
    """The errand a trigger proposes: an intent with a playbook, and its slots, prepared."""

    intent: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    slots: dict[str, Value] = Field(default_factory=dict)


class Trigger(_Strict):
    """One trigger. Loaded triggers are checked against their source's event fields, their
    params, the profile, memory, the agents and the playbooks (see :mod:`agents.triggers.loader`)."""

    id: TriggerId
    title: Text
    source: str = Field(min_length=1, description="A registered source, e.g. travel.bookings")
    params: dict[str, Any] = Field(default_factory=dict)
    when: Condition = True
    key: EventKey = Field(description="Names the event, so it is proposed once: ${event.id}:${event.status}")
    agent: str = Field(default="errand", min_length=1)
    errand: ErrandSpec
    request: Text = Field(description="What the proposal says it will do, in the person's words")
    enabled: bool = True
    source_file: str = Field(default="", exclude=True, description="Where it was loaded from (set by the loader)")


class TriggerFile(_Strict):
    """A trigger file: ``triggers:`` and, optionally, ``shared:`` for YAML anchors reused below."""

    triggers: list[Trigger] = Field(min_length=1)
    shared: Any = None


__all__ = ["ErrandSpec", "EventKey", "Trigger", "TriggerFile", "TriggerId"]
