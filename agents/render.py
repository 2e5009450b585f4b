"""Plain-language rendering of pauses and runs for the terminal."""

from __future__ import annotations

import json
from typing import Any

from langchain_core.tools import BaseTool
from rich.console import Console, Group
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from agents.models import ApprovalRequest, PendingAction, QuestionRequest, RunResult
from tools.model import tool_meta

RISK_STYLE = {"low": "green", "medium": "yellow", "high": "bold red"}


def money_line(action: PendingAction, tools: dict[str, BaseTool]) -> str | None:
    tool = tools.get(action.tool)
    meta = tool_meta(tool) if tool else None
    if not meta or not meta.money:
        return None
    amount = meta.money.amount(action.args)
    return f"up to {amount[0]} {amount[1]}" if amount else None


def data_line(action: PendingAction, tools: dict[str, BaseTool]) -> str | None:
    tool = tools.get(action.tool)
    meta = tool_meta(tool) if tool else None
    if not meta or not meta.personal_data:
        return None
    return ", ".join(meta.personal_data)


def signal_rows(signals: dict[str, Any]) -> list[tuple[Text, Text]]:
    """The flags an approver must not miss: fraud signals, planted instructions (the offending
    text highlighted), caps, cooling-off, and whether "always allow" is on offer."""
    rows: list[tuple[Text, Text]] = []
    for fraud in signals.get("fraud") or []:
        rows.append((Text("⚠ fraud", style="bold red"),
                     Text(f"{fraud.get('meaning', fraud.get('signal', ''))}: {fraud.get('detail', '')}".strip(": "))))
    for found in signals.get("injection") or []:
        excerpt = str(found.get("excerpt", ""))
        line = Text(f"{found.get('kind', 'instructions')} in {found.get('source') or 'tool output'}: ")
        line.append(excerpt, style="bold white on red")
        rows.append((Text("⚠ injection", style="bold red"), line))
    for rule, cap in (signals.get("caps") or {}).items():
        rows.append((Text("cap"), Text(f"{rule}: " + ", ".join(f"{k} {v}" for k, v in cap.items()
                                                               if not isinstance(v, (dict, list))))))
    if signals.get("cooling_off"):
        rows.append((Text("cooling-off", style="yellow"), Text(json.dumps(signals["cooling_off"], default=str))))
    offer = signals.get("remember") or {}
    if offer.get("offered"):
        rows.append((Text("always allow"), Text(f"offered: {offer.get('rule') or offer.get('summary') or ''}")))
    return rows


def action_panel(action: PendingAction, tools: dict[str, BaseTool], *, details: bool = False) -> Panel:
    rows = Table.grid(padding=(0, 2))
    rows.add_column(style="bold")
    rows.add_column()
    rows.add_row("what", action.summary)
    if (money := money_line(action, tools)) is not None:
        rows.add_row("costs", money)
    if (data := data_line(action, tools)) is not None:
        rows.add_row("shares", data)
    if action.rationale:
        rows.add_row("why", action.rationale)
    for n, reason in enumerate(action.reasons):
        rows.add_row("asked because" if n == 0 else "", reason)
    for label, text in signal_rows(action.signals):
        rows.add_row(label, text)
    args = action.args if details else {k: v for k, v in action.args.items() if len(str(v)) < 80}
    rows.add_row("details", Text(json.dumps(args, ensure_ascii=False, indent=1 if details else None)))
    if details:
        rows.add_row("tool", f"{action.tool}  (effect: {action.effect or 'unknown'})")
        rows.add_row("args hash", action.args_hash)
        if action.signals.get("data_released"):
            rows.add_row("data released", ", ".join(action.signals["data_released"]))
        if action.signals.get("rule"):
            rows.add_row("deciding rule", f"{action.signals['rule']} ({action.signals.get('policy', '')})")
    risk = action.risk
    return Panel(rows, title=f"[{RISK_STYLE.get(risk, '')}]approval {action.action_id} · risk {risk}[/]",
                 title_align="left")


RECEIPT_FIELDS = ("id", "reference", "status", "total", "price", "fee", "currency")


def receipt_line(output: Any) -> str:
    """The identifying fields of a tool's result (id, reference, status, amount), not the whole record."""
    if not isinstance(output, dict):
        return json.dumps(output, ensure_ascii=False, default=str)[:160]
    shown = {k: output[k] for k in RECEIPT_FIELDS if output.get(k) not in (None, "")}
    return ", ".join(f"{k} {v}" for k, v in shown.items()) or json.dumps(output, ensure_ascii=False)[:160]


def pause_view(pause: ApprovalRequest | QuestionRequest, tools: dict[str, BaseTool]) -> Any:
    if isinstance(pause, QuestionRequest):
        return Panel(pause.question, title="question", title_align="left")
    return Group(*(action_panel(a, tools) for a in pause.actions))


def print_result(console: Console, result: RunResult, tools: dict[str, BaseTool]) -> None:
    if result.waiting_for is not None:
        console.print(pause_view(result.waiting_for, tools))
        verb = "answer" if isinstance(result.waiting_for, QuestionRequest) else "approve"
        hint = (f"errand answer {result.run_id} TEXT" if verb == "answer" else
                f"errand approve {result.run_id}   ·   errand reject {result.run_id} --reason TEXT")
        console.print(f"run [bold]{result.run_id}[/] is waiting for you: {hint}")
        return
    if result.final is not None:
        style = {"done": "green", "rejected": "yellow", "failed": "red"}.get(result.final.status.value, "")
        console.print(Panel(result.final.text, title=f"[{style}]{result.final.status.value}[/]",
                            title_align="left"))
        for receipt in result.final.receipts:
            console.print(f"  receipt {receipt['action_id']} {receipt['tool']}: {receipt_line(receipt['output'])}",
                          highlight=False)


def timeline(state: dict[str, Any]) -> Table:
    table = Table(title=f"run {state.get('run_id')} · {state.get('agent')}", title_justify="left")
    for column in ("step", "what", "detail"):
        table.add_column(column)
    table.add_row("", "request", state.get("request", ""))
    for turn in state.get("turns", []):
        table.add_row(str(turn["step"]), "question", f"{turn['question']} → {turn['answer']}")
    for action in state.get("actions", []):
        verdict = action.get("verdict") or {}
        human = action.get("human") or {}
        result = action.get("result") or {}
        outcome = ("ok" if result.get("ok") else (result.get("error") or {}).get("message", "")) if result else ""
        parts = [f"gate={verdict.get('decision', '-')}"]
        if human:
            parts.append(f"person={human.get('type')}" + (f" ({human['reason']})" if human.get("reason") else ""))
        parts.append(f"status={action['status']}")
        if outcome:
            parts.append(str(outcome)[:80])
        table.add_row(str(action["step"]), f"{action['tool']} {json.dumps(action['args'], ensure_ascii=False)[:60]}",
                      " · ".join(parts))
    final = state.get("final") or {}
    if final.get("status"):
        table.add_row("", final["status"], final.get("text", ""))
    return table


ITEM_STYLE = {"done": "green", "waiting": "yellow", "running": "cyan", "rejected": "yellow", "declined": "dim",
              "skipped": "dim", "failed": "red", "no_effect": "dim", "not_started": "dim"}


def plan_view(view: dict[str, Any]) -> Group:
    """A concierge plan as a whole: every sub-errand, where it stands, and the report."""
    table = Table(title=f"{view.get('title', 'plan')} · run {view.get('run_id', '')[:10]} · {view.get('status')}",
                  title_justify="left")
    for column in ("item", "agent", "status", "run", "what"):
        table.add_column(column, overflow="fold")
    for item in view.get("items", []):
        status = item.get("status", "")
        what = item.get("text") or item.get("task", "")
        if item.get("waiting_for") and item["waiting_for"].get("kind") == "approval":
            what = "; ".join(a.get("summary", "") for a in item["waiting_for"].get("actions", []))
        table.add_row(item.get("title", item.get("key", "")), item.get("agent", ""),
                      Text(status, style=ITEM_STYLE.get(status, "")), item.get("run_id", "")[:10], what[:160])
    parts: list[Any] = [table]
    if view.get("report"):
        parts.append(Panel(view["report"], title="report", title_align="left"))
    return Group(*parts)
