"""errand policies: allow / ask / deny for every proposed action, with reasons.

    from policies import PolicyEngine, load_policy
    gate = PolicyEngine("default")              # or "strict", "autonomous", or a YAML path
    agent = Agent("shop", tools=..., policy="policies/mine.yaml")

The package, one idea per module:

- :mod:`policies.model` — the file format and the compiled policy (precedence documented there)
- :mod:`policies.loader` — fail-closed loading with file/line errors and rule self-tests
- :mod:`policies.conditions` / :mod:`policies.facts` — typed conditions over named facts
- :mod:`policies.observe` and :mod:`policies.detectors` — what is noticed about an action
  (personal data, prompt injection, fraud signals)
- :mod:`policies.engine` — the gate: guards, caps, rules, combination, remembered approvals
- :mod:`policies.explain` — one plain sentence per decision
- :mod:`policies.audit` — the hash-chained audit log and spend windows
- :mod:`policies.approvals` — "always allow this" as narrow, expiring rules
- :mod:`policies.money` / :mod:`policies.windows` — Decimal money, rolling and calendar windows
- :mod:`policies.cli` — ``errand policy check|explain|replay`` and ``errand audit verify``

Names are imported lazily so that the runtime (``agents``) can import the audit log
without importing the engine, which itself builds on ``agents.gate``.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "AuditLog": "policies.audit", "VerifyReport": "policies.audit",
    "PolicyEngine": "policies.engine", "Evaluation": "policies.engine", "verdict_of": "policies.engine",
    "load_policy": "policies.loader", "Policy": "policies.model", "PolicyFile": "policies.model",
    "Money": "policies.money", "python_rule": "policies.rules", "Observation": "policies.observe",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'policies' has no attribute {name!r}")
