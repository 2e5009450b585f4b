"""What a brain is: given the run so far, decide the next move.

A brain never executes anything. It returns a :class:`Plan` — actions to propose, a
question for the person, or a final answer — and the graph does the rest (gate,
approval, execution). All brains drive the same graph.
"""

from __future__ import annotations

from typing import Any, Literal, Protocol, runtime_checkable

from langchain_core.tools import BaseTool
from pydantic import BaseModel, ConfigDict, Field

from agents.models import Action


class ProposedCall(BaseModel):
    tool: str
    args: dict[str, Any]
    rationale: str = ""
    call_id: str | None = None


class Plan(BaseModel):
    """The brain's next move."""

    kind: Literal["actions", "question", "final", "fail"]
    calls: list[ProposedCall] = Field(default_factory=list)
    text: str = Field(default="", description="The question, final answer or failure message")
    slot: str | None = None
    choices: list[str] = Field(default_factory=list)
    call_id: str | None = Field(default=None, description="Chat-model tool-call id of an ask_user call")
    notes: dict[str, Any] = Field(default_factory=dict, description="Brain memory kept in the run state")

    @classmethod
    def act(cls, *calls: ProposedCall, **kw: Any) -> "Plan":
        return cls(kind="actions", calls=list(calls), **kw)

    @classmethod
    def ask(cls, question: str, **kw: Any) -> "Plan":
        return cls(kind="question", text=question, **kw)

    @classmethod
    def finish(cls, text: str, **kw: Any) -> "Plan":
        return cls(kind="final", text=text, **kw)

    @classmethod
    def fail(cls, text: str, **kw: Any) -> "Plan":
        return cls(kind="fail", text=text, **kw)


class Turn(BaseModel):
    """A question the run asked and the person's answer."""

    question: str
    answer: str
    slot: str | None = None
    call_id: str | None = None
    step: int


class PlanContext(BaseModel):
    """Everything a brain may read; a snapshot, never a handle to change the run."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    agent: str
    instructions: str
    request: str
    user: dict[str, Any]
    tools: list[BaseTool]
    actions: list[Action] = Field(default_factory=list)
    turns: list[Turn] = Field(default_factory=list)
    step: int = 0
    notes: dict[str, Any] = Field(default_factory=dict)
    today: str | None = None

    def tool(self, name: str) -> BaseTool | None:
        return next((t for t in self.tools if t.name == name), None)


@runtime_checkable
class Brain(Protocol):
    """Decide the next move. ``plan`` is called at every step and must be a pure function of
    the context (a resumed run replays it), apart from calling a model."""

    name: str

    def plan(self, ctx: PlanContext) -> Plan: ...

    def respond(self, ctx: PlanContext, status: str) -> str: ...
