"""Conditions: one fact, one operator, one typed value — compiled once, evaluated per action.

In YAML a rule's ``when`` maps fact names to predicates::

    when:
      effect: {ge: payment}            # operators: eq ne in not_in gt ge lt le glob matches exists
      amount: {gt: 1000 CNY}           # money compares as Decimal in one currency
      tool: shop_*                     # a bare string with * ? [ is a glob, otherwise equality
      payees: {any_of: [M013, M017]}   # sets: contains any_of all_in none_of empty
      args.quantity: {gt: 5}
      python: my_rule                  # a Python rule registered by name

Every predicate is checked against the fact's kind when the policy loads (a ``gt`` on a
name, a misspelt fact, a bad regex all fail the load). Evaluation is three-valued: a value
that cannot be compared (an amount in another currency, a non-number where a number is
needed) is *unknown*, and the engine treats unknown as "applies" for ask/deny rules and
"does not apply" for allow rules and exceptions — doubt never loosens a decision.

:func:`implies` decides (soundly, not completely) whether one condition can only hold
when another does; the loader uses it to prove an exception narrower than its rule.
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from policies.facts import MISSING, SIGNALS, Kind, fact_spec
from policies.money import CurrencyMismatch, Money
from tools.model import Effect

SCALAR_OPS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "glob", "matches", "exists")
SET_OPS = ("contains", "any_of", "all_in", "none_of", "empty")
OPS_BY_KIND: dict[Kind, tuple[str, ...]] = {
    Kind.STR: ("eq", "ne", "in", "not_in", "glob", "matches", "exists"),
    Kind.EFFECT: ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "exists"),
    Kind.MONEY: ("eq", "ne", "gt", "ge", "lt", "le", "exists"),
    Kind.NUMBER: ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "exists"),
    Kind.BOOL: ("eq", "exists"),
    Kind.SET: SET_OPS,
    Kind.ANY: SCALAR_OPS,
}
_ORDER = ("gt", "ge", "lt", "le")
_GLOB_CHARS = re.compile(r"[*?\[]")

PHRASES = {"eq": "is {v}", "ne": "is not {v}", "in": "is one of {v}", "not_in": "is none of {v}",
           "gt": "is above {v}", "ge": "is at least {v}", "lt": "is below {v}", "le": "is at most {v}",
           "glob": "matches {v}", "matches": "matches the pattern {v}", "contains": "include {v}",
           "any_of": "include {hit}", "all_in": "are all among {v}", "none_of": "include none of {v}"}


class ConditionError(ValueError):
    """A predicate that cannot be compiled: unknown fact, wrong operator for the fact, bad value."""


@dataclass(frozen=True)
class Condition:
    fact: str
    op: str
    value: Any
    kind: Kind
    label: str

    def __post_init__(self) -> None:
        # the type action values are coerced to, decided once (evaluation runs per action, per rule)
        sample = next(iter(self.value), None) if isinstance(self.value, frozenset) else self.value
        object.__setattr__(self, "_sample", sample)

    # -- evaluation -----------------------------------------------------------------------

    def test(self, actual: Any) -> bool | None:
        """True / False, or None when the value cannot be compared (see the module docstring)."""
        op, want = self.op, self.value
        if self.kind is Kind.SET:
            items = frozenset() if actual is MISSING else actual
            if not isinstance(items, (set, frozenset)):
                items = frozenset(items if isinstance(items, (list, tuple)) else [items])
            if op == "contains":
                return want in items
            if op == "any_of":
                return bool(items & want)
            if op == "all_in":
                return bool(items) and items <= want
            if op == "none_of":
                return not (items & want)
            return (not items) is want  # empty
        if op == "exists":
            return (actual is not MISSING and actual is not None) is want
        if actual is MISSING or actual is None:
            return op in ("ne", "not_in")
        try:
            value = self._coerce(actual)
        except (ValueError, InvalidOperation, TypeError):
            return None
        try:
            if op == "eq":
                return value == want
            if op == "ne":
                return value != want
            if op == "in":
                return value in want
            if op == "not_in":
                return value not in want
            if op == "glob":
                return fnmatch.fnmatchcase(str(value), want)
            if op == "matches":
                return want.search(str(value)) is not None
            return {"gt": value > want, "ge": value >= want, "lt": value < want, "le": value <= want}[op]
        except (CurrencyMismatch, TypeError):
            return None

    def _coerce(self, actual: Any) -> Any:
        """The action's value in the same type as the rule's value."""
        sample = self._sample  # type: ignore[attr-defined]
        if isinstance(sample, Money):
            return actual if isinstance(actual, Money) else Money.parse(str(actual), sample.currency)
        if isinstance(sample, Effect):
            return Effect(actual)
        if isinstance(sample, Decimal):
            if isinstance(actual, bool):
                raise TypeError("a yes/no is not a number")
            return Decimal(str(actual))
        if isinstance(sample, bool):
            return actual
        if isinstance(actual, (dict, list)):
            raise TypeError("a structure is not a scalar")
        return str(actual) if not isinstance(actual, str) else actual

    # -- words ------------------------------------------------------------------------------

    def clause(self, actual: Any) -> str:
        """The condition in plain words with the actual value: 'this payment of ¥1,299.00 is above ¥1,000.00'."""
        if self.kind is Kind.BOOL and self.op == "eq":
            return self.label if self.value else f"not: {self.label}"
        if self.op == "exists":
            return f"{self.label} is {'given' if self.value else 'not given'}"
        if self.kind is Kind.SET:
            items = frozenset() if actual is MISSING else frozenset(actual)
            if self.op == "empty":
                return f"{self.label}: none" if self.value else f"{self.label}: {_words(items)}"
            hit = items & self.value if isinstance(self.value, frozenset) else items
            phrase = PHRASES[self.op] if self.op != "any_of" or hit else "include any of {v}"
            return f"{self.label} {phrase.format(v=_words(self.value), hit=_words(hit))}"
        shown = "nothing" if actual is MISSING else _word(actual)
        value = self.value.pattern if self.op == "matches" else self.value
        phrase = PHRASES[self.op].format(v=_words(value) if isinstance(value, frozenset) else _word(value))
        if self.kind is Kind.MONEY:
            return f"{self.label} of {shown} {phrase}"
        if self.op in ("eq", "in", "glob") and self.test(actual) is True and self.kind is not Kind.NUMBER:
            return f"{self.label} {'is ' + shown if self.op == 'in' else phrase}"  # the value is in the phrase
        return f"{self.label} ({shown}) {phrase}"


def _word(value: Any) -> str:
    if isinstance(value, Effect):
        return value.value
    if isinstance(value, Decimal):
        return f"{value:f}"
    return str(value)


def _words(values: Any) -> str:
    if isinstance(values, (set, frozenset, list, tuple)):
        return ", ".join(sorted(_word(v) for v in values)) or "nothing"
    return _word(values)


# -- compiling ---------------------------------------------------------------------------

def compile_when(when: dict[str, Any]) -> tuple[list[Condition], list[str]]:
    """Compile a ``when`` mapping into conditions and Python rule names (raises ConditionError)."""
    conditions: list[Condition] = []
    python: list[str] = []
    for fact, predicate in when.items():
        if fact == "python":
            names = predicate if isinstance(predicate, list) else [predicate]
            if not all(isinstance(n, str) and n for n in names):
                raise ConditionError("python: give the name (or list of names) of registered Python rules")
            python.extend(names)
            continue
        conditions.extend(compile_predicate(fact, predicate))
    return conditions, python


def compile_predicate(fact: str, predicate: Any) -> list[Condition]:
    spec = fact_spec(fact)
    if spec is None:
        from policies.facts import known_fact_names

        raise ConditionError(f"unknown fact {fact!r}; known facts: {', '.join(known_fact_names())}")
    kind, label = spec
    if isinstance(predicate, dict):
        if not predicate:
            raise ConditionError(f"{fact}: an empty condition says nothing; give an operator")
        ops = predicate
    elif isinstance(predicate, list):
        ops = {"any_of" if kind is Kind.SET else "in": predicate}
    elif kind is Kind.SET:
        ops = {"contains": predicate}
    elif isinstance(predicate, str) and _GLOB_CHARS.search(predicate) and kind in (Kind.STR, Kind.ANY):
        ops = {"glob": predicate}
    else:
        ops = {"eq": predicate}
    out = []
    for op, raw in ops.items():
        allowed = OPS_BY_KIND[kind]
        if op not in allowed:
            raise ConditionError(f"{fact}: operator {op!r} does not apply to a {kind.value} fact; "
                                 f"use one of {', '.join(allowed)}")
        out.append(Condition(fact, op, _value(fact, kind, op, raw), kind, label))
    return out


def _value(fact: str, kind: Kind, op: str, raw: Any) -> Any:
    """Type the rule's value for its fact and operator."""
    try:
        if op in ("exists", "empty"):
            if not isinstance(raw, bool):
                raise ConditionError(f"{fact}: {op} takes true or false")
            return raw
        if op == "matches":
            try:
                return re.compile(str(raw))
            except re.error as exc:
                raise ConditionError(f"{fact}: invalid regular expression {raw!r}: {exc}") from None
        if op == "glob":
            return str(raw)
        if kind is Kind.SET:
            items = raw if isinstance(raw, list) else [raw]
            values = frozenset(str(v) for v in items)
            if fact == "signals":
                values = _expand_signals(values)
            return next(iter(values)) if op == "contains" else values
        if op in ("in", "not_in"):
            if not isinstance(raw, list) or not raw:
                raise ConditionError(f"{fact}: {op} takes a non-empty list")
            return frozenset(_scalar(fact, kind, v, op) for v in raw)
        if isinstance(raw, (list, dict)):
            raise ConditionError(f"{fact}: {op} takes a single value, not a {type(raw).__name__}")
        return _scalar(fact, kind, raw, op)
    except (ValueError, InvalidOperation) as exc:
        if isinstance(exc, ConditionError):
            raise
        raise ConditionError(f"{fact}: {exc}") from None


def _scalar(fact: str, kind: Kind, raw: Any, op: str) -> Any:
    if kind is Kind.EFFECT:
        try:
            return Effect(str(raw))
        except ValueError:
            raise ConditionError(f"{fact}: {raw!r} is not an effect (read, write, payment, irreversible)") from None
    if kind is Kind.MONEY:
        return Money.parse(raw)
    if kind is Kind.NUMBER:
        if isinstance(raw, bool):
            raise ConditionError(f"{fact}: {raw!r} is not a number")
        return Decimal(str(raw))
    if kind is Kind.BOOL:
        if not isinstance(raw, bool):
            raise ConditionError(f"{fact}: takes true or false, not {raw!r}")
        return raw
    if kind is Kind.ANY and op in _ORDER:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise ConditionError(f"{fact}: {op} needs a number")
        return Decimal(str(raw))
    if kind is Kind.ANY and isinstance(raw, (bool, int)) and not isinstance(raw, bool):
        return Decimal(raw)
    if kind is Kind.ANY and isinstance(raw, float):
        return Decimal(str(raw))
    return raw if isinstance(raw, bool) else str(raw)


def _expand_signals(values: frozenset[str]) -> frozenset[str]:
    out: set[str] = set()
    for value in values:
        hits = [s for s in SIGNALS if fnmatch.fnmatchcase(s, value)]
        if not hits:
            raise ConditionError(f"signals: unknown signal {value!r}; known: {', '.join(SIGNALS)}")
        out.update(hits)
    return frozenset(out)


# -- narrowing proofs --------------------------------------------------------------------

def _interval(c: Condition) -> tuple[Any, bool, Any, bool] | None:
    """(low, low_inclusive, high, high_inclusive) for ordered conditions; None bounds are open."""
    if c.op == "eq" and isinstance(c.value, (Decimal, Money, Effect)):
        return c.value, True, c.value, True
    return {"gt": (c.value, False, None, False), "ge": (c.value, True, None, False),
            "lt": (None, False, c.value, False), "le": (None, False, c.value, True)}.get(c.op)


def _within(inner: tuple[Any, bool, Any, bool], outer: tuple[Any, bool, Any, bool]) -> bool:
    lo, lo_in, hi, hi_in = inner
    olo, olo_in, ohi, ohi_in = outer
    try:
        if olo is not None:
            if lo is None or lo < olo or (lo == olo and lo_in and not olo_in):
                return False
        if ohi is not None:
            if hi is None or hi > ohi or (hi == ohi and hi_in and not ohi_in):
                return False
    except (CurrencyMismatch, TypeError):
        return False
    return True


def implies(a: Condition, b: Condition) -> bool:
    """True only if every value satisfying ``a`` satisfies ``b`` (same fact). Sound, not complete."""
    if a.fact != b.fact:
        return False
    if a.op == b.op and a.value == b.value:
        return True
    if b.op == "exists" and b.value is True:
        return a.op not in ("ne", "not_in", "exists") or (a.op == "exists" and a.value is True)
    if a.kind is Kind.SET:
        return _set_implies(a, b)
    values: frozenset[Any] | None = None
    if a.op == "eq":
        values = frozenset([a.value])
    elif a.op == "in":
        values = a.value
    if values is not None:
        probe = Condition(b.fact, b.op, b.value, b.kind, b.label)
        return all(probe.test(v) is True for v in values)
    ia, ib = _interval(a), _interval(b)
    if ia is not None and ib is not None:
        return _within(ia, ib)
    if a.op == "not_in" and b.op == "not_in":
        return b.value <= a.value
    if a.op == "not_in" and b.op == "ne":
        return b.value in a.value
    if a.op == "ne" and b.op == "not_in":
        return b.value == frozenset([a.value])
    return False


def _set_implies(a: Condition, b: Condition) -> bool:
    if a.op == "contains" and b.op == "any_of":
        return a.value in b.value
    if a.op == "any_of" and b.op == "any_of":
        return a.value <= b.value
    if a.op == "all_in" and b.op == "all_in":
        return a.value <= b.value
    if a.op == "none_of" and b.op == "none_of":
        return b.value <= a.value
    if a.op == "empty" and a.value is True and b.op == "none_of":
        return True
    if a.op in ("contains", "any_of") and b.op == "empty" and b.value is False:
        return True
    return False


def conjunction_implies(narrow: list[Condition], broad: list[Condition]) -> bool:
    """Every condition of ``broad`` is implied by some condition of ``narrow``."""
    return all(any(implies(n, b) for n in narrow if n.fact == b.fact) for b in broad)
