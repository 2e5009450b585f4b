"""From a reading to a plan: which bundle, every slot bound, every item rendered.

:func:`bind` folds the person's answers into the planner's reading (a pure function of
the request, the reading and the answers, so a resumed run binds exactly as before): the
bundle (asked when unclear), then each slot — from the request, an answer, or its
default — and the first required slot still missing becomes one question, in the
request's language.

:func:`make_plan` renders the bundle for the bound slots: items whose ``when`` does not hold
are left out (and so are ``after`` links to them); each item's request to its domain agent
and its title are rendered in the person's language; each gets a child run id derived from
the plan's run id and its key, so however often, and from wherever, the plan is carried
on, an item is started at most once. With ``check`` (the domain agents plan offline), each
item's request is read by the understanding as its domain agent will read it, and an item
that would be misread is stopped with the reason instead of doing something else.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from agents.concierge.loader import BundleSet
from agents.concierge.model import Bilingual, Bundle, BundleItem, ConciergePlan, Language, PlanItem, Reading
from agents.concierge.reading import detector, localised, normalise, parse_answer, slots_from_text
from agents.playbooks.expr import Env, ExprError, plain, text_of
from agents.playbooks.matching import match_option
from agents.playbooks.model import expression, template
from agents.understanding.model import intent_domain

BUNDLE_SLOT = "life_event"
MAX_UNCLEAR_ANSWERS = 2

TEXT: dict[str, dict[str, str]] = {
    "which": {"en": "Which of these is happening: {options}?", "zh": "您遇到的是哪件事：{options}？"},
    "which_open": {"en": "What is happening? I can take care of a whole life event in one plan: {options}.",
                   "zh": "您遇到的是哪件事？这些事我都可以一次帮您规划办好：{options}。"},
    "no_event": {"en": "I could not tell which life event this is about, so I did nothing. I can plan: {options}.",
                 "zh": "我没能判断您说的是哪件事，所以没有做任何操作。我可以一次办好：{options}。"},
    "not_understood": {"en": "Sorry, I did not understand that. ", "zh": "抱歉，我没听懂。"},
    "gave_up": {"en": "I could not understand the answer about {slot}, so I stopped; nothing was done.",
                "zh": "我没能理解关于“{slot}”的回答，所以停下了，没有做任何操作。"},
    "or": {"en": " or ", "zh": "，还是"},
    "comma": {"en": ", ", "zh": "，"},
    "misread": {"en": "not started: the {agent} agent would read “{task}” as {got}, not as {want}; the bundle "
                      "{source} needs fixing",
                "zh": "未开始：{agent} 助手会把“{task}”理解为 {got}，而不是 {want}；需要修改事项包 {source}"},
}


def say(key: str, lang: Language, **values: Any) -> str:
    return TEXT[key][lang].format(**values)


@dataclass(frozen=True)
class Question:
    """One question for the person: its words, the slot the answer fills, and the options offered."""

    text: str
    slot: str
    options: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Binding:
    """What binding found: a bundle with every slot it could fill, and a question or a failure."""

    bundle: Bundle | None
    slots: dict[str, Any]
    question: Question | None = None
    failure: str | None = None


def _listed(labels: list[str], lang: Language) -> str:
    if len(labels) <= 1:
        return "".join(labels)
    return say("comma", lang).join(labels[:-1]) + say("or", lang) + labels[-1]


def _bundle_question(bundles: BundleSet, candidates: list[str], lang: Language) -> Question:
    ids = [c for c in candidates if bundles.get(c)] or bundles.ids
    options = tuple((bundles.bundles[i].name.get(lang), i) for i in ids)
    labels = [label[:1].lower() + label[1:] if lang == "en" else label for label, _ in options]
    key = "which" if len(ids) < len(bundles) else "which_open"
    return Question(say(key, lang, options=_listed(labels, lang)), BUNDLE_SLOT, options)


def template_env(bundle: Bundle, slots: dict[str, Any], lang: Language, user: dict[str, Any], today: str) -> Env:
    """What a bundle's templates see (see :data:`agents.concierge.loader.ROOTS`)."""
    return Env({"slots": slots, "local": localised(bundle, slots, lang), "user": user, "today": today, "lang": lang})


def render(text: Bilingual, lang: Language, env: Env) -> str:
    return text_of(template(text.get(lang)).render(env))


def _default(bundle: Bundle, name: str, slots: dict[str, Any], lang: Language, user: dict[str, Any],
             today: str) -> Any:
    default = bundle.slots[name].default
    if isinstance(default, str) and "${" in default:
        try:
            return plain(template(default).render(template_env(bundle, slots, lang, user, today)))
        except ExprError:
            return None
    return default


def bind(reading: Reading, turns: list[dict[str, Any]], *, bundles: BundleSet, request: str,
         user: dict[str, Any], today: date) -> Binding:
    """The bundle and its slots from the reading and the answers so far (see the module docstring)."""
    lang = reading.lang
    bundle_id = reading.bundle
    extra_text: list[str] = []
    unclear: dict[str, int] = {}
    for turn in turns:
        if turn.get("slot") != BUNDLE_SLOT:
            continue
        options = [(str(label), str(value)) for label, value in turn.get("options") or []]
        picked = match_option(turn["answer"], options)
        if picked is None:
            picked = detector(bundles).detect(turn["answer"])[0]
        if picked is None:
            unclear[BUNDLE_SLOT] = unclear.get(BUNDLE_SLOT, 0) + 1
        else:
            bundle_id = picked
            extra_text.append(turn["answer"])
    bundle = bundles.get(bundle_id)
    if bundle is None:
        names = _listed([b.name.get(lang) for b in bundles], lang)
        if unclear.get(BUNDLE_SLOT, 0) >= 1:
            return Binding(None, {}, failure=say("no_event", lang, options=names))
        return Binding(None, {}, question=_bundle_question(bundles, reading.candidates, lang))

    slots = dict(reading.slots) if bundle_id == reading.bundle else slots_from_text(bundle, request, today)
    for text in extra_text:  # an answer naming the life event may also say where or when
        slots.update({k: v for k, v in slots_from_text(bundle, text, today).items() if k not in slots})
    for turn in turns:
        slot = bundle.slots.get(turn.get("slot") or "")
        if slot is None:
            continue
        value = parse_answer(slot, turn["answer"], today)
        if value is None:
            unclear[turn["slot"]] = unclear.get(turn["slot"], 0) + 1
        else:
            slots[turn["slot"]] = value
    for name, slot in bundle.slots.items():
        if slots.get(name) is None:
            value = normalise(slot, _default(bundle, name, slots, lang, user, today.isoformat()))
            if value is not None:
                slots[name] = value
    for name, slot in bundle.slots.items():
        if slot.required and slots.get(name) is None:
            assert slot.ask is not None  # a required slot has a question (checked when the bundle loads)
            if unclear.get(name, 0) >= MAX_UNCLEAR_ANSWERS:
                return Binding(bundle, slots, failure=say("gave_up", lang, slot=name))
            prefix = say("not_understood", lang) if unclear.get(name) else ""
            choices = tuple((c.label.get(lang), key) for key, c in slot.choices.items())
            return Binding(bundle, slots, question=Question(prefix + slot.ask.get(lang), name, choices))
    return Binding(bundle, slots)


def child_run_id(parent_id: str, key: str) -> str:
    """An item's run id: derived, so starting an item twice is refused by the run index."""
    return hashlib.sha256(f"{parent_id}|{key}".encode()).hexdigest()[:16]


def _included(item: BundleItem, env: Env) -> bool:
    if item.when is None:
        return True
    try:
        return bool(expression(item.when)(env))
    except ExprError:
        return False


def misreading(item: BundleItem, task: str, env: Env, lang: Language, source: str, today: date) -> str | None:
    """Why the item's domain agent would misread ``task`` (offline understanding), or None."""
    if item.intent is None:
        return None
    from agents.brains.offline import MIN_CONFIDENCE  # below it the offline brain asks what was meant
    from agents.understanding import understand

    domain = intent_domain(item.intent)
    reading = understand(task, today=today, domains=[domain] if domain else None)
    expected = {k: text_of(plain(template(v).render(env))) if isinstance(v, str) else text_of(v)
                for k, v in item.expect.items()}
    got = {k: text_of(reading.slots.get(k)) for k in expected}
    if reading.intent == item.intent and got == expected and reading.confidence >= MIN_CONFIDENCE:
        return None
    shown = f"{reading.intent} {got}" if expected else str(reading.intent)
    want = f"{item.intent} {expected}" if expected else item.intent
    return say("misread", lang, agent=item.agent, task=task, got=shown, want=want, source=source or "?")


def make_plan(bundle: Bundle, slots: dict[str, Any], lang: Language, *, user: dict[str, Any], today: date,
              run_id: str, check: bool) -> ConciergePlan:
    """The plan for the bound slots (see the module docstring)."""
    env = template_env(bundle, slots, lang, user, today.isoformat())
    chosen = [item for item in bundle.items if _included(item, env)]
    keys = {item.key for item in chosen}
    items: list[PlanItem] = []
    for item in chosen:
        task = render(item.task, lang, env)
        problem = misreading(item, task, env, lang, bundle.source, today) if check else None
        items.append(PlanItem(key=item.key, agent=item.agent, title=render(item.title, lang, env), task=task,
                              intent=item.intent, optional=item.optional,
                              after=[d for d in item.after if d in keys], run_id=child_run_id(run_id, item.key),
                              problem=problem))
    return ConciergePlan(bundle=bundle.id, title=render(bundle.title, lang, env), lang=lang, slots=slots, items=items)


__all__ = ["BUNDLE_SLOT", "Binding", "Question", "bind", "child_run_id", "make_plan", "misreading", "render",
           "template_env"]
