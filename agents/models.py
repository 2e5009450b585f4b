"""The data of a run: actions, gate decisions, human decisions, pauses and results.

These are the typed payloads of every interrupt and every resume. Inside the graph's
state they are stored as plain dicts (``model_dump(mode="json")``) so checkpoints stay
JSON-clean and readable from any process.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from enum import Enum
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter


def canonical_args_hash(tool: str, args: dict[str, Any]) -> str:
    """The identity an approval binds to: tool name + canonical JSON of its arguments."""
    blob = json.dumps({"tool": tool, "args": args}, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=False, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


DEFAULT_APPROVAL_TTL_SECONDS = 24 * 3600  # an approval nobody gives within a day counts as rejected


def utcnow() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


class Decision(str, Enum):
    ALLOW = "allow"
    ASK = "ask"
    DENY = "deny"


class GateVerdict(BaseModel):
    """What the gate (the policy engine) said about one proposed action."""

    model_config = ConfigDict(extra="forbid")

    decision: Decision
    reasons: list[str] = Field(default_factory=list)
    risk: Literal["low", "medium", "high"] = "low"
    summary: str | None = Field(default=None, description="Plain-language account of the action")
    signals: dict[str, Any] = Field(default_factory=dict)
    expires_in_seconds: int | None = None
    observed: dict[str, Any] = Field(
        default_factory=dict,
        description="What the gate observed (for the audit log and `errand policy replay`); not shown to people")


class ActionStatus(str, Enum):
    PROPOSED = "proposed"
    ALLOWED = "allowed"
    WAITING = "waiting"
    APPROVED = "approved"
    REJECTED = "rejected"
    DENIED = "denied"
    EXECUTED = "executed"
    FAILED = "failed"
    SUPPRESSED = "suppressed"
    SUPERSEDED = "superseded"  # replaced by an edit that named another tool
    EXPIRED = "expired"  # the approval was not given in time: counts as rejected


class Action(BaseModel):
    """One proposed tool call and everything that happened to it."""

    id: str = Field(description="Unique in the run: '<step>.<n>', e.g. '3.1'")
    step: int
    tool: str
    args: dict[str, Any]
    args_hash: str
    rationale: str = ""
    call_id: str | None = Field(default=None, description="The chat model's tool-call id, if any")
    effect: str | None = None
    status: ActionStatus = ActionStatus.PROPOSED
    verdict: GateVerdict | None = None
    human: dict[str, Any] | None = None
    approved_hash: str | None = None
    original_args: dict[str, Any] | None = None
    result: dict[str, Any] | None = None
    provenance: dict[str, str] = Field(default_factory=dict)
    expires_at: str | None = None

    @classmethod
    def propose(cls, step: int, n: int, tool: str, args: dict[str, Any], **kw: Any) -> "Action":
        return cls(id=f"{step}.{n}", step=step, tool=tool, args=args,
                   args_hash=canonical_args_hash(tool, args), **kw)


# -- what a paused run waits for --------------------------------------------------------

class PendingAction(BaseModel):
    action_id: str
    tool: str
    args: dict[str, Any]
    args_hash: str
    effect: str | None
    summary: str
    reasons: list[str]
    risk: str
    rationale: str = ""
    signals: dict[str, Any] = Field(default_factory=dict)
    expires_at: str | None = Field(default=None, description="After this (UTC ISO time) it counts as rejected")


class ApprovalRequest(BaseModel):
    kind: Literal["approval"] = "approval"
    run_id: str
    step: int
    actions: list[PendingAction]


class QuestionRequest(BaseModel):
    kind: Literal["question"] = "question"
    run_id: str
    question: str
    slot: str | None = None
    choices: list[str] = Field(default_factory=list)
    turn: int = Field(default=0, description="How many questions this run asked before this one")


Pause = Annotated[Union[ApprovalRequest, QuestionRequest], Field(discriminator="kind")]
pause_adapter: TypeAdapter[ApprovalRequest | QuestionRequest] = TypeAdapter(Pause)


# -- how a person answers ----------------------------------------------------------------

class Approve(BaseModel):
    type: Literal["approve"] = "approve"
    args_hash: str = Field(description="The args hash the person saw; must match the pending action")
    remember: bool = Field(default=False, description=(
        "Always allow exactly this action (same tool, same arguments, at most this amount) until it expires; "
        "honoured only when the approval offered it (signals.remember.offered)"))
    remember_days: int | None = Field(default=None, ge=1, le=365,
                                      description="How long to remember; capped by the policy")


class Edit(BaseModel):
    """New args (and optionally another tool) for a pending action. The edited action goes
    through the gate again and, where the gate asks, is shown to the person again."""

    type: Literal["edit"] = "edit"
    args: dict[str, Any]
    args_hash: str = Field(description="The args hash of the action as shown, before the edit")
    tool: str | None = Field(default=None, description="Another tool: the edit becomes a new action")


class Reject(BaseModel):
    type: Literal["reject"] = "reject"
    reason: str = ""
    args_hash: str | None = None
    dismiss: bool = Field(default=False, description=(
        "Dismiss the whole proposal, not just this action: the brain proposes nothing else in this run, and "
        "the trigger that proposed it never proposes it again for the same event (see agents.triggers)"))


ActionDecision = Annotated[Union[Approve, Edit, Reject], Field(discriminator="type")]


class ApprovalResume(BaseModel):
    """The resume value of an approval pause: decisions keyed by action id, never by position."""

    kind: Literal["approval"] = "approval"
    decisions: dict[str, ActionDecision]
    reviewer: str | None = None


class AnswerResume(BaseModel):
    kind: Literal["answer"] = "answer"
    text: str = Field(min_length=1)


Resume = Annotated[Union[ApprovalResume, AnswerResume], Field(discriminator="kind")]
resume_adapter: TypeAdapter[ApprovalResume | AnswerResume] = TypeAdapter(Resume)


# -- outcome -----------------------------------------------------------------------------

class RunStatus(str, Enum):
    RUNNING = "running"
    WAITING = "waiting"
    DONE = "done"
    FAILED = "failed"
    REJECTED = "rejected"


class FinalAnswer(BaseModel):
    status: RunStatus
    text: str
    receipts: list[dict[str, Any]] = Field(default_factory=list)


class RunResult(BaseModel):
    """Where a run stands after ``run``/``resume``: finished, or paused waiting for a person."""

    run_id: str
    agent: str
    status: RunStatus
    waiting_for: ApprovalRequest | QuestionRequest | None = None
    final: FinalAnswer | None = None
    actions: list[Action] = Field(default_factory=list)

    @property
    def done(self) -> bool:
        return self.status not in (RunStatus.WAITING, RunStatus.RUNNING)


class RunEvent(BaseModel):
    """One thing that happened in a run, as streamed by ``Agent.stream``."""

    type: Literal["step_started", "question", "action_proposed", "gate_decided", "approval_needed",
                  "human_decided", "tool_result", "done"]
    run_id: str
    step: int | None = None
    data: dict[str, Any] = Field(default_factory=dict)
    at: str = Field(default_factory=utcnow)
