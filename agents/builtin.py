"""The built-in agents (gov, shop, travel, errand, and the concierge over them) and how the
CLI finds an agent by name.

Agents are found by name so that a run started in one process can be resumed in
another: the run index stores the name and brain spec, and this module rebuilds the
same agent. Third parties add agents with the ``errand.agents`` entry point (a callable
taking ``brain=`` and ``gate=`` keyword arguments and returning an :class:`Agent`).
"""

from __future__ import annotations

from importlib.metadata import entry_points
from typing import Any, Callable

from agents.agent import Agent
from agents.gate import Gate
from tools.registry import ToolRegistry, default_registry
from tools.services import Services

INSTRUCTIONS = {
    "errand": ("You run errands across government services, shopping and travel. Use the tools of the "
               "domain the request is about; a request may span several domains."),
    "gov": ("You handle government services: find which services a life event needs, explain requirements, "
            "documents and fees, check eligibility, book office appointments, submit applications and "
            "track their status. Check eligibility and required documents before submitting anything."),
    "shop": ("You shop for the person: search products under their constraints, compare merchants, and "
             "place, cancel or return orders. Prefer the person's preferred merchants when prices are close. "
             "Check a merchant's risk before paying it. Never exceed the person's budget."),
    "travel": ("You plan and book travel: search flights, trains and hotels, book the option that fits "
               "the request (cheapest, earliest, fastest, a class, a budget), cancel and list bookings. "
               "Passenger details come from the person's profile."),
}


def builtin_agent(name: str, *, brain: Any = None, gate: Gate | None = None, services: Services | None = None,
                  spec: dict[str, Any] | None = None, registry: ToolRegistry | None = None,
                  **kwargs: Any) -> Agent:
    """A built-in agent over its domain's tool pack (or all packs for ``errand``). ``registry``
    shares tools already built (the concierge builds one for all its domain agents)."""
    registry = registry or default_registry(services=services or Services.from_env())
    tools = list(registry) if name == "errand" else registry.by_domain(name)
    if not tools:
        raise KeyError(name)
    return Agent(name, instructions=INSTRUCTIONS.get(name, ""), tools=tools, brain=brain, gate=gate,
                 spec=spec, **kwargs)


CONCIERGE = "concierge"  # the life-event agent over the others (agents.concierge)


def agent_names() -> list[str]:
    return sorted({*INSTRUCTIONS, CONCIERGE, *(ep.name for ep in entry_points(group="errand.agents"))})


def load_agent(name: str, *, model: str | None = None, base_url: str | None = None,
               gate: Gate | None = None, policy: str | None = None) -> Agent:
    """Build the agent called ``name`` with the brain given by ``model`` (None: offline) and the
    policy ``policy`` (a shipped name or a YAML path; None: the default policy)."""
    if name == CONCIERGE:  # not an Agent over tools: it runs the other agents (same public methods)
        from agents.concierge import ConciergeAgent

        return ConciergeAgent(model=model, base_url=base_url, gate=gate, policy=policy)  # type: ignore[return-value]
    spec = {"model": model, "base_url": base_url, "policy": policy}
    brain: Any = None
    if model:
        from agents.brains.llm import LLMBrain

        brain = LLMBrain(model, base_url=base_url)
    factories: dict[str, Callable[..., Agent]] = {ep.name: ep.load() for ep in entry_points(group="errand.agents")
                                                  if ep.name == name}
    if name in factories:
        agent = factories[name](brain=brain, gate=gate, policy=policy)
        agent.spec.update(spec)
        return agent
    if name in INSTRUCTIONS:
        return builtin_agent(name, brain=brain, gate=gate, policy=policy, spec=spec)
    raise KeyError(f"unknown agent {name!r}; known agents: {', '.join(agent_names())}")
