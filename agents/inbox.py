"""The inbox: everything agents are waiting on, across all runs and agents, decided by item id.

Items are written by the run index when a run pauses (one per pending action, or one
for a question) and closed when the run moves on. A decision names an item, never a
position; it is applied only if the item is still pending and unexpired, and exactly
one of two simultaneous deciders wins (see :meth:`agents.store.RunIndex.claim`).
An expired approval counts as a rejection: :meth:`Inbox.sweep` resumes its run with
that rejection, so the action never runs and the agent reports it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Literal

from pydantic import BaseModel

from agents.models import (
    AnswerResume,
    ApprovalResume,
    Approve,
    Edit,
    Reject,
    RunResult,
)
from agents.store import EXPIRED_REASON, RunIndex


class InboxError(Exception):
    """An id that names no pending item or run, or a decision that does not fit the item."""


class InboxItem(BaseModel):
    item_id: str
    run_id: str
    agent: str
    kind: Literal["approval", "question"]
    action_id: str | None = None
    args_hash: str | None = None
    payload: dict[str, Any]
    created_at: str
    expires_at: str | None = None
    status: str
    decided_at: str | None = None
    decided_by: str | None = None
    decision: dict[str, Any] | None = None
    outcome: str | None = None

    @property
    def title(self) -> str:
        if self.kind == "question":
            return f"question: {self.payload.get('question', '')}"
        return self.payload.get("summary") or self.payload.get("tool", "")

    def expired(self, now: str | None = None) -> bool:
        return bool(self.expires_at) and self.expires_at <= (now or _now())


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


AgentLoader = Callable[[str], Any]


def load_agent_for_run(index: RunIndex, run_id: str) -> Any:
    """Rebuild the agent that owns a run from the spec the run index recorded."""
    from agents.builtin import load_agent

    record = index.get(run_id)
    if record is None:
        raise InboxError(f"no run {run_id!r}")
    spec = record.spec
    return load_agent(spec.get("agent", record.agent), model=spec.get("model"), base_url=spec.get("base_url"),
                      policy=spec.get("policy"))


class Inbox:
    def __init__(self, index: RunIndex | None = None, *, agent_loader: AgentLoader | None = None) -> None:
        self.index = index or RunIndex()
        self._load = agent_loader or (lambda run_id: load_agent_for_run(self.index, run_id))

    # -- reading ------------------------------------------------------------------------

    def pending(self, limit: int | None = None) -> list[InboxItem]:
        """Pending items, newest first."""
        return [InboxItem.model_validate(i) for i in self.index.items(status="pending", limit=limit)]

    def recent(self, limit: int = 50) -> list[InboxItem]:
        """Every item, newest first — decided ones show their decision and outcome."""
        return [InboxItem.model_validate(i) for i in self.index.items(status=None, limit=limit)]

    def get(self, item_id: str) -> InboxItem | None:
        raw = self.index.item(item_id)
        return InboxItem.model_validate(raw) if raw else None

    def resolve(self, ident: str) -> tuple[str, list[InboxItem]]:
        """An item id or a run id → (run id, the pending items it names)."""
        item = self.get(ident)
        if item is not None:
            if item.status != "pending":
                raise InboxError(f"item {item.item_id} is no longer pending (it is {item.status}"
                                 + (f", decided by {item.decided_by}" if item.decided_by else "") + ")")
            return item.run_id, [item]
        record = self.index.get(ident)
        if record is None:
            raise InboxError(f"no inbox item or run {ident!r} (see `errand review --list`)")
        items = [InboxItem.model_validate(i) for i in self.index.items(status="pending", run_id=record.run_id)]
        if not items:
            raise InboxError(f"run {record.run_id} is not waiting for a decision (status: {record.status.value})")
        return record.run_id, items

    # -- deciding -----------------------------------------------------------------------

    def decide(self, ident: str, decision: Literal["approve", "edit", "reject", "answer"], *,
               args: dict[str, Any] | None = None, reason: str = "", text: str = "",
               reviewer: str | None = None, remember: bool = False) -> RunResult:
        """Apply one decision to the named item (or to every pending item of the named run)."""
        run_id, items = self.resolve(ident)
        now = _now()
        expired = [i for i in items if i.kind == "approval" and i.expired(now)]
        if expired:
            self.sweep(now)
            raise InboxError(f"item {expired[0].item_id} expired at {expired[0].expires_at}; it counted as "
                             "rejected and the action did not run")
        agent = self._load(run_id)
        if decision == "answer":
            if items[0].kind != "question":
                raise InboxError(f"{ident} is waiting for an approval, not an answer")
            return agent.resume(run_id, AnswerResume(text=text))
        if any(i.kind != "approval" for i in items):
            raise InboxError(f"{ident} is waiting for an answer: errand answer {ident} TEXT")
        if decision == "edit":
            if len(items) != 1:
                raise InboxError("an edit applies to exactly one action: give its item id")
            if args is None:
                raise InboxError("an edit needs the new args")
            decisions: dict[str, Any] = {items[0].action_id: Edit(args=args, args_hash=items[0].args_hash)}
        elif decision == "reject":
            decisions = {i.action_id: Reject(reason=reason, args_hash=i.args_hash) for i in items}
        else:
            decisions = {i.action_id: _approve(i, remember) for i in items}
        return agent.resume(run_id, ApprovalResume(decisions=decisions, reviewer=reviewer))

    def sweep(self, now: str | None = None) -> list[RunResult]:
        """Reject every expired approval (the agent is told it expired); return the resumed runs."""
        now = now or _now()
        by_run: dict[str, list[InboxItem]] = {}
        for item in self.pending():
            if item.kind == "approval" and item.expired(now):
                by_run.setdefault(item.run_id, []).append(item)
        results = []
        for run_id, items in by_run.items():
            agent = self._load(run_id)
            decisions = {i.action_id: Reject(reason=EXPIRED_REASON, args_hash=i.args_hash) for i in items}
            try:
                results.append(agent.resume(run_id, ApprovalResume(decisions=decisions, reviewer="expiry")))
            except Exception:  # noqa: BLE001 - another process swept it first; nothing to do
                continue
        return results


def _approve(item: InboxItem, remember: bool) -> Approve:
    approve = Approve(args_hash=item.args_hash or "")
    if remember and "remember" in Approve.model_fields:
        approve = approve.model_copy(update={"remember": True})
    return approve
