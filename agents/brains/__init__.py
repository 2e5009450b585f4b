"""Brains decide the next move; the graph, the gate and the tools are the same for all of them."""

from __future__ import annotations

from agents.brains.base import Brain, Plan, PlanContext, ProposedCall, Turn


def offline_brain(agent: str) -> Brain:
    """The embedded default brain (no model, no network) for a built-in agent."""
    try:
        from agents.brains.offline import OfflineBrain
    except ImportError:
        raise RuntimeError("the offline brain is not installed in this build; pass a model "
                           "(brain='openai:…' or --model SPEC)") from None
    return OfflineBrain(agent)


__all__ = ["Brain", "Plan", "PlanContext", "ProposedCall", "Turn", "offline_brain"]
