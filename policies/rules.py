"""Python rules: for what a YAML condition cannot say, registered by name.

    from policies.rules import python_rule

    @python_rule("weekend_big_spend")
    def weekend_big_spend(facts) -> str | bool:
        '''Big payments at the weekend, when the family is not around to check.'''
        amount = facts.get("amount")
        if facts.get("time.weekday") in ("saturday", "sunday") and amount is not MISSING and amount.amount > 500:
            return f"it is the weekend and this payment is {amount}"
        return False

A policy file then says ``when: {python: weekend_big_spend}`` and lists the module under
``imports:`` so loading it registers the rule. A rule returns False/None (does not apply),
True (applies) or a string: applies, and the string is the clause shown in the
explanation. Naming a rule that is not registered fails the load; a rule that raises
counts as *unknown* (it applies to ask/deny rules and not to allow rules).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable, Union

if TYPE_CHECKING:
    from policies.facts import Facts

PythonRule = Callable[["Facts"], Union[str, bool, None]]

_REGISTRY: dict[str, PythonRule] = {}


def python_rule(name: str) -> Callable[[PythonRule], PythonRule]:
    """Register ``func`` under ``name`` (re-registering the same function is harmless)."""
    def register(func: PythonRule) -> PythonRule:
        existing = _REGISTRY.get(name)
        if existing is not None and existing.__qualname__ != func.__qualname__:
            raise ValueError(f"a different Python rule is already registered as {name!r}")
        _REGISTRY[name] = func
        return func
    return register


def get_rule(name: str) -> PythonRule | None:
    return _REGISTRY.get(name)


def registered() -> list[str]:
    return sorted(_REGISTRY)
