"""The offline brain: request understanding plus playbooks — no model, no network.

Every call is a pure function of the run's context, so a run resumed in another process
plans exactly as it would have in the first:

1. **Reading the run.** The request is understood (intent, slots, language); then, in
   order, each answer the person gave and each reason they gave when rejecting an action
   refines it. An answer to a question about one slot is read as that slot (an option of
   the question, a choice word, or the understanding's parser for that slot); a reason or
   an answer to "what should I change?" is understood in the context of what came before.
2. **Scope.** Out-of-scope requests get a plain refusal; a request for another domain
   than this agent's names the agent that handles it; an unclear request gets one
   question.
3. **The playbook** for the intent (see :mod:`agents.playbooks`) says what is missing
   (one question, in the person's language), and what to do next.

The request's language wins over the profile's preferred language. The date "today"
is fixed for the whole run on its first step (``ctx.today``, else the sandbox clock
``ERRAND_SANDBOX_NOW``, else the date in China) and kept in the run's notes; so is the
person's memory (:mod:`agents.memory` — departures they avoid, merchants they prefer or
refuse), which playbooks read as ``memory.*``: a resumed run plans with the memory it started
with, whatever was learned since.

A run may come **prepared**: its notes hold ``prepared: {intent, slots}`` (see
:class:`PreparedErrand`), set by whoever started it already knowing the errand — a trigger's
proposal (:mod:`agents.triggers`). The request text is then only read for its language and
shown to the person; the intent and slots are taken as given. Intents that only ever come
prepared (rebooking a disrupted departure) have their playbooks in ``agents/triggers/playbooks``.

A rejection that **dismisses** a proposal (``Reject(dismiss=True)``) ends the run: nothing else
is proposed in it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Protocol

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from agents.brains.base import Plan, PlanContext, ProposedCall
from agents.memory.model import empty_view
from agents.models import ActionStatus
from agents.playbooks import (
    Ask,
    Engine,
    Fail,
    Finish,
    Option,
    Playbook,
    PlaybookSet,
    Propose,
    Refinement,
    Situation,
    choice_in_text,
    coerce,
    load_playbooks,
)
from agents.playbooks.engine import REFINE_SLOT
from agents.playbooks.matching import ReferenceMatcher, match_option
from agents.understanding.model import INTENTS, Understanding, intent_domain
from tools.model import Effect, tool_meta

NOTES_KEY = "offline"
PREPARED_NOTE = "prepared"
PREPARED_PLAYBOOKS = Path(__file__).resolve().parents[1] / "triggers" / "playbooks"
INTENT_SLOT = "intent"
MIN_CONFIDENCE = 0.5
MAX_UNCLEAR_ANSWERS = 2
CHINA = timezone(timedelta(hours=8))

DOMAIN_NAMES = {"gov": {"en": "government-services", "zh": "政务服务"},
                "shop": {"en": "shopping", "zh": "购物"},
                "travel": {"en": "travel", "zh": "出行"}}

TEXT: dict[str, dict[str, str]] = {
    "out_of_scope": {
        "en": "Sorry, that is not something I can do. I run errands: government services (which services a life "
              "event needs, requirements, eligibility, appointments, applications), shopping (find, buy, cancel, "
              "return, track orders) and travel (trains, flights, hotels, bookings).",
        "zh": "抱歉，这件事我办不了。我能帮您跑腿办事：政务服务（一件事要办哪些服务、办理要求、资格核对、预约、申请），"
              "购物（找商品、下单、取消、退货、查物流）和出行（火车、机票、酒店、预订管理）。"},
    "other_agent": {
        "en": "That is a {domain} errand, which the {agent} agent handles: errand run \"{request}\" --agent {agent}",
        "zh": "这是{domain}方面的事，请交给 {agent} 助手办理：errand run \"{request}\" --agent {agent}"},
    "no_playbook": {"en": "I know what you mean ({intent}) but I have no playbook for it on this agent.",
                    "zh": "我明白您的意思（{intent}），但这个助手没有相应的办事流程。"},
    "unclear": {"en": "What would you like me to do? For example: book a train, buy something, or check what a "
                      "government service needs.",
                "zh": "您想让我办什么事？比如订火车票、买东西，或者查询某项政务服务的办理要求。"},
    "which_intent": {"en": "Do you want me to: {options}?", "zh": "您是想：{options}？"},
    "still_unclear": {"en": "I could not work out what you would like me to do, so I did nothing.",
                      "zh": "我没能弄明白您想办什么，所以没有做任何操作。"},
    "not_understood": {"en": "Sorry, I did not understand that. ", "zh": "抱歉，我没听懂。"},
    "gave_up": {"en": "I could not understand the answer about {slot}, so I stopped; nothing was done.",
                "zh": "我没能理解关于“{slot}”的回答，所以停下了，没有做任何操作。"},
    "or": {"en": " or ", "zh": "，还是"},
    "comma": {"en": ", ", "zh": "，还是"},
    "stopped": {"en": "Stopped: {status}.", "zh": "已停止：{status}。"},
    "receipts": {"en": "Done so far:", "zh": "已完成："},
    "dismissed": {"en": "Dismissed: I will not do this, and I will not propose it again for the same reason.",
                  "zh": "已忽略：这件事我不会办，也不会因为同一件事再次提议。"},
}


def say(key: str, lang: str, **values: Any) -> str:
    table = TEXT[key]
    return (table.get(lang) or table["en"]).format(**values)


class UnderstandFn(Protocol):
    def __call__(self, text: str, *, today: date, domains: Any = None,
                 context: Understanding | None = None) -> Understanding: ...


ParseSlotFn = Callable[..., Any]


class _Memory(BaseModel):
    """What the brain keeps in the run's notes between steps."""

    today: str
    options: dict[str, list[tuple[str, str]]] = {}
    learned: dict[str, Any] = {}  # the person's memory (agents.memory.PlannerView) when the run started


class PreparedErrand(BaseModel):
    """An errand already understood by whoever started the run (a trigger): the intent and
    the playbook's slots, in their normalised forms. Kept in the run's notes under ``prepared``."""

    model_config = ConfigDict(extra="forbid")

    intent: str = Field(pattern=r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
    slots: dict[str, Any] = Field(default_factory=dict)
    source: str = Field(default="", description="Who prepared it, e.g. 'trigger:flight-disrupted'")

    @classmethod
    def from_notes(cls, notes: dict[str, Any]) -> "PreparedErrand | None":
        stored = notes.get(PREPARED_NOTE)
        return cls.model_validate(stored) if stored else None


@dataclass
class Reading:
    """The run as the brain reads it: the understanding refined by answers and reasons."""

    understanding: Understanding
    intent: str | None
    lang: str
    slots: dict[str, Any]
    texts: list[str]
    refinements: list[Refinement] = field(default_factory=list)
    unclear: dict[str, int] = field(default_factory=dict)


def _sandbox_today() -> str:
    """Today in China: the sandbox clock when ``ERRAND_SANDBOX_NOW`` pins it, else the real one."""
    pinned = os.environ.get("ERRAND_SANDBOX_NOW")
    moment = datetime.fromisoformat(pinned) if pinned else datetime.now(CHINA)
    return (moment.astimezone(CHINA) if moment.tzinfo else moment).date().isoformat()


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, BaseTool]:
    """Every installed tool (bound to placeholder services), to check playbooks against."""
    from tools.registry import default_registry
    from tools.services import Services

    placeholder = Services({d: f"http://{d}.playbook-check.invalid" for d in ("gov", "shop", "travel")})
    return {t.name: t for t in default_registry(services=placeholder)}


@lru_cache(maxsize=1)
def _installed_playbooks() -> PlaybookSet:
    # errand's playbooks, installed ones, and those of intents that only come prepared (triggers)
    return load_playbooks(PREPARED_PLAYBOOKS, tools=_catalogue(), home=False)


def shipped_playbooks() -> PlaybookSet:
    """errand's playbooks, installed ones (entry points) and the person's own in
    ``ERRAND_HOME/playbooks``, checked against every installed tool. The first two are read
    once per process; the person's own directory is read each time, so edits show at once."""
    found = PlaybookSet(dict(_installed_playbooks().playbooks))
    found.add(load_playbooks(tools=_catalogue(), shipped=False, plugins=False))
    return found


class OfflineBrain:
    """The embedded default brain for an agent: understands, asks, plans from playbooks."""

    name = "offline"

    def __init__(self, agent_name: str = "errand", *, playbooks: PlaybookSet | None = None,
                 understand: UnderstandFn | None = None, parse_slot: ParseSlotFn | None = None) -> None:
        self.agent = agent_name
        # loaded now, so a broken playbook file is reported (file, line) before any run starts
        self.playbooks = playbooks if playbooks is not None else shipped_playbooks()
        self._understand = understand
        self._parse_slot = parse_slot

    # -- collaborators ------------------------------------------------------------------------

    def _understanding(self) -> tuple[UnderstandFn, ParseSlotFn]:
        if self._understand is None or self._parse_slot is None:
            try:
                from agents.understanding import parse_slot, understand
            except ImportError as exc:
                raise RuntimeError(f"request understanding is not available: {exc}") from None
            self._understand = self._understand or understand
            self._parse_slot = self._parse_slot or parse_slot
        assert self._understand is not None and self._parse_slot is not None
        return self._understand, self._parse_slot

    # -- reading the run ----------------------------------------------------------------------

    @staticmethod
    def _memory(ctx: PlanContext) -> _Memory:
        stored = ctx.notes.get(NOTES_KEY)
        if stored:
            return _Memory.model_validate(stored)
        from agents.memory import planner_view

        return _Memory(today=(ctx.today or _sandbox_today())[:10], learned=planner_view().as_root())

    def read(self, ctx: PlanContext, memory: _Memory) -> Reading:
        """Fold the request, the answers and the rejection reasons into one reading."""
        understand, parse_slot = self._understanding()
        today = date.fromisoformat(memory.today)
        first = understand(ctx.request, today=today)
        prepared = PreparedErrand.from_notes(ctx.notes)
        if prepared is not None:  # the errand is known: the request is read for its language only
            first = first.model_copy(update={"intent": prepared.intent, "slots": dict(prepared.slots),
                                             "confidence": 1.0, "alternatives": [], "notes": []})
        lang = first.language if re.search(r"[A-Za-z\u4e00-\u9fff]", ctx.request) else \
            ((ctx.user.get("preferences") or {}).get("language") or first.language)
        reading = Reading(first, first.intent, lang, dict(first.slots), [ctx.request])
        events: list[tuple[int, int, int, Any]] = []
        for i, action in enumerate(ctx.actions):
            reason = ((action.human or {}).get("reason") or "").strip()
            if action.status is ActionStatus.REJECTED and reason:
                events.append((action.step, 0, i, action))
        for i, turn in enumerate(ctx.turns):
            events.append((turn.step, 1, i, turn))
        for step, kind, _, event in sorted(events, key=lambda e: e[:3]):
            if kind == 0:
                changed = self._refine(reading, event.human["reason"], today)
                reading.refinements.append(Refinement(step, changed, "reason"))
            elif event.slot == REFINE_SLOT:
                changed = self._refine(reading, event.answer, today)
                reading.refinements.append(Refinement(step, changed, "answer"))
            else:
                self._answer(reading, event.slot, event.answer, memory, today, parse_slot)
        return reading

    def _context(self, reading: Reading) -> Understanding:
        return reading.understanding.model_copy(update={"intent": reading.intent, "slots": dict(reading.slots)})

    def _refine(self, reading: Reading, text: str, today: date) -> bool:
        """Apply something the person said to change the errand; True when a slot changed."""
        understand, _ = self._understanding()
        update = understand(text, today=today, context=self._context(reading))
        reading.texts.append(text)
        changes = {k: v for k, v in update.slots.items() if v is not None and reading.slots.get(k) != v}
        reading.slots.update(changes)
        book = self.playbooks.get(reading.intent)
        choice_changed = False
        for name, slot in (book.slots.items() if book else ()):
            if slot.type == "choice" and (picked := choice_in_text(slot, text)) and reading.slots.get(name) != picked:
                reading.slots[name] = picked
                choice_changed = True
        return bool(changes) or choice_changed

    def _answer(self, reading: Reading, slot_name: str | None, answer: str, memory: _Memory, today: date,
                parse_slot: ParseSlotFn) -> None:
        """Read an answer to the question about ``slot_name``."""
        reading.texts.append(answer)
        options = memory.options.get(slot_name or "", [])
        ordinal = _safe(parse_slot, "ordinal", answer, today)
        picked = match_option(answer, options, ordinal if isinstance(ordinal, int) else None)
        if slot_name == INTENT_SLOT:
            if picked is None:
                understand, _ = self._understanding()
                fresh = understand(answer, today=today)
                if fresh.intent:
                    picked = fresh.intent
                    reading.slots.update({k: v for k, v in fresh.slots.items() if v is not None})
            if picked is None:
                reading.unclear[INTENT_SLOT] = reading.unclear.get(INTENT_SLOT, 0) + 1
            else:
                reading.intent = picked
            return
        if slot_name is None:
            return
        if options and picked is None:  # a choice among options: anything else is asked again
            reading.unclear[slot_name] = reading.unclear.get(slot_name, 0) + 1
            return
        value = picked if picked is not None else self._slot_value(reading, slot_name, answer, today, parse_slot)
        if value is None:
            reading.unclear[slot_name] = reading.unclear.get(slot_name, 0) + 1
        else:
            reading.slots[slot_name] = value

    def _slot_value(self, reading: Reading, slot_name: str, answer: str, today: date,
                    parse_slot: ParseSlotFn) -> Any:
        book = self.playbooks.get(reading.intent)
        slot = book.slots.get(slot_name) if book else None
        if slot is not None and slot.type == "choice":
            return choice_in_text(slot, answer)
        value = _safe(parse_slot, slot_name, answer, today)
        if value is None:
            for alias in (slot.aliases if slot else []):
                value = _safe(parse_slot, alias, answer, today)
                if value is not None:
                    break
        if value is None:
            understand, _ = self._understanding()
            update = understand(answer, today=today, context=self._context(reading))
            value = update.slots.get(slot_name)
        if value is None and slot is not None and slot.type in ("text", "reference"):
            value = answer.strip()
        return coerce(slot, value) if slot is not None else value

    # -- deciding -----------------------------------------------------------------------------

    def _domains(self, ctx: PlanContext) -> set[str]:
        return {m.domain for t in ctx.tools if (m := tool_meta(t)) is not None and m.domain}

    def _scope(self, ctx: PlanContext, reading: Reading, memory: _Memory) -> tuple[Plan | None, Playbook | None]:
        """A plan that ends or redirects the run before any playbook runs, or the playbook to run."""
        lang = reading.lang
        if reading.intent == "out_of_scope":
            return Plan.finish(say("out_of_scope", lang)), None
        domains = self._domains(ctx)
        unsure = reading.intent is not None and reading.understanding.confidence < MIN_CONFIDENCE and \
            INTENT_SLOT not in {t.slot for t in ctx.turns}
        if reading.intent is None or unsure:
            if reading.unclear.get(INTENT_SLOT, 0) >= 1:
                return Plan.finish(say("still_unclear", lang)), None
            return self._ask_intent(reading, domains, memory), None
        domain = intent_domain(reading.intent)
        if domain is not None and domain not in domains:
            agent = domain if self.agent != domain else "errand"
            return Plan.finish(say("other_agent", lang, domain=DOMAIN_NAMES[domain][lang], agent=agent,
                                   request=ctx.request)), None
        book = self.playbooks.get(reading.intent)
        available = {t.name for t in ctx.tools}
        if book is None or not set(book.tools) <= available:
            return Plan.finish(say("no_playbook", lang, intent=INTENTS.get(reading.intent, reading.intent))), None
        return None, book

    def _ask_intent(self, reading: Reading, domains: set[str], memory: _Memory) -> Plan:
        lang = reading.lang
        candidates = [i for i in [reading.intent, *reading.understanding.alternatives]
                      if i and self.playbooks.get(i) and intent_domain(i) in domains]
        options = [(self.playbooks.get(i).title.get(lang), i) for i in dict.fromkeys(candidates)]  # type: ignore[union-attr]
        if not options:
            return self._question(Ask(say("unclear", lang), INTENT_SLOT), memory)
        labels = [label[:1].lower() + label[1:] if lang == "en" else label for label, _ in options]
        listed = labels[0] if len(labels) == 1 else \
            say("comma", lang).join(labels[:-1]) + say("or", lang) + labels[-1]
        text = say("which_intent", lang, options=listed)
        return self._question(Ask(text, INTENT_SLOT, tuple(Option(label, value) for label, value in options)), memory)

    def _situation(self, ctx: PlanContext, reading: Reading, memory: _Memory) -> Situation:
        _, parse_slot = self._understanding()
        today = date.fromisoformat(memory.today)

        def canonical_terms(phrase: str) -> list[str]:
            city = _safe(parse_slot, "city", phrase, today)
            return [city] if isinstance(city, str) else []

        return Situation(
            lang=reading.lang, today=memory.today, user=ctx.user, request=reading.slots, actions=ctx.actions,
            texts=reading.texts, refinements=reading.refinements, matcher=ReferenceMatcher(canonical_terms),
            effects={t.name: (m.effect.value if (m := tool_meta(t)) else Effect.WRITE.value) for t in ctx.tools},
            required_args={t.name: _required_args(t) for t in ctx.tools},
            memory=memory.learned or empty_view())

    def _question(self, ask: Ask, memory: _Memory, prefix: str = "") -> Plan:
        options = dict(memory.options)
        if ask.slot and ask.options:
            options[ask.slot] = [(o.label, o.value) for o in ask.options]
        memory = memory.model_copy(update={"options": options})
        return Plan.ask(prefix + ask.text, slot=ask.slot, choices=[o.label for o in ask.options],
                        notes={NOTES_KEY: memory.model_dump(mode="json")})

    def _decide(self, ctx: PlanContext, *, planning: bool) -> Plan | None:
        memory = self._memory(ctx)
        notes = {NOTES_KEY: memory.model_dump(mode="json")}
        reading = self.read(ctx, memory)
        if any((a.human or {}).get("dismiss") for a in ctx.actions):
            return Plan.finish(say("dismissed", reading.lang), notes=notes)
        early, book = self._scope(ctx, reading, memory)
        if early is not None:
            return early.model_copy(update={"notes": {**notes, **early.notes}})
        assert book is not None
        engine = Engine(book, self._situation(ctx, reading, memory))
        move = engine.next_move() if planning else engine.progress()[2]
        if isinstance(move, Ask) and move.slot is not None and move.slot in reading.unclear:
            if reading.unclear[move.slot] >= MAX_UNCLEAR_ANSWERS:
                return Plan.fail(say("gave_up", reading.lang, slot=move.slot), notes=notes)
            return self._question(move, memory, say("not_understood", reading.lang))
        if isinstance(move, Ask):
            return self._question(move, memory)
        if not planning:
            return None  # nothing to ask before planning: the graph goes on to plan
        if isinstance(move, Propose):
            call = ProposedCall(tool=move.tool, args=move.args, rationale=move.rationale, call_id=move.call_id)
            return Plan.act(call, notes=notes)
        if isinstance(move, Fail):
            return Plan.fail(move.text, notes=notes)
        assert isinstance(move, Finish)
        return Plan.finish(move.text, notes=notes)

    # -- the Brain protocol -------------------------------------------------------------------

    def understand(self, ctx: PlanContext) -> Plan | None:
        """Refuse, redirect or ask one question before planning; None to go on."""
        try:
            return self._decide(ctx, planning=False)
        except Exception as exc:  # noqa: BLE001 - like the plan node: a broken reading fails the run, clearly
            return Plan.fail(f"I could not read the request: {type(exc).__name__}: {exc}")

    def plan(self, ctx: PlanContext) -> Plan:
        """The next step of the playbook (or a question, or the end)."""
        plan = self._decide(ctx, planning=True)
        assert plan is not None
        return plan

    def respond(self, ctx: PlanContext, status: str) -> str:
        """The final summary, with the receipts of what was done, in the person's language."""
        memory = self._memory(ctx)
        reading = self.read(ctx, memory)
        book = self.playbooks.get(reading.intent)
        if book is not None:
            engine = Engine(book, self._situation(ctx, reading, memory))
            move = engine.next_move()
            if isinstance(move, Finish) and move.complete:
                return engine.report()
        lines = [say("stopped", reading.lang, status=status)]
        done = [a for a in ctx.actions if a.status is ActionStatus.EXECUTED and a.effect != Effect.READ.value]
        if done:
            lines.append(say("receipts", reading.lang))
            lines += [f"- {_receipt(a.tool, (a.result or {}).get('output'))}" for a in done]
        return "\n".join(lines)


def _safe(parse_slot: ParseSlotFn, slot: str, text: str, today: date) -> Any:
    """The understanding's parser for one slot; a slot it does not know reads as nothing."""
    try:
        return parse_slot(slot, text, today=today)
    except (KeyError, ValueError):
        return None


def _required_args(tool: BaseTool) -> frozenset[str]:
    schema = tool.args_schema
    if isinstance(schema, type) and issubclass(schema, BaseModel):
        return frozenset(n for n, f in schema.model_fields.items() if f.is_required())
    return frozenset()


RECEIPT_KEYS = ("id", "reference", "status", "date", "time", "price", "total", "fee", "refund", "refund_amount")


def _receipt(tool: str, output: Any) -> str:
    if not isinstance(output, dict):
        return tool
    parts = [f"{k} {output[k]}" for k in RECEIPT_KEYS if output.get(k) not in (None, "")]
    return f"{tool}: " + ", ".join(parts)


__all__ = ["PREPARED_NOTE", "OfflineBrain", "PreparedErrand", "Reading", "shipped_playbooks"]
