"""The concierge agent: one request about a life event, one plan, every item a linked child run.

    from agents.concierge import ConciergeAgent
    concierge = ConciergeAgent()                       # offline; model="openai:…" for a chat model
    parked = concierge.run("We're moving from Chengdu to Hangzhou on Jan 10")
    plan = concierge.view(parked.run_id)               # every item and where it stands
    # each item's approval is an ordinary inbox item of its own child run:
    Inbox().decide(item_id, "approve")                 # in any order, from any process
    concierge.reject(parked.run_id, items=["boxes"])   # drop items from the plan
    concierge.result(parked.run_id).final.text         # the report, once everything settled

**How sub-errands run.** Each item of the plan is a run of its domain agent (gov, shop,
travel) with its own LangGraph thread, checkpoint, inbox items and idempotency keys
(``<child run id>:<action id>``), linked to the concierge's run in the run index
(``parent``). The child's id is derived from the plan's run id and the item's key, and
creating it in the run index is the claim, so an item is started at most once however many
processes carry the plan on at the same time. The child's index row names this agent as
its owner (``spec.agent = "concierge"``), so every decision on it — from
:class:`~agents.inbox.Inbox`, ``errand approve``, the review loop — comes here: the child is
resumed by its domain agent, then the plan is carried on (:meth:`advance`): items whose
prerequisites have now happened start, and once every item has settled the plan's status and
report are recorded. Nothing about the plan's progress is stored apart from the children:
it is derived from them each time (:mod:`agents.concierge.progress`), so approvals in any
order, from any process, and a crash of one child leave the others and the plan correct.

**Dropping items.** :meth:`decline` (or :meth:`reject` on the plan's run) drops items: one
that has not started gets a child row marked declined (it never starts, and neither does
anything that must come after it); one that waits for an approval is rejected with
``dismiss`` — the errand ends rather than offering another option — and one that still
waits after that (a question, or a brain that proposes something else) is closed in the run
index, which refuses any later decision on it. Rejecting one *action* in the inbox keeps
its domain agent's own behaviour (it may offer the next option).
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any, Iterable, Iterator

from langchain_core.language_models import BaseChatModel
from langchain_core.runnables import RunnableConfig
from langchain_core.tools import BaseTool
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import Command

from agents.agent import Agent, RunError, _resolve_user, new_run_id
from agents.concierge.graph import ConciergeNodes, build_concierge_graph
from agents.concierge.loader import BundleSet, load_bundles
from agents.concierge.model import ConciergePlan, ItemView, PlanItem, PlanView
from agents.concierge.planner import LLMPlanner, OfflinePlanner, Planner
from agents.concierge import progress
from agents.gate import Gate
from agents.models import (
    AnswerResume,
    ApprovalRequest,
    ApprovalResume,
    Approve,
    Edit,
    FinalAnswer,
    QuestionRequest,
    Reject,
    RunEvent,
    RunResult,
    RunStatus,
    pause_adapter,
    resume_adapter,
    utcnow,
)
from agents.store import ClaimRefused, RunIndex, RunRecord, decided_items, open_checkpointer
from tools.registry import ToolRegistry

DOMAINS = ("gov", "shop", "travel")
DECLINE_REASON = "dropped from the plan"


class ConciergeAgent:
    """A top-level agent that turns a life event into one plan of sub-errands across domains.

    ``model`` — a chat model (object or spec such as ``"openai:gpt-4.1-mini"``, with
    ``base_url`` for an OpenAI-compatible server) — reads the request and drives every
    domain agent; ``None`` keeps everything offline. ``policy`` (or ``gate``) is given to
    every domain agent. ``agents`` replaces the domain agents (by name) — for tests and for
    custom ones; ``bundles`` the installed bundles; ``planner`` the request reader.
    """

    name = "concierge"

    def __init__(self, *, model: BaseChatModel | str | None = None, base_url: str | None = None,
                 policy: Any = None, gate: Gate | None = None, bundles: BundleSet | None = None,
                 agents: dict[str, Agent] | None = None, planner: Planner | None = None,
                 checkpointer: BaseCheckpointSaver | str | Path | None = None,
                 check_tasks: bool | None = None) -> None:
        self.model = model
        self.base_url = base_url
        self.policy = policy
        self.gate = gate
        self.bundles = bundles if bundles is not None else load_bundles()
        self.planner = planner or (LLMPlanner(model, base_url=base_url) if model is not None else OfflinePlanner())
        # the offline understanding is what an offline domain agent reads a task with: check against it
        self.check_tasks = (model is None) if check_tasks is None else check_tasks
        self.spec: dict[str, Any] = {"agent": self.name, "model": model if isinstance(model, str) else None,
                                     "base_url": base_url,
                                     "policy": str(policy) if isinstance(policy, (str, Path)) else None}
        self._domains: dict[str, Agent] = dict(agents or {})
        self._checkpointer = open_checkpointer(checkpointer)
        self._graph: CompiledStateGraph | None = None
        self._index: RunIndex | None = None
        self._llm_brain: Any = None
        self._tool_registry: ToolRegistry | None = None

    # -- parts --------------------------------------------------------------------------

    @property
    def graph(self) -> CompiledStateGraph:
        """The concierge's own (planning) graph, compiled with checkpoints."""
        if self._graph is None:
            nodes = ConciergeNodes(bundles=self.bundles, planner=self.planner, check_tasks=self.check_tasks)
            self._graph = build_concierge_graph(nodes).compile(checkpointer=self._checkpointer, name=self.name)
        return self._graph

    @property
    def index(self) -> RunIndex:
        if self._index is None:
            self._index = RunIndex()
        return self._index

    @property
    def tools(self) -> list[BaseTool]:
        """Every tool the plan's items may use (to show approvals: money, personal data)."""
        return [t for name in DOMAINS for t in self.domain_agent(name).tools]

    def domain_agent(self, name: str) -> Agent:
        """The domain agent that runs items of agent ``name``, built once with this concierge's
        model and policy."""
        if name not in self._domains:
            from agents.builtin import INSTRUCTIONS, builtin_agent, load_agent

            if name in INSTRUCTIONS:  # built in: one brain and one set of tools serve them all
                self._domains[name] = builtin_agent(name, brain=self._brain(), gate=self.gate, policy=self.policy,
                                                    registry=self._registry())
            elif self.model is None or isinstance(self.model, str):
                self._domains[name] = load_agent(name, model=self.model, base_url=self.base_url, gate=self.gate,
                                                 policy=self.policy)
            else:
                raise RunError(f"agent {name!r} is installed by name only: give the concierge a model spec string")
        return self._domains[name]

    def _brain(self) -> Any:
        """The domain agents' brain: None (each builds its offline brain) or one LLM brain."""
        if self.model is None:
            return None
        if self._llm_brain is None:
            from agents.brains.llm import LLMBrain

            self._llm_brain = LLMBrain(self.model, base_url=self.base_url)
        return self._llm_brain

    def _registry(self) -> ToolRegistry:
        if self._tool_registry is None:
            from tools.registry import default_registry
            from tools.services import Services

            self._tool_registry = default_registry(services=Services.from_env())
        return self._tool_registry

    @staticmethod
    def _config(run_id: str) -> RunnableConfig:
        return {"configurable": {"thread_id": run_id}, "recursion_limit": 100}

    def _record(self, run_id: str) -> RunRecord:
        record = self.index.get(run_id)
        if record is None:
            raise RunError(f"no run {run_id!r}")
        return record

    @staticmethod
    def _is_child(record: RunRecord) -> bool:
        """An item's run (its spec names the plan's run), not a plan's own run."""
        return bool(record.spec.get("parent"))

    def _child_spec(self, parent_id: str, item: PlanItem) -> dict[str, Any]:
        return {**self.spec, "domain": item.agent, "parent": parent_id, "item": item.key}

    # -- starting -----------------------------------------------------------------------

    def stream(self, request: str, *, user: Any = None, run_id: str | None = None, today: str | None = None,
               without: Iterable[str] = ()) -> Iterator[RunEvent]:
        """Plan the life event and start every item that can start, yielding the items' events.
        ``without`` names items to leave out from the start (names not in the plan are ignored)."""
        from tools.sandbox.base import system_clock

        run_id = run_id or new_run_id()
        self.index.create(run_id, self.name, request, self.spec)
        state = {"run_id": run_id, "agent": self.name, "request": request, "user": _resolve_user(user),
                 "today": (today or system_clock().date().isoformat())[:10], "turns": [], "reading": None,
                 "pending_question": None, "bound": None, "plan": None, "final": None,
                 "without": list(without)}
        yield from self._drive(run_id, state)

    def run(self, request: str, *, user: Any = None, run_id: str | None = None, today: str | None = None,
            without: Iterable[str] = ()) -> RunResult:
        """Plan and start; returns the plan's run (waiting while items wait for the person)."""
        run_id = run_id or new_run_id()
        for _ in self.stream(request, user=user, run_id=run_id, today=today, without=without):
            pass
        return self.result(run_id)

    def _drive(self, run_id: str, graph_input: Any) -> Iterator[RunEvent]:
        try:
            self.graph.invoke(graph_input, self._config(run_id), durability="sync")
        except Exception:
            self.index.update(run_id, RunStatus.FAILED, summary="crashed; see the error")
            raise
        snapshot = self.graph.get_state(self._config(run_id))
        values = snapshot.values or {}
        if snapshot.interrupts:
            pause = pause_adapter.validate_python(snapshot.interrupts[0].value)
            assert isinstance(pause, QuestionRequest)
            self.index.update(run_id, RunStatus.WAITING, pause.model_dump(mode="json"),
                              summary=f"question: {pause.question}"[:500])
            yield RunEvent(type="question", run_id=run_id, data={"question": pause.question, "slot": pause.slot})
        elif values.get("plan"):
            yield from self._advance(run_id, values)
        else:
            final = values.get("final") or {"status": RunStatus.FAILED.value, "text": "the plan was not made"}
            self.index.update(run_id, RunStatus(final["status"]), summary=final["text"][:500])
            yield RunEvent(type="done", run_id=run_id, data={"status": final["status"], "text": final["text"]})

    # -- carrying the plan on -----------------------------------------------------------

    def _planned(self, run_id: str) -> tuple[dict[str, Any], ConciergePlan]:
        values = dict(self.graph.get_state(self._config(run_id)).values or {})
        if not values.get("plan"):
            raise RunError(f"run {run_id} has no plan yet" + (" (it waits for an answer)" if values else ""))
        return values, ConciergePlan.model_validate(values["plan"])

    def _view(self, run_id: str, values: dict[str, Any], plan: ConciergePlan) -> PlanView:
        records = {r.run_id: r for r in self.index.children(run_id)}

        def result_of(item: PlanItem) -> RunResult | None:
            try:
                return self.domain_agent(item.agent).result(item.run_id)
            except RunError:
                return None  # created, first checkpoint not written yet

        return progress.view(run_id, values["request"], plan, records, result_of)

    def view(self, run_id: str) -> PlanView:
        """The whole plan: every item, where it stands, what it waits for, and the report."""
        record = self._record(run_id)
        values, plan = self._planned(record.run_id)
        return self._view(record.run_id, values, plan)

    def advance(self, run_id: str) -> PlanView:
        """Carry the plan on: start the items whose prerequisites have happened, and record the
        plan's status (and report, once settled) in the run index. Safe to call any time, from
        any process, as often as wanted."""
        record = self._record(run_id)
        values, _ = self._planned(record.run_id)
        for _ in self._advance(record.run_id, values):
            pass
        return self.view(record.run_id)

    def _advance(self, run_id: str, values: dict[str, Any]) -> Iterator[RunEvent]:
        plan = ConciergePlan.model_validate(values["plan"])
        left_out = set(values.get("without") or [])
        for _ in range(len(plan.items) + 1):  # each round may start the items that waited for the last
            current = self._view(run_id, values, plan)
            waiting = [(item, seen) for item, seen in zip(plan.items, current.items) if seen.status == "not_started"]
            for item, _seen in waiting:
                if item.key in left_out:
                    self._decline_unstarted(run_id, item, "left out when the plan was made", None)
            ready = [item for item, _seen in waiting
                     if item.key not in left_out and all(current.item(d).status == "done" for d in item.after)]
            if not ready and not any(item.key in left_out for item, _seen in waiting):
                break
            for item in ready:
                yield from self._launch(run_id, values, item)
        current = self._view(run_id, values, plan)
        head = current.report.splitlines()[0]
        if current.settled:  # every writer of a settled plan writes the same: no guard needed
            self.index.update(run_id, current.status, summary=current.report[:500])
            yield RunEvent(type="done", run_id=run_id, data={"status": current.status.value, "text": current.report})
        else:
            self.index.update(run_id, current.status, summary=head[:500], unless_settled=True)

    def _launch(self, parent_id: str, values: dict[str, Any], item: PlanItem) -> Iterator[RunEvent]:
        """Start one item as a child run; the index refuses a second start of the same id."""
        domain = self.domain_agent(item.agent)
        saver = domain.graph.checkpointer  # the child's thread must be where its domain agent reads it
        launcher = Agent(item.agent, instructions=domain.instructions, tools=domain.tools, brain=domain.brain,
                         gate=domain.gate, checkpointer=saver if isinstance(saver, BaseCheckpointSaver) else None,
                         max_steps=domain.max_steps, spec=self._child_spec(parent_id, item))
        events = launcher.stream(item.task, user=values["user"], run_id=item.run_id, today=values["today"])
        try:
            first = next(events)  # creating the run index row happens here: the claim
        except sqlite3.IntegrityError:
            return  # another process started this item first
        except StopIteration:
            return
        yield first
        yield from events

    # -- reading ------------------------------------------------------------------------

    def result(self, run_id: str) -> RunResult:
        """Where a run stands: for the plan's run, the plan (with the report once settled); for
        an item's run, that sub-errand."""
        record = self._record(run_id)
        if self._is_child(record):
            return self.domain_agent(record.spec["domain"]).result(record.run_id)
        snapshot = self.graph.get_state(self._config(record.run_id))
        values = snapshot.values or {}
        if not values:
            raise RunError(f"no run {run_id!r} in the concierge's checkpoints")
        if snapshot.interrupts:
            return RunResult(run_id=record.run_id, agent=self.name, status=RunStatus.WAITING,
                             waiting_for=pause_adapter.validate_python(snapshot.interrupts[0].value))
        if values.get("plan"):
            current = self._view(record.run_id, values, ConciergePlan.model_validate(values["plan"]))
            receipts = [{**r, "action_id": f"{i.key}/{r.get('action_id')}", "item": i.key}
                        for i in current.items for r in i.receipts]
            final = FinalAnswer(status=current.status, text=current.report, receipts=receipts) \
                if current.settled else None
            return RunResult(run_id=record.run_id, agent=self.name, status=current.status, final=final)
        if values.get("final"):
            final = FinalAnswer(status=RunStatus(values["final"]["status"]), text=values["final"]["text"])
            return RunResult(run_id=record.run_id, agent=self.name, status=final.status, final=final)
        return RunResult(run_id=record.run_id, agent=self.name, status=RunStatus.RUNNING)

    def state(self, run_id: str) -> dict[str, Any]:
        """The run's recorded state; for the plan's run with ``plan_view`` (every item) and,
        once settled, ``final`` (the report)."""
        record = self._record(run_id)
        if self._is_child(record):
            return self.domain_agent(record.spec["domain"]).state(record.run_id)
        values = dict(self.graph.get_state(self._config(record.run_id)).values or {})
        if values.get("plan"):
            current = self._view(record.run_id, values, ConciergePlan.model_validate(values["plan"]))
            values["plan_view"] = current.model_dump(mode="json")
            if current.settled:
                values["final"] = {"status": current.status.value, "text": current.report}
        return values

    # -- deciding -----------------------------------------------------------------------

    def resume(self, run_id: str, value: ApprovalResume | AnswerResume | dict | str) -> RunResult:
        """Resume a paused run: an item's run with a decision (then the plan carries on), or the
        plan's run with an answer to its question."""
        record = self._record(run_id)
        if self._is_child(record):
            domain = self.domain_agent(record.spec["domain"])
            try:
                return domain.resume(record.run_id, value)
            finally:
                self.advance(record.spec["parent"])
        return self._answer_plan(record.run_id, value)

    def _answer_plan(self, run_id: str, value: Any) -> RunResult:
        current = self.result(run_id)
        pause = current.waiting_for
        if not isinstance(pause, QuestionRequest):
            raise RunError(f"run {run_id} is a concierge plan ({current.status.value}); its items wait in the inbox "
                           "under their own runs — decide those, or approve/reject the plan's items")
        answer = AnswerResume(text=value) if isinstance(value, str) else resume_adapter.validate_python(value) \
            if isinstance(value, dict) else value
        if not isinstance(answer, AnswerResume):
            raise RunError(f"run {run_id} is waiting for an answer to: {pause.question}")
        try:
            self.index.claim(run_id, decided_items(run_id, pause, answer), decision=answer.model_dump(mode="json"))
        except ClaimRefused as exc:
            raise RunError(str(exc)) from None
        for _ in self._drive(run_id, Command(resume=answer.model_dump(mode="json"))):
            pass
        return self.result(run_id)

    def answer(self, run_id: str, text: str) -> RunResult:
        return self.resume(run_id, AnswerResume(text=text))

    def approve(self, run_id: str, action_ids: Iterable[str] | None = None, *, edit: dict[str, Any] | None = None,
                reviewer: str | None = None, remember: bool = False, items: Iterable[str] | None = None) -> RunResult:
        """Approve an item's pending actions (its run id, like any agent), or — given the plan's
        run id — every item waiting for an approval at once, or the ``items`` named."""
        record = self._record(run_id)
        if self._is_child(record):
            domain = self.domain_agent(record.spec["domain"])
            try:
                return domain.approve(record.run_id, action_ids, edit=edit, reviewer=reviewer, remember=remember)
            finally:
                self.advance(record.spec["parent"])
        if edit is not None or action_ids is not None:
            raise RunError("a plan approves whole items; to edit or pick actions, decide the item's own inbox item")
        current = self.view(record.run_id)
        chosen = self._chosen(current, items)
        approvals = [i for i in chosen if (i.waiting_for or {}).get("kind") == "approval"]
        if items is not None and len(approvals) != len(chosen):
            other = [f"{i.key} ({i.status})" for i in chosen if i not in approvals]
            raise RunError("not waiting for an approval: " + ", ".join(other))
        if not approvals:
            raise RunError(f"nothing in plan {record.run_id} waits for an approval")
        try:
            for item in approvals:
                self.domain_agent(item.agent).approve(item.run_id, reviewer=reviewer, remember=remember)
        finally:
            self.advance(record.run_id)
        return self.result(record.run_id)

    def reject(self, run_id: str, reason: str = "", action_ids: Iterable[str] | None = None, *,
               reviewer: str | None = None, items: Iterable[str] | None = None) -> RunResult:
        """Reject an item's pending actions (its run id: its agent may offer another option), or —
        given the plan's run id — drop the ``items`` named (default: every unsettled item)."""
        record = self._record(run_id)
        if self._is_child(record):
            domain = self.domain_agent(record.spec["domain"])
            try:
                return domain.reject(record.run_id, reason, action_ids, reviewer=reviewer)
            finally:
                self.advance(record.spec["parent"])
        if action_ids is not None:
            raise RunError("a plan rejects whole items: name them with items=[…]")
        return self.decline(record.run_id, items, reason=reason, reviewer=reviewer)

    @staticmethod
    def _chosen(current: PlanView, items: Iterable[str] | None) -> list[ItemView]:
        """The items named (all must exist), or — with none named — those waiting for the person."""
        if items is None:
            return [i for i in current.items if i.status == "waiting"]
        keys = list(items)
        known = {i.key for i in current.items}
        unknown = [k for k in keys if k not in known]
        if unknown:
            raise RunError(f"no item {', '.join(unknown)} in this plan; its items: {', '.join(sorted(known))}")
        return [current.item(k) for k in keys]

    def decline(self, run_id: str, items: Iterable[str] | None = None, *, reason: str = "",
                reviewer: str | None = None) -> RunResult:
        """Drop items from the plan (default: every item not settled yet); whatever must come
        after them is skipped. See the module docstring for how each kind of item is stopped."""
        record = self._record(run_id)
        values, plan = self._planned(record.run_id)
        current = self._view(record.run_id, values, plan)
        chosen = self._chosen(current, items) if items is not None else [i for i in current.items if not i.settled]
        settled = [f"{i.key} ({i.status})" for i in chosen if i.settled]
        if settled and items is not None:
            raise RunError("already settled, nothing to drop: " + ", ".join(settled))
        busy = [i.key for i in chosen if i.status == "running"]
        if busy:
            raise RunError(f"working right now: {', '.join(busy)}; drop it when it waits for you")
        try:
            for view_item in chosen:
                item = plan.item(view_item.key)
                assert item is not None
                if view_item.status == "not_started" and self._decline_unstarted(record.run_id, item, reason, reviewer):
                    continue
                self._dismiss(item, reason, reviewer)
        finally:
            self.advance(record.run_id)
        return self.result(record.run_id)

    def _decline_unstarted(self, parent_id: str, item: PlanItem, reason: str, reviewer: str | None) -> bool:
        """Mark an item that has not started as declined (its child row is the record); False
        when it has started meanwhile."""
        spec = {**self._child_spec(parent_id, item),
                progress.DECLINED_NOTE: {"reason": reason, "by": reviewer, "at": utcnow()}}
        try:
            self.index.create(item.run_id, item.agent, item.task, spec)
        except sqlite3.IntegrityError:
            existing = self.index.get(item.run_id)
            return bool(existing and existing.spec.get(progress.DECLINED_NOTE))
        self.index.update(item.run_id, RunStatus.REJECTED, summary=f"dropped before it started: {reason}"[:500])
        return True

    def _dismiss(self, item: PlanItem, reason: str, reviewer: str | None) -> None:
        """End a started item: reject what it waits for with ``dismiss``; if it still waits
        (a question, or it proposed something else), close it in the run index for good."""
        domain = self.domain_agent(item.agent)
        current = domain.result(item.run_id)
        if current.status is not RunStatus.WAITING:
            return
        if isinstance(current.waiting_for, ApprovalRequest):
            decisions: dict[str, Approve | Edit | Reject] = {
                a.action_id: Reject(reason=reason or DECLINE_REASON, args_hash=a.args_hash, dismiss=True)
                for a in current.waiting_for.actions}
            current = domain.resume(item.run_id, ApprovalResume(decisions=decisions, reviewer=reviewer))
        if current.status is RunStatus.WAITING:
            self.index.update(item.run_id, RunStatus.REJECTED, outcome="declined",
                              summary=f"{DECLINE_REASON}: {reason}"[:500] if reason else DECLINE_REASON)

    # -- recovering ---------------------------------------------------------------------

    def continue_run(self, run_id: str) -> RunResult:
        """Carry on after a process died: an item's run from its checkpoint (effects are not
        repeated), or for the plan's run every item that stopped mid-step, then the plan."""
        record = self._record(run_id)
        if self._is_child(record):
            try:
                return self.domain_agent(record.spec["domain"]).continue_run(record.run_id)
            finally:
                self.advance(record.spec["parent"])
        snapshot = self.graph.get_state(self._config(record.run_id))
        values = snapshot.values or {}
        if snapshot.interrupts:
            raise RunError(f"run {record.run_id} is waiting for an answer")
        if not values.get("plan") and not values.get("final"):
            for _ in self._drive(record.run_id, None):  # planning itself was cut short
                pass
            return self.result(record.run_id)
        if values.get("plan"):
            plan = ConciergePlan.model_validate(values["plan"])
            for child in self.index.children(record.run_id):
                item = plan.item(child.spec.get("item", ""))
                if item is not None and not child.spec.get(progress.DECLINED_NOTE):
                    self._continue_child(item, values)
            self.advance(record.run_id)
        return self.result(record.run_id)

    def _continue_child(self, item: PlanItem, values: dict[str, Any]) -> None:
        # the index row is the claim; Agent.run carries on a run that exists (or starts one that
        # died before its first checkpoint) rather than starting it twice
        self.domain_agent(item.agent).run(item.task, user=values["user"], run_id=item.run_id,
                                          today=values["today"])


__all__ = ["ConciergeAgent", "DECLINE_REASON"]
