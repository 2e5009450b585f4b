"""JUnit XML for CI: one testsuite per eval suite, one testcase per task.

A task fails unless every graded trial passed (a flaky task is a failing test — the
message says how often it passed); a task whose trials all hit infrastructure errors is
skipped, not failed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

from evals.metrics import Summary
from evals.record import TrialRecord


def _failure_text(records: list[TrialRecord]) -> str:
    lines = []
    for r in records:
        if r.graded and not r.passed and r.grade is not None:
            failed = [f"  ✗ {c.kind}: {c.detail}" for c in r.grade.checks if not c.passed]
            lines.append(f"trial {r.trial} ({r.status}):\n" + "\n".join(failed))
    return "\n".join(lines)


def junit_xml(summary: Summary, records: list[TrialRecord]) -> ET.ElementTree:
    by_task: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_task[(record.suite, record.task_id)].append(record)
    root = ET.Element("testsuites", name="errand eval")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for suite in summary.suites:
        tasks = [t for t in summary.tasks if t.suite == suite.suite]
        node = ET.SubElement(root, "testsuite", name=suite.suite)
        counts = {"tests": len(tasks), "failures": 0, "errors": 0, "skipped": 0}
        for t in tasks:
            trials = by_task.get((t.suite, t.task_id), [])
            case = ET.SubElement(node, "testcase", classname=f"errand.eval.{t.suite}", name=t.task_id,
                                 time=f"{sum(r.wall_seconds for r in trials):.3f}")
            if t.n == 0:
                counts["skipped"] += 1
                ET.SubElement(case, "skipped", message=f"{t.infra_errors} trial(s) hit infrastructure errors")
            elif t.passed < t.n:
                crashed = [r for r in trials if r.status == "crashed"]
                kind = "error" if crashed and len(crashed) == t.n else "failure"
                counts["errors" if kind == "error" else "failures"] += 1
                element = ET.SubElement(case, kind, message=f"passed {t.passed}/{t.n} trials: {t.failure or ''}"[:500],
                                        type="EvalFailure")
                element.text = _failure_text(trials)
        for key, value in counts.items():
            node.set(key, str(value))
            totals[key] += value
        node.set("time", f"{suite.wall_seconds:.3f}")
    for key, value in totals.items():
        root.set(key, str(value))
    return ET.ElementTree(root)


def write_junit(path: Path, summary: Summary, records: list[TrialRecord]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tree = junit_xml(summary, records)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
