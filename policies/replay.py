"""Replay: what a changed policy would have decided about the actions already recorded.

Every gate decision in the audit log carries the observation it was based on (arguments,
provenance, personal data carried, injection findings, risk-list and price checks). Replay
re-evaluates those observations under another policy — no service is called, nothing is
executed — with spending caps computed from what had actually run *before* each decision.
The new policy is applied the way the gate would apply it (vulnerable users get its
``vulnerable_profile``), without users' own remembered approvals, so the result shows the
policy file's own effect.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from pydantic import BaseModel, Field

from policies.audit import AuditLog
from policies.engine import PolicyEngine
from policies.model import Policy
from policies.observe import Observation


class ReplayChange(BaseModel):
    run_id: str
    action_id: str
    tool: str
    at: str
    before: str
    after: str
    before_rule: str | None = None
    after_rule: str
    reason: str = Field(description="The new decision's sentence")


class ReplayReport(BaseModel):
    policy: str
    evaluated: int
    unchanged: int
    skipped: int = Field(description="Recorded decisions without an observation (made by another gate)")
    changes: list[ReplayChange] = Field(default_factory=list)


def replay(policy: Policy | str | Path, run_ids: Iterable[str] | None = None, *,
           audit: AuditLog | None = None) -> ReplayReport:
    """Re-evaluate the recorded decisions of ``run_ids`` (all runs if None) under ``policy``."""
    audit = audit or AuditLog()
    engine = PolicyEngine(policy, audit=audit, user_policies=False)
    entries = audit.entries(kinds=["decision"], run_ids=list(run_ids) if run_ids is not None else None)
    changes: list[ReplayChange] = []
    evaluated = skipped = 0
    for entry in entries:
        verdict = entry.data.get("verdict") or {}
        observed = verdict.get("observed")
        if not observed:
            skipped += 1
            continue
        observation = Observation.model_validate(observed)
        profile = engine.base_for({"vulnerable": observation.vulnerable})
        evaluation = engine.evaluate(observation, profile, action_id=entry.action_id, in_flight=False)
        evaluated += 1
        before = verdict.get("decision")
        if evaluation.decision.value != before:
            changes.append(ReplayChange(
                run_id=entry.run_id or "", action_id=entry.action_id or "", tool=entry.tool or observation.tool,
                at=entry.at.isoformat(), before=str(before), after=evaluation.decision.value,
                before_rule=(verdict.get("signals") or {}).get("rule"), after_rule=evaluation.headline.rule,
                reason=evaluation.headline.sentence))
    return ReplayReport(policy=engine.policy.name, evaluated=evaluated, unchanged=evaluated - len(changes),
                        skipped=skipped, changes=changes)
