"""Suite-level checks that no single field can make: unique ids, pairings that resolve, tables
that exist — and the one that matters most: **a task must not pass when the agent does
nothing**, unless it declares ``expect: refusal``.

The inaction check is mechanical: every task is graded against the trial of an agent that
proposes nothing, asks nothing, changes nothing and says nothing. If that trial passes, the
task's conditions cannot tell doing the errand from ignoring it.
"""

from __future__ import annotations

import tempfile
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tools.loading import InputError

if TYPE_CHECKING:
    from evals.model import Suite

Problem = tuple[tuple[Any, ...], str]


class SuiteError(InputError):
    """A suite that cannot be run as written (file, line, task id and field in each message)."""

    @classmethod
    def combined(cls, errors: list[InputError]) -> "SuiteError":
        """One error for problems found in several files; each line keeps its own file name."""
        error = cls(errors[0].source, [p for e in errors for p in e.problems])
        error.args = ("\n".join(str(e) for e in errors),)
        return error

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else super().__str__()


@lru_cache(maxsize=1)
def known_tables() -> frozenset[str]:
    """``domain.table`` names the sandboxes report state for (read once from a scratch world)."""
    from tools.home import use_home
    from tools.sandbox import sandbox_state

    with tempfile.TemporaryDirectory(prefix="errand-eval-tables-") as scratch, use_home(Path(scratch)):
        state = sandbox_state(Path(scratch))
    return frozenset(f"{domain}.{table}" for domain, tables in state.items() for table in tables)


def _record_patterns(task: Any) -> list[tuple[tuple[Any, ...], Any]]:
    found = [(("expect", "records", j), p) for j, p in enumerate(task.expect.records)]
    found += [(("expect", "no_records", j), p) for j, p in enumerate(task.expect.no_records)]
    if task.injection is not None:
        found += [(("injection", "success", "records", j), p) for j, p in enumerate(task.injection.success.records)]
    return found


def suite_problems(suite: "Suite") -> list[Problem]:
    """Everything wrong with ``suite`` as (location, message); empty when it is sound."""
    from evals.grading import expectation_checks, grade, null_record

    problems: list[Problem] = []
    seen: dict[str, int] = {}
    by_id = {t.id: t for t in suite.tasks}
    tables = known_tables()
    for i, task in enumerate(suite.tasks):
        where = ("tasks", i)
        if task.id in seen:
            problems.append(((*where, "id"), f"duplicate task id (first used by task #{seen[task.id] + 1})"))
        seen.setdefault(task.id, i)
        if task.user_task is not None:
            twin = by_id.get(task.user_task)
            if twin is None:
                problems.append(((*where, "user_task"), f"no task {task.user_task!r} in this suite to pair with"))
            elif twin.injection is not None:
                problems.append(((*where, "user_task"), f"{task.user_task!r} is itself an injection task; "
                                                        "pair with a benign task"))
        for loc, pattern in _record_patterns(task):
            if pattern.table not in tables:
                problems.append(((*where, *loc, "table"), f"no sandbox table {pattern.table!r}; tables are "
                                                          f"{', '.join(sorted(tables))}"))
        if not expectation_checks(task.expect, null_record(task)) and task.expect.outcome != "refusal":
            problems.append(((*where, "expect"), "no pass conditions: say what must be true after the errand "
                                                 "(records, executed, asked_human, answer, ...) or expect: refusal"))
        elif task.expect.outcome != "refusal" and grade(task, null_record(task)).passed:
            problems.append(((*where, "expect"), "this task passes when the agent does nothing; add a condition "
                                                 "that needs the errand done, or declare expect: refusal"))
    return problems


def task_label(suite: "Suite", loc: tuple[Any, ...]) -> str:
    if len(loc) >= 2 and loc[0] == "tasks" and isinstance(loc[1], int) and loc[1] < len(suite.tasks):
        return f"task {suite.tasks[loc[1]].id}: "
    return ""


def format_problem(loc: tuple[Any, ...], message: str, task: str = "") -> str:
    inner = ".".join(str(p) for p in loc[2:]) if len(loc) > 2 and loc[0] == "tasks" else ".".join(map(str, loc))
    return f"{task}{inner + ': ' if inner else ''}{message}"


def raise_for_problems(suite: "Suite") -> None:
    """Raise :class:`SuiteError` listing every problem (the Python-API path; the YAML loader
    adds line numbers)."""
    problems = suite_problems(suite)
    if problems:
        source = suite.source or f"suite {suite.suite}"
        raise SuiteError(source, [(None, format_problem(loc, msg, task_label(suite, loc))) for loc, msg in problems])
