"""``errand eval``: run suites, re-grade logs, check suite files.

    errand eval run SUITE… [--model SPEC] [--base-url URL] [--policy FILE] [--agent NAME] [--k N]
                           [--concurrency N] [--workers N] [--json FILE] [--html FILE] [--junit FILE]
                           [--baseline FILE] [--min-pass RATE] [--resume]
    errand eval grade LOG [--suite SUITE…] [--json FILE] [--html FILE] [--junit FILE] [--baseline FILE]
    errand eval check SUITE… [--gold]

Exit codes: 0 ran (and met --min-pass), 1 below --min-pass or a significant regression with
--fail-on-regression, 2 bad input (suite, policy, agent, log), 4 incomplete (trials still
failing on infrastructure: rerun with --resume), 130 interrupted (rerun with --resume).
Also runnable as ``python -m evals.cli``.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from rich.console import Console

EXIT_OK, EXIT_BELOW, EXIT_BAD_INPUT, EXIT_INCOMPLETE, EXIT_INTERRUPTED = 0, 1, 2, 4, 130

app = typer.Typer(help="Evaluate agents on suites of errands: outcomes, consistency, approval discipline and "
                       "injection robustness.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


class _Progress:
    """A live bar on a terminal; one line per finished task otherwise (CI logs)."""

    def __init__(self, k: int) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

        self.k = k
        self.live = err.is_terminal
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=err, transient=True, disable=not self.live)
        self.bar: Any = None
        self.counts = {"pass": 0, "fail": 0, "infra": 0}
        self.per_task: dict[tuple[str, str], list[bool]] = {}

    def started(self, total: int, done: int) -> None:
        if done:
            err.print(f"resuming: {done} trial(s) already in the log, {total - done} to run")
        self.progress.start()
        self.bar = self.progress.add_task("trials", total=total, completed=done)

    def finished(self, record: Any) -> None:
        key = "infra" if record.status == "infra_error" else "pass" if record.passed else "fail"
        self.counts[key] += 1
        self.progress.update(self.bar, advance=1, description=f"✓ {self.counts['pass']} ✗ {self.counts['fail']}"
                                                              f" ⚠ {self.counts['infra']}")
        if not self.live:
            seen = self.per_task.setdefault((record.suite, record.task_id), [])
            seen.append(record.passed)
            if len(seen) == self.k:
                err.print(f"{'✓' if all(seen) else '✗'} {record.suite}/{record.task_id} {sum(seen)}/{len(seen)}",
                          highlight=False)

    def stop(self) -> None:
        self.progress.stop()


def _outputs(log: Path, json_path: Optional[Path], html_path: Optional[Path]) -> tuple[Path, Path]:
    stem = log.with_suffix("")
    return json_path or stem.with_suffix(".json"), html_path or stem.with_suffix(".html")


def _finish(outcome: Any, records: list, *, json_path: Path, html_path: Path, junit_path: Optional[Path],
            fail_on_regression: bool, notes: list[str]) -> int:
    from evals.reports.terminal import render
    from evals.results import write_reports

    render(outcome.summary, console, outcome.comparison)
    for note in notes:
        err.print(f"note: {note}", highlight=False)
    for path in write_reports(outcome, records, json_path=json_path, html_path=html_path, junit_path=junit_path):
        console.print(f"wrote {path}", highlight=False)
    if outcome.below_threshold():
        err.print(f"[red]success {outcome.rate if outcome.rate is None else f'{outcome.rate:.1%}'} is below "
                  f"--min-pass {outcome.summary.min_pass:.1%}[/]")
        return EXIT_BELOW
    if fail_on_regression and outcome.regressed():
        err.print("[red]a suite is significantly worse than the baseline[/]")
        return EXIT_BELOW
    if outcome.infra_errors:
        return EXIT_INCOMPLETE
    return EXIT_OK


def _rate(text: Optional[str]) -> Optional[float]:
    from evals.results import parse_rate

    if text is None:
        return None
    try:
        return parse_rate(text)
    except ValueError as exc:
        _fail(f"--min-pass: {exc}")
    return None


@app.command("run")
def run(
    suites: list[str] = typer.Argument(..., help="Suite files, or shipped suites: gov, shop, travel, security, approval"),
    model: Optional[str] = typer.Option(None, "--model", help="Model spec (openai:MODEL, …); default: offline brain"),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="OpenAI-compatible server for --model"),
    policy: Optional[str] = typer.Option(None, "--policy", help="Policy name or file for tasks without their own"),
    agent: Optional[str] = typer.Option(None, "--agent", help="Agent for every task (default: each suite's)"),
    k: int = typer.Option(1, "--k", min=1, max=100, help="Trials per task"),
    concurrency: int = typer.Option(8, "--concurrency", min=1, max=512, help="Trials at once"),
    workers: Optional[int] = typer.Option(None, "--workers", min=1, max=512,
                                          help="Worker processes sharing the concurrency (default: one per CPU, "
                                               "up to the concurrency, from 4 trials at once; 1: one process)"),
    json_path: Optional[Path] = typer.Option(None, "--json", help="Summary JSON (default: next to the log)"),
    html_path: Optional[Path] = typer.Option(None, "--html", help="HTML report (default: next to the log)"),
    junit_path: Optional[Path] = typer.Option(None, "--junit", help="JUnit XML for CI"),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="An earlier run's summary JSON or log"),
    min_pass: Optional[str] = typer.Option(None, "--min-pass", help="Exit 1 below this success rate (0.8 or 80%)"),
    resume: bool = typer.Option(False, "--resume", help="Continue the run of the same configuration"),
    log: Optional[Path] = typer.Option(None, "--log", help="JSONL log (default: OUT/<suites>-<run key>.jsonl)"),
    out_dir: Path = typer.Option(Path("eval-results"), "--out", help="Where logs and reports go"),
    task: list[str] = typer.Option([], "--task", help="Only tasks whose id matches (glob; repeatable)"),
    tag: list[str] = typer.Option([], "--tag", help="Only tasks with this tag (repeatable)"),
    user_model: Optional[str] = typer.Option(None, "--user-model", help="LLM-simulated user for questions"),
    prices: Optional[Path] = typer.Option(None, "--prices", help="YAML {model: {input, output}} per 1M tokens"),
    retries: int = typer.Option(2, "--retries", min=0, max=10, help="Retries after infrastructure errors"),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression", help="Exit 1 if worse than --baseline"),
) -> None:
    """Run suites: each task k times, each trial in its own sandbox world, concurrently."""
    from evals.checks import SuiteError
    from evals.harness import Harness, HarnessError
    from evals.loader import load_suites
    from evals.log import LogError
    from evals.results import evaluate
    from evals.runner import EvalConfig, Evaluator
    from evals.usage import PriceTable
    from tools.loading import InputError

    threshold = _rate(min_pass)
    progress = _Progress(k)
    try:
        loaded = load_suites(list(suites))
        config = EvalConfig(k=k, concurrency=concurrency, workers=workers, retries=retries, resume=resume, log=log,
                            out_dir=out_dir, tasks=task, tags=tag, prices=PriceTable.load(prices))
        harness = Harness(agent=agent, model=model, base_url=base_url, policy=policy, user_model=user_model)
        try:
            result = asyncio.run(Evaluator(loaded, harness, config, progress).run())
        finally:
            progress.stop()
        if result.interrupted:
            err.print(f"interrupted after {result.ran} trial(s); continue with the same command and --resume "
                      f"(log: {result.log})")
            raise typer.Exit(EXIT_INTERRUPTED)
        outcome = evaluate(result.header, result.suites, result.records, log=result.log, min_pass=threshold,
                           baseline=baseline)
    except (InputError, SuiteError, HarnessError, LogError, ValueError) as exc:
        _fail(str(exc))
        return
    processes = f" by {result.workers} worker processes" if result.workers > 1 else ""
    console.print(f"{result.ran} trial(s) run, {result.reused} reused from the log, in {result.seconds:.1f}s"
                  f"{processes}; log: {result.log}", highlight=False)
    json_out, html_out = _outputs(result.log, json_path, html_path)
    raise typer.Exit(_finish(outcome, result.records, json_path=json_out, html_path=html_out, junit_path=junit_path,
                             fail_on_regression=fail_on_regression, notes=[]))


@app.command("grade")
def grade_log(
    log: Path = typer.Argument(..., help="A JSONL log written by `errand eval run`"),
    suite: list[str] = typer.Option([], "--suite", help="Grade against these suite files (default: the run's)"),
    json_path: Optional[Path] = typer.Option(None, "--json"),
    html_path: Optional[Path] = typer.Option(None, "--html"),
    junit_path: Optional[Path] = typer.Option(None, "--junit"),
    baseline: Optional[Path] = typer.Option(None, "--baseline"),
    min_pass: Optional[str] = typer.Option(None, "--min-pass"),
    fail_on_regression: bool = typer.Option(False, "--fail-on-regression"),
) -> None:
    """Re-grade a run's log against the suites' current pass conditions, without running anything."""
    import tempfile

    from evals.checks import SuiteError
    from evals.gold import GoldCache, gold_runner
    from evals.harness import Harness, HarnessError
    from evals.loader import load_suites
    from evals.log import LogError, read_log
    from evals.results import evaluate, regrade
    from tools.loading import InputError

    threshold = _rate(min_pass)
    try:
        header, records = read_log(log)
        sources = list(suite) or [ref.source if ref.source and Path(ref.source).exists() else ref.name
                                  for ref in header.suites]
        suites = load_suites(sources)
        names = {ref.name for ref in header.suites}
        suites = [s for s in suites if s.suite in names] if not suite else suites
        spec = header.harness
        harness = Harness(agent=spec.get("agent"), policy=spec.get("policy"))
        with tempfile.TemporaryDirectory(prefix="errand-eval-grade-") as work:
            gold = GoldCache(gold_runner(harness, Path(work)))
            records, notes = regrade(records, suites, gold)
        outcome = evaluate(header, suites, records, log=log, min_pass=threshold, baseline=baseline)
    except (InputError, SuiteError, HarnessError, LogError, ValueError) as exc:
        _fail(str(exc))
        return
    stem = log.with_suffix("")
    json_out = json_path or stem.with_name(stem.name + "-regraded").with_suffix(".json")
    html_out = html_path or stem.with_name(stem.name + "-regraded").with_suffix(".html")
    raise typer.Exit(_finish(outcome, records, json_path=json_out, html_path=html_out, junit_path=junit_path,
                             fail_on_regression=fail_on_regression, notes=notes))


@app.command("check")
def check(
    suites: list[str] = typer.Argument(..., help="Suite files or shipped suite names"),
    gold: bool = typer.Option(False, "--gold", help="Also replay every gold trajectory and attack"),
    agent: Optional[str] = typer.Option(None, "--agent"),
) -> None:
    """Validate suite files (and, with --gold, that each task's reference trajectory passes it)."""
    import tempfile

    from evals.checks import SuiteError
    from evals.gold import attack_runner, check_gold, gold_runner
    from evals.harness import Harness
    from evals.loader import load_suites
    from tools.loading import InputError

    try:
        loaded = load_suites(list(suites))
    except (InputError, SuiteError) as exc:
        _fail(str(exc))
        return
    total = sum(len(s.tasks) for s in loaded)
    console.print(f"{len(loaded)} suite(s), {total} task(s): valid", highlight=False)
    if not gold:
        raise typer.Exit(EXIT_OK)
    problems = []
    with tempfile.TemporaryDirectory(prefix="errand-eval-check-") as work:
        harness = Harness(agent=agent)
        replay, attack = gold_runner(harness, Path(work)), attack_runner(harness, Path(work))
        for suite in loaded:
            for task in suite.tasks:
                problems += [r for r in check_gold(suite, task, replay, attack) if r.problem]
    for report in problems:
        err.print(f"[red]✗[/] {report.suite}/{report.task_id}: {report.problem}", highlight=False)
    with_gold = sum(t.gold is not None for s in loaded for t in s.tasks)
    console.print(f"gold trajectories: {with_gold} replayed, {len(problems)} problem(s)", highlight=False)
    triggered = sum(t.trigger is not None and t.gold is None for s in loaded for t in s.tasks)
    if triggered:
        console.print(f"trigger tasks without gold: {triggered} (the trigger prepares the errand from the event; "
                      "they are graded on outcomes only)", highlight=False)
    raise typer.Exit(EXIT_BAD_INPUT if problems else EXIT_OK)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
