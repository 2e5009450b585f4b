"""The concierge's own graph: understand → (ask → understand)* → plan.

It reads the request into a bundle and its slots, asks the person for what is missing (a
LangGraph ``interrupt`` with a typed :class:`~agents.models.QuestionRequest`, exactly like a
domain agent's question, so it shows in the same inbox), and renders the plan. The plan is
the graph's last write: carrying it out is the orchestrator's job
(:class:`agents.concierge.agent.ConciergeAgent`), because each item runs as a run of its
own domain agent.
"""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt

from agents.concierge.loader import BundleSet
from agents.concierge.model import Reading
from agents.concierge.planner import Planner
from agents.concierge.planning import bind, make_plan
from agents.graph import parse_answer
from agents.models import QuestionRequest, RunStatus


class ConciergeState(TypedDict, total=False):
    run_id: str
    agent: str
    request: str
    user: dict[str, Any]
    today: str
    reading: dict[str, Any] | None
    turns: list[dict[str, Any]]
    pending_question: dict[str, Any] | None
    bound: dict[str, Any] | None
    plan: dict[str, Any] | None
    final: dict[str, Any] | None
    without: list[str]  # items the person left out when asking (declined before they start)


class ConciergeNodes:
    """The planning nodes, bound to a set of bundles and a planner."""

    def __init__(self, *, bundles: BundleSet, planner: Planner, check_tasks: bool) -> None:
        self.bundles = bundles
        self.planner = planner
        self.check_tasks = check_tasks

    def understand(self, state: ConciergeState) -> dict[str, Any]:
        """Read the request (once: the planner's reading is kept), fold in the answers, and
        either ask the next question, stop, or hand the bound slots to ``plan``."""
        today = date.fromisoformat(state["today"])
        stored = state.get("reading")
        reading = Reading.model_validate(stored) if stored else self.planner.read(
            state["request"], user=state.get("user", {}), today=today, bundles=self.bundles)
        binding = bind(reading, state.get("turns", []), bundles=self.bundles, request=state["request"],
                       user=state.get("user", {}), today=today)
        update: dict[str, Any] = {"reading": reading.model_dump(mode="json"), "pending_question": None, "bound": None}
        if binding.failure is not None:
            status = RunStatus.FAILED if binding.bundle is not None else RunStatus.DONE
            update["final"] = {"status": status.value, "text": binding.failure}
        elif binding.question is not None:
            q = binding.question
            update["pending_question"] = {"question": q.text, "slot": q.slot, "options": [list(o) for o in q.options]}
        else:
            assert binding.bundle is not None
            update["bound"] = {"bundle": binding.bundle.id, "slots": binding.slots}
        return update

    def ask(self, state: ConciergeState) -> dict[str, Any]:
        """Pause for one answer; it is recorded as a turn (with the options offered, so it is
        read the same way on any later step)."""
        pending = state["pending_question"] or {}
        turns = state.get("turns", [])
        request = QuestionRequest(run_id=state["run_id"], question=pending.get("question", ""),
                                  slot=pending.get("slot"), choices=[o[0] for o in pending.get("options", [])],
                                  turn=len(turns))
        value = interrupt(request.model_dump(mode="json"))
        answer = _answer(value)
        if answer is None:  # not an answer: ask again rather than guess
            return {}
        turn = {"question": request.question, "answer": answer, "slot": request.slot,
                "options": pending.get("options", []), "step": len(turns) + 1}
        return {"turns": [*turns, turn], "pending_question": None}

    def plan(self, state: ConciergeState) -> dict[str, Any]:
        """Render the bundle for the bound slots: the plan, fixed from now on."""
        bound = state["bound"] or {}
        bundle = self.bundles.get(bound.get("bundle"))
        if bundle is None:
            return {"final": {"status": RunStatus.FAILED.value,
                              "text": f"the life-event bundle {bound.get('bundle')!r} is no longer installed"}}
        reading = Reading.model_validate(state["reading"])
        plan = make_plan(bundle, bound.get("slots", {}), reading.lang, user=state.get("user", {}),
                         today=date.fromisoformat(state["today"]), run_id=state["run_id"], check=self.check_tasks)
        return {"plan": plan.model_dump(mode="json")}

    @staticmethod
    def after_understand(state: ConciergeState) -> str:
        if state.get("final"):
            return END
        return "ask" if state.get("pending_question") else "plan"


def _answer(value: Any) -> str | None:
    answer = parse_answer(value)
    return answer.strip() or None if answer else None  # a blank answer is no answer


def build_concierge_graph(nodes: ConciergeNodes) -> StateGraph:
    """The concierge's planning graph (uncompiled, so it can be extended)."""
    graph = StateGraph(ConciergeState)
    graph.add_node("understand", nodes.understand)
    graph.add_node("ask", nodes.ask)
    graph.add_node("plan", nodes.plan)
    graph.add_edge(START, "understand")
    graph.add_conditional_edges("understand", nodes.after_understand)
    graph.add_edge("ask", "understand")
    graph.add_edge("plan", END)
    return graph


__all__ = ["ConciergeNodes", "ConciergeState", "build_concierge_graph"]
