"""Example actions: the ``matches`` / ``not_matches`` of rules, and the input of ``policy explain``.

An example names a tool and its arguments; its effect, domain, declared data and money
argument come from the installed tool (or are given explicitly for tools that are not
installed). It is observed offline — no service is called, no audit log is read — and any
fact can be set directly (``facts: {signals: [fraud.risk_list], session.read_untrusted: true}``)
to describe situations a bare tool call cannot show.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Any

from agents.gate import GateRequest
from policies.conditions import ConditionError, compile_predicate
from policies.facts import SIGNALS, Facts, Kind, fact_spec
from policies.model import Example
from policies.observe import Observer
from tools.model import Effect, MoneyArg, ToolMeta

if TYPE_CHECKING:
    from policies.model import Policy


@lru_cache(maxsize=1)
def _installed_tools() -> dict[str, ToolMeta | None]:
    from tools.model import tool_meta
    from tools.registry import default_registry

    try:
        return {t.name: tool_meta(t) for t in default_registry()}
    except Exception:  # noqa: BLE001 - without installed packs, examples must state effect/domain
        return {}


def example_request(example: Example) -> GateRequest:
    """The gate request an example stands for (sample user unless the example overrides it)."""
    from tools.profile import load_profile

    installed = _installed_tools()
    meta = installed.get(example.tool)
    update: dict[str, Any] = {}
    if example.domain is not None:
        update["domain"] = example.domain
    if example.personal_data is not None:
        update["personal_data"] = tuple(example.personal_data)
    if example.effect is not None:
        money = meta.money if meta is not None else None
        if money is None and example.amount is not None:
            money = MoneyArg(amount_arg="amount")
        base = meta or ToolMeta(effect=example.effect)
        meta = base.model_copy(update={"effect": Effect(example.effect), "money": money, **update})
    elif meta is not None and update:
        meta = meta.model_copy(update=update)
    user = load_profile().model_dump(mode="json")
    user.update(example.user or {})
    return GateRequest(run_id="example", agent="example", tool=example.tool, args=example.args, meta=meta,
                       tool_exists=example.tool in installed or example.effect is not None or meta is not None,
                       user=user, provenance=example.provenance)


def example_facts(example: Example, policy: "Policy") -> Facts:
    """The facts of an example under ``policy``, with its overrides applied."""
    request = example_request(example)
    observation = Observer().observe(request, policy)
    if example.amount is not None:
        observation.amount = example.amount
    facts = Facts(observation, policy)
    for name, value in example.facts.items():
        facts.values[name] = fact_value(name, value)
        if name == "signals":
            facts.signal_details = {s: f"set by the example ({SIGNALS[s]})" for s in facts.values[name]}
            facts.values["session.injection"] = "injection" in facts.values[name]
    return facts


def fact_value(name: str, value: Any) -> Any:
    """Type a fact override the way the engine computes that fact (raises ConditionError)."""
    spec = fact_spec(name)
    if spec is None:
        raise ConditionError(f"facts: unknown fact {name!r}")
    kind = spec[0]
    if kind is Kind.SET:
        items = value if isinstance(value, list) else [value]
        return compile_predicate(name, {"any_of": items})[0].value if name == "signals" else frozenset(map(str, items))
    if kind is Kind.ANY or kind is Kind.STR:
        return value
    return compile_predicate(name, {"eq": value})[0].value
