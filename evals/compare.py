"""Comparing a run with a baseline: paired, per task, with significance — so noise is not
mistaken for a change.

Two runs of the same agent differ by several points from sampling alone (tau2-bench users
measured a 7–11 point noise floor). So a change is shown with its evidence: per task,
Fisher's exact test on the two runs' pass counts; per suite, the mean of the paired
per-task differences with a 95% interval from resampling tasks, and the Cochran–Mantel–
Haenszel test, which pools the per-task evidence without letting easy tasks dilute it. Only
what clears p < 0.05 is called a change.
"""

from __future__ import annotations

import json
from math import comb, erfc, sqrt
from pathlib import Path
from typing import Any

from pydantic import BaseModel, Field

from evals.metrics import Summary, bootstrap_mean

ALPHA = 0.05


def fisher_exact(a: int, b: int, c: int, d: int) -> float:
    """Two-sided p-value of Fisher's exact test for the table [[a, b], [c, d]]."""
    row1, row2, col1 = a + b, c + d, a + c
    total = row1 + row2
    if total == 0:
        return 1.0
    denominator = comb(total, col1)

    def probability(x: int) -> float:
        return comb(row1, x) * comb(row2, col1 - x) / denominator

    observed = probability(a)
    low, high = max(0, col1 - row2), min(row1, col1)
    return min(1.0, sum(p for x in range(low, high + 1) if (p := probability(x)) <= observed * (1 + 1e-9)))


def cmh_test(tables: list[tuple[int, int, int, int]]) -> float:
    """Two-sided p-value of the Cochran–Mantel–Haenszel test over per-task 2×2 tables
    (after passed, after failed, before passed, before failed): did the pass rate change,
    task by task, more than chance allows? Tasks where nothing varies carry no evidence."""
    deviation = variance = 0.0
    for a, b, c, d in tables:
        n = a + b + c + d
        if n < 2:
            continue
        deviation += a - (a + b) * (a + c) / n
        variance += (a + b) * (c + d) * (a + c) * (b + d) / (n * n * (n - 1))
    if variance == 0:
        return 1.0
    statistic = max(0.0, abs(deviation) - 0.5) ** 2 / variance
    return erfc(sqrt(statistic / 2))


class TaskChange(BaseModel):
    suite: str
    task_id: str
    before: tuple[int, int] = Field(description="(passed, trials) in the baseline")
    after: tuple[int, int]
    delta: float
    p_value: float
    significant: bool


class SuiteChange(BaseModel):
    suite: str
    common_tasks: int
    before: float | None
    after: float | None
    delta: float | None
    ci: tuple[float, float] | None
    p_value: float
    significant: bool
    improved: int = Field(0, description="Tasks significantly better")
    regressed: int = Field(0, description="Tasks significantly worse")
    moved_up: int = 0
    moved_down: int = 0


class Comparison(BaseModel):
    baseline: str
    baseline_key: str = ""
    same_configuration: bool = False
    suites: list[SuiteChange] = Field(default_factory=list)
    tasks: list[TaskChange] = Field(default_factory=list)
    only_in_baseline: list[str] = Field(default_factory=list)
    only_in_current: list[str] = Field(default_factory=list)

    @property
    def regressions(self) -> list[TaskChange]:
        return [t for t in self.tasks if t.significant and t.delta < 0]


def compare(current: Summary, baseline: Summary, label: str) -> Comparison:
    result = Comparison(baseline=label, baseline_key=baseline.key, same_configuration=baseline.key == current.key)
    before = {(t.suite, t.task_id): t for t in baseline.tasks if t.n}
    after = {(t.suite, t.task_id): t for t in current.tasks if t.n}
    result.only_in_baseline = [f"{s}/{t}" for s, t in before if (s, t) not in after]
    result.only_in_current = [f"{s}/{t}" for s, t in after if (s, t) not in before]
    for key in [k for k in after if k in before]:
        b, a = before[key], after[key]
        p = fisher_exact(a.passed, a.n - a.passed, b.passed, b.n - b.passed)
        delta = a.passed / a.n - b.passed / b.n
        result.tasks.append(TaskChange(suite=key[0], task_id=key[1], before=(b.passed, b.n), after=(a.passed, a.n),
                                       delta=delta, p_value=p, significant=p < ALPHA and delta != 0))
    for suite in dict.fromkeys(t.suite for t in result.tasks):
        changes = [t for t in result.tasks if t.suite == suite]
        deltas = [t.delta for t in changes]
        up, down = sum(d > 0 for d in deltas), sum(d < 0 for d in deltas)
        p = cmh_test([(t.after[0], t.after[1] - t.after[0], t.before[0], t.before[1] - t.before[0]) for t in changes])
        ci = bootstrap_mean(deltas)
        mean_delta = sum(deltas) / len(deltas)
        result.suites.append(SuiteChange(
            suite=suite, common_tasks=len(changes),
            before=sum(t.before[0] / t.before[1] for t in changes) / len(changes),
            after=sum(t.after[0] / t.after[1] for t in changes) / len(changes),
            delta=mean_delta, ci=ci, p_value=p,
            significant=p < ALPHA and mean_delta != 0,
            improved=sum(t.significant and t.delta > 0 for t in changes),
            regressed=sum(t.significant and t.delta < 0 for t in changes), moved_up=up, moved_down=down))
    return result


def load_baseline(path: Path) -> Summary:
    """A baseline: a ``--json`` summary of an earlier run, or its JSONL log (graded as logged)."""
    from evals.log import LogError, read_log
    from evals.metrics import summarize

    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LogError(f"{path}: cannot read the baseline: {exc}") from None
    first = text.lstrip().split("\n", 1)[0]
    try:
        data: Any = json.loads(first)
    except json.JSONDecodeError:
        data = None
    if isinstance(data, dict) and data.get("type") == "run":
        header, records = read_log(path)
        return summarize(records, [], header.k, key=header.key, harness=header.harness, log=str(path))
    try:
        return Summary.model_validate(json.loads(text))
    except (json.JSONDecodeError, ValueError) as exc:
        raise LogError(f"{path}: not an eval summary (--json) or log (.jsonl): {exc}") from None
