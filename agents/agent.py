"""Defining and running agents in Python.

    from agents import Agent
    agent = Agent("travel", instructions="Book trains for me.", tools=travel_tools, brain="openai:gpt-4.1-mini")
    result = agent.run("Book the cheapest train from Beijing to Shanghai on Dec 18")
    if result.status == "waiting":
        result = agent.approve(result.run_id)

A run that pauses lives only in the checkpointer: any process can resume it by run id.
"""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Any, Iterable, Iterator, Literal

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agents.brains.base import Brain
from agents.gate import Gate
from agents.graph import NODES_KEY, ErrandNodes, RunState, shared_graph
from agents.models import (
    Action,
    AnswerResume,
    Approve,
    ApprovalRequest,
    ApprovalResume,
    Edit,
    FinalAnswer,
    QuestionRequest,
    Reject,
    RunEvent,
    RunResult,
    RunStatus,
    canonical_args_hash,
    pause_adapter,
)
from agents.store import ClaimRefused, RunIndex, decided_items, open_checkpointer
from tools.calling import validate_args
from tools.profile import UserProfile, load_profile


class RunError(Exception):
    """A run cannot do what was asked (unknown run, not waiting, a decision that does not fit)."""


class Agent:
    """An errand agent: a brain, tools and a gate, compiled to a LangGraph graph with checkpoints.

    ``brain`` is a :class:`~agents.brains.base.Brain`, a langchain-core chat model that supports
    tool calling, or a model spec string such as ``"openai:gpt-4.1-mini"``; ``None`` selects the
    embedded offline brain.

    ``durability`` is how each step is checkpointed: ``"sync"`` (the default) makes every step
    durable before the next one starts, so a run survives a crash at any point; with an
    in-memory checkpointer, which does not survive the process anyway, ``"exit"`` writes only
    at pauses and at the end (an eval trial does this).

    ``policy`` decides allow / ask / deny for every action: a :class:`policies.Policy`, a
    shipped policy name (``"default"``, ``"strict"``, ``"autonomous"``) or a YAML path;
    ``None`` means ``policies/default.yaml``. Users whose profile says ``vulnerable: true``
    always get the strict profile. ``gate`` replaces the policy engine with any other
    :class:`~agents.gate.Gate` (give one or the other).
    """

    def __init__(self, name: str, *, instructions: str = "", tools: Iterable[BaseTool] = (),
                 brain: Brain | BaseChatModel | str | None = None, gate: Gate | None = None,
                 policy: Any = None, checkpointer: BaseCheckpointSaver | str | Path | None = None,
                 max_steps: int = 25, spec: dict[str, Any] | None = None,
                 durability: Literal["sync", "async", "exit"] = "sync") -> None:
        self.name = name
        self.durability = durability
        self.instructions = instructions
        self.tools = list(tools)
        self.brain = _resolve_brain(brain, name)
        self.gate = _resolve_gate(gate, policy)
        self.max_steps = max_steps
        self.spec = {"agent": name, **(spec or {})}
        if isinstance(policy, (str, Path)):
            self.spec.setdefault("policy", str(policy))  # so another process rebuilds the same gate
        self._checkpointer_target = checkpointer
        self._graph: CompiledStateGraph | None = None
        self._index: RunIndex | None = None

    # -- the graph ----------------------------------------------------------------------

    @property
    def nodes(self) -> ErrandNodes:
        return ErrandNodes(agent=self.name, brain=self.brain, tools=self.tools, gate=self.gate,
                           instructions=self.instructions, max_steps=self.max_steps)

    @property
    def graph(self) -> CompiledStateGraph:
        """The compiled LangGraph graph (embed it, inspect it, draw it with get_graph().draw_mermaid())."""
        if self._graph is None:
            self._graph = shared_graph().copy(update={
                "checkpointer": open_checkpointer(self._checkpointer_target), "name": self.name,
                "config": {"configurable": {NODES_KEY: self.nodes}}})
        return self._graph

    @property
    def index(self) -> RunIndex:
        if self._index is None:
            self._index = RunIndex()
        return self._index

    @staticmethod
    def _config(run_id: str) -> dict[str, Any]:
        return {"configurable": {"thread_id": run_id}, "recursion_limit": 200}

    # -- running ------------------------------------------------------------------------

    def _initial_state(self, request: str, user: UserProfile | dict | str | Path | None,
                       run_id: str, today: str | None, notes: dict[str, Any] | None = None) -> RunState:
        profile = _resolve_user(user)
        return RunState(run_id=run_id, agent=self.name, request=request, user=profile, today=today, step=0,
                        steps=[], actions=[], turns=[], pending_question=None, notes=dict(notes or {}),
                        final=None)

    def start(self, request: str, *, user: UserProfile | dict | str | Path | None = None,
              run_id: str | None = None, today: str | None = None,
              notes: dict[str, Any] | None = None) -> tuple[str, RunState]:
        run_id = run_id or new_run_id()
        self.index.create(run_id, self.name, request, self.spec)
        return run_id, self._initial_state(request, user, run_id, today, notes)

    def run(self, request: str, *, user: UserProfile | dict | str | Path | None = None,
            run_id: str | None = None, today: str | None = None,
            notes: dict[str, Any] | None = None) -> RunResult:
        """Run until the first pause (question or approval) or the end.

        ``notes`` seed the brain's memory (e.g. an errand a trigger already prepared). Given a
        ``run_id`` that exists already, the run is carried on rather than started twice — so a
        starter that died (before or after the first checkpoint) can simply call ``run`` again.
        """
        if run_id is not None and self.index.exists(run_id):
            try:
                current = self.result(run_id)
            except RunError:  # indexed, but it died before its first checkpoint: start it now
                return self._drive(run_id, self._initial_state(request, user, run_id, today, notes))
            return self.continue_run(run_id) if current.status is RunStatus.RUNNING else current
        run_id, state = self.start(request, user=user, run_id=run_id, today=today, notes=notes)
        return self._drive(run_id, state)

    async def arun(self, request: str, **kwargs: Any) -> RunResult:
        # The SQLite checkpointer is synchronous; the run happens on a worker thread.
        return await asyncio.to_thread(self.run, request, **kwargs)

    def stream(self, request: str, *, user: UserProfile | dict | str | Path | None = None,
               run_id: str | None = None, today: str | None = None) -> Iterator[RunEvent]:
        """Run, yielding events as they happen: step started, action proposed, gate decided,
        approval needed, tool result, done."""
        run_id, state = self.start(request, user=user, run_id=run_id, today=today)
        yield from self._stream(run_id, state)

    def resume_stream(self, run_id: str, value: Any) -> Iterator[RunEvent]:
        yield from self._stream(run_id, self._checked_command(run_id, value))

    def _stream(self, run_id: str, graph_input: Any) -> Iterator[RunEvent]:
        config = self._config(run_id)
        try:
            for mode, chunk in self.graph.stream(graph_input, config, stream_mode=["custom", "updates"],
                                                 durability=self.durability):
                if mode == "custom":
                    yield RunEvent.model_validate(chunk)
                elif mode == "updates":
                    for node in chunk:
                        if node in ("plan",):
                            yield RunEvent(type="step_started", run_id=run_id,
                                           step=(chunk[node] or {}).get("step"))
        except Exception:
            self.index.update(run_id, RunStatus.FAILED, summary="crashed; see the error")
            raise
        self._finish(run_id)

    def _drive(self, run_id: str, graph_input: Any) -> RunResult:
        try:
            values = self.graph.invoke(graph_input, self._config(run_id), durability=self.durability)
        except Exception:
            self.index.update(run_id, RunStatus.FAILED, summary="crashed; see the error")
            raise
        # what invoke returns is the checkpoint just written: no need to read it back
        interrupts = values.pop("__interrupt__", ()) if isinstance(values, dict) else ()
        return self._finish(run_id, self._result_of(run_id, values, interrupts) if values else None)

    def _finish(self, run_id: str, result: RunResult | None = None) -> RunResult:
        result = result or self.result(run_id)
        summary = result.final.text if result.final else _waiting_summary(result.waiting_for)
        self.index.update(run_id, result.status,
                          result.waiting_for.model_dump(mode="json") if result.waiting_for else None,
                          summary=summary[:500])
        return result

    def result(self, run_id: str) -> RunResult:
        """Where a run stands, read from its checkpoint."""
        snapshot = self.graph.get_state(self._config(run_id))
        if not snapshot.values:
            raise RunError(f"no run {run_id!r} in this agent's checkpoints")
        return self._result_of(run_id, snapshot.values, snapshot.interrupts)

    def _result_of(self, run_id: str, values: dict[str, Any], interrupts: Any) -> RunResult:
        actions = [Action.model_validate(a) for a in values.get("actions", [])]
        waiting = pause_adapter.validate_python(interrupts[0].value) if interrupts else None
        final = values.get("final")
        if waiting is not None:
            status = RunStatus.WAITING
        elif final and final.get("status"):
            status = RunStatus(final["status"])
        else:
            status = RunStatus.RUNNING
        return RunResult(run_id=run_id, agent=values.get("agent", self.name), status=status,
                         waiting_for=waiting,
                         final=FinalAnswer.model_validate(final) if final and final.get("status") else None,
                         actions=actions)

    def state(self, run_id: str) -> dict[str, Any]:
        """The run's full recorded state (request, user, steps, actions, decisions, results, answer)."""
        return dict(self.graph.get_state(self._config(run_id)).values or {})

    # -- resuming -----------------------------------------------------------------------

    def resume(self, run_id: str, value: ApprovalResume | AnswerResume | dict | str) -> RunResult:
        """Resume a paused run with a decision or an answer; it continues to its next pause or end."""
        return self._drive(run_id, self._checked_command(run_id, value))

    def continue_run(self, run_id: str) -> RunResult:
        """Carry on a run that stopped without pausing (the process died mid-step)."""
        current = self.result(run_id)
        if current.status is RunStatus.WAITING:
            raise RunError(f"run {run_id} is waiting for a person; approve, reject or answer it")
        if current.done:
            return current
        return self._drive(run_id, None)

    def _checked_command(self, run_id: str, value: Any) -> Command:
        current = self.result(run_id)
        if current.status is not RunStatus.WAITING or current.waiting_for is None:
            raise RunError(f"run {run_id} is not waiting for a decision (status: {current.status.value})")
        pause = current.waiting_for
        if isinstance(value, str):
            value = AnswerResume(text=value)
        elif isinstance(value, dict):
            from agents.models import resume_adapter

            value = resume_adapter.validate_python(value)
        if isinstance(pause, QuestionRequest):
            if not isinstance(value, AnswerResume):
                raise RunError(f"run {run_id} is waiting for an answer to: {pause.question}")
        else:
            if not isinstance(value, ApprovalResume):
                raise RunError(f"run {run_id} is waiting for approval, not an answer")
            self._check_decisions(pause, value)
        try:
            self.index.claim(run_id, decided_items(run_id, pause, value),
                             by=getattr(value, "reviewer", None), decision=value.model_dump(mode="json"))
        except ClaimRefused as exc:
            raise RunError(str(exc)) from None
        return Command(resume=value.model_dump(mode="json"))

    def _check_decisions(self, pause: ApprovalRequest, value: ApprovalResume) -> None:
        pending = {a.action_id: a for a in pause.actions}
        for action_id, decision in value.decisions.items():
            action = pending.get(action_id)
            if action is None:
                raise RunError(f"no pending action {action_id!r}; pending: {', '.join(pending) or 'none'}")
            if decision.args_hash and decision.args_hash != action.args_hash:
                raise RunError(f"action {action_id} changed since it was shown (args hash "
                               f"{decision.args_hash} ≠ {action.args_hash}); review it again")
            if isinstance(decision, Edit):
                name = decision.tool or action.tool
                tool = next((t for t in self.tools if t.name == name), None)
                if tool is None:
                    raise RunError(f"the edit names tool {name!r}, which this agent does not have")
                problems = validate_args(tool, decision.args)
                if problems:
                    raise RunError(f"edited args for {name} are invalid: " +
                                   "; ".join(f"{p.field}: {p.message}" for p in problems))
        if not value.decisions:
            raise RunError("no decisions given")

    def approve(self, run_id: str, action_ids: Iterable[str] | None = None, *,
                edit: dict[str, Any] | None = None, reviewer: str | None = None,
                remember: bool = False) -> RunResult:
        """Approve the pending actions (all, or those named); ``edit`` replaces one action's args.
        ``remember`` also asks the policy to always allow exactly these actions (where it offered to)."""
        pause = self._pending_approval(run_id)
        chosen = _choose(pause, action_ids)
        if edit is not None:
            if len(chosen) != 1:
                raise RunError("--edit applies to exactly one action; name it")
            decisions: dict[str, Any] = {chosen[0].action_id: Edit(args=edit, args_hash=chosen[0].args_hash)}
        else:
            decisions = {a.action_id: Approve(args_hash=a.args_hash, remember=remember) for a in chosen}
        return self.resume(run_id, ApprovalResume(decisions=decisions, reviewer=reviewer))

    def reject(self, run_id: str, reason: str = "", action_ids: Iterable[str] | None = None, *,
               reviewer: str | None = None) -> RunResult:
        pause = self._pending_approval(run_id)
        decisions = {a.action_id: Reject(reason=reason, args_hash=a.args_hash) for a in _choose(pause, action_ids)}
        return self.resume(run_id, ApprovalResume(decisions=decisions, reviewer=reviewer))

    def answer(self, run_id: str, text: str) -> RunResult:
        return self.resume(run_id, AnswerResume(text=text))

    def _pending_approval(self, run_id: str) -> ApprovalRequest:
        pause = self.result(run_id).waiting_for
        if not isinstance(pause, ApprovalRequest):
            raise RunError(f"run {run_id} is not waiting for an approval")
        return pause


def _choose(pause: ApprovalRequest, action_ids: Iterable[str] | None):  # noqa: ANN202
    if action_ids is None:
        return list(pause.actions)
    wanted = list(action_ids)
    by_id = {a.action_id: a for a in pause.actions}
    missing = [i for i in wanted if i not in by_id]
    if missing:
        raise RunError(f"no pending action {', '.join(missing)}; pending: {', '.join(by_id)}")
    return [by_id[i] for i in wanted]


def _waiting_summary(pause: ApprovalRequest | QuestionRequest | None) -> str:
    if isinstance(pause, QuestionRequest):
        return f"question: {pause.question}"
    if isinstance(pause, ApprovalRequest):
        return "approve: " + "; ".join(a.summary for a in pause.actions)
    return ""


def new_run_id() -> str:
    return uuid.uuid4().hex[:16]


def _resolve_user(user: UserProfile | dict | str | Path | None) -> dict[str, Any]:
    if user is None:
        return load_profile().model_dump(mode="json")
    if isinstance(user, UserProfile):
        return user.model_dump(mode="json")
    if isinstance(user, dict):
        return UserProfile.model_validate(user).model_dump(mode="json")
    return load_profile(user).model_dump(mode="json")


def _resolve_gate(gate: Gate | None, policy: Any) -> Gate:
    """The gate: the one given, or the policy engine over ``policy`` (default: policies/default.yaml)."""
    if gate is not None and policy is not None:
        raise ValueError("give an Agent either a gate or a policy, not both")
    if gate is not None:
        return gate
    from policies.engine import PolicyEngine

    return PolicyEngine(policy)


def _resolve_brain(brain: Brain | BaseChatModel | str | None, agent: str) -> Brain:
    if isinstance(brain, BaseChatModel) or isinstance(brain, str):
        from agents.brains.llm import LLMBrain

        return LLMBrain(brain)
    if brain is None:
        from agents.brains import offline_brain

        return offline_brain(agent)
    return brain


__all__ = ["Agent", "RunError", "canonical_args_hash", "new_run_id"]
