"""What is under evaluation — an agent, its brain and its policy — and how each trial gets its own.

A trial's agent is built inside the trial's world, so its checkpoints, run index and audit
log live in the trial's ERRAND_HOME. The parts that are pure and costly are built once:
policies are loaded once per file, the built-in agents' tool packs once per agent (bound to
:class:`~evals.world.TrialServices`, whose sandboxes answer from the current trial's
world), and an LLM brain once per agent (its client is thread-safe).
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Callable

from langchain_core.language_models import BaseChatModel
from langchain_core.tools import BaseTool
from langgraph.checkpoint.memory import InMemorySaver

from agents.agent import Agent
from agents.builtin import INSTRUCTIONS
from agents.gate import Gate
from evals.model import Task, fingerprint
from evals.world import TrialServices
from policies.detectors.fraud import ShopMarket
from policies.engine import PolicyEngine
from policies.loader import resolve_source
from policies.model import Policy

BrainFactory = Callable[[str, Task], Any]
"""(agent name, task) → a Brain, a chat model, a model spec string, or None (offline)."""
GateFactory = Callable[[], Gate]


class HarnessError(ValueError):
    """The agent, model or policy under evaluation cannot be set up."""


class Harness:
    """Builds the agent under test for each trial.

    ``agent``: agent name for every task (else each task's ``agent``); ``model``: a model spec
    (``openai:gpt-4.1-mini``; None: the offline brain) or ``brain`` a factory for custom
    brains; ``policy``: name or file for tasks that do not pin their own.
    """

    def __init__(self, *, agent: str | None = None, model: str | None = None, base_url: str | None = None,
                 policy: str | None = None, brain: BrainFactory | None = None, user_model: str | None = None,
                 gate: GateFactory | None = None, label: str | None = None) -> None:
        self.agent = agent
        self.model = model
        self.base_url = base_url
        self.policy = policy
        self.brain_factory = brain
        self.gate_factory = gate
        self.user_model = user_model
        self.label = label
        self._lock = threading.Lock()
        self.services = TrialServices()
        self._tools: dict[str, list[BaseTool]] = {}
        self._brains: dict[str, Any] = {}
        self._policies: dict[str, Policy] = {}
        self._user_chat: BaseChatModel | None = None

    # -- identity ---------------------------------------------------------------------------

    def describe(self) -> dict[str, Any]:
        """What makes two eval runs comparable (part of the resume key)."""
        return {"agent": self.agent, "model": self.model, "base_url": self.base_url,
                "brain": self.label or (None if self.brain_factory is None else "custom"),
                "gate": None if self.gate_factory is None else "custom",
                "policy": self.policy, "policy_hash": self._source_hash(self.policy, None),
                "user_model": self.user_model}

    @staticmethod
    def _source_hash(source: str | None, relative_to: Path | None) -> str | None:
        if source is None:
            return None
        path = resolve_source(source, relative_to)
        try:
            return fingerprint(path.read_text(encoding="utf-8"))
        except OSError:
            return None

    def agent_name(self, task: Task) -> str:
        name = self.agent or task.agent
        if not name:
            raise HarnessError(f"task {task.id} names no agent; give --agent or set agent: in the suite")
        return name

    def policy_source(self, task: Task, suite_dir: Path | None) -> tuple[str | None, Path | None]:
        """The task's own policy (relative to its suite file) wins over the run's ``--policy``."""
        if task.policy is not None:
            return task.policy, suite_dir
        return self.policy, None

    def policy_label(self, task: Task) -> str:
        return task.policy or self.policy or "default"

    # -- the parts built once ---------------------------------------------------------------

    def load_policy(self, source: str, relative_to: Path | None) -> Policy:
        from policies.loader import load_policy

        path = resolve_source(source, relative_to)
        key = str(path)
        with self._lock:
            if key not in self._policies:
                self._policies[key] = load_policy(path)
            return self._policies[key]

    def _shared_tools(self, name: str) -> list[BaseTool]:
        with self._lock:
            if name not in self._tools:
                from tools.registry import default_registry

                registry = default_registry(services=self.services)
                self._tools[name] = list(registry) if name == "errand" else registry.by_domain(name)
            return self._tools[name]

    def _brain(self, name: str, task: Task) -> Any:
        if self.brain_factory is not None:
            return self.brain_factory(name, task)
        if self.model is None:
            return None  # the agent builds its offline brain
        with self._lock:
            if name not in self._brains:
                from agents.brains.llm import LLMBrain

                self._brains[name] = LLMBrain(self.model, base_url=self.base_url)
            return self._brains[name]

    def user_chat_model(self) -> BaseChatModel | None:
        if self.user_model is None:
            return None
        with self._lock:
            if self._user_chat is None:
                from agents.brains.llm import chat_model_from_spec

                self._user_chat = chat_model_from_spec(self.user_model, base_url=self.base_url)
            return self._user_chat

    # -- per trial --------------------------------------------------------------------------

    def build(self, task: Task, suite_dir: Path | None) -> Agent:
        """The agent for one trial; call inside the trial's world."""
        name = self.agent_name(task)
        if self.gate_factory is not None:
            gate = self.gate_factory()
        else:
            source, relative_to = self.policy_source(task, suite_dir)
            policy = self.load_policy(source or "default", relative_to)
            gate = PolicyEngine(policy, market=ShopMarket(client_factory=lambda: self.services.client("shop")))
        brain = self._brain(name, task)
        if name in INSTRUCTIONS:
            tools = self._shared_tools(name)
            if not tools:
                raise HarnessError(f"agent {name!r} has no tools installed")
            # checkpoints in memory, written at pauses and at the end only: a trial never outlives
            # its process, and the eval log is what resumes
            return Agent(name, instructions=INSTRUCTIONS[name], tools=tools, brain=brain, gate=gate,
                         checkpointer=InMemorySaver(), spec={"eval": True}, durability="exit")
        factories = {ep.name: ep for ep in entry_points(group="errand.agents")}
        if name not in factories:
            known = ", ".join(sorted({*INSTRUCTIONS, *factories}))
            raise HarnessError(f"unknown agent {name!r}; known agents: {known}")
        agent = factories[name].load()(brain=brain, gate=gate)
        if not isinstance(agent, Agent):
            raise HarnessError(f"the errand.agents entry point {name!r} did not return an Agent")
        return agent
