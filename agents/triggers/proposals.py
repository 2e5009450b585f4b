"""Proposals: the run a trigger starts for one event, and how a person dismisses it.

A proposal is a normal agent run — the offline brain or a given model, the policy gate, the
inbox — that starts *prepared*: the trigger's intent and slots are in the run's notes (see
:class:`agents.brains.offline.PreparedErrand`) and its request says, in the person's language,
what it is for. Reads that prepare it run (the gate allows them); everything consequential
waits in the inbox, where the person approves it, edits it, or dismisses it.

The run id is derived from (trigger, event key), and the run index row carries
``spec.proposal = {trigger, key, title}``, so ``errand runs`` and ``errand review`` can tell a
proposal from an errand the person asked for, and a watcher that takes over a dead watcher's
claim carries on the same run.
"""

from __future__ import annotations

from typing import Any, Callable, Literal

from pydantic import BaseModel

from agents.agent import Agent
from agents.brains.offline import PREPARED_NOTE, PreparedErrand
from agents.inbox import Inbox, InboxError, load_agent_for_run
from agents.models import ApprovalRequest, ApprovalResume, Reject, RunResult
from agents.store import inbox_items
from agents.triggers.ledger import Ledger
from agents.triggers.model import Trigger


class Proposal(BaseModel):
    """What one fired event led to: a proposal parked in the inbox (``items``), a run that ended
    without needing the person (``finished``, its answer in ``text``), or a run that could not be
    prepared (``failed``: retried on later passes)."""

    trigger: str
    key: str
    run_id: str
    status: Literal["proposed", "finished", "failed"]
    title: str
    request: str
    items: list[str] = []
    text: str = ""
    error: str | None = None


AgentFactory = Callable[[Trigger], Agent]
"""Builds the agent that runs a trigger's proposals (the watcher's default: the built-in agent
named by the trigger, with the watcher's model and policy; an evaluation passes its own)."""


def start_proposal(trigger: Trigger, key: str, run_id: str, *, request: str, errand: PreparedErrand,
                   user: dict[str, Any], title: str, agents: AgentFactory) -> Proposal:
    """Run the proposal for one event until it parks in the inbox (or ends); never raises for a
    run that fails — the proposal says so."""
    base = {"trigger": trigger.id, "key": key, "run_id": run_id, "title": title, "request": request}
    try:
        agent = agents(trigger)
        agent.spec["proposal"] = {"trigger": trigger.id, "key": key, "title": title}
        result = _drive(agent, run_id, request, user, {PREPARED_NOTE: errand.model_dump(mode="json")})
    except Exception as exc:  # noqa: BLE001 - a broken proposal is reported, the watcher carries on
        return Proposal(**base, status="failed", error=f"{type(exc).__name__}: {exc}")
    return _outcome(base, result)


def _drive(agent: Agent, run_id: str, request: str, user: dict[str, Any], notes: dict[str, Any]) -> RunResult:
    """Start the prepared run — or, when a dead watcher already started it, carry it on."""
    return agent.run(request, user=user, run_id=run_id, notes=notes)


def _outcome(base: dict[str, Any], result: RunResult) -> Proposal:
    pause = result.waiting_for
    if pause is None:  # it ended without needing the person (nothing fitted, or the errand could not be done)
        return Proposal(**base, status="finished", text=result.final.text if result.final else "")
    items = [i["item_id"] for i in inbox_items(result.run_id, result.agent, pause.model_dump(mode="json"))]
    if isinstance(pause, ApprovalRequest):
        text = "; ".join(a.summary for a in pause.actions)
    else:
        text = pause.question
    return Proposal(**base, status="proposed", items=items, text=text)


def dismiss(ident: str, reason: str = "", *, reviewer: str | None = "cli", inbox: Inbox | None = None) -> RunResult:
    """Dismiss a proposal (an inbox item id or the proposal's run id): its pending actions are
    rejected as dismissed, the run ends without proposing anything else, and the trigger never
    proposes it again for the same event. Raises :class:`InboxError` for anything else."""
    inbox = inbox or Inbox()
    run_id, items = inbox.resolve(ident)
    record = inbox.index.get(run_id)
    if record is None or not record.spec.get("proposal"):
        raise InboxError(f"{ident} is not a proposal from a trigger; reject it instead: errand reject {ident}")
    if any(i.kind != "approval" for i in items):
        raise InboxError(f"proposal {run_id} is asking a question; answer it (errand answer {ident} TEXT) or "
                         "reject what it proposes next")
    expired = [i for i in items if i.expired()]
    if expired:
        inbox.sweep()
        raise InboxError(f"item {expired[0].item_id} expired at {expired[0].expires_at}; it counted as rejected")
    agent = load_agent_for_run(inbox.index, run_id)
    decisions = {i.action_id: Reject(reason=reason, args_hash=i.args_hash, dismiss=True) for i in items}
    result = agent.resume(run_id, ApprovalResume(decisions=decisions, reviewer=reviewer))
    ledger = Ledger()
    try:
        ledger.dismissed(run_id, reason)
    finally:
        ledger.close()
    return result


__all__ = ["AgentFactory", "Proposal", "dismiss", "start_proposal"]
