"""``errand policy check|explain|replay`` and ``errand audit verify``.

Mounted into the ``errand`` command by ``agents/cli.py``::

    from policies.cli import audit_app, policy_app
    app.add_typer(policy_app, name="policy"); app.add_typer(audit_app, name="audit")

Exit codes follow the errand contract: 0 done, 1 failed (e.g. the audit log was tampered
with), 2 bad input (a policy file or action that does not load).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Optional

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from tools.loading import InputError

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT = 0, 1, 2

policy_app = typer.Typer(help="Check, explain and replay policies.", no_args_is_help=True, add_completion=False)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True, add_completion=False)
console = Console(highlight=False, soft_wrap=True)
err_console = Console(stderr=True, highlight=False, soft_wrap=True)


def _json_out(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _load(file: str) -> Any:
    from policies.loader import load_policy

    try:
        return load_policy(file)
    except InputError as exc:
        _fail(f"the policy does not load:\n{exc}")


@policy_app.command("check")
def check(file: str = typer.Argument(..., help="A policy YAML file, or a shipped name (default, strict, autonomous)"),
          as_json: bool = typer.Option(False, "--json", help="Machine-readable result")) -> None:
    """Validate a policy file and run every rule's examples; any problem fails the whole file."""
    from policies.loader import load_policy, load_policy_file, resolve_source

    try:
        policy = load_policy(file)
        raw = load_policy_file(resolve_source(file))
    except InputError as exc:
        if as_json:
            _json_out({"ok": False, "file": exc.source,
                       "problems": [{"line": line, "message": msg} for line, msg in exc.problems]})
            raise typer.Exit(EXIT_BAD_INPUT)
        _fail(f"the policy does not load:\n{exc}")
    examples = sum(len(r.matches) + len(r.not_matches) + sum(len(e.matches) + len(e.not_matches)
                                                               for e in r.exceptions) for r in raw.rules)
    examples += sum(len(c.matches) + len(c.not_matches) for c in raw.caps)
    result = {"ok": True, "policy": policy.name, "files": policy.files, "rules": len(policy.rules),
              "caps": len(policy.caps), "remembered": len(policy.remembered), "examples_checked": examples}
    if as_json:
        _json_out(result)
        return
    console.print(f"[green]ok[/]: policy {policy.name!r} — {len(policy.rules)} rules, {len(policy.caps)} caps, "
                  f"{examples} examples checked ({', '.join(policy.files)})")


@policy_app.command("explain")
def explain(file: str = typer.Argument(..., help="A policy YAML file, or a shipped name"),
            action: str = typer.Option(..., "--action", help=(
                'The action as JSON, e.g. \'{"tool": "shop_place_order", "args": {...}}\' (optional keys: effect, '
                'domain, amount, provenance, user, facts, spent), or @file.json')),
            as_json: bool = typer.Option(False, "--json", help="Machine-readable result")) -> None:
    """Which rule decides this action under FILE, why, and how every other rule fared."""
    from policies.engine import evaluate, verdict_of
    from policies.examples import example_facts
    from policies.model import Example

    policy = _load(file)
    text = Path(action[1:]).read_text(encoding="utf-8") if action.startswith("@") else action
    try:
        example = Example.model_validate(json.loads(text))
        facts = example_facts(example, policy)
    except (ValueError, ValidationError) as exc:
        _fail(f"--action is not a valid action: {exc}")
    spent = example.spent.amount if example.spent is not None else None
    evaluation = evaluate(policy, facts, (lambda *_: spent) if spent is not None else None, explain=True)
    verdict = verdict_of(evaluation)
    traces = [{"rule": t.rule, "kind": t.kind, "applied": t.applied,
               "decision": t.decision.value if t.decision else None, "held": t.held, "failed": t.failed,
               "unknown": t.unknown, "relaxed_by": t.relaxed_by} for t in evaluation.traces]
    contributions = [{"rule": c.rule, "kind": c.kind, "decision": c.decision.value, "sentence": c.sentence}
                     for c in evaluation.contributions]
    if as_json:
        _json_out({"decision": verdict.decision.value, "reason": verdict.reasons[0], "reasons": verdict.reasons,
                   "rule": verdict.signals["rule"], "summary": verdict.summary, "risk": verdict.risk,
                   "contributions": contributions, "rules": traces,
                   "signals": {k: v for k, v in verdict.signals.items() if k != "rule"}})
        return
    console.print(f"[bold]{verdict.decision.value.upper()}[/]  {verdict.reasons[0]}")
    for reason in verdict.reasons[1:]:
        console.print(f"      also: {reason}")
    lower = [c for c in contributions if c["decision"] != verdict.decision.value]
    for c in lower:
        console.print(f"      (outweighed) {c['sentence']}")
    table = Table("rule", "kind", "outcome", "because", title="every rule and cap", title_justify="left")
    for t in traces:
        outcome = (f"[green]{t['decision']}[/]" if t["applied"] else "—")
        if t["relaxed_by"]:
            outcome += f" (exception {t['relaxed_by']})"
        table.add_row(t["rule"], t["kind"], outcome, "; ".join(t["held"]) if t["applied"] else (t["failed"] or ""))
    console.print(table)
    for name in ("fraud", "injection", "data_released", "untrusted_args"):
        if verdict.signals.get(name):
            console.print(f"{name}: {json.dumps(verdict.signals[name], ensure_ascii=False)}")
    remember = verdict.signals["remember"]
    console.print("always-allow: " + ("offered" if remember.get("offered") else f"not offered ({remember.get('why')})"))


@policy_app.command("replay")
def replay_cmd(file: str = typer.Argument(..., help="The changed policy (a YAML file or a shipped name)"),
               runs: Optional[list[str]] = typer.Option(None, "--runs", help="Run ids (repeat or comma-separate)"),
               all_runs: bool = typer.Option(False, "--all", help="Every run in the audit log"),
               as_json: bool = typer.Option(False, "--json", help="Machine-readable result")) -> None:
    """Re-evaluate the recorded actions of past runs under FILE and list the decisions that would change."""
    from policies.replay import replay

    if not runs and not all_runs:
        _fail("name the runs with --runs RUN_ID[,RUN_ID…] or use --all")
    policy = _load(file)
    ids = None if all_runs else [r.strip() for chunk in runs or [] for r in chunk.split(",") if r.strip()]
    report = replay(policy, ids)
    if as_json:
        _json_out(report.model_dump(mode="json"))
        return
    console.print(f"policy {report.policy!r}: {report.evaluated} recorded decisions re-evaluated, "
                  f"{len(report.changes)} would change, {report.unchanged} unchanged"
                  + (f", {report.skipped} without observations (another gate)" if report.skipped else ""))
    if report.changes:
        table = Table("run", "action", "tool", "before", "after", "why now")
        for c in report.changes:
            table.add_row(c.run_id, c.action_id, c.tool, c.before, c.after, c.reason)
        console.print(table)


@audit_app.command("verify")
def verify(as_json: bool = typer.Option(False, "--json", help="Machine-readable result"),
           expect_head: Optional[str] = typer.Option(None, "--expect-head",
                                                      help="The head hash you kept from an earlier verify")) -> None:
    """Check the hash chain of ERRAND_HOME's audit log: edited, removed or reordered entries, and where."""
    from policies.audit import AuditLog

    report = AuditLog().verify(expect_head=expect_head)
    if as_json:
        _json_out(report.model_dump(mode="json"))
    elif report.ok:
        console.print(f"[green]ok[/]: {report.entries} entries, chain intact (head {report.head or '—'})")
    else:
        console.print(f"[bold red]tampered[/]: {len(report.problems)} problem(s) in {report.path}")
        for p in report.problems:
            console.print(f"  {p.problem}: {p.message}")
    raise typer.Exit(EXIT_OK if report.ok else EXIT_FAILED)
