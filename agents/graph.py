"""errand's nodes and the standard graph: understand → plan → gate → (approve) → act → plan … → respond.

Every node is a method of :class:`ErrandNodes`, so people can assemble their own
LangGraph graph from errand's nodes. The rules that keep a run safe live here:

- only ``act`` calls tools, and only for actions the gate allowed or a person approved;
- an approval binds to the tool + canonical args hash, and ``act`` re-checks it;
- each call carries the idempotency key ``<run id>:<action id>``, so a node that
  re-runs after a crash or resume replays the key and the service creates nothing new;
- pauses are ``interrupt()`` with typed payloads; nodes hold no side effects before them.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Annotated, Any, Iterable, Literal, TypedDict

from langchain_core.tools import BaseTool
from langchain_core.runnables import RunnableConfig
from langgraph.config import get_stream_writer
from langgraph.graph import END, START, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.types import interrupt
from pydantic import ValidationError

from agents.brains.base import Brain, Plan, PlanContext, Turn
from agents.gate import DefaultGate, Gate, GateRequest, ReleasesData, RemembersApprovals
from agents.models import (
    DEFAULT_APPROVAL_TTL_SECONDS,
    Action,
    ActionStatus,
    AnswerResume,
    ApprovalRequest,
    ApprovalResume,
    Decision,
    Edit,
    FinalAnswer,
    GateVerdict,
    PendingAction,
    QuestionRequest,
    Reject,
    RunStatus,
    canonical_args_hash,
    resume_adapter,
    utcnow,
)
from policies.audit import AuditLog, Pending, decision_entry, execution_entry, money_fields
from tools.calling import call_tool, validate_args
from tools.model import Effect, tool_meta

USER_REF = "$user."


def merge_actions(current: list[dict[str, Any]] | None, update: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    """The ``actions`` channel's reducer: an update's actions replace those with the same id and
    new ones are appended, in order. Nodes send only the actions they changed, so a step writes
    a few records to the checkpoint instead of the whole history again."""
    merged = list(current or [])
    if not update:
        return merged
    where = {a["id"]: i for i, a in enumerate(merged)}
    for action in update:
        i = where.get(action["id"])
        if i is None:
            where[action["id"]] = len(merged)
            merged.append(action)
        else:
            merged[i] = action
    return merged


class RunState(TypedDict, total=False):
    run_id: str
    agent: str
    request: str
    user: dict[str, Any]
    today: str | None
    step: int
    steps: list[dict[str, Any]]
    actions: Annotated[list[dict[str, Any]], merge_actions]
    turns: list[dict[str, Any]]
    pending_question: dict[str, Any] | None
    notes: dict[str, Any]
    final: dict[str, Any] | None


def _emit(event: str, state: RunState, **data: Any) -> None:
    get_stream_writer()({"type": event, "run_id": state.get("run_id", ""), "step": state.get("step"),
                         "data": data})


def resolve_user_refs(value: Any, user: dict[str, Any], allowed: set[str] | None = None) -> Any:
    """Replace ``"$user.phone"``-style references with the profile's values.

    The LLM brain shows the model references instead of sensitive values, so the model
    never holds the person's ID number; the gate and the approver see the real values.
    ``allowed`` (from the gate's data-release policy) limits which top-level profile fields
    are resolved; a reference to any other field stays a reference, so the value never
    enters the action and the gate denies it with the reason.
    """
    if isinstance(value, str) and value.startswith(USER_REF):
        parts = value[len(USER_REF):].split(".")
        if allowed is not None and parts[0] not in allowed:
            return value
        node: Any = user
        for part in parts:
            if isinstance(node, dict) and part in node:
                node = node[part]
            elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
                node = node[int(part)]
            else:
                return value
        return node
    if isinstance(value, dict):
        return {k: resolve_user_refs(v, user, allowed) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_user_refs(v, user, allowed) for v in value]
    return value


def _leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}" if path else str(k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, f"{path}[{i}]")
    else:
        yield path, value


_MIN_TEXT_MATCH = 4  # shorter values ("2", "M1") occur inside free text by coincidence
_MIN_NUMBER_MATCH = 3  # a "1" or a "20" equals some field of almost any output by coincidence


def provenance(args: dict[str, Any], state: RunState, actions: list[Action],
               output_leaves: dict[tuple[str, str, str], set[str]] | None = None) -> dict[str, str]:
    """Where each argument value came from: the request, a person's answer, the user profile,
    an earlier tool's (untrusted) output, or the model itself.

    Tool output is ``tool:<name>`` when the value is a whole field of the output (an id or a
    price from a catalogue record) and ``tool:<name>:text`` when it was lifted out of a longer
    free text (a review, a description) — where anyone can write anything.

    ``output_leaves`` caches the profile's values and each executed action's output values (a
    settled output never changes), so a long run does not walk them again at every proposal.
    """
    request = state.get("request", "")
    answers = " ".join(t["answer"] for t in state.get("turns", []))
    cache = output_leaves if output_leaves is not None else {}
    user_key = (state.get("run_id", ""), "(user)", "")  # a run's profile is fixed for the run
    user_values = cache.get(user_key)
    if user_values is None:  # (read into a local: another thread may clear the cache meanwhile)
        user_values = cache[user_key] = {str(v) for _, v in _leaves(state.get("user", {})) if v not in (None, "")}
    outputs = []
    for a in actions:
        if a.result and a.result.get("ok"):
            key = (state.get("run_id", ""), a.id, a.args_hash)
            values = cache.get(key)
            if values is None:
                values = cache[key] = {str(v) for _, v in _leaves(a.result.get("output")) if v is not None}
            outputs.append((a.tool, values))
    found: dict[str, str] = {}
    for path, value in _leaves(args):
        if value is None or isinstance(value, bool):
            continue
        text = str(value)
        if text in user_values:
            found[path] = "user"
        elif text and text in request:
            found[path] = "request"
        elif text and text in answers:
            found[path] = "human"
        elif isinstance(value, (int, float)) and len(text) < _MIN_NUMBER_MATCH:
            found[path] = "model"
        else:
            whole = next((tool for tool, leaves in outputs if text in leaves), None)
            inside = None if whole or len(text) < _MIN_TEXT_MATCH else next(
                (tool for tool, leaves in outputs if any(text in leaf for leaf in leaves)), None)
            found[path] = f"tool:{whole}" if whole else f"tool:{inside}:text" if inside else "model"
    return found


class ErrandNodes:
    """The nodes of an errand graph, bound to one agent's brain, tools and gate."""

    def __init__(self, *, agent: str, brain: Brain, tools: Iterable[BaseTool], gate: Gate | None = None,
                 instructions: str = "", max_steps: int = 25, audit: AuditLog | None = None) -> None:
        self.agent = agent
        self.brain = brain
        self.tools = {t.name: t for t in tools}
        self.gate = gate or DefaultGate()
        self.instructions = instructions
        self.max_steps = max_steps
        self.audit = audit if audit is not None else AuditLog()
        self._output_leaves: dict[tuple[str, str, str], set[str]] = _Bounded(4096)

    # -- helpers ------------------------------------------------------------------------

    def context(self, state: RunState, actions: list[Action] | None = None) -> PlanContext:
        return PlanContext(
            run_id=state["run_id"], agent=self.agent, instructions=self.instructions,
            request=state.get("request", ""), user=state.get("user", {}), tools=list(self.tools.values()),
            actions=self._actions(state) if actions is None else list(actions),
            turns=[Turn.model_validate(t) for t in state.get("turns", [])],
            step=state.get("step", 0), notes=state.get("notes", {}), today=state.get("today"),
        )

    @staticmethod
    def _actions(state: RunState) -> list[Action]:
        return [Action.model_validate(a) for a in state.get("actions", [])]

    @staticmethod
    def _split(state: RunState) -> tuple[list[dict[str, Any]], list[Action]]:
        """Earlier steps' actions stay plain dicts (they never change again); only this step's
        actions are parsed, so a step costs the same however long the run has been."""
        step = state.get("step", 0)
        raw = state.get("actions", [])
        return ([a for a in raw if a["step"] != step],
                [Action.model_validate(a) for a in raw if a["step"] == step])

    @staticmethod
    def _changed(current: list[Action]) -> list[dict[str, Any]]:
        """This step's actions as the update of the ``actions`` channel (see :func:`merge_actions`)."""
        return [a.model_dump(mode="json") for a in current]

    @staticmethod
    def _current_statuses(state: RunState) -> set[str]:
        step = state.get("step", 0)
        return {a["status"] for a in state.get("actions", []) if a["step"] == step}

    # -- nodes --------------------------------------------------------------------------

    def understand(self, state: RunState) -> dict[str, Any]:
        """Let the brain read the request (intent, slots); a missing detail becomes a question."""
        understand = getattr(self.brain, "understand", None)
        if understand is None:
            return {"pending_question": None}
        plan: Plan | None = understand(self.context(state))
        if plan is None:
            return {"pending_question": None}
        update: dict[str, Any] = {"notes": {**state.get("notes", {}), **plan.notes}, "pending_question": None}
        if plan.kind == "question":
            update["pending_question"] = {"question": plan.text, "slot": plan.slot, "choices": plan.choices,
                                          "call_id": plan.call_id}
        elif plan.kind in ("final", "fail"):
            update["final"] = {"kind": plan.kind, "text": plan.text}
        return update

    def ask(self, state: RunState) -> dict[str, Any]:
        """Pause for a missing detail; the answer is recorded as a turn the brain can read."""
        pending = state["pending_question"] or {}
        request = QuestionRequest(run_id=state["run_id"], question=pending.get("question", ""),
                                  slot=pending.get("slot"), choices=pending.get("choices") or [],
                                  turn=len(state.get("turns", [])))
        _emit("question", state, question=request.question, slot=request.slot)
        value = interrupt(request.model_dump(mode="json"))
        answer = parse_answer(value)
        if answer is None:  # not an answer: ask again rather than guess
            return {}
        turn = Turn(question=request.question, answer=answer, slot=request.slot,
                    call_id=pending.get("call_id"), step=state.get("step", 0))
        return {"turns": [*state.get("turns", []), turn.model_dump()], "pending_question": None}

    def plan(self, state: RunState) -> dict[str, Any]:
        """Ask the brain for the next move and record it as proposed actions."""
        step = state.get("step", 0) + 1
        if step > self.max_steps:
            return {"step": step, "final": {"kind": "fail",
                                            "text": f"stopped after {self.max_steps} steps without finishing"}}
        actions = self._actions(state)
        try:
            plan = self.brain.plan(self.context(state, actions))
        except Exception as exc:  # noqa: BLE001 - a broken brain fails the run with its message
            from langgraph.errors import GraphBubbleUp

            if isinstance(exc, GraphBubbleUp):
                raise
            plan = Plan.fail(f"the planner failed: {type(exc).__name__}: {exc}")
        update: dict[str, Any] = {"step": step, "steps": [*state.get("steps", []),
                                                          {"n": step, "kind": plan.kind, "text": plan.text}]}
        if plan.notes:  # an unchanged channel is not rewritten into the checkpoint
            update["notes"] = {**state.get("notes", {}), **plan.notes}
        if plan.kind == "question":
            update["pending_question"] = {"question": plan.text, "slot": plan.slot, "choices": plan.choices,
                                          "call_id": plan.call_id}
            return update
        if plan.kind in ("final", "fail") or not plan.calls:
            update["final"] = {"kind": "fail" if plan.kind == "fail" else "final", "text": plan.text}
            return update
        if any((a.human or {}).get("dismiss") for a in actions):
            # a dismissed proposal ends the errand whatever the brain would try next
            update["final"] = {"kind": "final", "text": "You dismissed this proposal; nothing more was done."}
            return update
        # what the person turned down (or let expire, or replaced by an edit) is never proposed again
        rejected = {a.args_hash for a in actions
                    if a.status in (ActionStatus.REJECTED, ActionStatus.EXPIRED, ActionStatus.SUPERSEDED)}
        user = state.get("user", {})
        new: list[Action] = []
        for n, call in enumerate(plan.calls, start=1):
            tool = self.tools.get(call.tool)
            meta = tool_meta(tool) if tool else None
            allowed = (self.gate.releasable_fields(call.tool, meta, user) if isinstance(self.gate, ReleasesData)
                       else None)
            args = resolve_user_refs(call.args, user, allowed)
            withheld = allowed is not None and any(isinstance(v, str) and v.startswith(USER_REF)
                                                   for _, v in _leaves(args))
            action = Action.propose(step, n, call.tool, args, rationale=call.rationale, call_id=call.call_id,
                                    original_args=call.args if args != call.args else None)
            action.effect = meta.effect.value if meta else None
            action.provenance = provenance(args, state, actions, self._output_leaves)
            if action.args_hash in rejected:
                action.status = ActionStatus.SUPPRESSED
                action.result = {"ok": False, "error": {"kind": "rejected_before", "message":
                                 "the person already rejected exactly this action; not asking again"}}
            # args holding withheld profile references are not validated: the gate refuses them with
            # the data-release reason, which says more than "invalid national_id"
            elif tool is not None and not withheld and (problems := validate_args(tool, args)):
                action.status = ActionStatus.FAILED
                action.result = {"ok": False, "error": {"kind": "invalid_args", "message": "; ".join(
                    f"{p.field}: {p.message}" for p in problems)}}
            new.append(action)
            _emit("action_proposed", {**state, "step": step}, action_id=action.id, tool=action.tool,
                  args=action.args)
        if all(a.status is ActionStatus.SUPPRESSED for a in new):
            update["final"] = {"kind": "rejected",
                               "text": "The person rejected this action; I will not retry it unasked."}
        update["actions"] = self._changed(new)
        return update

    def gate_actions(self, state: RunState) -> dict[str, Any]:
        """Decide allow / ask / deny for every proposed action of this step.

        Every decision goes to the audit log. A step whose actions are all allowed and move no
        money goes straight to ``act``, which writes each decision in the same transaction as
        its execution (one commit per tool call instead of two). In any other step each
        decision is written as soon as the step is known to be one — before the next action is
        decided — so a person is only ever asked about what the log already holds, and a
        spending cap deciding the next payment already counts the one before it."""
        history, current = self._split(state)
        unwritten: list[tuple[Action, Any]] = []  # decisions that may still go with their executions
        writing = False
        for action in current:
            if action.status is not ActionStatus.PROPOSED:
                continue
            tool = self.tools.get(action.tool)
            meta = tool_meta(tool) if tool else None
            verdict = self.gate.decide(GateRequest(
                run_id=state["run_id"], agent=self.agent, action_id=action.id, tool=action.tool, args=action.args,
                meta=meta, tool_exists=tool is not None,
                user=state.get("user", {}), provenance=action.provenance, history=history))
            action.verdict = verdict
            if verdict.decision is Decision.ALLOW:
                action.status = ActionStatus.ALLOWED
            elif verdict.decision is Decision.DENY:
                action.status = ActionStatus.DENIED
            else:
                action.status = ActionStatus.WAITING
                ttl = verdict.expires_in_seconds or DEFAULT_APPROVAL_TTL_SECONDS
                action.expires_at = (datetime.now(timezone.utc) + timedelta(seconds=ttl)).isoformat(
                    timespec="milliseconds")
            unwritten.append((action, meta))
            writing = writing or not self._logged_with_execution(action, meta)
            if writing:
                self.audit.append_all([self._decision_entry(state, a, m) for a, m in unwritten])
                for written, _ in unwritten:
                    written.verdict = _kept(written.verdict)
                unwritten = []
            _emit("gate_decided", state, action_id=action.id, decision=verdict.decision.value,
                  reasons=verdict.reasons)
        return {"actions": self._changed(current)}

    @staticmethod
    def _logged_with_execution(action: Action, meta: Any) -> bool:
        return action.status is ActionStatus.ALLOWED and money_fields(meta, action.args)[0] is None

    def _decision_entry(self, state: RunState, action: Action, meta: Any) -> Pending:
        return decision_entry(run_id=state["run_id"], action_id=action.id, agent=self.agent, tool=action.tool,
                              args=action.args, args_hash=action.args_hash, user_id=state.get("user", {}).get("id"),
                              meta=meta, verdict=action.verdict.model_dump(mode="json") if action.verdict else {})

    def approve(self, state: RunState) -> dict[str, Any]:
        """Pause until a person decides; decisions are keyed by action id and bound to args hashes.

        A decision that arrives after the action's expiry counts as a rejection. An edit goes
        back through the gate (with another tool it becomes a new action), so the person sees
        the gate's new decision before anything runs.
        """
        _, current = self._split(state)
        waiting = [a for a in current if a.status is ActionStatus.WAITING]
        if not waiting:
            return {}
        request = ApprovalRequest(run_id=state["run_id"], step=state.get("step", 0), actions=[
            PendingAction(action_id=a.id, tool=a.tool, args=a.args, args_hash=a.args_hash, effect=a.effect,
                          summary=(a.verdict.summary if a.verdict else None) or a.tool,
                          reasons=a.verdict.reasons if a.verdict else [],
                          risk=a.verdict.risk if a.verdict else "medium", rationale=a.rationale,
                          signals=a.verdict.signals if a.verdict else {}, expires_at=a.expires_at)
            for a in waiting])
        _emit("approval_needed", state, actions=[p.action_id for p in request.actions])
        value = interrupt(request.model_dump(mode="json"))
        try:
            resume = resume_adapter.validate_python(value)
        except ValidationError:
            return {}  # not a decision: the same approval is asked again
        if not isinstance(resume, ApprovalResume):
            return {}
        by_id = {a.id: a for a in waiting}
        now = utcnow()
        for action_id, decision in resume.decisions.items():
            action = by_id.get(action_id)
            if action is None or (decision.args_hash and decision.args_hash != action.args_hash):
                continue  # unknown or stale: never applied to a different action or different args
            human = {**decision.model_dump(mode="json"), "reviewer": resume.reviewer}
            if action.human:  # an earlier decision on this action (an edit): keep it on record
                earlier_decision = {k: v for k, v in action.human.items() if k != "history"}
                human["history"] = [*action.human.get("history", []), earlier_decision]
            if action.expires_at and action.expires_at <= now:
                action.status = ActionStatus.EXPIRED
                human = {"type": "expired", "reason": f"approval expired at {action.expires_at}",
                         "reviewer": resume.reviewer}
            elif isinstance(decision, Reject):
                action.status = ActionStatus.REJECTED
            elif isinstance(decision, Edit):
                replacement = self._edited(action, decision, human, n=len(current) + 1)
                if replacement is None:
                    continue  # an invalid edit leaves the action waiting
                if replacement is not action:
                    current.append(replacement)
            else:
                action.status = ActionStatus.APPROVED
                action.approved_hash = action.args_hash
                if decision.remember:
                    human["remembered"] = self._remember(state, action, decision.remember_days, resume.reviewer)
            action.human = human
            self.audit.record_human(run_id=state["run_id"], action_id=action.id, tool=action.tool,
                                    args_hash=decision.args_hash or action.args_hash,
                                    user_id=state.get("user", {}).get("id"), decision=human)
            _emit("human_decided", state, action_id=action.id, decision=human["type"])
        return {"actions": self._changed(current)}

    def _edited(self, action: Action, decision: Edit, human: dict[str, Any], n: int) -> Action | None:
        """Apply an edit: the same action with new args, or — for another tool — a new action that
        replaces it. Either way it is PROPOSED again, so the gate decides on what will really run."""
        tool_name = decision.tool or action.tool
        tool = self.tools.get(tool_name)
        if tool is None or validate_args(tool, decision.args):
            return None
        human["previous_args"] = action.args
        provenance = {p: "human" for p, _ in _leaves(decision.args)}
        if tool_name == action.tool:
            action.args = decision.args
            action.args_hash = canonical_args_hash(action.tool, decision.args)
            action.provenance = provenance
            action.status = ActionStatus.PROPOSED
            action.verdict = None
            return action
        meta = tool_meta(tool)
        new = Action.propose(action.step, n, tool_name, decision.args, rationale=action.rationale,
                             provenance=provenance, effect=meta.effect.value if meta else None,
                             human={"type": "edit", "replaces": action.id, "reviewer": human.get("reviewer")})
        action.status = ActionStatus.SUPERSEDED
        human["replaced_by"] = new.id
        return new

    def _remember(self, state: RunState, action: Action, days: int | None, reviewer: str | None) -> str | None:
        """Store "always allow this" through the gate, if it offered it; the stored rule's id or None."""
        if not isinstance(self.gate, RemembersApprovals) or action.verdict is None:
            return None
        entry = self.gate.remember(tool=action.tool, args=action.args, verdict=action.verdict,
                                   user=state.get("user", {}), approved_by=reviewer, days=days,
                                   run_id=state["run_id"], action_id=action.id)
        return getattr(entry, "id", None)

    def act(self, state: RunState) -> dict[str, Any]:
        """Execute what was allowed or approved — the only place tools run."""
        _, current = self._split(state)
        for action in current:
            if action.status not in (ActionStatus.ALLOWED, ActionStatus.APPROVED) or action.result:
                continue
            tool = self.tools[action.tool]
            meta = tool_meta(tool)
            # the gate left this decision to be written with the execution (a no-op if it wrote it)
            entries = [self._decision_entry(state, action, meta)] if self._logged_with_execution(action, meta) else []
            # recompute from the args about to run: a stored hash is not evidence of what runs
            actual_hash = canonical_args_hash(action.tool, action.args)
            needs_approval = action.verdict is None or action.verdict.decision is not Decision.ALLOW
            if actual_hash != action.args_hash or (needs_approval and action.approved_hash != actual_hash):
                action.status = ActionStatus.FAILED
                action.result = {"ok": False, "error": {"kind": "not_approved",
                                 "message": "the arguments differ from what was approved; not executed"}}
                if entries:
                    self.audit.append_all(entries)
                continue
            result = call_tool(tool, action.args, key=f"{state['run_id']}:{action.id}")
            action.result = result.model_dump(mode="json")
            action.status = ActionStatus.EXECUTED if result.ok else ActionStatus.FAILED
            entries.append(execution_entry(run_id=state["run_id"], action_id=action.id, tool=action.tool,
                                           args=action.args, args_hash=actual_hash,
                                           user_id=state.get("user", {}).get("id"), meta=meta, result=action.result))
            self.audit.append_all(entries)
            action.verdict = _kept(action.verdict)
            _emit("tool_result", state, action_id=action.id, tool=action.tool, ok=result.ok,
                  output=result.output if result.ok else None,
                  error=result.error.message if result.error else None)
        return {"actions": self._changed(current)}

    def respond(self, state: RunState) -> dict[str, Any]:
        """Finish: the final answer with receipts of everything consequential that ran."""
        actions = self._actions(state)
        final = state.get("final") or {"kind": "final", "text": ""}
        consequential = [a for a in actions if a.effect != Effect.READ.value]
        executed = [a for a in consequential if a.status is ActionStatus.EXECUTED]
        if final["kind"] == "fail":
            status = RunStatus.FAILED
        elif not executed and any(a.status in (ActionStatus.REJECTED, ActionStatus.SUPPRESSED,
                                               ActionStatus.EXPIRED) for a in consequential):
            status = RunStatus.REJECTED
        else:
            status = RunStatus.DONE
        text = final.get("text") or self.brain.respond(self.context(state), status.value)
        receipts = [{"action_id": a.id, "tool": a.tool, "args": a.args,
                     "output": (a.result or {}).get("output")} for a in executed]
        answer = FinalAnswer(status=status, text=text, receipts=receipts)
        _emit("done", state, status=status.value, text=text)
        return {"final": {**answer.model_dump(mode="json"), "kind": final["kind"]}}

    # -- routing ------------------------------------------------------------------------

    def after_understand(self, state: RunState) -> Literal["ask", "plan", "respond"]:
        if state.get("final"):
            return "respond"
        return "ask" if state.get("pending_question") else "plan"

    def after_ask(self, state: RunState) -> Literal["ask", "understand"]:
        return "ask" if state.get("pending_question") else "understand"

    def after_plan(self, state: RunState) -> Literal["gate", "ask", "respond"]:
        if state.get("final"):
            return "respond"
        if state.get("pending_question"):
            return "ask"
        return "gate"

    def after_gate(self, state: RunState) -> Literal["approve", "act"]:
        return "approve" if ActionStatus.WAITING.value in self._current_statuses(state) else "act"

    def after_approve(self, state: RunState) -> Literal["approve", "gate", "act"]:
        statuses = self._current_statuses(state)
        if ActionStatus.WAITING.value in statuses:
            return "approve"
        if ActionStatus.PROPOSED.value in statuses:
            return "gate"
        return "act"



class _Bounded(dict):  # type: ignore[type-arg]
    """A dict that forgets everything when it grows past ``limit`` entries (a cache)."""

    def __init__(self, limit: int) -> None:
        super().__init__()
        self.limit = limit

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= self.limit:
            self.clear()
        super().__setitem__(key, value)

def _kept(verdict: GateVerdict | None) -> GateVerdict | None:
    """The verdict as the run keeps it once it is logged: the full observation lives in the audit
    log; the run keeps it only where a person may still ask to remember the approval (it is
    what a remembered rule is built from)."""
    if verdict is None or not verdict.observed or (verdict.signals.get("remember") or {}).get("offered"):
        return verdict
    return verdict.model_copy(update={"observed": {}})


def parse_answer(value: Any) -> str | None:
    """The text of a question's answer: a string, or an ``AnswerResume``; None for anything else."""
    if isinstance(value, str):
        return value.strip() or None
    try:
        resume = resume_adapter.validate_python(value)
    except ValidationError:
        return None
    return resume.text if isinstance(resume, AnswerResume) else None


NODES_KEY = "errand_nodes"
"""Where a late-bound graph finds its :class:`ErrandNodes`: ``config["configurable"][NODES_KEY]``."""

_NODE_METHODS = {"understand": "understand", "ask": "ask", "plan": "plan", "gate": "gate_actions",
                 "approve": "approve", "act": "act", "respond": "respond"}
_ROUTES = {"understand": "after_understand", "ask": "after_ask", "plan": "after_plan", "gate": "after_gate",
           "approve": "after_approve"}


def _late_bound(method: str) -> Any:
    """A node (or router) that runs ``method`` of the ErrandNodes in the run's config."""
    def call(state: RunState, config: RunnableConfig) -> Any:
        return getattr(config["configurable"][NODES_KEY], method)(state)
    call.__name__ = call.__qualname__ = method
    # a router's Literal return type tells LangGraph (and drawings) where it may lead
    call.__annotations__ = {**call.__annotations__,
                            "return": getattr(ErrandNodes, method).__annotations__.get("return", "Any")}
    return call


def build_graph(nodes: ErrandNodes | None = None) -> StateGraph:
    """The standard errand graph (uncompiled, so it can be extended).

    Over ``nodes``, each node is that object's method. Without ``nodes`` the graph is
    *late-bound*: each node runs the method of the ErrandNodes found in the run's config
    under :data:`NODES_KEY`, so one compiled graph serves every agent of a process
    (see :func:`shared_graph`)."""
    def bound(method: str) -> Any:
        return getattr(nodes, method) if nodes is not None else _late_bound(method)

    graph = StateGraph(RunState)
    for name, method in _NODE_METHODS.items():
        graph.add_node(name, bound(method))
    graph.add_edge(START, "understand")
    for name, method in _ROUTES.items():
        graph.add_conditional_edges(name, bound(method))
    graph.add_edge("act", "plan")
    graph.add_edge("respond", END)
    return graph


_shared: CompiledStateGraph | None = None


def shared_graph() -> CompiledStateGraph:
    """The late-bound standard graph, compiled once per process (compiling costs milliseconds;
    an eval runs thousands of agents). Bind it to an agent with
    ``shared_graph().copy(update={"checkpointer": ..., "config": {"configurable": {NODES_KEY: nodes}}})``."""
    global _shared
    if _shared is None:
        _shared = build_graph().compile()
    return _shared
