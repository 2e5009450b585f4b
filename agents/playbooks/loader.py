"""Loading playbooks: parse, validate the shape, then check every reference; fail with file + line.

A playbook file either loads completely or not at all: every problem (bad YAML, wrong
types, unknown tools, arguments a tool does not take, missing required arguments,
literal values a tool would refuse, references to undefined slots, steps, variables or
profile fields) is reported together, each with the file and line.

Where playbooks come from (later sources override earlier ones, by intent):

1. errand's own files, ``agents/playbooks/*.yaml``;
2. the ``errand.playbooks`` entry point group — each entry is a path (file or directory),
   a list of paths, or a callable returning those (or :class:`Playbook` objects), so a
   tool pack ships its playbooks next to its tools;
3. ``$ERRAND_HOME/playbooks/*.yaml`` — the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from difflib import get_close_matches
from importlib.metadata import entry_points
from pathlib import Path
from typing import Annotated, Any, Iterable, Iterator, Mapping

from langchain_core.tools import BaseTool
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import InitErrorDetails, PydanticCustomError

from agents.playbooks.expr import ExprError, value_exprs
from agents.playbooks.model import (
    Choose,
    Playbook,
    PlaybookFile,
    Section,
    Slot,
    Step,
    Text,
    expression,
    template,
)
from agents.memory.model import MEMORY_FIELDS
from tools.home import errand_home
from tools.loading import InputError, parse_yaml, validation_problems, yaml_files
from tools.profile import UserProfile

SHIPPED_DIR = Path(__file__).parent
ENTRY_POINT_GROUP = "errand.playbooks"
PROFILE_FIELDS = frozenset(UserProfile.model_fields)
USER_REF = "$user."  # resolved by the runtime (agents.graph.resolve_user_refs), subject to data-release policy
CHOICE_FIELDS = frozenset({"why", "rule", "rank", "count"})

Loc = tuple[Any, ...]


class PlaybookError(InputError):
    """A playbook file (or set of files) that cannot be used; names file, line and problem."""


# -- reference checking ------------------------------------------------------------------------

@dataclass
class _Scope:
    """The names an expression at one place of a playbook may use."""

    roots: frozenset[str]
    slots: frozenset[str]
    steps: frozenset[str]
    vars: frozenset[str]
    requestable: frozenset[str]

    def plus(self, *roots: str, steps: Iterable[str] = ()) -> "_Scope":
        return _Scope(self.roots | set(roots), self.slots, self.steps | set(steps), self.vars, self.requestable)


BASE_ROOTS = frozenset({"slots", "user", "today", "lang", "request", "memory"})


class _Checker:
    """Collects (location, message) problems for one playbook; locations map to lines later."""

    def __init__(self, book: Playbook, loc: Loc, tools: Mapping[str, BaseTool] | None) -> None:
        self.book = book
        self.loc = loc
        self.tools = tools
        self.problems: list[tuple[Loc, str]] = []

    def add(self, where: Loc, message: str) -> None:
        self.problems.append((self.loc + where, message))

    def exprs_of(self, source: Any, *, expression_field: bool) -> list[Any]:
        try:
            if expression_field:
                return [expression(source)]
            return list(value_exprs(_compiled(source)))
        except ExprError:
            return []  # already reported by the model's own validation

    def check(self, source: Any, where: Loc, scope: _Scope, *, expression_field: bool = False) -> None:
        for expr in self.exprs_of(source, expression_field=expression_field):
            for root in sorted(expr.roots - scope.roots):
                self.add(where, f"`{root}` is not available here (available: {', '.join(sorted(scope.roots))})")
            for root, name in sorted(expr.refs):
                if root not in scope.roots:
                    continue
                known = {"slots": scope.slots, "request": scope.requestable, "steps": scope.steps,
                         "vars": scope.vars, "user": PROFILE_FIELDS, "choice": CHOICE_FIELDS,
                         "memory": MEMORY_FIELDS}.get(root)
                if known is not None and name not in known:
                    what = {"slots": "slot", "request": "request slot", "steps": "earlier step",
                            "vars": "variable", "user": "profile field", "choice": "choice field",
                            "memory": "memory field"}[root]
                    self.add(where, f"`{root}.{name}`: no {what} named {name!r} ({_known(name, known)})")

    def text(self, value: Text | None, where: Loc, scope: _Scope) -> None:
        if value is None:
            return
        for lang in ("en", "zh"):
            if getattr(value, lang):
                self.check(getattr(value, lang), where + (lang,), scope)

    def run(self) -> list[tuple[Loc, str]]:
        book = self.book
        all_slots = frozenset(book.slots)
        requestable = all_slots | {a for s in book.slots.values() for a in s.aliases}
        all_steps = [s.id for s in book.steps]
        vars_ = frozenset(book.vars)
        for dup in sorted({s for s in all_steps if all_steps.count(s) > 1}):
            self.add(("steps",), f"two steps are called {dup!r}")

        earlier_slots: list[str] = []
        for name, slot in book.slots.items():
            scope = _Scope(BASE_ROOTS, frozenset(earlier_slots), frozenset(), vars_, requestable)
            self._slot(name, slot, scope)
            earlier_slots.append(name)

        var_scope = _Scope(BASE_ROOTS | {"steps", "vars"}, all_slots, frozenset(all_steps), vars_, requestable)
        for name, source in book.vars.items():
            self.check(source, ("vars", name), var_scope, expression_field=True)

        done: list[str] = []
        for i, step in enumerate(book.steps):
            scope = _Scope(BASE_ROOTS | {"steps", "vars"}, all_slots, frozenset(done), vars_, requestable)
            self._step(i, step, scope)
            done.append(step.id)

        report_scope = _Scope(BASE_ROOTS | {"steps", "vars"}, all_slots, frozenset(all_steps), vars_, requestable)
        for i, section in enumerate(book.report):
            self._section(i, section, report_scope)
        return self.problems

    def _slot(self, name: str, slot: Slot, scope: _Scope) -> None:
        where = ("slots", name)
        if isinstance(slot.required, str):
            self.check(slot.required, where + ("required",), scope, expression_field=True)
        self.check(slot.default, where + ("default",), scope)
        self.text(slot.ask, where + ("ask",), scope)

    def _step(self, i: int, step: Step, scope: _Scope) -> None:
        where: Loc = ("steps", i)
        if step.when:
            self.check(step.when, where + ("when",), scope, expression_field=True)
        bind_scope = scope
        if step.choose is not None:
            self._choose(where + ("choose",), step.choose, scope)
            bind_scope = scope.plus("pick", "choice")
        for g, guard in enumerate(step.require):
            self.check(guard.that, where + ("require", g, "that"), bind_scope, expression_field=True)
            self.text(guard.else_, where + ("require", g, "else"), bind_scope)
        for arg, value in step.args.items():
            self.check(value, where + ("args", arg), bind_scope)
        self.text(step.say, where + ("say",), bind_scope)
        if step.tool is not None:
            self._tool(where, step)

    def _choose(self, where: Loc, choose: Choose, scope: _Scope) -> None:
        for name in ("from_", "by", "nth"):
            source = getattr(choose, name)
            if source is not None:
                self.check(source, where + ("from" if name == "from_" else name,), scope, expression_field=True)
        if isinstance(choose.ask_if_many, str):
            self.check(choose.ask_if_many, where + ("ask_if_many",), scope, expression_field=True)
        if choose.slot is not None and choose.slot not in self.book.slots:
            self.add(where + ("slot",), f"no slot named {choose.slot!r} to hold the person's pick "
                                        f"({_known(choose.slot, self.book.slots)})")
        per_item = scope.plus("item")
        for name in ("where", "key"):
            source = getattr(choose, name)
            if source is not None:
                self.check(source, where + (name,), per_item, expression_field=True)
        for rule_name, rule in choose.rules.items():
            self.check(rule.key, where + ("rules", rule_name, "key"), per_item, expression_field=True)
        self.text(choose.label, where + ("label",), per_item)
        self.text(choose.question, where + ("question",), scope)
        self.text(choose.on_none, where + ("on_none",), scope)

    def _section(self, i: int, section: Section, scope: _Scope) -> None:
        where: Loc = ("report", i)
        if section.when:
            self.check(section.when, where + ("when",), scope, expression_field=True)
        if section.items:
            self.check(section.items, where + ("items",), scope, expression_field=True)
        for name in ("text", "empty"):
            self.text(getattr(section, name), where + (name,), scope)
        self.text(section.item, where + ("item",), scope.plus("item"))

    def _tool(self, where: Loc, step: Step) -> None:
        if self.tools is None:
            return
        tool = self.tools.get(step.tool or "")
        if tool is None:
            self.add(where + ("tool",), f"unknown tool {step.tool!r} ({_known(step.tool or '', self.tools)})")
            return
        schema = tool.args_schema
        if not (isinstance(schema, type) and issubclass(schema, BaseModel)):
            return
        fields = schema.model_fields
        for arg, value in step.args.items():
            if arg not in fields:
                self.add(where + ("args", arg), f"{step.tool} has no argument {arg!r} ({_known(arg, fields)})")
            elif isinstance(value, str) and value.startswith(USER_REF):
                field_name = value[len(USER_REF):].split(".", 1)[0]
                if field_name not in PROFILE_FIELDS:
                    self.add(where + ("args", arg), f"{value!r}: the profile has no field {field_name!r} "
                                                    f"({_known(field_name, PROFILE_FIELDS)})")
            elif not _has_expression(value):
                info = fields[arg]
                kind = Annotated[info.annotation, *info.metadata] if info.metadata else info.annotation
                try:
                    TypeAdapter(kind).validate_python(value)
                except ValidationError as exc:
                    message = "; ".join(e["msg"] for e in exc.errors())
                    self.add(where + ("args", arg), f"{step.tool} would refuse {value!r}: {message}")
        for name, info in fields.items():
            if info.is_required() and name not in step.args:
                self.add(where + ("args",), f"{step.tool} needs argument {name!r}")


def _known(name: str, known: Iterable[str]) -> str:
    """The names to suggest for an unknown ``name``: the close ones, else all of them."""
    names = sorted(known)
    close = get_close_matches(name, names, n=3, cutoff=0.6)
    if close:
        return f"did you mean {' or '.join(close)}?"
    return f"known: {', '.join(names) or 'none'}"


def _has_expression(value: Any) -> bool:
    if isinstance(value, str):
        return "${" in value
    if isinstance(value, dict):
        return any(_has_expression(v) for v in value.values())
    if isinstance(value, list):
        return any(_has_expression(v) for v in value)
    return False


def _compiled(value: Any) -> Any:
    if isinstance(value, str) and "${" in value:
        return template(value)
    if isinstance(value, dict):
        return {k: _compiled(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_compiled(v) for v in value]
    return value


def _problems_at(problems: list[tuple[Loc, str]], node: Any) -> list[tuple[int | None, str]]:
    """Turn (location, message) pairs into (line, "path: message") through the YAML node tree."""
    if not problems:
        return []
    details = [InitErrorDetails(type=PydanticCustomError("playbook", "{problem}", {"problem": message}),
                                loc=loc, input=None) for loc, message in problems]
    return validation_problems(ValidationError.from_exception_data("playbooks", details), node)


# -- loading ---------------------------------------------------------------------------------

ToolSource = Mapping[str, BaseTool] | Iterable[BaseTool] | None


def _tool_map(tools: ToolSource) -> dict[str, BaseTool] | None:
    if tools is None:
        return None
    if isinstance(tools, Mapping):
        return dict(tools)
    return {t.name: t for t in tools}


def parse_playbooks(text: str, *, source: str = "<playbooks>", tools: ToolSource = None) -> list[Playbook]:
    """Parse and fully check the playbooks in ``text``; raise :class:`PlaybookError` on any problem.

    ``tools`` (a registry, a mapping or a list of tools) enables the checks against tool
    names and their arguments; without it only the playbooks' own consistency is checked."""
    try:
        data, node = parse_yaml(text, source)
    except InputError as exc:
        raise PlaybookError(exc.source, exc.problems) from None
    if data is None:
        raise PlaybookError(source, [(None, "file is empty")])
    try:
        parsed = PlaybookFile.model_validate(data)
    except ValidationError as exc:
        raise PlaybookError(source, validation_problems(exc, node)) from None
    known = _tool_map(tools)
    problems: list[tuple[Loc, str]] = []
    intents: dict[str, int] = {}
    for i, book in enumerate(parsed.playbooks):
        if book.intent in intents:
            problems.append((("playbooks", i, "intent"), f"intent {book.intent!r} already has a playbook in "
                                                          f"this file (playbooks[{intents[book.intent]}])"))
        intents.setdefault(book.intent, i)
        problems += _Checker(book, ("playbooks", i), known).run()
    if problems:
        raise PlaybookError(source, _problems_at(problems, node))
    return [book.model_copy(update={"source": source}) for book in parsed.playbooks]


def load_playbook_file(path: str | Path, *, tools: ToolSource = None) -> list[Playbook]:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookError(str(path), [(None, "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PlaybookError(str(path), [(None, f"cannot read file: {exc}")]) from None
    return parse_playbooks(text, source=str(path), tools=tools)


@dataclass
class PlaybookSet:
    """The playbooks an offline brain plans with, by intent."""

    playbooks: dict[str, Playbook] = field(default_factory=dict)

    def add(self, books: Iterable[Playbook]) -> None:
        for book in books:
            self.playbooks[book.intent] = book

    def get(self, intent: str | None) -> Playbook | None:
        return self.playbooks.get(intent or "")

    def __contains__(self, intent: object) -> bool:
        return intent in self.playbooks

    def __iter__(self) -> Iterator[Playbook]:
        return iter(self.playbooks.values())

    def __len__(self) -> int:
        return len(self.playbooks)

    @property
    def intents(self) -> list[str]:
        return sorted(self.playbooks)


def _from_entry_point(name: str, target: Any, tools: ToolSource) -> list[Playbook]:
    if callable(target) and not isinstance(target, (str, Path)):
        target = target()
    items = target if isinstance(target, (list, tuple)) else [target]
    books: list[Playbook] = []
    for item in items:
        if isinstance(item, Playbook):
            problems = _Checker(item, (), _tool_map(tools)).run()
            if problems:
                raise PlaybookError(f"entry point {name}", [(None, f"{'.'.join(map(str, loc))}: {msg}")
                                                            for loc, msg in problems])
            books.append(item)
        elif isinstance(item, (str, Path)):
            for path in yaml_files(Path(item)):
                books += load_playbook_file(path, tools=tools)
        else:
            raise PlaybookError(f"entry point {name}", [(None, "must give a path, a list of paths, playbooks, "
                                                               f"or a callable returning them; got "
                                                               f"{type(item).__name__}")])
    return books


def load_playbooks(*paths: str | Path, tools: ToolSource = None, shipped: bool = True,
                   plugins: bool = True, home: bool = True) -> PlaybookSet:
    """errand's playbooks, then installed ones (entry points), then ``ERRAND_HOME/playbooks``,
    then ``paths``; a later playbook for the same intent replaces an earlier one."""
    found = PlaybookSet()
    if shipped:
        for path in yaml_files(SHIPPED_DIR):
            found.add(load_playbook_file(path, tools=tools))
    if plugins:
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            try:
                target = ep.load()
            except Exception as exc:  # noqa: BLE001 - say which plugin is broken
                raise PlaybookError(f"entry point {ep.name}", [(None, f"failed to load {ep.value}: {exc}")]) from exc
            found.add(_from_entry_point(ep.name, target, tools))
    if home:
        own = errand_home() / "playbooks"
        if own.is_dir():
            for path in yaml_files(own):
                found.add(load_playbook_file(path, tools=tools))
    for path in paths:
        for file in yaml_files(Path(path)):
            found.add(load_playbook_file(file, tools=tools))
    return found
