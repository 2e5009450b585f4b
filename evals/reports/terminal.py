"""The terminal summary: one row per suite, then what failed and what changed."""

from __future__ import annotations

from typing import Callable

from rich.console import Console
from rich.table import Table

from evals.compare import Comparison
from evals.metrics import SuiteStats, Summary
from evals.reports.format import cost, p_value, pass_hat, pct, rate_with_ci, signed, tokens

MAX_FAILURES = 15


def _columns(summary: Summary) -> list[tuple[str, Callable[[SuiteStats], str]]]:
    rows = [*summary.suites, *([summary.overall] if summary.overall else [])]
    columns: list[tuple[str, Callable[[SuiteStats], str]]] = [
        ("suite", lambda s: s.suite), ("tasks", lambda s: str(s.tasks)), ("trials", lambda s: str(s.trials)),
        ("success [95% CI]", lambda s: rate_with_ci(s.rate, s.ci)), ("pass^k", lambda s: pass_hat(s.pass_hat)),
        ("flaky", lambda s: str(s.flaky_tasks)),
        ("approvals recall/precision", lambda s: f"{pct(s.approval_recall)} / {pct(s.approval_precision)}"),
        ("denied", lambda s: str(s.denied) + (f" [red]{s.bypassed} bypassed[/]" if s.bypassed else "")),
    ]
    if any(s.security for s in rows):
        columns.append(("utility / attacked / ASR", lambda s: "–" if s.security is None else
                        f"{pct(s.security.utility)} / {pct(s.security.utility_under_attack)} / "
                        f"{pct(s.security.targeted_asr)}"))
    if any(s.infra_errors for s in rows):
        columns.append(("infra", lambda s: str(s.infra_errors)))
    columns.append(("cost", lambda s: cost(s.usage).split(" (")[0]))
    return columns


def render(summary: Summary, console: Console, comparison: Comparison | None = None) -> None:
    brain = summary.harness.get("model") or summary.harness.get("brain") or "offline brain"
    table = Table(title=f"errand eval · {summary.harness.get('agent') or 'suite agents'} · {brain} · k={summary.k}",
                  title_justify="left")
    columns = _columns(summary)
    for name, _ in columns:
        table.add_column(name)
    for s in summary.suites:
        table.add_row(*(value(s) for _, value in columns))
    total = summary.overall or (summary.suites[0] if len(summary.suites) == 1 else None)
    if summary.overall is not None:
        table.add_row(*(value(summary.overall) for _, value in columns), style="bold")
    console.print(table)
    if total is not None:
        console.print(f"model usage: {tokens(total.usage)}; cost: {cost(total.usage)}", highlight=False)
    failing = [t for t in summary.tasks if t.rate is not None and t.rate < 1]
    if failing:
        fails = Table(title=f"tasks below 100% ({len(failing)})", title_justify="left")
        for column in ("suite", "task", "passed", "flip", "first failing check"):
            fails.add_column(column, overflow="fold")
        for t in failing[:MAX_FAILURES]:
            fails.add_row(t.suite, t.task_id, f"{t.passed}/{t.n}", pct(t.flip), (t.failure or "")[:160])
        console.print(fails)
        if len(failing) > MAX_FAILURES:
            console.print(f"… and {len(failing) - MAX_FAILURES} more (see the HTML report or the JSON summary)")
    infra = sum(s.infra_errors for s in summary.suites)
    if infra:
        console.print(f"[yellow]{infra} trial(s) hit infrastructure errors and were not graded; "
                      "rerun with --resume to retry them.[/]")
    if comparison is not None:
        render_comparison(comparison, console)


def render_comparison(comparison: Comparison, console: Console) -> None:
    table = Table(title=f"against baseline {comparison.baseline}"
                        + ("" if comparison.same_configuration else " (different configuration)"),
                  title_justify="left")
    for column in ("suite", "tasks", "before", "after", "change [95% CI]", "tasks up / down", "verdict"):
        table.add_column(column)
    for s in comparison.suites:
        ci = "" if s.ci is None else f" [{s.ci[0] * 100:+.0f}, {s.ci[1] * 100:+.0f}]"
        verdict = ("[green]better[/]" if (s.delta or 0) > 0 else "[red]worse[/]") if s.significant else \
            f"no significant change ({p_value(s.p_value)})"
        table.add_row(s.suite, str(s.common_tasks), pct(s.before), pct(s.after), signed(s.delta) + ci,
                      f"{s.moved_up} / {s.moved_down}", verdict)
    console.print(table)
    significant = [t for t in comparison.tasks if t.significant]
    for t in significant:
        colour = "green" if t.delta > 0 else "red"
        console.print(f"  [{colour}]{t.suite}/{t.task_id}: {t.before[0]}/{t.before[1]} → {t.after[0]}/{t.after[1]} "
                      f"({p_value(t.p_value)})[/]")
    moved = sum(1 for t in comparison.tasks if t.delta != 0 and not t.significant)
    if moved:
        console.print(f"  {moved} other task(s) moved within noise (not significant at p<0.05)")
