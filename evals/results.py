"""From trial records to verdicts: summary, baseline comparison, report files, exit status.

Shared by ``eval run`` (fresh records) and ``eval grade`` (records re-graded from a log), so
both produce exactly the same reports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from evals.compare import Comparison, compare, load_baseline
from evals.gold import GoldCache
from evals.grading import grade
from evals.log import RunHeader
from evals.metrics import Summary, summarize
from evals.model import Suite
from evals.record import TrialRecord


def parse_rate(text: str) -> float:
    """``0.8``, ``80%`` or ``80`` → 0.8."""
    value = float(text.strip().rstrip("%"))
    if text.strip().endswith("%") or value > 1:
        value /= 100
    if not 0 <= value <= 1:
        raise ValueError(f"{text!r} is not a rate between 0 and 1 (or 0% and 100%)")
    return value


def regrade(records: list[TrialRecord], suites: list[Suite], gold: GoldCache | None) -> tuple[list[TrialRecord], list[str]]:
    """Grade logged trials against the suites' current conditions; trials of tasks no longer in
    the suites keep their logged grade (and are named in the notes)."""
    tasks = {(s.suite, t.id): (s, t) for s in suites for t in s.tasks}
    notes: list[str] = []
    changed = set()
    out = []
    for record in records:
        found = tasks.get((record.suite, record.task_id))
        if found is None or record.status == "infra_error":
            if found is None:
                notes.append(f"{record.suite}/{record.task_id}: not in the suites any more; kept its logged grade")
            out.append(record)
            continue
        suite, task = found
        if record.task_hash != task.fingerprint():
            changed.add(f"{suite.suite}/{task.id}")
        gold_hash = gold.state_hash(suite, task) if (gold is not None and task.expect.state_hash) else None
        out.append(record.model_copy(update={"grade": grade(task, record, gold_hash)}))
    notes += [f"{name}: the task changed since the run; graded against its current conditions" for name in sorted(changed)]
    return out, sorted(set(notes))


@dataclass
class Outcome:
    summary: Summary
    comparison: Comparison | None

    @property
    def rate(self) -> float | None:
        stats = self.summary.overall or (self.summary.suites[0] if self.summary.suites else None)
        return stats.rate if stats else None

    @property
    def infra_errors(self) -> int:
        return sum(s.infra_errors for s in self.summary.suites)

    def below_threshold(self) -> bool:
        threshold = self.summary.min_pass
        return threshold is not None and (self.rate is None or self.rate < threshold)

    def regressed(self) -> bool:
        return self.comparison is not None and any(s.significant and (s.delta or 0) < 0
                                                   for s in self.comparison.suites)


def evaluate(header: RunHeader, suites: list[Suite], records: list[TrialRecord], *, log: Path | None,
             min_pass: float | None = None, baseline: Path | None = None) -> Outcome:
    summary = summarize(records, suites, header.k, key=header.key, harness=header.harness,
                        started_at=header.started_at, log=str(log) if log else None)
    summary.min_pass = min_pass
    comparison = None
    if baseline is not None:
        comparison = compare(summary, load_baseline(baseline), str(baseline))
        summary.comparison = comparison.model_dump(mode="json")
    return Outcome(summary, comparison)


def write_reports(outcome: Outcome, records: list[TrialRecord], *, json_path: Path | None, html_path: Path | None,
                  junit_path: Path | None) -> list[Path]:
    from evals.reports.html import write_html
    from evals.reports.junit import write_junit

    written = []
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps(outcome.summary.model_dump(mode="json"), ensure_ascii=False, indent=1),
                             encoding="utf-8")
        written.append(json_path)
    if html_path is not None:
        write_html(html_path, outcome.summary, records, outcome.comparison)
        written.append(html_path)
    if junit_path is not None:
        write_junit(junit_path, outcome.summary, records)
        written.append(junit_path)
    return written
