"""Planners: read a life-event request into a :class:`~agents.concierge.model.Reading` —
which bundle, and the details the request states.

- :class:`OfflinePlanner` (no model): bundle phrases and the understanding's typed values,
  see :mod:`agents.concierge.reading`.
- :class:`LLMPlanner`: a tool-calling chat model is shown the bundles and their details and
  calls ``read_life_event``; its answer is checked (known bundle, known details, values that
  fit their types) and fed back when wrong. A model that keeps answering wrongly does not
  stop the errand: the offline reading is used and the reading's note says why.

Either way the reading only fills what the request says. Answers to questions, defaults and
the plan itself are the same for every planner (:mod:`agents.concierge.planning`).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any, Protocol

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from pydantic import BaseModel, Field

from agents.concierge.loader import BundleSet
from agents.concierge.model import Language, Reading
from agents.concierge.reading import detector, normalise, request_language, slots_from_text

NONE = "none"


class Planner(Protocol):
    """Reads a request; called once per concierge run, on its first step."""

    name: str

    def read(self, request: str, *, user: dict[str, Any], today: date, bundles: BundleSet) -> Reading: ...


class OfflinePlanner:
    name = "offline"

    def read(self, request: str, *, user: dict[str, Any], today: date, bundles: BundleSet) -> Reading:
        lang = request_language(request, user)
        bundle_id, candidates = detector(bundles).detect(request)
        bundle = bundles.get(bundle_id)
        slots = slots_from_text(bundle, request, today) if bundle is not None else {}
        return Reading(bundle=bundle_id, slots=slots, lang=lang, candidates=candidates)


class ReadLifeEvent(BaseModel):
    """Record which life-event bundle the person's request is about and the details it states.
    Call it exactly once. Leave out details the request does not state; do not guess them."""

    bundle: str = Field(description="The id of the bundle that fits the request, or 'none' if none does")
    details: dict[str, Any] = Field(default_factory=dict, description=(
        "Details the request states, by the names listed for that bundle: cities as English names, "
        "dates as YYYY-MM-DD, counts as whole numbers, choices as one of the listed values"))


class LLMPlanner:
    """Reads the request with a chat model (see the module docstring)."""

    name = "llm"

    def __init__(self, model: BaseChatModel | str, *, base_url: str | None = None, max_retries: int = 2) -> None:
        from agents.brains.llm import chat_model_from_spec

        self.model = chat_model_from_spec(model, base_url=base_url) if isinstance(model, str) else model
        self.max_retries = max_retries

    @staticmethod
    def system_prompt(bundles: BundleSet, user: dict[str, Any], today: date) -> str:
        lines = ["You are errand's concierge. A person describes a life event (moving city, a new baby, a "
                 "wedding …); errand turns it into one plan of errands across government services, travel and "
                 "shopping. Decide which bundle below the request is about and which of its details the request "
                 "states, then call read_life_event once. Everything consequential is approved by the person "
                 "later, one item at a time.",
                 f"Today is {today.isoformat()}. The person's home city is {user.get('home_city') or 'unknown'}.",
                 "Bundles:"]
        for bundle in bundles:
            lines.append(f"- {bundle.id}: {bundle.name.en}")
            for name, slot in bundle.slots.items():
                kind = f"one of {', '.join(slot.choices)}" if slot.type == "choice" else slot.type
                lines.append(f"    {name} ({kind}){': ' + slot.about if slot.about else ''}")
        return "\n".join(lines)

    def read(self, request: str, *, user: dict[str, Any], today: date, bundles: BundleSet) -> Reading:
        lang = request_language(request, user)
        messages: list[BaseMessage] = [SystemMessage(self.system_prompt(bundles, user, today)), HumanMessage(request)]
        model = self.model.bind_tools([ReadLifeEvent])
        problems: list[str] = []
        for _ in range(self.max_retries + 1):
            reply = model.invoke(messages)
            if not isinstance(reply, AIMessage):
                reply = AIMessage(content=str(getattr(reply, "content", reply)))
            reading, problems = self._reading(reply, bundles, lang)
            if reading is not None:
                return reading
            call_ids = [c["id"] for c in reply.tool_calls] or ["read_life_event"]
            feedback = "ERROR: " + "; ".join(problems) + ". Call read_life_event again, correctly."
            messages += [reply, *[ToolMessage(feedback, tool_call_id=i or "read_life_event") for i in call_ids]]
        fallback = OfflinePlanner().read(request, user=user, today=today, bundles=bundles)
        return fallback.model_copy(update={"note": "read offline: the model's reading was unusable ("
                                                   + "; ".join(problems) + ")"})

    @staticmethod
    def _reading(reply: AIMessage, bundles: BundleSet, lang: Language) -> tuple[Reading | None, list[str]]:
        calls = [c for c in reply.tool_calls if c["name"] == "read_life_event"]
        if len(calls) != 1:
            return None, [f"call read_life_event exactly once (got {len(calls)} call(s)"
                          + (f" of {', '.join(c['name'] for c in reply.tool_calls)}" if reply.tool_calls else "")
                          + ")"]
        args = calls[0]["args"]
        bundle_id = str(args.get("bundle") or "").strip()
        details = args.get("details") or {}
        if isinstance(details, str):
            try:
                details = json.loads(details)
            except ValueError:
                return None, ["details must be an object of name: value"]
        if bundle_id == NONE:
            return Reading(bundle=None, lang=lang, note="read by the model: no bundle fits"), []
        bundle = bundles.get(bundle_id)
        if bundle is None:
            return None, [f"unknown bundle {bundle_id!r}; use one of {', '.join(bundles.ids)} or 'none'"]
        if not isinstance(details, dict):
            return None, ["details must be an object of name: value"]
        problems: list[str] = []
        slots: dict[str, Any] = {}
        for name, value in details.items():
            slot = bundle.slots.get(name)
            if slot is None:
                problems.append(f"{bundle.id} has no detail {name!r} (it has: {', '.join(bundle.slots)})")
            elif value is not None and (normal := normalise(slot, value)) is None:
                problems.append(f"{name}: {value!r} is not a valid {slot.type}")
            elif value is not None:
                slots[name] = normal
        if problems:
            return None, problems
        return Reading(bundle=bundle.id, slots=slots, lang=lang, note="read by the model"), []


__all__ = ["LLMPlanner", "OfflinePlanner", "Planner", "ReadLifeEvent"]
