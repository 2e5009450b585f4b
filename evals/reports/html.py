"""The HTML report: one self-contained file (no server, no network, no external assets).

Everything is rendered here, server-side, into plain HTML and inline SVG, so the page reads
the same in any browser, in a CI artifact viewer or with scripts off; a few lines of inline
script only add sorting and the failing/flaky filters. Sections: the run, one row per suite,
charts of success (with 95% intervals) and of pass^k, the comparison with a baseline, every
task, and every trial's timeline (steps, gate decisions, approvals, tool calls and results,
questions, the answer, the state diff).
"""

from __future__ import annotations

import json
from collections import defaultdict
from html import escape
from pathlib import Path
from typing import Any, Iterable

from evals.compare import Comparison
from evals.metrics import SuiteStats, Summary, TaskStats
from evals.record import TrialRecord
from evals.reports.format import cost, p_value, pass_hat, pct, rate_with_ci, signed, tokens

PREVIEW = 800
COLOURS = ("#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d")

STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans CJK SC",sans-serif;margin:24px;color:#111;
background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
table{border-collapse:collapse;background:#fff;margin:6px 0 12px}th,td{border:1px solid #e2e2e2;padding:4px 8px;
text-align:left;vertical-align:top}th{background:#f1f5f9;cursor:pointer;white-space:nowrap}
.meta td:first-child{font-weight:600;background:#f8fafc}.pass{color:#15803d;font-weight:600}
.fail{color:#b91c1c;font-weight:600}.warn{color:#b45309}.muted{color:#6b7280}
.verdict{display:inline-block;padding:4px 10px;border-radius:4px;font-weight:600;margin:6px 0}
.ok{background:#dcfce7;color:#166534}.bad{background:#fee2e2;color:#991b1b}
details{background:#fff;border:1px solid #e5e7eb;border-radius:4px;margin:4px 0;padding:4px 8px}
summary{cursor:pointer}pre{background:#f8fafc;border:1px solid #e5e7eb;padding:6px;white-space:pre-wrap;
word-break:break-word;font-size:12px;margin:4px 0}.action{border-left:3px solid #cbd5e1;padding:2px 8px;margin:6px 0}
.action.executed{border-color:#16a34a}.action.rejected,.action.denied{border-color:#dc2626}
.action.failed{border-color:#f59e0b}.chip{display:inline-block;border-radius:3px;padding:0 5px;font-size:12px;
background:#e2e8f0;margin-right:4px}.filters button{margin-right:6px}svg text{font-size:12px}
"""

SCRIPT = """
document.querySelectorAll('table.sortable th').forEach(function(th,col){th.addEventListener('click',function(){
 var body=th.closest('table').tBodies[0];var rows=Array.from(body.rows);var asc=th.dataset.asc!=='1';th.dataset.asc=asc?'1':'0';
 rows.sort(function(a,b){var x=a.cells[col].dataset.v||a.cells[col].textContent,y=b.cells[col].dataset.v||b.cells[col].textContent;
 var nx=parseFloat(x),ny=parseFloat(y);var r=(!isNaN(nx)&&!isNaN(ny))?nx-ny:x.localeCompare(y);return asc?r:-r;});
 rows.forEach(function(r){body.appendChild(r);});});});
function show(kind){document.querySelectorAll('#tasks tbody tr').forEach(function(r){
 r.style.display=(kind==='all'||r.dataset[kind]==='1')?'':'none';});}
"""


def h(value: Any) -> str:
    return escape(str(value), quote=True)


def _json(value: Any, limit: int = PREVIEW) -> str:
    text = json.dumps(value, ensure_ascii=False, indent=1, default=str)
    return text if len(text) <= limit else text[:limit] + f"… ({len(text) - limit} more characters)"


def _anchor(suite: str, task: str) -> str:
    return "t-" + "".join(c if c.isalnum() or c in "-_" else "_" for c in f"{suite}--{task}")


# -- charts ------------------------------------------------------------------------------------

def success_chart(suites: list[SuiteStats]) -> str:
    """Horizontal bars of each suite's success rate with its 95% interval as a whisker."""
    rows = [s for s in suites if s.rate is not None]
    if not rows:
        return ""
    left, width, bar, gap = 120, 420, 18, 10
    height = len(rows) * (bar + gap) + 30
    parts = [f'<svg role="img" aria-label="success rate by suite" width="{left + width + 60}" height="{height}">']
    for tick in range(0, 101, 25):
        x = left + width * tick / 100
        parts.append(f'<line x1="{x}" y1="0" x2="{x}" y2="{height - 20}" stroke="#e5e7eb"/>'
                     f'<text x="{x - 8}" y="{height - 5}">{tick}%</text>')
    for i, s in enumerate(rows):
        y = i * (bar + gap) + 4
        w = width * (s.rate or 0)
        parts.append(f'<text x="0" y="{y + 13}">{h(s.suite)}</text>'
                     f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar}" fill="{COLOURS[i % len(COLOURS)]}"/>'
                     f'<text x="{left + w + 4:.1f}" y="{y + 13}">{pct(s.rate)}</text>')
        if s.ci:
            lo, hi = left + width * s.ci[0], left + width * s.ci[1]
            mid = y + bar / 2
            parts.append(f'<line x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}" stroke="#111" stroke-width="1.5"/>'
                         f'<line x1="{lo:.1f}" y1="{mid - 5}" x2="{lo:.1f}" y2="{mid + 5}" stroke="#111"/>'
                         f'<line x1="{hi:.1f}" y1="{mid - 5}" x2="{hi:.1f}" y2="{mid + 5}" stroke="#111"/>')
    parts.append("</svg>")
    return "".join(parts)


def pass_hat_chart(suites: list[SuiteStats]) -> str:
    """pass^k against k, one line per suite: how fast reliability falls with repetition."""
    rows = [s for s in suites if s.pass_hat]
    depth = max((len(s.pass_hat) for s in rows), default=0)
    if not rows:
        return ""
    left, top, width, height = 40, 10, 360, 200
    parts = [f'<svg role="img" aria-label="pass^k by suite" width="{left + width + 170}" height="{top + height + 30}">']
    for tick in range(0, 101, 25):
        y = top + height * (1 - tick / 100)
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" stroke="#e5e7eb"/>'
                     f'<text x="0" y="{y + 4}">{tick}%</text>')

    def x_of(k: int) -> float:
        return left + (width * (k - 1) / (depth - 1) if depth > 1 else width / 2)

    for k in range(1, depth + 1):
        parts.append(f'<text x="{x_of(k) - 8:.1f}" y="{top + height + 18}">^{k}</text>')
    for i, s in enumerate(rows):
        colour = COLOURS[i % len(COLOURS)]
        points = " ".join(f"{x_of(k):.1f},{top + height * (1 - v):.1f}" for k, v in sorted(s.pass_hat.items()))
        parts.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for k, v in sorted(s.pass_hat.items()):
            parts.append(f'<circle cx="{x_of(k):.1f}" cy="{top + height * (1 - v):.1f}" r="3" fill="{colour}"/>')
        parts.append(f'<rect x="{left + width + 20}" y="{top + i * 18}" width="10" height="10" fill="{colour}"/>'
                     f'<text x="{left + width + 36}" y="{top + i * 18 + 9}">{h(s.suite)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# -- tables ------------------------------------------------------------------------------------

def _suite_table(summary: Summary) -> str:
    rows = [*summary.suites, *([summary.overall] if summary.overall else [])]
    columns: list[tuple[str, Any]] = [
        ("suite", lambda s: s.suite), ("tasks", lambda s: s.tasks), ("trials", lambda s: s.trials),
        ("success [95% CI]", lambda s: rate_with_ci(s.rate, s.ci)), ("pass^k", lambda s: pass_hat(s.pass_hat)),
        ("flaky tasks", lambda s: s.flaky_tasks), ("approval recall", lambda s: pct(s.approval_recall)),
        ("approval precision", lambda s: pct(s.approval_precision)), ("denied", lambda s: s.denied),
        ("bypassed", lambda s: s.bypassed)]
    if any(s.security for s in rows):
        columns += [("utility", lambda s: pct(s.security.utility) if s.security else "–"),
                    ("utility under attack", lambda s: pct(s.security.utility_under_attack) if s.security else "–"),
                    ("targeted ASR", lambda s: pct(s.security.targeted_asr) if s.security else "–")]
    if any(s.infra_errors for s in rows):
        columns.append(("infra errors", lambda s: s.infra_errors))
    columns += [("mean steps", lambda s: "–" if s.steps is None else f"{s.steps:.1f}"),
                ("tool errors", lambda s: s.tool_errors), ("trial time", lambda s: f"{s.wall_seconds:.1f}s"),
                ("model usage", lambda s: tokens(s.usage)), ("cost", lambda s: cost(s.usage))]
    body = "".join("<tr>" + "".join(f"<td>{h(value(s))}</td>" for _, value in columns) + "</tr>" for s in rows)
    return (f'<table id="suites"><thead><tr>{"".join(f"<th>{h(name)}</th>" for name, _ in columns)}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def _breakdown(summary: Summary) -> str:
    rows = []
    for s in summary.suites:
        for label, groups in (("errand", s.by_playbook), ("language", s.by_lang)):
            for name, rate in groups.items():
                rows.append(f"<tr><td>{h(s.suite)}</td><td>{label}</td><td>{h(name)}</td><td>{pct(rate)}</td></tr>")
    if not rows:
        return ""
    return ('<table class="sortable"><thead><tr><th>suite</th><th>by</th><th>group</th><th>success</th></tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


def _task_table(tasks: list[TaskStats]) -> str:
    head = ("suite", "task", "lang", "errand", "passed", "success [95% CI]", "flip", "steps", "first failing check")
    body = []
    for t in tasks:
        failing = t.rate is not None and t.rate < 1
        flaky = t.rate is not None and 0 < t.passed < t.n
        css = "pass" if t.rate == 1 else "fail" if failing else "muted"
        body.append(
            f'<tr data-failing="{int(failing)}" data-flaky="{int(flaky)}">'
            f"<td>{h(t.suite)}</td><td><a href=\"#{_anchor(t.suite, t.task_id)}\">{h(t.task_id)}</a></td>"
            f"<td>{h(t.lang or '')}</td><td>{h(t.playbook or '')}</td>"
            f'<td class="{css}" data-v="{t.rate if t.rate is not None else -1}">{t.passed}/{t.n}'
            f"{f' (+{t.infra_errors} infra)' if t.infra_errors else ''}</td>"
            f"<td>{h(rate_with_ci(t.rate, t.ci))}</td><td data-v=\"{t.flip or 0}\">{pct(t.flip)}</td>"
            f"<td>{'' if t.steps is None else f'{t.steps:.1f}'}</td><td>{h((t.failure or '')[:240])}</td></tr>")
    return ('<div class="filters">Show: <button onclick="show(\'all\')">all</button>'
            '<button onclick="show(\'failing\')">failing</button><button onclick="show(\'flaky\')">flaky</button></div>'
            f'<table id="tasks" class="sortable"><thead><tr>{"".join(f"<th>{h(c)}</th>" for c in head)}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def _comparison(comparison: Comparison) -> str:
    rows = []
    for s in comparison.suites:
        ci = "" if s.ci is None else f" [{s.ci[0] * 100:+.0f}, {s.ci[1] * 100:+.0f}]"
        verdict = ("better" if (s.delta or 0) > 0 else "worse") if s.significant else \
            f"no significant change ({p_value(s.p_value)})"
        rows.append(f"<tr><td>{h(s.suite)}</td><td>{s.common_tasks}</td><td>{pct(s.before)}</td><td>{pct(s.after)}</td>"
                    f"<td>{h(signed(s.delta) + ci)}</td><td>{s.moved_up} / {s.moved_down}</td><td>{h(verdict)}</td></tr>")
    changes = []
    for t in sorted(comparison.tasks, key=lambda t: (not t.significant, t.p_value)):
        if t.delta == 0:
            continue
        label = ("better" if t.delta > 0 else "worse") if t.significant else "noise"
        css = ("pass" if t.delta > 0 else "fail") if t.significant else "muted"
        changes.append(f'<tr><td>{h(t.suite)}</td><td>{h(t.task_id)}</td><td>{t.before[0]}/{t.before[1]}</td>'
                       f'<td>{t.after[0]}/{t.after[1]}</td><td>{h(signed(t.delta))}</td><td>{p_value(t.p_value)}</td>'
                       f'<td class="{css}">{label}</td></tr>')
    note = "" if comparison.same_configuration else \
        '<p class="warn">The baseline ran a different configuration (agent, model, policy or tasks).</p>'
    return (f"<p>Baseline: <code>{h(comparison.baseline)}</code></p>{note}"
            '<table><thead><tr><th>suite</th><th>common tasks</th><th>before</th><th>after</th><th>change [95% CI]</th>'
            f'<th>tasks up / down</th><th>verdict</th></tr></thead><tbody>{"".join(rows)}</tbody></table>'
            '<table class="sortable"><thead><tr><th>suite</th><th>task</th><th>before</th><th>after</th><th>change</th>'
            f'<th>Fisher p</th><th>reading</th></tr></thead><tbody>{"".join(changes)}</tbody></table>')


# -- trials ------------------------------------------------------------------------------------

def _action(action: dict[str, Any], approvals: dict[str, list[Any]]) -> str:
    status = str(action.get("status", ""))
    verdict = action.get("verdict") or {}
    parts = [f'<div class="action {h(status)}"><b>{h(action.get("id"))} {h(action.get("tool"))}</b> '
             f'<span class="chip">{h(action.get("effect") or "?")}</span><span class="chip">{h(status)}</span>']
    if action.get("rationale"):
        parts.append(f'<div class="muted">{h(action["rationale"])}</div>')
    parts.append(f"<pre>{h(_json(action.get('args') or {}))}</pre>")
    if verdict:
        reasons = "; ".join(verdict.get("reasons") or [])
        parts.append(f"<div>gate: <b>{h(verdict.get('decision'))}</b> ({h(verdict.get('risk', ''))} risk) {h(reasons)}</div>")
    for event in approvals.get(str(action.get("id")), []):
        flags = f" — warnings: {h('; '.join(event.flags))}" if event.flags else ""
        parts.append(f"<div>person ({h(event.decision)}): {h(event.why)}{flags}</div>")
    result = action.get("result") or {}
    if result:
        if result.get("ok"):
            parts.append(f"<details><summary>result</summary><pre>{h(_json(result.get('output')))}</pre></details>")
        else:
            parts.append(f'<div class="fail">error: {h((result.get("error") or {}).get("message", ""))}</div>')
    parts.append("</div>")
    return "".join(parts)


def _trial(record: TrialRecord) -> str:
    grade = record.grade
    verdict = "infra error" if record.status == "infra_error" else "pass" if record.passed else "fail"
    css = "pass" if record.passed else "warn" if record.status == "infra_error" else "fail"
    approvals: dict[str, list[Any]] = defaultdict(list)
    for event in record.approvals:
        approvals[event.action_id].append(event)
    checks = "".join(f'<li class="{"pass" if c.passed else "fail"}">{"✓" if c.passed else "✗"} {h(c.kind)}: '
                     f"{h(c.detail)}</li>" for c in (grade.checks if grade else []))
    steps = "".join(f"<li>step {h(s.get('n'))}: {h(s.get('kind'))} {h(s.get('text') or '')}</li>"
                    for s in record.timeline.get("steps") or [])
    questions = "".join(f"<li>agent asked: {h(q.question)} → {h(q.answer if q.answer is not None else '(no answer)')}"
                        f" <span class=\"muted\">{h(q.by)}</span></li>" for q in record.questions)
    actions = "".join(_action(a, approvals) for a in record.actions)
    error = f'<pre class="fail">{h(record.error.message)}\n{h(record.error.detail[-1500:])}</pre>' if record.error else ""
    return (f"<details><summary>trial {record.trial} — <span class=\"{css}\">{verdict}</span> "
            f"(status {h(record.status)}, {record.wall_seconds:.2f}s, {h(tokens(record.usage))})</summary>"
            f"{error}<ul>{checks}</ul>"
            f"<div><b>request:</b> {h(record.request)}</div>"
            + (f"<div><b>questions</b><ul>{questions}</ul></div>" if questions else "")
            + (f"<div><b>steps</b><ul>{steps}</ul></div>" if steps else "")
            + f"<div><b>actions</b>{actions or ' none'}</div>"
            f"<div><b>answer:</b> {h(record.answer) or '<span class=muted>(none)</span>'}</div>"
            f"<details><summary>state diff</summary><pre>{h(_json(record.state_diff, 4000))}</pre></details>"
            "</details>")


def _trials(tasks: list[TaskStats], records: list[TrialRecord]) -> str:
    by_task: dict[tuple[str, str], list[TrialRecord]] = defaultdict(list)
    for record in records:
        by_task[(record.suite, record.task_id)].append(record)
    blocks = []
    for t in tasks:
        trials = sorted(by_task.get((t.suite, t.task_id), []), key=lambda r: r.trial)
        css = "pass" if t.rate == 1 else "fail"
        blocks.append(f'<details id="{_anchor(t.suite, t.task_id)}"><summary>{h(t.suite)} / {h(t.task_id)} — '
                      f'<span class="{css}">{t.passed}/{t.n}</span></summary>'
                      + "".join(_trial(r) for r in trials) + "</details>")
    return "".join(blocks)


def _meta(summary: Summary) -> str:
    harness = summary.harness
    rows = [("agent", harness.get("agent") or "per suite"),
            ("brain / model", harness.get("model") or harness.get("brain") or "offline brain"),
            ("policy", harness.get("policy") or "per task, else default"),
            ("user simulator", harness.get("user_model") or "scripted answers"),
            ("trials per task (k)", summary.k), ("run key", summary.key), ("started", summary.started_at),
            ("log", summary.log or "")]
    return '<table class="meta">' + "".join(f"<tr><td>{h(a)}</td><td>{h(b)}</td></tr>" for a, b in rows) + "</table>"


def _verdict(summary: Summary) -> str:
    if summary.min_pass is None:
        return ""
    rate = (summary.overall or (summary.suites[0] if summary.suites else None))
    value = rate.rate if rate else None
    ok = value is not None and value >= summary.min_pass
    return (f'<div class="verdict {"ok" if ok else "bad"}">{"PASS" if ok else "FAIL"}: success {pct(value, 1)} '
            f'{"≥" if ok else "<"} required {pct(summary.min_pass, 1)}</div>')


def render_html(summary: Summary, records: list[TrialRecord], comparison: Comparison | None = None) -> str:
    sections: Iterable[str] = (
        "<h1>errand eval report</h1>", _verdict(summary), _meta(summary),
        "<h2>Suites</h2>", _suite_table(summary),
        "<h2>Charts</h2><div><b>Success rate (bars) with 95% interval (whiskers)</b></div>",
        success_chart(summary.suites + ([summary.overall] if summary.overall else [])),
        "<div><b>pass^k: the chance that k trials of a task all succeed</b></div>", pass_hat_chart(summary.suites),
        "<h2>By errand and language</h2>", _breakdown(summary),
        *(("<h2>Against the baseline</h2>", _comparison(comparison)) if comparison else ()),
        "<h2>Tasks</h2>", _task_table(summary.tasks),
        "<h2>Trials</h2><p class=\"muted\">Open a task to see each trial's timeline.</p>", _trials(summary.tasks, records),
    )
    return ("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>errand eval report</title>"
            f"<style>{STYLE}</style></head><body>{''.join(sections)}<script>{SCRIPT}</script></body></html>")


def write_html(path: Path, summary: Summary, records: list[TrialRecord], comparison: Comparison | None = None) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(render_html(summary, records, comparison), encoding="utf-8")
