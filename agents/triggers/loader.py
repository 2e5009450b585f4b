"""Loading triggers: parse, validate the shape, check every reference; fail with file + line.

A trigger file loads completely or not at all. Every problem is reported together, each with
its file and line: bad YAML, wrong types, an unknown source, params the source refuses,
expressions that do not parse or read a field the source's events do not have (``event.*``),
a param that is not set (``params.*``), a profile or memory field that does not exist, an
unknown agent, an intent without a playbook, a slot that playbook does not have, or an intent
of another domain than the agent's.

Where triggers come from (a later trigger with the same id replaces an earlier one, so a person
can tune or switch off a shipped trigger by id):

1. errand's own files, ``agents/triggers/*.yaml``;
2. the ``errand.triggers`` entry point group — a path, a list of paths, :class:`Trigger` objects,
   or a callable returning those;
3. ``$ERRAND_HOME/triggers/*.yaml`` — the person's own;
4. paths given to :func:`load_triggers`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Iterable, Iterator

from pydantic import ValidationError

from agents.memory.model import MEMORY_FIELDS
from agents.playbooks.expr import Expr, ExprError
from agents.playbooks.model import Text, expression, template
from agents.triggers.model import Trigger, TriggerFile
from agents.triggers.sources import Source, event_fields, sources
from tools.home import errand_home
from tools.loading import InputError, line_of, parse_yaml, read_text, validation_problems, yaml_files
from tools.profile import UserProfile

SHIPPED_DIR = Path(__file__).parent
ENTRY_POINT_GROUP = "errand.triggers"
ROOTS = frozenset({"event", "params", "user", "memory", "today", "now", "lang"})
PROFILE_FIELDS = frozenset(UserProfile.model_fields)

Loc = tuple[Any, ...]


class TriggerError(InputError):
    """A trigger file (or trigger) that cannot be used; names file, line and problem."""


def _hint(name: str, known: Iterable[str]) -> str:
    close = get_close_matches(name, list(known), n=1)
    return f"did you mean {close[0]!r}?" if close else "known: " + ", ".join(sorted(known))


class _Checker:
    """Collects (location, message) problems for one trigger."""

    def __init__(self, trigger: Trigger, available: dict[str, Source]) -> None:
        self.t = trigger
        self.available = available
        self.problems: list[tuple[Loc, str]] = []

    def add(self, where: Loc, message: str) -> None:
        self.problems.append((where, message))

    def run(self) -> list[tuple[Loc, str]]:
        t = self.t
        source = self.available.get(t.source)
        if source is None:
            self.add(("source",), f"unknown source {t.source!r}; {_hint(t.source, self.available)}")
            fields: frozenset[str] | None = None
        else:
            fields = event_fields(source)
            try:
                source.params.model_validate(t.params)
            except ValidationError as exc:
                for err in exc.errors():
                    self.add(("params", *err["loc"]), err["msg"])
        params = frozenset(t.params) | (frozenset(source.params.model_fields) if source else frozenset())
        known = {"event": fields, "params": params, "user": PROFILE_FIELDS, "memory": MEMORY_FIELDS}
        if isinstance(t.when, str):
            self._refs(expression(t.when), ("when",), known)
        self._template(t.key, ("key",), known)
        for name, text in (("title", t.title), ("request", t.request)):
            self._text(text, (name,), known)
        for slot, value in t.errand.slots.items():
            self._value(value, ("errand", "slots", slot), known)
        self._agent_and_errand()
        return self.problems

    def _refs(self, expr: Expr, where: Loc, known: dict[str, frozenset[str] | None]) -> None:
        for root in sorted(expr.roots - ROOTS):
            self.add(where, f"`{root}` is not available in a trigger (available: {', '.join(sorted(ROOTS))})")
        for root, name in sorted(expr.refs):
            names = known.get(root)
            if names is not None and name not in names:
                what = {"event": f"field of {self.t.source} events", "params": "param", "user": "profile field",
                        "memory": "memory field"}[root]
                self.add(where, f"`{root}.{name}`: no {what} named {name!r} ({_hint(name, names)})")

    def _template(self, text: str, where: Loc, known: dict[str, frozenset[str] | None]) -> None:
        try:
            compiled = template(text)
        except ExprError as exc:
            self.add(where, str(exc))
            return
        for expr in compiled.exprs:
            self._refs(expr, where, known)

    def _text(self, text: Text, where: Loc, known: dict[str, frozenset[str] | None]) -> None:
        for lang in ("en", "zh"):
            value = getattr(text, lang)
            if value:
                self._template(value, (*where, lang), known)

    def _value(self, value: Any, where: Loc, known: dict[str, frozenset[str] | None]) -> None:
        if isinstance(value, str) and "${" in value:
            self._template(value, where, known)
        elif isinstance(value, dict):
            for k, v in value.items():
                self._value(v, (*where, k), known)
        elif isinstance(value, list):
            for i, v in enumerate(value):
                self._value(v, (*where, i), known)

    def _agent_and_errand(self) -> None:
        from agents.brains.offline import shipped_playbooks
        from agents.builtin import INSTRUCTIONS, agent_names
        from agents.understanding.model import intent_domain

        t = self.t
        names = agent_names()
        if t.agent not in names:
            self.add(("agent",), f"unknown agent {t.agent!r}; {_hint(t.agent, names)}")
        book = shipped_playbooks().get(t.errand.intent)
        if book is None:
            intents = shipped_playbooks().intents
            self.add(("errand", "intent"),
                     f"no playbook for intent {t.errand.intent!r}; {_hint(t.errand.intent, intents)}")
            return
        slots = {n for name, slot in book.slots.items() for n in (name, *slot.aliases)}
        for slot in t.errand.slots:
            if slot not in slots:
                self.add(("errand", "slots", slot), f"the {t.errand.intent} playbook has no slot {slot!r} "
                                                    f"({_hint(slot, slots)})")
        domain = intent_domain(t.errand.intent)
        if t.agent in INSTRUCTIONS and t.agent not in ("errand", domain):
            self.add(("agent",), f"agent {t.agent!r} does not handle {t.errand.intent} ({domain} errands); "
                                 f"use agent {domain} or errand")


def check_trigger(trigger: Trigger, available: dict[str, Source] | None = None) -> list[tuple[Loc, str]]:
    """Every problem with one trigger's references (its shape is already valid)."""
    return _Checker(trigger, available if available is not None else sources()).run()


def parse_triggers(text: str, *, source: str = "<triggers>") -> list[Trigger]:
    """Parse and check a trigger file's text; raise :class:`TriggerError` with every problem."""
    data, node = parse_yaml(text, source)
    if data is None:
        raise TriggerError(source, [(None, "file is empty")])
    try:
        parsed = TriggerFile.model_validate(data)
    except ValidationError as exc:
        raise TriggerError(source, validation_problems(exc, node)) from None
    available = sources()
    problems: list[tuple[int | None, str]] = []
    seen: dict[str, int] = {}
    for i, trigger in enumerate(parsed.triggers):
        if trigger.id in seen:
            problems.append((line_of(node, ("triggers", i, "id")),
                             f"triggers.{i}.id: trigger {trigger.id!r} is already defined in this file "
                             f"(triggers[{seen[trigger.id]}])"))
        seen.setdefault(trigger.id, i)
        for loc, message in check_trigger(trigger, available):
            where = ("triggers", i, *loc)
            problems.append((line_of(node, where), f"{'.'.join(map(str, where))}: {message}"))
    if problems:
        raise TriggerError(source, problems)
    return [t.model_copy(update={"source_file": source}) for t in parsed.triggers]


def load_trigger_file(path: str | Path) -> list[Trigger]:
    path = Path(path)
    try:
        return parse_triggers(read_text(path), source=str(path))
    except InputError as exc:
        if isinstance(exc, TriggerError):
            raise
        raise TriggerError(exc.source, exc.problems) from None


@dataclass
class TriggerSet:
    """The triggers the watcher evaluates, by id."""

    triggers: dict[str, Trigger] = field(default_factory=dict)

    def add(self, items: Iterable[Trigger]) -> None:
        """Add triggers (a later one with the same id replaces the earlier). Triggers built in
        Python are checked here exactly like those read from files."""
        for trigger in items:
            if not trigger.source_file:
                problems = check_trigger(trigger)
                if problems:
                    raise TriggerError(f"trigger {trigger.id}", [(None, f"{'.'.join(map(str, loc))}: {msg}")
                                                                 for loc, msg in problems])
            self.triggers[trigger.id] = trigger

    def get(self, trigger_id: str) -> Trigger | None:
        return self.triggers.get(trigger_id)

    def enabled(self) -> list[Trigger]:
        return [t for t in self.triggers.values() if t.enabled]

    def __iter__(self) -> Iterator[Trigger]:
        return iter(self.triggers.values())

    def __len__(self) -> int:
        return len(self.triggers)


def _from_entry_point(name: str, target: Any) -> list[Trigger]:
    if callable(target) and not isinstance(target, (str, Path)):
        target = target()
    found: list[Trigger] = []
    for item in target if isinstance(target, (list, tuple)) else [target]:
        if isinstance(item, Trigger):
            found.append(item)
        elif isinstance(item, (str, Path)):
            for path in yaml_files(Path(item)):
                found += load_trigger_file(path)
        else:
            raise TriggerError(f"entry point {name}", [(None, "must give a path, a list of paths, triggers, or a "
                                                              f"callable returning them; got {type(item).__name__}")])
    return found


def load_triggers(*paths: str | Path, shipped: bool = True, plugins: bool = True,
                  home: bool = True) -> TriggerSet:
    """errand's triggers, then installed ones, then ``ERRAND_HOME/triggers``, then ``paths``."""
    found = TriggerSet()
    if shipped:
        for path in yaml_files(SHIPPED_DIR):
            found.add(load_trigger_file(path))
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                target = ep.load()
            except Exception as exc:  # noqa: BLE001 - say which plugin is broken
                raise TriggerError(f"entry point {ep.name}", [(None, f"failed to load {ep.value}: {exc}")]) from exc
            found.add(_from_entry_point(ep.name, target))
    if home:
        own = errand_home() / "triggers"
        if own.is_dir():
            for path in yaml_files(own):
                found.add(load_trigger_file(path))
    for path in paths:
        for file in yaml_files(Path(path)):
            found.add(load_trigger_file(file))
    return found


__all__ = ["TriggerError", "TriggerSet", "check_trigger", "load_trigger_file", "load_triggers", "parse_triggers"]
