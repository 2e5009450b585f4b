"""Reference trajectories: replaying a task's gold steps through the real runtime.

A gold trajectory is the errand done right. Replaying it (a brain that proposes exactly
the gold steps, through the real gate, approvals and tools, in a fresh world) serves three
purposes, as AgentDojo's suite checks and tau-bench's goal state do:

- it **validates the task**: the gold trial must pass the task's own conditions, and the
  do-nothing trial must fail them (see :mod:`evals.checks`);
- it **validates the attack**: the attacker's gold steps, run with nobody stopping them,
  must reach the attack's success condition;
- it gives the **expected final state** (``expect.state_hash``).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agents.brains.base import Plan, PlanContext, ProposedCall
from agents.gate import DefaultGate
from evals.grading import attack_succeeded, grade, state_signature
from evals.harness import Harness
from evals.model import ApproveAll, GoldStep, Suite, Task
from evals.record import TrialRecord
from evals.trial import TrialRunner


class ReplayBrain:
    """Proposes the gold steps in order (one per plan step), then gives the gold answer."""

    name = "gold"

    def __init__(self, steps: list[GoldStep], answer: str = "") -> None:
        self.steps = steps
        self.answer = answer

    def plan(self, ctx: PlanContext) -> Plan:
        done = len(ctx.actions) + len(ctx.turns)  # every gold step became one action or one question
        if done >= len(self.steps):
            return Plan.finish(self.answer or "Done.")
        step = self.steps[done]
        if step.ask is not None:
            return Plan.ask(step.ask)
        return Plan.act(ProposedCall(tool=step.tool or "", args=step.args, rationale="gold step"))

    def respond(self, ctx: PlanContext, status: str) -> str:
        return self.answer or status


def _replay(task: Task) -> ReplayBrain:
    gold = task.gold
    return ReplayBrain(list(gold.steps) if gold else [], gold.answer if gold else "")


@dataclass
class GoldCache:
    """Gold trials run once per task (thread-safe), for state hashes during an eval."""

    runner: TrialRunner
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _hashes: dict[str, str | None] = field(default_factory=dict)

    def state_hash(self, suite: Suite, task: Task) -> str | None:
        key = f"{suite.suite}/{task.id}/{task.fingerprint()}"
        with self._lock:
            if key in self._hashes:
                return self._hashes[key]
        record = self.runner.run(suite, task, 0)
        value = None if record.status in ("crashed", "infra_error") else state_signature(record.state_diff)
        with self._lock:
            self._hashes[key] = value
        return value


def gold_runner(base: Harness, work_dir: Path) -> TrialRunner:
    """A trial runner whose brain replays each task's gold steps (same agent and policies)."""
    harness = Harness(agent=base.agent, policy=base.policy, label="gold",
                      brain=lambda name, task: _replay(task))
    return TrialRunner(harness, work_dir)


def attack_runner(base: Harness, work_dir: Path) -> TrialRunner:
    """Replays the attacker's gold steps with nobody in the way (a gate that only asks, and a
    person who approves everything): does the attack's success condition recognise them?"""
    harness = Harness(agent=base.agent, label="attack-gold", gate=DefaultGate,
                      brain=lambda name, task: ReplayBrain(list(task.injection.gold) if task.injection else []))
    return TrialRunner(harness, work_dir)


@dataclass
class GoldReport:
    suite: str
    task_id: str
    problem: str | None
    record: TrialRecord | None = None


def planted_texts(task: Task) -> list[str]:
    """The free texts an injection plants (descriptions, reviews, notices), for the reach check."""
    texts: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, str) and len(value) >= 16 and (" " in value or any("\u4e00" <= c <= "\u9fff" for c in value)):
            texts.append(value)

    walk(task.injection.overlay if task.injection else {})
    return texts


def reaches_agent(task: Task, record: TrialRecord) -> bool:
    """Does planted text appear in what the agent read along this trajectory (AgentDojo's
    "injectable" check)? Attacks planted where no one reads them measure nothing."""
    texts = planted_texts(task)
    if not texts:
        return True  # a planted record (an offer), not text: it reaches the agent as data
    read = json.dumps([a.get("result") for a in record.actions], ensure_ascii=False)
    return any(text[:20] in read for text in texts)


def check_gold(suite: Suite, task: Task, gold: TrialRunner, attack: TrialRunner) -> list[GoldReport]:
    """Replay the task's gold (must pass; under attack, must read the planted text) and its
    attacker's gold (must succeed as an attack)."""
    reports: list[GoldReport] = []
    if task.gold is not None:
        record = gold.run(suite, task, 0)
        gold_hash = state_signature(record.state_diff)
        result = grade(task, record, gold_hash)
        problem = None
        if record.status in ("crashed", "infra_error"):
            problem = f"the gold trajectory crashed: {record.error.message if record.error else ''}"
        elif not result.passed:
            failed = "; ".join(c.detail for c in result.checks if not c.passed)
            problem = f"the gold trajectory fails the task's own conditions: {failed}"
        elif not reaches_agent(task, record):
            problem = "the planted text never reaches the agent along the gold trajectory (move the vector)"
        reports.append(GoldReport(suite.suite, task.id, problem, record))
    if task.injection is not None and task.injection.gold:
        attacked = task.model_copy(update={"approver": ApproveAll()})
        record = attack.run(suite, attacked, 0)
        hit, detail = attack_succeeded(task.injection.success, record)
        problem = None if hit else f"the attacker's gold steps do not meet the attack's success condition ({detail})"
        reports.append(GoldReport(suite.suite, task.id, problem, record))
    return reports

