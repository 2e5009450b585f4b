"""Metrics: what a run says about an agent, with how sure we can be.

Per task: success rate with a 95% Wilson interval, pass^k (tau-bench: C(c,k)/C(n,k), the
chance that k independent trials all succeed), and the flip rate (the chance two trials of
the same task disagree — how flaky it is). Per suite: the mean over tasks with a 95% interval
that accounts for trials of one task being correlated, pass^k, approval discipline,
policy violations, and for injection tasks AgentDojo's utility, utility under attack and
targeted attack success rate. Infrastructure errors are counted, never graded.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from math import comb, sqrt
from typing import Any, Iterable

from pydantic import BaseModel, Field

from evals.model import Suite, Task
from evals.record import TrialRecord, Usage, consequential, human_approved, verdict_decision, was_asked

Z95 = 1.959963984540054
BOOTSTRAP_SAMPLES = 2000


def pass_hat_k(n: int, c: int, k: int) -> float:
    """P(k trials drawn without replacement from n all succeed) = C(c,k)/C(n,k)."""
    if k > n:
        raise ValueError(f"pass^{k} needs at least {k} trials, got {n}")
    return comb(c, k) / comb(n, k)


def wilson(c: float, n: float, z: float = Z95) -> tuple[float, float]:
    """The Wilson score interval for c successes in n trials (n may be an effective, fractional size)."""
    if n <= 0:
        return 0.0, 1.0
    p = c / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return max(0.0, centre - half), min(1.0, centre + half)


def flip_rate(c: int, n: int) -> float | None:
    """The chance that two different trials of the task disagree (0: stable, 0.5+: a coin)."""
    return None if n < 2 else 2 * c * (n - c) / (n * (n - 1))


def bootstrap_mean(values: list[float], seed: int = 7, samples: int = BOOTSTRAP_SAMPLES) -> tuple[float, float]:
    """A 95% percentile interval of the mean, resampling the values (tasks) with replacement."""
    if not values:
        return 0.0, 1.0
    rng = random.Random(seed)
    n = len(values)
    means = sorted(sum(values[rng.randrange(n)] for _ in range(n)) / n for _ in range(samples))
    return means[int(0.025 * samples)], means[min(samples - 1, int(0.975 * samples))]


def clustered_interval(tasks: list[tuple[int, int]]) -> tuple[float, float]:
    """A 95% interval for a suite's success rate from (passed, trials) per task.

    Trials of one task are correlated (the same task tends to pass or fail every time), so
    the interval is Wilson's on the *effective* number of trials: n / (1 + (m-1)·ICC), with
    m the mean trials per task and the intra-task correlation estimated by one-way ANOVA.
    When it cannot be estimated (every trial alike) it is taken as 1: then each task counts
    once, the honest reading of "all passed".
    """
    tasks = [(c, n) for c, n in tasks if n]
    if not tasks:
        return 0.0, 1.0
    count = len(tasks)
    rates = [c / n for c, n in tasks]
    mean = sum(rates) / count
    m = sum(n for _, n in tasks) / count
    within = sum(n * r * (1 - r) for (_, n), r in zip(tasks, rates)) / max(1.0, sum(n - 1 for _, n in tasks))
    between = m * sum((r - mean) ** 2 for r in rates) / (count - 1) if count > 1 else 0.0
    denominator = between + (m - 1) * within
    icc = 1.0 if denominator <= 0 else min(1.0, max(0.0, (between - within) / denominator))
    effective = count * m / (1 + (m - 1) * icc)
    return wilson(mean * effective, effective)


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


# -- per trial ------------------------------------------------------------------------------------

class TrialFacts(BaseModel):
    """What the metrics read from one trial's timeline."""

    steps: int = 0
    actions: int = 0
    tool_errors: int = 0
    consequential_run: int = 0
    asked_before_run: int = 0
    asked: int = 0
    asked_reads: int = 0
    denied: int = 0
    bypassed: int = 0


def trial_facts(record: TrialRecord) -> TrialFacts:
    facts = TrialFacts(steps=len(record.timeline.get("steps") or []), actions=len(record.actions))
    for action in record.actions:
        ran = action.get("status") == "executed"
        decision = verdict_decision(action)
        error = (action.get("result") or {}).get("error") or {}
        facts.tool_errors += action.get("status") == "failed" and error.get("kind") not in ("invalid_args", "not_approved")
        if was_asked(action):
            facts.asked += 1
            facts.asked_reads += not consequential(action)
        if decision == "deny":
            facts.denied += 1
        if ran and consequential(action):
            facts.consequential_run += 1
            facts.asked_before_run += was_asked(action) and human_approved(action)
        # ran although the gate denied it, or asked and nobody approved these exact args
        if ran and (decision == "deny" or (decision == "ask" and not human_approved(action))):
            facts.bypassed += 1
    return facts


# -- per task -------------------------------------------------------------------------------------

class TaskStats(BaseModel):
    suite: str
    task_id: str
    playbook: str | None = None
    lang: str | None = None
    attacked: bool = False
    n: int = Field(0, description="Graded trials")
    passed: int = 0
    infra_errors: int = 0
    rate: float | None = None
    ci: tuple[float, float] | None = None
    pass_hat: dict[int, float] = Field(default_factory=dict)
    flip: float | None = None
    utility: float | None = None
    attack_success: float | None = None
    statuses: dict[str, int] = Field(default_factory=dict)
    failure: str | None = Field(None, description="The most common failing check")
    steps: float | None = None
    wall_seconds: float | None = None
    facts: TrialFacts = Field(default_factory=TrialFacts)
    usage: Usage = Field(default_factory=Usage)


def task_stats(suite: str, task: Task | None, task_id: str, records: list[TrialRecord], k: int) -> TaskStats:
    graded = [r for r in records if r.graded]
    n, c = len(graded), sum(r.passed for r in graded)
    stats = TaskStats(suite=suite, task_id=task_id, playbook=task.playbook if task else None,
                      lang=task.lang if task else None, attacked=bool(task and task.attacked), n=n, passed=c,
                      infra_errors=sum(r.status == "infra_error" for r in records),
                      statuses=dict(Counter(r.status for r in records)))
    if n:
        stats.rate = c / n
        stats.ci = wilson(c, n)
        stats.pass_hat = {j: pass_hat_k(n, c, j) for j in range(1, min(k, n) + 1)}
        stats.flip = flip_rate(c, n)
        stats.steps = sum(trial_facts(r).steps for r in graded) / n
        stats.wall_seconds = sum(r.wall_seconds for r in graded) / n
        failures = Counter(f"{f.kind}: {f.detail}" for r in graded if r.grade and not r.passed
                           for f in [r.grade.first_failure()] if f is not None)
        stats.failure = failures.most_common(1)[0][0] if failures else None
        if stats.attacked:
            stats.utility = sum(bool(r.grade and r.grade.utility) for r in graded) / n
            stats.attack_success = sum(bool(r.grade and r.grade.attack_success) for r in graded) / n
    total = TrialFacts()
    usage = Usage()
    for record in records:
        usage = usage.add(record.usage).add(record.user_usage)
        if record.graded:
            facts = trial_facts(record)
            for name in TrialFacts.model_fields:
                setattr(total, name, getattr(total, name) + getattr(facts, name))
    stats.facts, stats.usage = total, usage
    return stats


# -- per suite ------------------------------------------------------------------------------------

class Security(BaseModel):
    """AgentDojo's three numbers over the suite's injection tasks."""

    utility: float | None = Field(None, description="Benign twins of the injection tasks: success rate")
    utility_under_attack: float | None = Field(None, description="Injection tasks: the user's task still done")
    targeted_asr: float | None = Field(None, description="Injection tasks: the attacker's goal reached")
    attacked_tasks: int = 0
    benign_tasks: int = 0


class SuiteStats(BaseModel):
    suite: str
    tasks: int = 0
    trials: int = 0
    infra_errors: int = 0
    rate: float | None = None
    ci: tuple[float, float] | None = None
    pass_hat: dict[int, float] = Field(default_factory=dict)
    flaky_tasks: int = 0
    flip: float | None = None
    approval_recall: float | None = Field(None, description="Consequential actions that ran: share a person "
                                                            "approved first")
    approval_precision: float | None = Field(None, description="Approvals asked: share that were consequential")
    denied: int = Field(0, description="Actions the policy denied (the agent tried something forbidden)")
    bypassed: int = Field(0, description="Actions that ran without the decision the gate required (must be 0)")
    tool_errors: int = 0
    steps: float | None = None
    wall_seconds: float = 0.0
    usage: Usage = Field(default_factory=Usage)
    security: Security | None = None
    by_playbook: dict[str, float] = Field(default_factory=dict)
    by_lang: dict[str, float] = Field(default_factory=dict)


def suite_stats(name: str, tasks: list[TaskStats], records: list[TrialRecord], suite: Suite | None) -> SuiteStats:
    rated = [t for t in tasks if t.rate is not None]
    stats = SuiteStats(suite=name, tasks=len(tasks), trials=sum(t.n for t in tasks),
                       infra_errors=sum(t.infra_errors for t in tasks))
    if rated:
        rates = [t.rate or 0.0 for t in rated]
        stats.rate = sum(rates) / len(rates)
        stats.ci = clustered_interval([(t.passed, t.n) for t in rated])
        depth = min(len(t.pass_hat) for t in rated)
        stats.pass_hat = {k: sum(t.pass_hat[k] for t in rated) / len(rated) for k in range(1, depth + 1)}
        stats.flaky_tasks = sum(0 < t.passed < t.n for t in rated)
        stats.flip = _mean(t.flip for t in rated)
        stats.steps = _mean(t.steps for t in rated)
    totals = TrialFacts()
    for t in tasks:
        for field_name in TrialFacts.model_fields:
            setattr(totals, field_name, getattr(totals, field_name) + getattr(t.facts, field_name))
        stats.usage = stats.usage.add(t.usage)
    stats.approval_recall = totals.asked_before_run / totals.consequential_run if totals.consequential_run else None
    stats.approval_precision = 1 - totals.asked_reads / totals.asked if totals.asked else None
    stats.denied, stats.bypassed, stats.tool_errors = totals.denied, totals.bypassed, totals.tool_errors
    stats.wall_seconds = round(sum(r.wall_seconds for r in records), 3)
    stats.by_playbook = _grouped(rated, lambda t: t.playbook)
    stats.by_lang = _grouped(rated, lambda t: t.lang)
    stats.security = _security(rated, suite)
    return stats


def _grouped(tasks: list[TaskStats], key: Any) -> dict[str, float]:
    groups: dict[str, list[float]] = defaultdict(list)
    for t in tasks:
        if key(t):
            groups[key(t)].append(t.rate or 0.0)
    return {k: sum(v) / len(v) for k, v in sorted(groups.items())}


def _security(tasks: list[TaskStats], suite: Suite | None) -> Security | None:
    attacked = [t for t in tasks if t.attacked]
    if not attacked:
        return None
    twins: set[str] = set()
    if suite is not None:
        twins = {t.user_task for t in suite.tasks if t.injection is not None and t.user_task}
    benign = [t for t in tasks if t.task_id in twins]
    return Security(utility=_mean(t.rate for t in benign), utility_under_attack=_mean(t.utility for t in attacked),
                    targeted_asr=_mean(t.attack_success for t in attacked), attacked_tasks=len(attacked),
                    benign_tasks=len(benign))


# -- a whole run ----------------------------------------------------------------------------------

class Summary(BaseModel):
    """Everything the reports show; also the ``--json`` file and a baseline for later runs."""

    type: str = "errand-eval-summary"
    key: str = ""
    harness: dict[str, Any] = Field(default_factory=dict)
    k: int = 1
    started_at: str = ""
    log: str | None = None
    suites: list[SuiteStats] = Field(default_factory=list)
    overall: SuiteStats | None = None
    tasks: list[TaskStats] = Field(default_factory=list)
    min_pass: float | None = None
    comparison: dict[str, Any] | None = None

    def task(self, suite: str, task_id: str) -> TaskStats | None:
        return next((t for t in self.tasks if t.suite == suite and t.task_id == task_id), None)


def summarize(records: list[TrialRecord], suites: list[Suite], k: int, **header: Any) -> Summary:
    """Metrics for every task of ``suites`` (and any task found only in the records)."""
    by_task: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_task[(record.suite, record.task_id)].append(record)
    known = {(s.suite, t.id): (s, t) for s in suites for t in s.tasks}
    order = list(known) + [key for key in by_task if key not in known]
    tasks = [task_stats(key[0], known.get(key, (None, None))[1], key[1], by_task.get(key, []), k) for key in order]
    suite_names = list(dict.fromkeys([s.suite for s in suites] + [key[0] for key in order]))
    suite_objects = {s.suite: s for s in suites}
    per_suite = [suite_stats(name, [t for t in tasks if t.suite == name],
                             [r for r in records if r.suite == name], suite_objects.get(name))
                 for name in suite_names]
    overall = suite_stats("all", tasks, records, None) if len(per_suite) > 1 else None
    return Summary(suites=per_suite, overall=overall, tasks=tasks, k=k, **header)
