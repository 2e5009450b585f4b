"""Field matchers: how a suite says what a value must look like.

A matcher is plain data, so suites stay YAML:

- a scalar (``"M006"``, ``1``, ``true``) means *equal* — numbers compare as decimals, so
  ``199``, ``199.0`` and ``"199.00"`` are the same amount;
- a list means *the same items in any order* (``documents: [id_card, photo]``);
- a mapping of operators means *every operator holds*::

      {in: [M001, M004]}  {not_in: [...]}  {ne: x}  {gt|ge|lt|le: 500}
      {contains: "Shanghai"}  (substring of a string, or an item of a list)
      {not_contains: x}  {startswith: "ORD-"}  {matches: "^BK-\\d{6}$"}  (regex search)
      {exists: true|false}  {len: <matcher>}  {has: [<matcher>, ...]}  (each matches some item)
      {any_of: [<matcher>, ...]}  {not: <matcher>}

Field paths are dotted (``cancellation.fee``, ``events.0.status``). A missing field never
equals anything; ``{exists: false}`` matches it. Matchers are checked when a suite loads,
so a typo in an operator is an error with a line number, never a check that silently
passes or fails.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal, InvalidOperation
from typing import Any, Callable

MISSING: Any = type("Missing", (), {"__repr__": lambda self: "<missing>"})()

_ORDER = {"gt": lambda a, b: a > b, "ge": lambda a, b: a >= b, "lt": lambda a, b: a < b,
          "le": lambda a, b: a <= b}
OPERATORS = ("eq", "ne", "in", "not_in", "gt", "ge", "lt", "le", "contains", "not_contains", "startswith",
             "matches", "exists", "len", "has", "any_of", "not")


class MatcherError(ValueError):
    """A matcher spec that cannot mean anything (unknown operator, bad regex, wrong shape)."""


def _decimal(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def equal(expected: Any, actual: Any) -> bool:
    """Equality as a person means it: amounts by value, lists in any order, text exactly."""
    if actual is MISSING:
        return False
    if isinstance(expected, bool) or isinstance(actual, bool):
        return expected is actual if isinstance(expected, bool) and isinstance(actual, bool) else False
    left, right = _decimal(expected), _decimal(actual)
    if left is not None and right is not None:
        return left == right  # 199, 199.0 and "199.00" are the same amount
    if isinstance(expected, list) and isinstance(actual, list):
        remaining = list(actual)
        for item in expected:
            hit = next((i for i, a in enumerate(remaining) if equal(item, a)), None)
            if hit is None:
                return False
            remaining.pop(hit)
        return not remaining
    return expected == actual


def _is_operator_map(spec: Any) -> bool:
    return isinstance(spec, dict)


def check(spec: Any, where: str = "value") -> None:
    """Raise :class:`MatcherError` if ``spec`` is not a valid matcher."""
    if not _is_operator_map(spec):
        if isinstance(spec, list):
            for i, item in enumerate(spec):
                if isinstance(item, dict):
                    raise MatcherError(f"{where}[{i}]: a list matcher holds plain values; use {{has: [...]}} "
                                       "to match items by operators")
        return
    if not spec:
        raise MatcherError(f"{where}: an empty operator mapping matches nothing; use {{exists: true}}")
    for op, arg in spec.items():
        if op not in OPERATORS:
            raise MatcherError(f"{where}: unknown matcher operator {op!r}; operators are {', '.join(OPERATORS)}")
        if op in ("in", "not_in", "has", "any_of") and not isinstance(arg, list):
            raise MatcherError(f"{where}.{op}: needs a list")
        if op in _ORDER and _decimal(arg) is None and not isinstance(arg, str):
            raise MatcherError(f"{where}.{op}: needs a number, a decimal string or an ISO date/time")
        if op == "exists" and not isinstance(arg, bool):
            raise MatcherError(f"{where}.exists: needs true or false")
        if op in ("startswith",) and not isinstance(arg, str):
            raise MatcherError(f"{where}.{op}: needs text")
        if op == "matches":
            if not isinstance(arg, str):
                raise MatcherError(f"{where}.matches: needs a regular expression")
            try:
                re.compile(arg)
            except re.error as exc:
                raise MatcherError(f"{where}.matches: invalid regular expression: {exc}") from None
        if op in ("has", "any_of"):
            for i, item in enumerate(arg):
                check(item, f"{where}.{op}[{i}]")
        if op in ("not", "len"):
            check(arg, f"{where}.{op}")


def _ordered(op: str, limit: Any, actual: Any) -> bool:
    left, right = _decimal(actual), _decimal(limit)
    if left is not None and right is not None:
        return _ORDER[op](left, right)
    if isinstance(actual, str) and isinstance(limit, str):  # ISO dates and times order as text
        return _ORDER[op](actual, limit)
    return False


def _contains(container: Any, item: Any) -> bool:
    if isinstance(container, str):
        return isinstance(item, (str, int, float)) and normalise(str(item)) in normalise(container)
    if isinstance(container, list):
        return any(matches(item, element) for element in container)
    if isinstance(container, dict):
        return item in container
    return False


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda arg, actual: equal(arg, actual),
    "ne": lambda arg, actual: actual is not MISSING and not equal(arg, actual),
    "in": lambda arg, actual: any(equal(option, actual) for option in arg),
    "not_in": lambda arg, actual: actual is not MISSING and not any(equal(option, actual) for option in arg),
    "contains": lambda arg, actual: _contains(actual, arg),
    "not_contains": lambda arg, actual: actual is not MISSING and not _contains(actual, arg),
    "startswith": lambda arg, actual: isinstance(actual, str) and actual.startswith(arg),
    "matches": lambda arg, actual: isinstance(actual, str) and re.search(arg, actual) is not None,
    "exists": lambda arg, actual: (actual is not MISSING and actual is not None) is arg,
    "len": lambda arg, actual: hasattr(actual, "__len__") and actual is not MISSING and matches(arg, len(actual)),
    "has": lambda arg, actual: isinstance(actual, list) and all(
        any(matches(item, element) for element in actual) for item in arg),
    "any_of": lambda arg, actual: any(matches(option, actual) for option in arg),
    "not": lambda arg, actual: not matches(arg, actual),
}


def matches(spec: Any, actual: Any) -> bool:
    """Does ``actual`` satisfy the matcher ``spec``?"""
    if not _is_operator_map(spec):
        return equal(spec, actual)
    for op, arg in spec.items():
        if op in _ORDER:
            if not _ordered(op, arg, actual):
                return False
        elif not _OPS[op](arg, actual):
            return False
    return True


def field(record: Any, path: str) -> Any:
    """The value at a dotted path (``a.b.0.c``), or :data:`MISSING`."""
    node = record
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.lstrip("-").isdigit() and -len(node) <= int(part) < len(node):
            node = node[int(part)]
        else:
            return MISSING
    return node


def match_fields(where: dict[str, Any], record: Any) -> list[str]:
    """The paths of ``where`` that ``record`` does not satisfy (empty: it matches)."""
    return [path for path, spec in where.items() if not matches(spec, field(record, path))]


def describe(spec: Any) -> str:
    """A short human reading of a matcher, for check details and reports."""
    if not _is_operator_map(spec):
        return repr(spec)
    return " and ".join(f"{op} {describe(arg) if op in ('not', 'len') else arg!r}" for op, arg in spec.items())


def normalise(text: str) -> str:
    """Text as compared in answers: NFKC, case-folded, whitespace collapsed, digit grouping removed
    ("1,299" and "1299" are the same number; full-width characters equal their ASCII forms)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return re.sub(r"\s+", " ", text).strip()
