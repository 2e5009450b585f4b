"""Explanations: every decision as one plain sentence with the rule id, the deciding condition and the values.

    Asking because this payment of ¥1,299.00 is above your per-purchase limit of ¥1,000.00 (rule shop-payment-cap).

Rules may write their own clause (``because:``) with ``{placeholders}`` for facts; without
one, the clause is generated from the conditions that held. The plain-language summary
(vulnerable users) says what the action does in words a person uses, not tool names.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from agents.models import Decision
from policies.detectors.pii import FIELD_WORDS, describe_fields
from policies.facts import MISSING, SIGNALS, fact_spec
from policies.money import Money
from tools.model import Effect

if TYPE_CHECKING:
    from policies.facts import Facts

VERB = {Decision.ALLOW: "Allowing", Decision.ASK: "Asking", Decision.DENY: "Denying"}
PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_.]*)\}")
CAP_PLACEHOLDERS = ("limit", "spent", "total", "window", "share", "label")
EXTRA_PLACEHOLDERS = ("released", "signal_details", "summary")


def sentence(decision: Decision, clause: str, rule: str) -> str:
    """'Asking because <clause> (rule <id>).'"""
    clause = clause.strip().rstrip(".")
    return f"{VERB[decision]} because {clause} (rule {rule})."


def template_problems(template: str, *, cap: bool) -> list[str]:
    """Placeholders in a ``because`` template that name nothing (checked at load)."""
    allowed = set(EXTRA_PLACEHOLDERS) | (set(CAP_PLACEHOLDERS) if cap else set())
    return [f"unknown placeholder {{{name}}} in 'because'" for name in PLACEHOLDER.findall(template)
            if name not in allowed and fact_spec(name) is None and name.removeprefix("signal.") not in SIGNALS]


def render(value: Any) -> str:
    if value is MISSING or value is None:
        return "none"
    if isinstance(value, (set, frozenset, list, tuple)):
        return ", ".join(sorted(str(v) for v in value)) or "none"
    if isinstance(value, Effect):
        return value.value
    return str(value)


def fill(template: str, facts: "Facts", extra: dict[str, Any] | None = None) -> str:
    """Fill ``{fact}`` placeholders with this action's values."""
    extra = extra or {}

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in extra:
            return render(extra[name])
        if name == "released":
            return facts.released_words()
        if name.startswith("signal.") and name[7:] in SIGNALS:
            return facts.signal_details.get(name[7:], SIGNALS[name[7:]])
        if name == "signal_details":
            return "; ".join(facts.signal_details.values()) or "none"
        if name == "summary":
            return facts.observation.summary or facts.observation.tool
        return render(facts.get(name))

    return PLACEHOLDER.sub(value, template)


def signal_list(facts: "Facts") -> list[dict[str, str]]:
    return [{"signal": name, "meaning": SIGNALS[name], "detail": detail}
            for name, detail in facts.signal_details.items()]


def plain_summary(facts: "Facts", method_label: str | None) -> str:
    """What the action does, in a person's words: 'Pay up to ¥176.00 with Alipay to merchant M004 …'."""
    obs = facts.observation
    effect = Effect(obs.effect) if obs.effect else None
    described = obs.summary or f"use {obs.tool}"
    parts: list[str] = []
    if effect is Effect.IRREVERSIBLE:
        parts.append("This cannot be undone.")
    parts.append(described[0].upper() + described[1:] + ("" if described.endswith(".") else "."))
    if obs.amount is not None and effect is not None and effect >= Effect.PAYMENT:
        method = method_label or obs.payment_method
        parts.append(f"You pay up to {obs.amount}" + (f" with {method}" if method else "") + ".")
    if obs.carried:
        parts.append(f"This shares {describe_fields(sorted(obs.carried))}.")
    if facts.signal_details:
        parts.append("Warning: " + "; ".join(facts.signal_details.values()) + ".")
    return " ".join(parts)


def field_words(field: str) -> str:
    return FIELD_WORDS.get(field, field.replace("_", " "))


def money_words(amount: Money | None) -> str:
    return str(amount) if amount is not None else "no money"
