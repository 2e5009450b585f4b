"""Loading suite files: YAML (or JSON) → :class:`~evals.model.Suite`, with errors that name the
file, the line, the task id and the field — every problem at once, nothing half-loaded.

``load_suite("shop")`` finds a shipped suite (``evals/suites/shop.yaml``); anything else is
a path.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from evals.checks import SuiteError, format_problem, suite_problems
from evals.model import Suite
from tools.loading import InputError, node_at, parse_yaml

SHIPPED = Path(__file__).parent / "suites"
_VARIANTS = ("approve_all", "reject_all", "rules", "attentive")


def shipped_suites() -> list[Path]:
    return sorted(SHIPPED.glob("*.yaml"))


def resolve_suite_path(name: str | Path) -> Path:
    """A path as given, or the shipped suite of that name (``shop`` → evals/suites/shop.yaml)."""
    path = Path(name)
    if path.exists():
        return path
    shipped = SHIPPED / f"{name}.yaml"
    if shipped.exists() and path.suffix == "":
        return shipped
    known = ", ".join(p.stem for p in shipped_suites())
    raise SuiteError(str(name), [(None, f"no such suite file (shipped suites: {known})")])


def _written_at(data: Any, loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """Where a task field is written: in the task, in its twin (``user_task``), or in ``defaults``."""
    if len(loc) < 3 or loc[0] != "tasks" or not isinstance(loc[1], int) or not isinstance(data, dict):
        return loc
    tasks = data.get("tasks") if isinstance(data.get("tasks"), list) else []
    task = tasks[loc[1]] if loc[1] < len(tasks) and isinstance(tasks[loc[1]], dict) else {}
    if loc[2] in task:
        return loc
    twin = next((i for i, t in enumerate(tasks) if isinstance(t, dict) and task.get("user_task")
                 and t.get("id") == task.get("user_task") and loc[2] in t), None)
    if twin is not None:
        return ("tasks", twin, *loc[2:])
    if isinstance(data.get("defaults"), dict) and loc[2] in data["defaults"]:
        return ("defaults", *loc[2:])
    return loc


def _line(node: yaml.Node | None, data: Any, loc: tuple[Any, ...]) -> int | None:
    found = node_at(node, _written_at(data, loc))
    return found.start_mark.line + 1 if found is not None else None


def _task_id(data: Any, loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int) and isinstance(data, dict):
        tasks = data.get("tasks")
        if isinstance(tasks, list) and loc[1] < len(tasks) and isinstance(tasks[loc[1]], dict):
            return f"task {tasks[loc[1]].get('id', '#' + str(loc[1] + 1))}: "
    return ""


def parse_suite(text: str, source: str) -> Suite:
    """Parse and validate suite text; raise :class:`SuiteError` with every problem."""
    try:
        data, node = parse_yaml(text, source)
    except InputError as exc:
        raise SuiteError(exc.source, exc.problems) from None
    if not isinstance(data, dict):
        raise SuiteError(source, [(None, "a suite file is a mapping with 'suite' and 'tasks'")])
    try:
        suite = Suite.model_validate({**data, "source": source}, context={"defer_checks": True})
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
            # a discriminated union reports the variant name in the location; it is not a key
            loc = tuple(p for k, p in enumerate(loc) if not (k and loc[k - 1] == "approver" and p in _VARIANTS))
            message = err["msg"].removeprefix("Value error, ")
            problems.append((_line(node, data, loc), format_problem(loc, message, _task_id(data, loc))))
        raise SuiteError(source, problems) from None
    found = suite_problems(suite)
    if found:
        raise SuiteError(source, [(_line(node, data, loc), format_problem(loc, msg, _task_id(data, loc)))
                                  for loc, msg in found])
    return suite


def load_suite(name: str | Path) -> Suite:
    path = resolve_suite_path(name)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SuiteError(str(path), [(None, f"cannot read file: {exc}")]) from None
    return parse_suite(text, str(path))


def load_suites(names: list[str | Path]) -> list[Suite]:
    """Load several suites, reporting the problems of all of them together; names must be unique."""
    suites: list[Suite] = []
    errors: list[InputError] = []
    for name in names:
        try:
            suites.append(load_suite(name))
        except InputError as exc:
            errors.append(exc)
    names_seen: dict[str, str] = {}
    for suite in suites:
        if suite.suite in names_seen:
            errors.append(SuiteError(suite.source or suite.suite, [
                (None, f"suite name {suite.suite!r} is also used by {names_seen[suite.suite]}")]))
        names_seen.setdefault(suite.suite, suite.source or "")
    if errors:
        raise SuiteError.combined(errors)
    return suites
