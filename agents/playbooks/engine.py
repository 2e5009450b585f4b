"""Running a playbook: from what the person said and what has happened so far, the next move.

The engine is a pure function of its :class:`Situation` — the slots the request and the
answers gave, the run's actions (proposed, approved, rejected, denied, executed, failed)
and the refinements the person made after a rejection. It keeps no state of its own, so
a run resumed in another process gets exactly the same next move.

Which actions belong to which step is carried in each action's ``call_id``
(``pb:<step>:<candidate key>``), which survives edits and resumption. The rules:

- a step that changes something (write, payment, irreversible) and has executed is done,
  whatever else changes later — the engine never proposes it twice;
- a read step is done when it executed with the arguments it would have now; when the
  person's refinements change its inputs (another date, another class) it runs again;
- a rejected or denied action is never proposed again (its exact arguments are blocked);
  after a rejection the engine proposes the next candidate once, then asks what to change;
  a refinement that changes nothing ends the errand; after a gate denial it stops;
- a candidate the service refused for a reason about that option (the step's ``next_on``
  error codes: sold out, price changed, slot taken) is skipped and the next one proposed,
  up to three times; any other error ends the errand with the service's explanation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import InvalidOperation
from typing import Any, Callable, Literal, Union

from agents.memory.model import empty_view
from agents.models import Action, ActionStatus, canonical_args_hash
from agents.playbooks.expr import Env, ExprError, Template, number, plain, sort_key, text_of
from agents.playbooks.model import Choose, Playbook, Rule, Slot, Step, Text, expression, template
from tools.model import Effect

CALL_PREFIX = "pb"
MAX_CONFLICT_RETRIES = 3
MAX_OPTIONS = 6
SEAT_CLASSES = ("economy", "business", "first", "second")
PREFERENCES = ("cheapest", "earliest", "latest", "fastest", "best_rated", "preferred_merchant", "fastest_delivery")
REFINE_SLOT = "refine"

MESSAGES: dict[str, dict[str, str]] = {
    "denied": {"en": "I did not go ahead: the policy refused {what} ({reasons}).",
               "zh": "我没有继续：策略不允许{what}（{reasons}）。"},
    "failed": {"en": "I could not finish: {what} failed: {error}",
               "zh": "没能办完：{what}失败了：{error}"},
    "expired": {"en": "Your approval for {what} was not given in time, so it expired and nothing was done.",
                "zh": "{what}的确认已过期，没有执行任何操作。"},
    "nothing_done": {"en": "Understood; I did not {title}. Nothing was changed.",
                     "zh": "好的，我没有{title}，什么都没有改动。"},
    "no_more": {"en": "I have no other option that fits what you asked; nothing more was done.",
                "zh": "没有其他符合您要求的选项了，我没有再做任何操作。"},
    "refine": {"en": "You turned that down. What should I change (for example the date, time, class, budget "
                     "or merchant)? Say \"stop\" to leave it.",
               "zh": "您拒绝了这个方案。需要我改什么（比如日期、时间、等级、预算或商家）？回复“算了”即可结束。"},
    "after_reject": {"en": "Instead of the option you turned down: {say}",
                     "zh": "换一个方案（您拒绝了上一个）：{say}"},
    "after_failure": {"en": "That one failed ({error}), so instead: {say}",
                      "zh": "上一个没成功（{error}），改为：{say}"},
    "bad_expression": {"en": "The playbook for {title} has a problem at step {step}: {error}",
                       "zh": "“{title}”的流程在步骤 {step} 出错：{error}"},
    "missing_arg": {"en": "I don't have a value for {arg} of {tool}; nothing was done.",
                    "zh": "缺少 {tool} 的参数 {arg}，没有执行任何操作。"},
    "more": {"en": "… and {n} more", "zh": "……还有 {n} 项"},
    "next": {"en": "next {label}", "zh": "下一个{label}"},
}


def message(key: str, lang: str, **values: Any) -> str:
    table = MESSAGES[key]
    return (table.get(lang) or table["en"]).format(**values)


# -- what the engine reads -------------------------------------------------------------------

@dataclass(frozen=True)
class Refinement:
    """Something the person said after a rejection: the rejection's reason, or the answer to
    "what should I change?". ``changed`` says whether it changed any slot."""

    step: int
    changed: bool
    kind: Literal["reason", "answer"]


@dataclass
class Situation:
    """Everything the engine may read: a snapshot of the run, never a handle on it."""

    lang: str
    today: str
    user: dict[str, Any]
    request: dict[str, Any]
    actions: list[Action] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    refinements: list[Refinement] = field(default_factory=list)
    matcher: Callable[[Any, Any], float] | None = None
    effects: dict[str, str] = field(default_factory=dict)
    required_args: dict[str, frozenset[str]] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=empty_view)
    """What the person's memory says (:class:`agents.memory.PlannerView`), read as ``memory.*``."""


# -- moves -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Option:
    label: str
    value: str


@dataclass(frozen=True)
class Propose:
    step: str
    tool: str
    args: dict[str, Any]
    rationale: str
    call_id: str


@dataclass(frozen=True)
class Ask:
    text: str
    slot: str | None
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Finish:
    """The errand ends: ``text`` says why, or is empty when every step is done (then the
    playbook's report is the answer)."""

    text: str = ""
    complete: bool = False


@dataclass(frozen=True)
class Fail:
    text: str


Move = Union[Propose, Ask, Finish, Fail]


# -- slots -----------------------------------------------------------------------------------

def coerce(slot: Slot, value: Any) -> Any:
    """A slot value in its normalised form, or None when ``value`` does not fit the type."""
    if value is None or value == "":
        return None
    kind = slot.type
    try:
        if kind == "date":
            return date.fromisoformat(str(value)[:10]).isoformat()
        if kind == "money":
            amount = number(value)
            return format(amount, "f") if amount > 0 else None
        if kind == "rating":
            rating = number(value)
            return format(rating, "f") if 0 <= rating <= 5 else None
        if kind == "count":
            count = int(number(value))
            return count if count >= 1 and number(value) == count else None
    except (ValueError, ExprError, InvalidOperation):
        return None
    text = str(value).strip()
    if kind == "seat_class":
        return text if text in SEAT_CLASSES else None
    if kind == "preference":
        return text if text in PREFERENCES else None
    if kind == "choice":
        return text if text in slot.choices else None
    return text or None


def choice_in_text(slot: Slot, text: str) -> str | None:
    """The choice whose words (or name) appear in ``text``; None when none or several do."""
    lowered = text.lower()
    found = {name for name, choice in slot.choices.items()
             if any(_word_in(w.lower(), lowered) for w in [name, *choice.words])}
    return found.pop() if len(found) == 1 else None


def _word_in(word: str, text: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", word):
        return word in text
    return re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", text) is not None


# -- the engine ------------------------------------------------------------------------------

class _Vars(dict):
    """``vars`` computed on first read, in the environment of the step that reads them."""

    def __init__(self, book: Playbook, env: Env) -> None:
        super().__init__()
        self._book = book
        self._env = env

    def get(self, key: Any, default: Any = None) -> Any:
        if key not in self and key in self._book.vars:
            self[key] = expression(self._book.vars[key])(self._env.with_roots(vars=self))
        return super().get(key, default)


@dataclass
class _Attempt:
    action: Action
    key: str

    @property
    def status(self) -> ActionStatus:
        return self.action.status

    @property
    def proposed(self) -> str:
        """The hash of the arguments as the engine proposed them — before the runtime resolved
        ``$user.`` references and before any edit by a person."""
        action = self.action
        if action.original_args is not None:
            return canonical_args_hash(action.tool, action.original_args)
        previous = (action.human or {}).get("previous_args")
        if previous is not None:
            return canonical_args_hash(action.tool, previous)
        return action.args_hash

    @property
    def output(self) -> Any:
        return (self.action.result or {}).get("output")

    @property
    def error(self) -> dict[str, Any]:
        return (self.action.result or {}).get("error") or {}

    def refused_option(self, codes: list[str]) -> bool:
        """The service refused this option for a reason another option may not share."""
        return self.status is ActionStatus.FAILED and self.error.get("code") in codes


@dataclass
class _Selection:
    """The candidates of a ``choose``, best first; ``skipped`` when its source step did not run."""

    candidates: list[Any]
    rule: str | None
    label: Text | None
    skipped: bool = False
    offset: int = 0  # how many better-ranked candidates ``nth`` passed over


class Engine:
    """One playbook applied to one situation."""

    def __init__(self, book: Playbook, situation: Situation) -> None:
        self.book = book
        self.s = situation

    # -- environment ------------------------------------------------------------------------

    def _env(self, slots: dict[str, Any], outputs: dict[str, Any]) -> Env:
        env = Env({"slots": slots, "user": self.s.user, "today": self.s.today, "lang": self.s.lang,
                   "request": self.s.request, "steps": outputs, "memory": self.s.memory}, self.s.matcher)
        return env.with_roots(vars=_Vars(self.book, env))

    def _text(self, text: Text | None, env: Env) -> str:
        if text is None:
            return ""
        compiled = template(text.get(self.s.lang))
        if self.s.lang == "zh":  # tidy the playbook's own words, never the data put into them
            compiled = Template(tuple(_tidy_chinese(p) if isinstance(p, str) else p for p in compiled.parts))
        return compiled.text(env)

    # -- slots ------------------------------------------------------------------------------

    def slots(self) -> tuple[dict[str, Any], str | None]:
        """The playbook's slots filled from the request, the answers, the defaults; and the
        first required slot still missing (None when nothing is missing)."""
        values: dict[str, Any] = {}
        for name, slot in self.book.slots.items():
            env = self._env(values, {})
            value = next((v for v in (coerce(slot, self.s.request.get(n)) for n in [name, *slot.aliases])
                          if v is not None), None)
            if value is None and slot.type == "choice":
                value = next((c for c in (choice_in_text(slot, t) for t in self.s.texts) if c), None)
            if value is None and slot.default is not None:
                value = coerce(slot, plain(_render(slot.default, env)))
            values[name] = value
            required = slot.required if isinstance(slot.required, bool) else bool(expression(slot.required)(env))
            if value is None and required:
                return values, name
        return values, None

    def question(self, slot_name: str, values: dict[str, Any]) -> Ask:
        slot = self.book.slots[slot_name]
        env = self._env(values, {})
        options = tuple(Option(c.label.get(self.s.lang), name) for name, c in slot.choices.items())
        return Ask(self._text(slot.ask, env), slot_name, options)

    # -- steps ------------------------------------------------------------------------------

    def _attempts(self, step_id: str) -> list[_Attempt]:
        out = []
        for action in self.s.actions:
            parts = (action.call_id or "").split(":", 2)
            if len(parts) == 3 and parts[0] == CALL_PREFIX and parts[1] == step_id:
                out.append(_Attempt(action, parts[2]))
        return out

    def _consequential(self, tool: str) -> bool:
        return self.s.effects.get(tool, Effect.WRITE.value) != Effect.READ.value

    def progress(self) -> tuple[dict[str, Any], dict[str, Any], Move | None]:
        """Walk the steps: the slots, the outputs so far, and the next move (None when done)."""
        values: dict[str, Any] = {}
        outputs: dict[str, Any] = {}
        where = "slots"
        try:
            values, missing = self.slots()
            if missing:
                return values, outputs, self.question(missing, values)
            for step in self.book.steps:
                where = step.id
                done, move = self._step(step, self._env(values, outputs), values)
                if move is not None:
                    return values, outputs, move
                outputs[step.id] = done
        except ExprError as exc:
            return values, outputs, Fail(message("bad_expression", self.s.lang,
                                                 title=self.book.title.get(self.s.lang), step=where, error=exc))
        return values, outputs, None

    def next_move(self) -> Move:
        _, _, move = self.progress()
        return move or Finish("", complete=True)

    def _step(self, step: Step, env: Env, values: dict[str, Any]) -> tuple[Any, Move | None]:
        """(this step's output, None) when it is done or skipped; (None, move) otherwise."""
        attempts = self._attempts(step.id)
        if step.tool is not None and self._consequential(step.tool):
            executed = [a for a in attempts if a.status is ActionStatus.EXECUTED]
            if executed:
                return executed[-1].output, None
        if step.when is not None and not expression(step.when)(env):
            return None, None
        selection: _Selection | None = None
        if step.choose is not None:
            chosen = self._select(step.choose, env, values)
            if not isinstance(chosen, _Selection):
                return None, chosen
            selection = chosen
        if step.tool is None:
            assert selection is not None
            pick = selection.candidates[0]
            refusal = self._refusal(step, env.with_roots(pick=pick, choice=self._why(selection, 1)))
            return (None, refusal) if refusal else (pick, None)
        return self._call(step, env, selection, attempts)

    def _refusal(self, step: Step, env: Env) -> Finish | None:
        """The first of the step's guards that fails for the candidate in ``env``, as the end of the errand."""
        for guard in step.require:
            if not expression(guard.that)(env):
                return Finish(self._text(guard.else_, env))
        return None

    def _select(self, choose: Choose, env: Env, values: dict[str, Any]) -> _Selection | Move:
        source = expression(choose.from_)(env)
        if source is None:
            return _Selection([None], None, None, skipped=True)
        candidates = [c for c in source if choose.where is None
                      or expression(choose.where)(env.with_roots(item=c))]
        key_of = expression(choose.key)
        ref = values.get(choose.slot) if choose.slot else None
        named = False
        if ref is not None:
            candidates = self._narrow(candidates, ref, lambda c: key_of(env.with_roots(item=c)))
            named = len(candidates) == 1
        rule_name, rule = self._rule(choose, env)
        if rule is not None:
            order = expression(rule.key)
            candidates = sorted(candidates, key=lambda c: sort_key(order(env.with_roots(item=c))))
        offset = 0
        if choose.nth is not None and (nth := expression(choose.nth)(env)) is not None:
            offset = max(int(number(nth)) - 1, 0)
            candidates = candidates[offset:]
        if not candidates:
            return Finish(self._text(choose.on_none, env))
        asking = choose.ask_if_many if isinstance(choose.ask_if_many, bool) else bool(
            expression(choose.ask_if_many)(env))
        if asking and not named and len(candidates) > 1:
            assert choose.label is not None
            options = tuple(Option(self._text(choose.label, env.with_roots(item=c)),
                                   text_of(key_of(env.with_roots(item=c)))) for c in candidates[:MAX_OPTIONS])
            return Ask(self._text(choose.question, env), choose.slot, options)
        return _Selection(candidates, rule_name, rule.label if rule else None, offset=offset)

    def _narrow(self, candidates: list[Any], ref: Any, key_of: Callable[[Any], Any]) -> list[Any]:
        """The candidates the person named: by key, else those the matcher scores best."""
        exact = [c for c in candidates if str(key_of(c)).lower() == str(ref).lower()]
        if exact or self.s.matcher is None:
            return exact
        scored = [(self.s.matcher(c, ref), c) for c in candidates]
        best = max((score for score, _ in scored), default=0)
        return [c for score, c in scored if best > 0 and score == best]

    def _rule(self, choose: Choose, env: Env) -> tuple[str | None, Rule | None]:
        if not choose.rules:
            return None, None
        wanted = expression(choose.by)(env) if choose.by else None
        name = wanted if wanted in choose.rules else next(iter(choose.rules))
        return name, choose.rules[name]

    def _why(self, selection: _Selection | None, rank: int) -> dict[str, Any]:
        if selection is None or selection.skipped:
            return {"why": "", "rule": None, "rank": 1, "count": 1}
        label = selection.label.get(self.s.lang) if selection.label else ""
        rank += selection.offset
        why = label if rank == 1 else message("next", self.s.lang, label=label)
        return {"why": why, "rule": selection.rule, "rank": rank, "count": len(selection.candidates) + selection.offset}

    def _call(self, step: Step, env: Env, selection: _Selection | None,
              attempts: list[_Attempt]) -> tuple[Any, Move | None]:
        assert step.tool is not None
        lang = self.s.lang
        last = attempts[-1] if attempts else None
        prefix: str | None = None
        if last is not None and last.status is ActionStatus.EXPIRED:  # counts as a rejection: stop, say so
            return None, Finish(message("expired", lang, what=_what(last.action)))
        if last is not None and last.status is ActionStatus.DENIED:
            reasons = "; ".join(last.action.verdict.reasons if last.action.verdict else []) or "no reason given"
            return None, Fail(message("denied", lang, what=_what(last.action), reasons=reasons))
        if last is not None and last.status in (ActionStatus.REJECTED, ActionStatus.SUPPRESSED):
            verdict = self._after_rejection(step, last, attempts)
            if verdict is not None:
                return None, verdict
            prefix = "after_reject"
        next_on = step.choose.next_on if step.choose is not None else []
        conflicts = [a for a in attempts if a.refused_option(next_on)]
        if last is not None and last.status is ActionStatus.FAILED:
            if not (last.refused_option(next_on) and selection is not None and not selection.skipped
                    and len(conflicts) < MAX_CONFLICT_RETRIES):
                error = last.error.get("message") or "unknown error"
                return None, Fail(message("failed", lang, what=_what(last.action), error=error))
            prefix = "after_failure"
        blocked = {a.proposed for a in attempts
                   if a.status in (ActionStatus.REJECTED, ActionStatus.SUPPRESSED, ActionStatus.DENIED,
                                   ActionStatus.EXPIRED, ActionStatus.SUPERSEDED)}
        refused = {a.key for a in conflicts}
        refused_calls = {a.proposed for a in conflicts}
        candidates = selection.candidates if selection is not None else [None]
        for rank, candidate in enumerate(candidates, start=1):
            scope = env.with_roots(pick=candidate, choice=self._why(selection, rank))
            key = "" if candidate is None or step.choose is None else text_of(
                expression(step.choose.key)(env.with_roots(item=candidate)))
            args = {k: v for k, v in plain(_render(step.args, scope)).items() if v is not None}
            digest = canonical_args_hash(step.tool, args)
            same = [a for a in attempts if a.proposed == digest]
            if step.tool and not self._consequential(step.tool):
                done = next((a for a in reversed(same) if a.status is ActionStatus.EXECUTED), None)
                if done is None and last is not None and last.status is ActionStatus.EXECUTED \
                        and last.action.human and last.action.human.get("type") == "edit":
                    done = last  # the person edited this read: keep what they asked for
                if done is not None:
                    return done.output, None
            # an option the service refused (sold out, slot taken…) is not offered again, whether
            # the step names a key for its options or the exact call identifies it
            if digest in blocked or digest in refused_calls or (key and key in refused):
                continue
            failed = next((a for a in same if a.status is ActionStatus.FAILED and not a.refused_option(next_on)),
                          None)
            if failed is not None:
                error = failed.error.get("message") or "unknown error"
                return None, Fail(message("failed", lang, what=_what(failed.action), error=error))
            refusal = self._refusal(step, scope)
            if refusal is not None:
                return None, refusal
            missing = next((a for a in sorted(self.s.required_args.get(step.tool, ())) if a not in args), None)
            if missing:
                return None, Fail(message("missing_arg", lang, arg=missing, tool=step.tool))
            say = self._text(step.say, scope)
            if prefix == "after_reject":
                say = message("after_reject", lang, say=_lower_first(say))
            elif prefix == "after_failure":
                say = message("after_failure", lang, say=_lower_first(say),
                              error=(last.error.get("message") if last else "") or "")
            return None, Propose(step.id, step.tool, args, say, f"{CALL_PREFIX}:{step.id}:{key}")
        if prefix == "after_failure":
            error = (last.error.get("message") if last else "") or "unknown error"
            return None, Fail(message("failed", lang, what=_what(last.action) if last else step.tool, error=error))
        refined = self._refinement_after(last.action.step if last else 0)
        if last is not None and refined is None and step.choose is not None and step.choose.on_reject != "stop":
            return None, Ask(message("refine", lang), REFINE_SLOT)
        return None, Finish(message("no_more", lang))

    def _after_rejection(self, step: Step, last: _Attempt, attempts: list[_Attempt]) -> Move | None:
        """What follows a rejection: None to propose something different, else a question or the end."""
        lang = self.s.lang
        title = self.book.title.get(lang)
        refined = self._refinement_after(last.action.step)
        if refined is not None:
            return None if refined.changed else Finish(message("nothing_done", lang, title=_lower_first(title)))
        policy = step.choose.on_reject if step.choose is not None else "stop"
        if policy == "stop":
            return Finish(message("nothing_done", lang, title=_lower_first(title)))
        since = self._last_refinement_step()
        rejected = [a for a in attempts if a.status in (ActionStatus.REJECTED, ActionStatus.SUPPRESSED)
                    and a.action.step > since and not self._changed_by_reason(a.action.step)]
        if policy == "ask" or len(rejected) >= 2:
            return Ask(message("refine", lang), REFINE_SLOT)
        return None

    def _refinement_after(self, step: int) -> Refinement | None:
        """The person's most recent answer to "what should I change?" after ``step``, or the
        rejection reason at ``step`` when it changed something."""
        later = [r for r in self.s.refinements if r.kind == "answer" and r.step > step]
        if later:
            return later[-1]
        reason = [r for r in self.s.refinements if r.kind == "reason" and r.step == step and r.changed]
        return reason[-1] if reason else None

    def _changed_by_reason(self, step: int) -> bool:
        return any(r.kind == "reason" and r.step == step and r.changed for r in self.s.refinements)

    def _last_refinement_step(self) -> int:
        return max((r.step for r in self.s.refinements if r.kind == "answer"), default=0)

    # -- the report -------------------------------------------------------------------------

    def report(self) -> str:
        """The playbook's report over the finished steps, in the person's language."""
        values, outputs, _ = self.progress()
        env = self._env(values, outputs)
        lines: list[str] = []
        for section in self.book.report:
            try:
                if section.when is not None and not expression(section.when)(env):
                    continue
                if section.text is not None:
                    lines.append(self._text(section.text, env))
                if section.items is not None:
                    items = list(expression(section.items)(env) or [])
                    if not items and section.empty is not None:
                        lines.append(self._text(section.empty, env))
                    for item in items[:section.limit]:
                        lines.append("- " + self._text(section.item, env.with_roots(item=item)))
                    if len(items) > section.limit:
                        lines.append(message("more", self.s.lang, n=len(items) - section.limit))
            except ExprError as exc:
                lines.append(message("bad_expression", self.s.lang, title=self.book.title.get(self.s.lang),
                                     step="report", error=exc))
        return "\n".join(line for line in lines if line.strip())


def _render(value: Any, env: Env) -> Any:
    if isinstance(value, str) and "${" in value:
        return template(value).render(env)
    if isinstance(value, dict):
        return {k: _render(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [_render(v, env) for v in value]
    return value


CJK_SIDE = r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]"


def _tidy_chinese(text: str) -> str:
    """Drop the spaces YAML line folding leaves next to Chinese characters and punctuation."""
    return re.sub(rf"(?<={CJK_SIDE})[ \t]+|[ \t]+(?={CJK_SIDE})", "", text)


def _what(action: Action) -> str:
    summary = action.verdict.summary if action.verdict and action.verdict.summary else None
    return summary or action.tool


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:1].isascii() else text


__all__ = ["Ask", "Engine", "Fail", "Finish", "Move", "Option", "Propose", "Refinement", "Situation",
           "choice_in_text", "coerce", "message"]
