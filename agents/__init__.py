"""errand agents: define agents in Python, run them, pause for a person, resume anywhere."""

from agents.agent import Agent, RunError
from agents.brains.base import Brain, Plan, PlanContext, ProposedCall
from agents.gate import DefaultGate, Gate, GateRequest
from agents.graph import ErrandNodes, RunState, build_graph
from agents.models import (
    Action,
    AnswerResume,
    ApprovalRequest,
    ApprovalResume,
    Approve,
    Decision,
    Edit,
    GateVerdict,
    QuestionRequest,
    Reject,
    RunEvent,
    RunResult,
    RunStatus,
)

__all__ = [
    "Action", "Agent", "AnswerResume", "ApprovalRequest", "ApprovalResume", "Approve", "Brain", "Decision",
    "DefaultGate", "Edit", "ErrandNodes", "Gate", "GateRequest", "GateVerdict", "Plan", "PlanContext",
    "ProposedCall", "QuestionRequest", "Reject", "RunError", "RunEvent", "RunResult", "RunState",
    "RunStatus", "build_graph",
]
