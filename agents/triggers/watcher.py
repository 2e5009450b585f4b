"""The watcher: evaluate every trigger, turn each new event into one proposal, again and again.

One **pass** (:meth:`Watcher.evaluate`):

1. learn from the runs that changed (:func:`agents.memory.learn`), so triggers and planners
   read current memory;
2. for every enabled trigger not muted by memory, read its source's events; for each event
   where ``when`` holds, render the event key, **claim** it in the ledger (exactly one
   watcher wins, across processes and restarts) and start the proposal's run, which parks in
   the inbox; settle the key with the outcome.

A source that cannot be read (a service down) or an expression that fails on an event is
reported in the pass's errors and the other triggers carry on. :meth:`Watcher.run` repeats
passes every ``interval`` seconds (a pass that fails is reported, and the next one runs)
until its stop event is set — ``errand watch`` sets it on
SIGINT/SIGTERM, and the watcher stops after the pass in progress, so no run is cut mid-step.
"""

from __future__ import annotations

import threading
from typing import Any, Callable

from pydantic import BaseModel, Field

from agents.agent import Agent
from agents.brains.offline import PreparedErrand
from agents.memory import learn, planner_view
from agents.models import utcnow
from agents.playbooks.expr import Env, ExprError, compile_value, plain, render_value
from agents.playbooks.model import expression, template
from agents.triggers.ledger import Ledger
from agents.triggers.loader import TriggerSet, load_triggers
from agents.triggers.model import Trigger
from agents.triggers.proposals import AgentFactory, Proposal, start_proposal
from agents.triggers.sources import SourceContext, SourceError, sources
from tools.profile import UserProfile, load_profile
from tools.sandbox.base import CHINA_TZ, Clock, system_clock
from tools.services import Services


class PassReport(BaseModel):
    """What one pass did (the JSON of ``errand watch --once --json``)."""

    at: str = Field(default_factory=utcnow)
    proposals: list[Proposal] = Field(default_factory=list)
    errors: list[str] = Field(default_factory=list)
    muted: list[str] = Field(default_factory=list, description="Triggers skipped: the person keeps dismissing them")
    memory_entries: int = 0


class Watcher:
    """Evaluates triggers for one person. ``model``/``base_url``/``policy`` choose the brain and
    the policy of the proposals' runs (None: the offline brain and the default policy);
    ``agents`` replaces how those runs' agents are built altogether (an evaluation harness)."""

    def __init__(self, triggers: TriggerSet | None = None, *, user: UserProfile | None = None,
                 model: str | None = None, base_url: str | None = None, policy: str | None = None,
                 agents: AgentFactory | None = None, services: Services | None = None,
                 clock: Clock | None = None, learn_memory: bool = True) -> None:
        self.triggers = triggers if triggers is not None else load_triggers()
        self.user = (user or load_profile()).model_dump(mode="json")
        self.lang = (self.user.get("preferences") or {}).get("language") or "en"
        self.agents = agents or self._builtin_agent
        self.model, self.base_url, self.policy = model, base_url, policy
        self.services = services or Services.from_env()
        self.clock = clock or system_clock
        self.learn_memory = learn_memory

    def _builtin_agent(self, trigger: Trigger) -> Agent:
        from agents.builtin import load_agent

        return load_agent(trigger.agent, model=self.model, base_url=self.base_url, policy=self.policy)

    def evaluate(self) -> PassReport:
        """One pass over every trigger."""
        report = PassReport()
        if self.learn_memory:
            report.memory_entries = learn().entries
        memory = planner_view()
        now = self.clock().astimezone(CHINA_TZ)
        available = sources()
        ledger = Ledger()
        try:
            for trigger in self.triggers.enabled():
                if trigger.id in memory.muted_triggers:
                    report.muted.append(trigger.id)
                    continue
                source = available[trigger.source]
                params = source.params.model_validate(trigger.params).model_dump(mode="json")
                try:
                    events = source.events(SourceContext(self.services, self.user, now, params))
                except Exception as exc:  # noqa: BLE001 - a service down or a broken source: report, go on
                    kind = "" if isinstance(exc, SourceError) else f"{type(exc).__name__}: "
                    report.errors.append(f"{trigger.id}: could not read {trigger.source}: {kind}{exc}")
                    continue
                roots = {"params": params, "user": self.user, "memory": memory.as_root(),
                         "today": now.date().isoformat(), "now": now.isoformat(), "lang": self.lang}
                for event in events:
                    env = Env({**roots, "event": event.model_dump(mode="json")})
                    try:
                        if not _holds(trigger, env):
                            continue
                        key = template(trigger.key).text(env)
                    except ExprError as exc:
                        report.errors.append(f"{trigger.id}: {exc}")
                        continue
                    proposal = self._fire(ledger, trigger, key, env)
                    if proposal is not None:
                        report.proposals.append(proposal)
        finally:
            ledger.close()
        return report

    def _fire(self, ledger: Ledger, trigger: Trigger, key: str, env: Env) -> Proposal | None:
        claim = ledger.claim(trigger.id, key)
        if claim is None:
            return None  # proposed before (or another watcher is on it): never twice
        try:
            request = template(trigger.request.get(self.lang)).text(env)
            title = template(trigger.title.get(self.lang)).text(env)
            slots = plain(render_value(compile_value(trigger.errand.slots), env))
            errand = PreparedErrand(intent=trigger.errand.intent, source=f"trigger:{trigger.id}",
                                    slots={k: v for k, v in slots.items() if v is not None})
        except ExprError as exc:
            ledger.settle(trigger.id, key, "failed", error=str(exc))
            return Proposal(trigger=trigger.id, key=key, run_id=claim.run_id, status="failed",
                            title=trigger.title.get(self.lang), request="", error=str(exc))
        proposal = start_proposal(trigger, key, claim.run_id, request=request, errand=errand, user=self.user,
                                  title=title, agents=self.agents)
        ledger.settle(trigger.id, key, proposal.status, summary=proposal.text or proposal.request,
                      error=proposal.error)
        return proposal

    def run(self, interval: float, stop: threading.Event,
            on_pass: Callable[[PassReport], Any] | None = None) -> int:
        """Pass after pass, ``interval`` seconds apart, until ``stop`` is set; the number of passes."""
        passes = 0
        while not stop.is_set():
            try:
                report = self.evaluate()
            except Exception as exc:  # noqa: BLE001 - a watcher outlives a bad pass (a locked file, a bug)
                report = PassReport(errors=[f"the pass failed: {type(exc).__name__}: {exc}"])
            passes += 1
            if on_pass is not None:
                on_pass(report)
            stop.wait(interval)
        return passes


def _holds(trigger: Trigger, env: Env) -> bool:
    if isinstance(trigger.when, bool):
        return trigger.when
    return bool(expression(trigger.when)(env))


__all__ = ["PassReport", "Watcher"]
