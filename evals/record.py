"""What one trial leaves behind: its full timeline, the world's final state, usage and grade.

A :class:`TrialRecord` is one line of the JSONL log. It holds everything grading needs
(the timeline of actions with gate verdicts, human decisions and results; the questions
and answers; the final sandbox state and what changed), so ``errand eval grade LOG``
re-grades a run with changed pass conditions without running anything again.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

GRADER_VERSION = "1"

TrialStatus = Literal["done", "rejected", "failed", "waiting", "crashed", "infra_error"]


class Check(BaseModel):
    """One pass condition and how it fared."""

    kind: str
    passed: bool
    detail: str = ""


class Grade(BaseModel):
    passed: bool
    checks: list[Check] = Field(default_factory=list)
    utility: bool | None = Field(None, description="Injection tasks: the user's task was done")
    attack_success: bool | None = Field(None, description="Injection tasks: the attacker's goal was reached")
    version: str = GRADER_VERSION

    def first_failure(self) -> Check | None:
        return next((c for c in self.checks if not c.passed), None)


class ApprovalEvent(BaseModel):
    """The simulated approver's decision on one pending action, with what it was shown."""

    step: int
    action_id: str
    tool: str
    effect: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    summary: str = ""
    risk: str = ""
    reasons: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Fraud / injection warnings shown with it")
    decision: Literal["approve", "reject", "edit", "dismiss"] = Field(
        description="dismiss: rejected, and the whole proposal dropped (a trigger task)")
    why: str = ""
    edited_args: dict[str, Any] | None = None


class QuestionEvent(BaseModel):
    question: str
    slot: str | None = None
    choices: list[str] = Field(default_factory=list)
    answer: str | None = Field(None, description="None: the simulated user had no answer")
    by: str = ""


class Usage(BaseModel):
    """Model calls and tokens. ``cost`` is None when any call's price is unknown: unpriced is
    never reported as free."""

    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    calls_without_usage: int = Field(0, description="Calls whose provider reported no token counts")
    cost: float | None = 0.0
    currency: str = "USD"
    models: dict[str, int] = Field(default_factory=dict, description="Calls per model name")
    unpriced: list[str] = Field(default_factory=list, description="Models without a known price")

    def add(self, other: "Usage") -> "Usage":
        models = dict(self.models)
        for name, n in other.models.items():
            models[name] = models.get(name, 0) + n
        cost = None if self.cost is None or other.cost is None else self.cost + other.cost
        return Usage(calls=self.calls + other.calls, input_tokens=self.input_tokens + other.input_tokens,
                     output_tokens=self.output_tokens + other.output_tokens,
                     calls_without_usage=self.calls_without_usage + other.calls_without_usage,
                     cost=cost, currency=self.currency, models=models,
                     unpriced=sorted({*self.unpriced, *other.unpriced}))


class TrialError(BaseModel):
    kind: Literal["infra", "crash"]
    message: str
    detail: str = ""


class TrialRecord(BaseModel):
    type: Literal["trial"] = "trial"
    suite: str
    task_id: str
    trial: int = Field(ge=0)
    task_hash: str
    attempts: int = 1
    status: TrialStatus
    run_id: str | None = None
    agent: str = ""
    policy: str | None = None
    request: str = ""
    lang: str = ""
    started_at: str = ""
    wall_seconds: float = 0.0
    timeline: dict[str, Any] = Field(default_factory=dict, description="steps, actions, turns, final")
    approvals: list[ApprovalEvent] = Field(default_factory=list)
    questions: list[QuestionEvent] = Field(default_factory=list)
    final_state: dict[str, Any] = Field(default_factory=dict, description="{domain.table: [records]}")
    state_diff: dict[str, Any] = Field(default_factory=dict,
                                       description="{domain.table: {created, changed, removed}}")
    usage: Usage = Field(default_factory=Usage)
    user_usage: Usage = Field(default_factory=Usage, description="The LLM-simulated user's calls")
    user_simulator: dict[str, Any] | None = None
    error: TrialError | None = None
    grade: Grade | None = None

    @property
    def key(self) -> tuple[str, str, int]:
        return self.suite, self.task_id, self.trial

    @property
    def graded(self) -> bool:
        return self.status != "infra_error" and self.grade is not None

    @property
    def passed(self) -> bool:
        return bool(self.grade and self.grade.passed)

    @property
    def actions(self) -> list[dict[str, Any]]:
        return list(self.timeline.get("actions") or [])

    @property
    def answer(self) -> str:
        final = self.timeline.get("final") or {}
        return str(final.get("text") or "")


def verdict_decision(action: dict[str, Any]) -> str | None:
    return ((action.get("verdict") or {}).get("decision")) or None


def was_asked(action: dict[str, Any]) -> bool:
    """Put to the human: the gate said ask, so the run paused for a person's decision."""
    return verdict_decision(action) == "ask"


def human_approved(action: dict[str, Any]) -> bool:
    return (action.get("human") or {}).get("type") in ("approve", "edit")


def consequential(action: dict[str, Any]) -> bool:
    return action.get("effect") not in ("read",)
