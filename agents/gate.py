"""The gate: the one seam where a decision about each proposed action is made.

The policy engine (:class:`policies.PolicyEngine`) plugs in here and is what an
:class:`~agents.agent.Agent` uses unless given another gate. :class:`DefaultGate` is the
bare baseline errand promises everywhere: reads run, everything else asks the person,
and a tool errand knows nothing about is never allowed silently.

Besides ``decide``, a gate may implement two optional hooks the runtime calls:

- ``releasable_fields(tool, meta, user) -> set[str]`` (:class:`ReleasesData`): the profile
  fields the runtime may put into this tool's arguments; ``$user.<field>`` references to
  other fields stay unresolved, so the value never enters the action (the gate then denies);
- ``remember(tool=, args=, verdict=, user=, approved_by=, days=, run_id=, action_id=)``
  (:class:`RemembersApprovals`): store a person's "always allow this".
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field

from agents.models import Decision, GateVerdict
from tools.model import Effect, ToolMeta


class GateRequest(BaseModel):
    """Everything a gate may look at for one action."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    run_id: str
    agent: str
    action_id: str | None = Field(default=None, description="The action's id in the run, e.g. '3.1'")
    tool: str
    args: dict[str, Any]
    meta: ToolMeta | None = Field(description="None: the tool has no errand metadata (unknown effect)")
    tool_exists: bool = True
    user: dict[str, Any] = Field(default_factory=dict)
    provenance: dict[str, str] = Field(
        default_factory=dict,
        description="Where each argument value came from: request, user, human, tool:<name>, model")
    history: list[dict[str, Any]] = Field(default_factory=list, description="Earlier actions of this run")


@runtime_checkable
class Gate(Protocol):
    def decide(self, request: GateRequest) -> GateVerdict: ...


@runtime_checkable
class ReleasesData(Protocol):
    def releasable_fields(self, tool: str, meta: ToolMeta | None, user: dict[str, Any]) -> set[str]: ...


@runtime_checkable
class RemembersApprovals(Protocol):
    def remember(self, *, tool: str, args: dict[str, Any], verdict: GateVerdict, user: dict[str, Any],
                 approved_by: str | None = None, days: int | None = None, run_id: str = "",
                 action_id: str = "") -> Any: ...


class DefaultGate:
    """read → allow; write/payment/irreversible → ask; unknown effect → ask; no such tool → deny."""

    def decide(self, request: GateRequest) -> GateVerdict:
        meta = request.meta
        summary = (meta.describe(request.args) if meta else None) or f"{request.tool}({_short(request.args)})"
        if not request.tool_exists:
            return GateVerdict(decision=Decision.DENY, reasons=[f"there is no tool named {request.tool!r}"],
                               risk="high", summary=summary)
        if meta is None:
            return GateVerdict(decision=Decision.ASK, risk="medium", summary=summary,
                               reasons=["this tool does not declare its effect, so it may change something"])
        if meta.effect is Effect.READ:
            return GateVerdict(decision=Decision.ALLOW, reasons=["read-only"], summary=summary)
        risk = "high" if meta.effect >= Effect.PAYMENT else "medium"
        return GateVerdict(decision=Decision.ASK, risk=risk, summary=summary,
                           reasons=[f"{meta.effect.value} actions need your approval"])


def _short(args: dict[str, Any]) -> str:
    text = ", ".join(f"{k}={v!r}" for k, v in args.items())
    return text if len(text) < 120 else text[:117] + "..."
