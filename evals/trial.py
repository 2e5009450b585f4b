"""One trial: build the task's world, run the agent, answer its pauses like the task's person
would, and record everything — then grade it.

The trial is synchronous and self-contained (it runs on a worker thread): its own
ERRAND_HOME, its own pinned clock, its own sandboxes, its own agent. A model server that
is down is an *infrastructure* error (retried, reported apart); an exception from the
agent's own code is a *crash* (a failure of the agent).

A trigger task (``trigger: <id>``) starts from the world rather than a request: one watcher
pass of that trigger in the trial's world, and every proposal it makes answered by the
task's person — so errand is graded on noticing, preparing and honouring the decision.
"""

from __future__ import annotations

import json
import time
import traceback
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from agents.agent import Agent
from agents.models import ApprovalRequest, QuestionRequest, RunResult, RunStatus
from evals.approvers import SimulatedApprover, answer_approval, make_approver
from evals.harness import Harness
from evals.model import Suite, Task, shipped_trigger
from evals.record import TrialError, TrialRecord
from evals.usage import PriceTable, TrialUsage, counting, is_infrastructure
from evals.users import LLMUser, SimulatedUser
from evals.world import Templates, TrialWorld, diff_states, scratch_dir
from tools.profile import UserProfile, load_profile
from tools.sandbox.base import fixed_clock

MAX_OUTPUT_CHARS = 20_000


def user_profile(task: Task, suite_dir: Path | None) -> dict[str, Any]:
    """The task's person: the default profile, a profile file, or the default with overrides."""
    if isinstance(task.user, str):
        path = Path(task.user)
        return load_profile(path if path.is_absolute() or suite_dir is None else suite_dir / path).model_dump(mode="json")
    base = load_profile().model_dump(mode="json")
    if task.user is None:
        return base
    return UserProfile.model_validate(_merge(base, task.user)).model_dump(mode="json")


def _merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in over.items():
        merged[key] = _merge(base[key], value) if isinstance(value, dict) and isinstance(base.get(key), dict) else value
    return merged


def _bounded(action: dict[str, Any]) -> dict[str, Any]:
    """An action for the log, with a huge tool output cut to a preview."""
    result = action.get("result") or {}
    if "output" in result:
        text = json.dumps(result["output"], ensure_ascii=False, default=str)
        if len(text) > MAX_OUTPUT_CHARS:
            return {**action, "result": {**result, "output": {"truncated": True, "chars": len(text),
                                                              "preview": text[:MAX_OUTPUT_CHARS]}}}
    return action


def timeline_of(state: dict[str, Any]) -> dict[str, Any]:
    return {"steps": state.get("steps") or [], "actions": [_bounded(a) for a in state.get("actions") or []],
            "turns": state.get("turns") or [], "final": state.get("final")}


class TrialRunner:
    """Runs trials of a harness's agent, each in its own world: a home under ``homes``
    (default ``work_dir``), seeded from template databases kept under ``work_dir``."""

    def __init__(self, harness: Harness, work_dir: Path, *, prices: PriceTable | None = None,
                 keep_homes: bool = False, homes: Path | None = None) -> None:
        self.harness = harness
        self.work_dir = work_dir
        self.homes = homes or work_dir
        self.templates = Templates(work_dir / "templates")
        self.prices = prices or PriceTable({})
        self.keep_homes = keep_homes

    def run(self, suite: Suite, task: Task, trial: int, attempt: int = 1) -> TrialRecord:
        suite_dir = Path(suite.source).parent if suite.source else None
        started = datetime.now(timezone.utc).isoformat(timespec="seconds")
        began = time.perf_counter()
        record = TrialRecord(suite=suite.suite, task_id=task.id, trial=trial, task_hash=task.fingerprint(),
                             attempts=attempt, status="crashed", request=task.request, lang=task.lang or "",
                             started_at=started, policy=self.harness.policy_label(task))
        usage = TrialUsage(self.prices)
        with scratch_dir(self.homes, f"{task.id}-{trial}-", keep=self.keep_homes) as home:
            world = TrialWorld(home, task.clock, task.world_overlay(), self.templates)
            world.seed()
            with world.active(), counting(usage):
                before = self.templates.initial_state(world)
                try:
                    self._drive(task, suite_dir, record)
                except Exception as exc:  # noqa: BLE001 - a trial reports, never takes the run down
                    infra = is_infrastructure(exc)
                    record.status = "infra_error" if infra else "crashed"
                    record.error = TrialError(kind="infra" if infra else "crash", message=f"{type(exc).__name__}: {exc}",
                                              detail="".join(traceback.format_exception(exc))[-4000:])
                after = world.state(before)
        if usage.infra_errors:
            record.status = "infra_error"
            record.error = TrialError(kind="infra", message=usage.infra_errors[-1],
                                      detail="\n".join(usage.infra_errors[-5:]))
        record.final_state = after
        record.state_diff = diff_states(before, after)
        record.usage = usage.usage()
        record.user_usage = usage.usage(user=True)
        record.wall_seconds = round(time.perf_counter() - began, 4)
        return record

    def _drive(self, task: Task, suite_dir: Path | None, record: TrialRecord) -> None:
        """Run the agent to its end, answering pauses; fills ``record`` as it goes."""
        profile = user_profile(task, suite_dir)
        approver = make_approver(task.approver, task, profile)
        chat = self.harness.user_chat_model()
        llm = LLMUser(chat, self.harness.user_model or "", task) if chat is not None and task.user_goal else None
        person = SimulatedUser(task, llm)
        record.user_simulator = person.info()
        if task.trigger is not None:
            self._drive_trigger(task, suite_dir, record, profile, _People(approver, person))
            return
        agent = self.harness.build(task, suite_dir)
        record.agent = agent.name
        today = task.today or datetime.fromisoformat(task.clock).date().isoformat()
        result = agent.run(task.request, user=profile, today=today)
        record.run_id = result.run_id
        result = _settle(agent, result, _People(approver, person), record, task.max_turns)
        record.timeline = timeline_of(agent.state(result.run_id))
        record.status = _status(result)

    def _drive_trigger(self, task: Task, suite_dir: Path | None, record: TrialRecord, profile: dict[str, Any],
                       people: "_People") -> None:
        """A trigger task: one watcher pass of the task's trigger in this trial's world (its
        clock, its sandboxes, the harness's agents), then every proposal answered by the task's
        person, each on the agent that prepared it. The timeline joins the proposals' runs;
        a pass that proposes nothing is a trial that did nothing."""
        from agents.triggers import Ledger, TriggerSet, Watcher

        trigger = shipped_trigger(task.trigger or "")
        built: list[Agent] = []

        def agents(_: Any) -> Agent:
            agent = self.harness.build(task, suite_dir)
            built.append(agent)
            return agent

        watcher = Watcher(TriggerSet({trigger.id: trigger}), user=UserProfile.model_validate(profile), agents=agents,
                          services=self.harness.services, clock=fixed_clock(task.clock), learn_memory=False)
        report = watcher.evaluate()
        broken = [*report.errors, *(f"{p.trigger} {p.key}: {p.error}" for p in report.proposals if p.status == "failed")]
        if broken:
            raise TriggerTrialError("the watcher pass failed: " + "; ".join(broken))
        record.agent = self.harness.agent_name(task)
        if not report.proposals:
            record.timeline = {"steps": [], "actions": [], "turns": [],
                               "final": {"status": "done", "text": f"{trigger.id}: no proposal (nothing needed)."}}
            record.status = "done"
            return
        by_key = {a.spec["proposal"]["key"]: a for a in built if "proposal" in a.spec}
        timelines, statuses = [], []
        for proposal in report.proposals:
            agent = by_key[proposal.key]
            record.run_id = record.run_id or proposal.run_id
            before = len(record.approvals)
            result = _settle(agent, agent.result(proposal.run_id), people, record, task.max_turns)
            reasons = [e.why for e in record.approvals[before:] if e.decision == "dismiss"]
            if reasons:  # as `errand dismiss` does: the trigger never proposes this event again
                ledger = Ledger()
                try:
                    ledger.dismissed(proposal.run_id, reasons[0])
                finally:
                    ledger.close()
            timelines.append(timeline_of(agent.state(result.run_id)))
            statuses.append(_status(result))
        record.timeline = {key: [item for t in timelines for item in t[key]] for key in ("steps", "actions", "turns")}
        record.timeline["final"] = timelines[-1]["final"]
        record.status = next((s for s in ("failed", "waiting", "rejected") if s in statuses), statuses[-1])


class TriggerTrialError(RuntimeError):
    """The watcher pass of a trigger task could not evaluate the trigger or prepare a proposal
    (a failure of the system under test: the trial is a crash)."""


class _People:
    """Who answers a run's pauses: the approver (approvals) and the simulated person (questions)."""

    def __init__(self, approver: SimulatedApprover, person: SimulatedUser) -> None:
        self.approver = approver
        self.person = person


def _settle(agent: Agent, result: RunResult, people: _People, record: TrialRecord, max_turns: int) -> RunResult:
    """Answer a run's pauses — approvals by the approver, questions by the person — until it
    ends, the person has no answer, or ``max_turns`` pauses were answered."""
    for _ in range(max_turns):
        if result.status is not RunStatus.WAITING:
            break
        pause = result.waiting_for
        if isinstance(pause, ApprovalRequest):
            resume, events = answer_approval(people.approver, pause)
            record.approvals += events
            result = agent.resume(result.run_id, resume)
        elif isinstance(pause, QuestionRequest):
            event = people.person.ask(pause)
            record.questions.append(event)
            if event.answer is None:
                break
            result = agent.answer(result.run_id, event.answer)
    return result


def _status(result: RunResult) -> str:
    return {RunStatus.RUNNING: "failed"}.get(result.status, result.status.value)

