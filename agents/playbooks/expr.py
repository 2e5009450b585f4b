"""The small, safe expression language of playbooks.

Playbooks bind tool arguments to slots, the user profile and earlier results, and state
selection rules over results. They do that with expressions written in a strict subset
of Python expression syntax, parsed with :mod:`ast` and interpreted node by node here —
never ``eval``. What an expression can do:

- read data: ``slots.date``, ``user.preferences.seat_class``, ``steps.search.offers[0]``,
  ``pick.price``, ``item.merchant_id``. Reading a missing key, or anything of ``None``,
  gives ``None`` (so an optional slot flows through as ``None``); there is no access to
  Python attributes or methods, only to keys of data.
- literals, lists, tuples, dicts; ``+ - * / %``; comparisons (``== != < <= > >= in not in``,
  ``is None``/``is not None``); ``and or not``; ``a if cond else b``;
  one-level list comprehensions ``[o.price for o in item.offers if o.in_stock]``;
- calls to the functions in :data:`FUNCTIONS` (documented there) and nothing else.

Numbers are :class:`~decimal.Decimal`: services send money as strings ("420.00"), and
arithmetic or ordering comparisons treat numeric strings as numbers, so
``pick.price * slots.quantity`` is a sum of money, never string repetition.

In YAML a value is an expression when it is written ``${...}``. A string that is exactly
one ``${...}`` keeps the expression's type (a list stays a list); a string with text
around ``${...}`` parts is a template and renders to text.
"""

from __future__ import annotations

import ast
import keyword
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Mapping

NUMERIC = re.compile(r"^-?\d+(\.\d+)?$")


class ExprError(ValueError):
    """An expression that cannot be parsed, or that fails on the data it is given."""


# -- values --------------------------------------------------------------------------------

def is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, (int, float, Decimal)):
        return True
    return isinstance(value, str) and bool(NUMERIC.match(value.strip()))


def number(value: Any) -> Decimal:
    """``value`` as a Decimal; numeric strings count, booleans and None do not."""
    if isinstance(value, bool) or value is None:
        raise ExprError(f"expected a number, got {value!r}")
    if isinstance(value, Decimal):
        return value
    if isinstance(value, (int, float)):
        return Decimal(str(value))
    if isinstance(value, str) and is_number(value):
        return Decimal(value.strip())
    raise ExprError(f"expected a number, got {value!r}")


def sort_key(value: Any) -> tuple[Any, ...]:
    """A total order over result values: None last, numbers numerically, text as text."""
    if isinstance(value, (tuple, list)):
        return (0, tuple(sort_key(v) for v in value))
    if value is None:
        return (2,)
    if isinstance(value, bool):
        return (0, (0, Decimal(int(value))))
    if is_number(value):
        return (0, (0, number(value)))
    return (0, (1, str(value)))


def plain(value: Any) -> Any:
    """JSON-clean form of an evaluated value: Decimals become strings, tuples lists."""
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, float):
        return format(Decimal(str(value)), "f")
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def text_of(value: Any) -> str:
    """How a value reads inside a template."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (list, tuple)):
        return ", ".join(text_of(v) for v in value)
    if isinstance(value, (Decimal, float)):
        return format(Decimal(str(value)), "f")
    return str(value)


def _equal(a: Any, b: Any) -> bool:
    if is_number(a) and is_number(b):
        return number(a) == number(b)
    return a == b


# -- the environment -------------------------------------------------------------------------

@dataclass
class Env:
    """What an expression can see: named roots (``slots``, ``user``, ``steps`` …) plus the
    services functions need (the profile for ``payment_method``, a reference matcher)."""

    roots: dict[str, Any]
    matcher: Callable[[Any, Any], float] | None = None

    def with_roots(self, **roots: Any) -> "Env":
        return Env({**self.roots, **roots}, self.matcher)


# -- functions -------------------------------------------------------------------------------

def _fn_len(env: Env, value: Any) -> int:
    return 0 if value is None else len(value)


def _numbers(values: tuple[Any, ...]) -> list[Any]:
    items = list(values[0]) if len(values) == 1 and isinstance(values[0], (list, tuple)) else list(values)
    return [v for v in items if v is not None]


def _fn_min(env: Env, *values: Any) -> Any:
    items = _numbers(values)
    return min(items, key=sort_key) if items else None


def _fn_max(env: Env, *values: Any) -> Any:
    items = _numbers(values)
    return max(items, key=sort_key) if items else None


def _fn_sum(env: Env, values: Any) -> Decimal:
    return sum((number(v) for v in (values or []) if v is not None), Decimal(0))


def _fn_coalesce(env: Env, *values: Any) -> Any:
    return next((v for v in values if v is not None), None)


def _fn_pluck(env: Env, items: Any, key: str) -> list[Any]:
    return [item.get(key) for item in (items or []) if isinstance(item, dict)]


def _fn_flatten(env: Env, items: Any, key: str) -> list[Any]:
    out: list[Any] = []
    for parent in items or []:
        for child in (parent or {}).get(key) or []:
            if isinstance(child, dict):
                out.append({**child, "parent": parent})
    return out


def _fn_within(env: Env, value: Any, cap: Any) -> bool:
    if cap is None:
        return True
    return value is not None and number(value) <= number(cap)


def _fn_matches(env: Env, item: Any, ref: Any) -> bool:
    if ref is None or ref == "":
        return True
    if env.matcher is None:
        raise ExprError("matches() needs a reference matcher")
    return env.matcher(item, ref) > 0


def _fn_payment_method(env: Env, amount: Any) -> str | None:
    user = env.roots.get("user") or {}
    methods = user.get("payment_methods") or []
    if amount is None:
        return methods[0]["id"] if methods else None
    need = number(amount)
    return next((m["id"] for m in methods if number(m.get("limit_per_transaction", 0)) >= need), None)


def _fn_payment_label(env: Env, amount: Any) -> str | None:
    chosen = _fn_payment_method(env, amount)
    methods = (env.roots.get("user") or {}).get("payment_methods") or []
    return next((m.get("label") or m["id"] for m in methods if m["id"] == chosen), None)


def _fn_money(env: Env, value: Any) -> Decimal | None:
    if value is None:
        return None
    return number(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def _fn_hhmm(env: Env, value: Any) -> str | None:
    if not value:
        return None
    match = re.search(r"T?(\d{2}:\d{2})", str(value))
    return match.group(1) if match else str(value)


def _fn_day(env: Env, value: Any) -> str | None:
    if not value:
        return None
    return str(value)[:10]


def _fn_add_days(env: Env, value: Any, days: Any) -> str | None:
    if not value:
        return None
    try:
        return (date.fromisoformat(str(value)[:10]) + timedelta(days=int(number(days)))).isoformat()
    except ValueError as exc:
        raise ExprError(f"add_days: {exc}") from None


def _fn_seconds(env: Env, value: Any) -> Decimal | None:
    if not value:
        return None
    try:
        return Decimal(int(datetime.fromisoformat(str(value)).timestamp()))
    except ValueError as exc:
        raise ExprError(f"seconds: {exc}") from None


def _fn_days_between(env: Env, start: Any, end: Any) -> int | None:
    if not start or not end:
        return None
    try:
        return (date.fromisoformat(str(end)[:10]) - date.fromisoformat(str(start)[:10])).days
    except ValueError as exc:
        raise ExprError(f"days_between: {exc}") from None


def _fn_join(env: Env, values: Any, sep: str = ", ") -> str:
    return sep.join(text_of(v) for v in (values or []) if v not in (None, ""))


def _fn_int(env: Env, value: Any) -> int | None:
    return None if value is None else int(number(value))


def _fn_decimal(env: Env, value: Any) -> Decimal | None:
    return None if value is None else number(value)


def _fn_str(env: Env, value: Any) -> str:
    return text_of(value)


def _fn_lower(env: Env, value: Any) -> str | None:
    return None if value is None else str(value).lower()


def _fn_avoided(env: Env, value: Any, windows: Any) -> bool:
    """True when the time of day of ``value`` (an ISO date-time or HH:MM) falls in one of
    ``windows`` ({start, end} in HH:MM, wrapping midnight when start > end)."""
    hhmm = _fn_hhmm(env, value)
    if not hhmm:
        return False
    for window in windows or []:
        start, end = str(window.get("start")), str(window.get("end"))
        inside = start <= hhmm < end if start <= end else (hhmm >= start or hhmm < end)
        if inside:
            return True
    return False


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "len": _fn_len,                  # len(list) — 0 for None
    "min": _fn_min,                  # min(list) or min(a, b, …) — numbers numerically, None ignored
    "max": _fn_max,                  # max(list) or max(a, b, …)
    "sum": _fn_sum,                  # sum(list of numbers)
    "coalesce": _fn_coalesce,        # the first argument that is not None
    "pluck": _fn_pluck,              # pluck(list, "key") — that key of every item
    "flatten": _fn_flatten,          # flatten(list, "key") — every child of item[key], with "parent"
    "within": _fn_within,            # within(value, cap) — True when cap is None or value <= cap
    "matches": _fn_matches,          # matches(item, ref) — ref is an id of item or words describing it
    "payment_method": _fn_payment_method,  # the profile's first payment method whose limit covers amount
    "payment_label": _fn_payment_label,    # how that payment method reads ("Alipay (li***@example.cn)")
    "money": _fn_money,              # round to 0.01
    "hhmm": _fn_hhmm,                # "2026-12-18T07:55:00+08:00" -> "07:55"
    "day": _fn_day,                  # an ISO date-time -> its date
    "add_days": _fn_add_days,        # add_days("2026-12-18", 2) -> "2026-12-20"
    "days_between": _fn_days_between,  # days_between("2026-12-18", "2026-12-20") -> 2
    "seconds": _fn_seconds,          # an ISO date-time as seconds since 1970 (to sort latest first: -seconds(x))
    "join": _fn_join,                # join(list, sep=", ")
    "int": _fn_int,
    "decimal": _fn_decimal,
    "str": _fn_str,
    "lower": _fn_lower,
    "avoided": _fn_avoided,          # avoided(item.departure, memory.avoid_departures) — in a window the person avoids
}


# -- compiling -------------------------------------------------------------------------------

_BINOPS: dict[type, str] = {ast.Add: "+", ast.Sub: "-", ast.Mult: "*", ast.Div: "/", ast.Mod: "%"}
_CMPOPS = (ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot)


@dataclass(frozen=True)
class Expr:
    """A parsed expression: its source, its tree, and what it refers to (for load-time checks)."""

    source: str
    tree: ast.expr
    roots: frozenset[str] = field(default_factory=frozenset)
    refs: frozenset[tuple[str, str]] = field(default_factory=frozenset)

    def __call__(self, env: Env) -> Any:
        return _Interpreter(env).run(self.tree, {})


def compile_expr(source: str) -> Expr:
    """Parse ``source`` and check it uses only the supported syntax; raise ExprError if not."""
    text = source.strip()
    if not text:
        raise ExprError("empty expression")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as exc:
        reserved = sorted({m for m in re.findall(r"\.([A-Za-z_]+)\b", text) if keyword.iskeyword(m)})
        hint = f" (read a key named like a reserved word with brackets: x['{reserved[0]}'])" if reserved else ""
        raise ExprError(f"not a valid expression {text!r}: {exc.msg}{hint}") from None
    roots: set[str] = set()
    refs: set[tuple[str, str]] = set()
    _check(tree, frozenset(), roots, refs)
    return Expr(text, tree, frozenset(roots), frozenset(refs))


def _check(node: ast.AST, local: frozenset[str], roots: set[str], refs: set[tuple[str, str]]) -> None:
    """Reject every node type the interpreter does not support, and collect the names used."""
    def again(child: ast.AST, scope: frozenset[str] = local) -> None:
        _check(child, scope, roots, refs)

    if isinstance(node, ast.Constant):
        if not isinstance(node.value, (str, int, float, bool, type(None))):
            raise ExprError(f"unsupported literal {node.value!r}")
    elif isinstance(node, ast.Name):
        if node.id not in local:
            roots.add(node.id)
    elif isinstance(node, ast.Attribute):
        if isinstance(node.value, ast.Name) and node.value.id not in local:
            refs.add((node.value.id, node.attr))
        if node.attr.startswith("_"):
            raise ExprError(f"names starting with '_' are not readable: {node.attr}")
        again(node.value)
    elif isinstance(node, ast.Subscript):
        if isinstance(node.slice, ast.Slice):
            raise ExprError("slices are not supported")
        if (isinstance(node.value, ast.Name) and node.value.id not in local
                and isinstance(node.slice, ast.Constant) and isinstance(node.slice.value, str)):
            refs.add((node.value.id, node.slice.value))
        again(node.value)
        again(node.slice)
    elif isinstance(node, ast.BinOp):
        if type(node.op) not in _BINOPS:
            raise ExprError(f"operator {type(node.op).__name__} is not supported")
        again(node.left)
        again(node.right)
    elif isinstance(node, ast.UnaryOp):
        if not isinstance(node.op, (ast.USub, ast.UAdd, ast.Not)):
            raise ExprError(f"operator {type(node.op).__name__} is not supported")
        again(node.operand)
    elif isinstance(node, ast.BoolOp):
        for value in node.values:
            again(value)
    elif isinstance(node, ast.Compare):
        for op, right in zip(node.ops, node.comparators):
            if not isinstance(op, _CMPOPS):
                raise ExprError(f"comparison {type(op).__name__} is not supported")
            if isinstance(op, (ast.Is, ast.IsNot)) and not (isinstance(right, ast.Constant) and right.value is None):
                raise ExprError("'is' / 'is not' only compare with None")
        again(node.left)
        for right in node.comparators:
            again(right)
    elif isinstance(node, ast.IfExp):
        again(node.test)
        again(node.body)
        again(node.orelse)
    elif isinstance(node, ast.Call):
        if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS:
            name = node.func.id if isinstance(node.func, ast.Name) else ast.unparse(node.func)
            raise ExprError(f"unknown function {name!r}; functions: {', '.join(sorted(FUNCTIONS))}")
        if node.keywords or any(isinstance(a, ast.Starred) for a in node.args):
            raise ExprError(f"{node.func.id}() takes positional arguments only")
        for arg in node.args:
            again(arg)
    elif isinstance(node, (ast.List, ast.Tuple)):
        for element in node.elts:
            if isinstance(element, ast.Starred):
                raise ExprError("'*' unpacking is not supported")
            again(element)
    elif isinstance(node, ast.Dict):
        for key, value in zip(node.keys, node.values):
            if key is None:
                raise ExprError("'**' unpacking is not supported")
            again(key)
            again(value)
    elif isinstance(node, ast.ListComp):
        if len(node.generators) != 1 or not isinstance(node.generators[0].target, ast.Name):
            raise ExprError("list comprehensions take exactly one 'for NAME in …'")
        gen = node.generators[0]
        if gen.is_async:
            raise ExprError("async comprehensions are not supported")
        again(gen.iter)
        inner = local | {gen.target.id}
        for cond in gen.ifs:
            again(cond, inner)
        again(node.elt, inner)
    else:
        raise ExprError(f"{type(node).__name__} is not supported in playbook expressions")


class _Interpreter:
    """Evaluates a checked tree; every operation is defined here, none is delegated to Python."""

    def __init__(self, env: Env) -> None:
        self.env = env

    def run(self, node: ast.AST, local: Mapping[str, Any]) -> Any:  # noqa: C901 - one dispatch
        if isinstance(node, ast.Constant):
            return Decimal(str(node.value)) if isinstance(node.value, float) else node.value
        if isinstance(node, ast.Name):
            if node.id in local:
                return local[node.id]
            if node.id not in self.env.roots:
                raise ExprError(f"unknown name {node.id!r}")
            return self.env.roots[node.id]
        if isinstance(node, ast.Attribute):
            return _member(self.run(node.value, local), node.attr)
        if isinstance(node, ast.Subscript):
            return _member(self.run(node.value, local), self.run(node.slice, local))
        if isinstance(node, ast.BinOp):
            return _binop(node.op, self.run(node.left, local), self.run(node.right, local))
        if isinstance(node, ast.UnaryOp):
            value = self.run(node.operand, local)
            if isinstance(node.op, ast.Not):
                return not value
            return -number(value) if isinstance(node.op, ast.USub) else number(value)
        if isinstance(node, ast.BoolOp):
            result: Any = None
            for value_node in node.values:
                result = self.run(value_node, local)
                if isinstance(node.op, ast.And) and not result:
                    return result
                if isinstance(node.op, ast.Or) and result:
                    return result
            return result
        if isinstance(node, ast.Compare):
            left = self.run(node.left, local)
            for op, right_node in zip(node.ops, node.comparators):
                right = self.run(right_node, local)
                if not _compare(op, left, right):
                    return False
                left = right
            return True
        if isinstance(node, ast.IfExp):
            return self.run(node.body if self.run(node.test, local) else node.orelse, local)
        if isinstance(node, ast.Call):
            assert isinstance(node.func, ast.Name)
            args = [self.run(a, local) for a in node.args]
            try:
                return FUNCTIONS[node.func.id](self.env, *args)
            except TypeError as exc:
                raise ExprError(f"{node.func.id}(): {exc}") from None
        if isinstance(node, ast.List):
            return [self.run(e, local) for e in node.elts]
        if isinstance(node, ast.Tuple):
            return tuple(self.run(e, local) for e in node.elts)
        if isinstance(node, ast.Dict):
            return {self.run(k, local): self.run(v, local) for k, v in zip(node.keys, node.values)
                    if k is not None}
        if isinstance(node, ast.ListComp):
            gen = node.generators[0]
            assert isinstance(gen.target, ast.Name)
            source = self.run(gen.iter, local)
            out = []
            for element in source or []:
                scope = {**local, gen.target.id: element}
                if all(self.run(cond, scope) for cond in gen.ifs):
                    out.append(self.run(node.elt, scope))
            return out
        raise ExprError(f"{type(node).__name__} is not supported")


def _member(base: Any, key: Any) -> Any:
    if base is None:
        return None
    if isinstance(base, dict):
        return base.get(key if isinstance(key, str) else str(key))
    if isinstance(base, (list, tuple, str)) and not isinstance(key, bool) and is_number(key):
        index = int(number(key))
        return base[index] if -len(base) <= index < len(base) else None
    raise ExprError(f"cannot read {key!r} of {type(base).__name__} {str(base)[:40]!r}")


def _binop(op: ast.operator, left: Any, right: Any) -> Any:
    if isinstance(op, ast.Add):
        if isinstance(left, str) and isinstance(right, str) and not (is_number(left) and is_number(right)):
            return left + right
        if isinstance(left, list) and isinstance(right, list):
            return left + right
    if left is None or right is None:
        raise ExprError(f"cannot compute {text_of(left) or 'None'} {_BINOPS[type(op)]} {text_of(right) or 'None'}")
    a, b = number(left), number(right)
    try:
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
        if isinstance(op, ast.Div):
            return a / b
        return a % b
    except (ZeroDivisionError, InvalidOperation):
        raise ExprError(f"cannot compute {a} {_BINOPS[type(op)]} {b}") from None


def _compare(op: ast.cmpop, left: Any, right: Any) -> bool:
    if isinstance(op, ast.Is):
        return left is None
    if isinstance(op, ast.IsNot):
        return left is not None
    if isinstance(op, ast.Eq):
        return _equal(left, right)
    if isinstance(op, ast.NotEq):
        return not _equal(left, right)
    if isinstance(op, (ast.In, ast.NotIn)):
        if right is None:
            found = False
        elif isinstance(right, str):
            found = left is not None and str(left) in right
        elif isinstance(right, dict):
            found = left in right
        else:
            found = any(_equal(left, r) for r in right)
        return found if isinstance(op, ast.In) else not found
    if left is None or right is None:
        raise ExprError(f"cannot order {left!r} and {right!r}; check for None first (or use within())")
    a, b = (number(left), number(right)) if is_number(left) and is_number(right) else (left, right)
    try:
        if isinstance(op, ast.Lt):
            return a < b
        if isinstance(op, ast.LtE):
            return a <= b
        if isinstance(op, ast.Gt):
            return a > b
        return a >= b
    except TypeError:
        raise ExprError(f"cannot order {left!r} and {right!r}") from None


# -- templates -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Template:
    """A YAML string: literal text and ``${...}`` expressions. ``whole`` when it is exactly one."""

    parts: tuple[str | Expr, ...]

    @property
    def whole(self) -> Expr | None:
        exprs = [p for p in self.parts if isinstance(p, Expr)]
        if len(exprs) == 1 and all(p == "" for p in self.parts if isinstance(p, str)):
            return exprs[0]
        return None

    @property
    def exprs(self) -> list[Expr]:
        return [p for p in self.parts if isinstance(p, Expr)]

    def render(self, env: Env) -> Any:
        whole = self.whole
        if whole is not None:
            return whole(env)
        return "".join(p if isinstance(p, str) else text_of(p(env)) for p in self.parts)

    def text(self, env: Env) -> str:
        return text_of(self.render(env))


def compile_template(text: str) -> Template:
    """Split ``text`` into literal parts and ``${...}`` expressions (braces and quotes nest)."""
    parts: list[str | Expr] = []
    i = 0
    while True:
        start = text.find("${", i)
        if start < 0:
            parts.append(text[i:])
            break
        parts.append(text[i:start])
        end = _closing_brace(text, start + 2)
        parts.append(compile_expr(text[start + 2:end]))
        i = end + 1
    return Template(tuple(parts))


def _closing_brace(text: str, k: int) -> int:
    depth, quote = 0, None
    while k < len(text):
        c = text[k]
        if quote:
            if c == "\\":
                k += 2
                continue
            if c == quote:
                quote = None
        elif c in "'\"":
            quote = c
        elif c == "{":
            depth += 1
        elif c == "}":
            if depth == 0:
                return k
            depth -= 1
        k += 1
    raise ExprError(f"'${{' without a closing '}}' in {text!r}")


def is_expression(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def compile_value(value: Any) -> Any:
    """Compile every string with ``${...}`` inside a YAML value (dicts and lists recursively)."""
    if isinstance(value, str):
        return compile_template(value) if "${" in value else value
    if isinstance(value, dict):
        return {k: compile_value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [compile_value(v) for v in value]
    return value


def render_value(value: Any, env: Env) -> Any:
    if isinstance(value, Template):
        return value.render(env)
    if isinstance(value, dict):
        return {k: render_value(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [render_value(v, env) for v in value]
    return value


def value_exprs(value: Any) -> Iterable[Expr]:
    """Every expression inside a compiled value."""
    if isinstance(value, Template):
        yield from value.exprs
    elif isinstance(value, dict):
        for v in value.values():
            yield from value_exprs(v)
    elif isinstance(value, list):
        for v in value:
            yield from value_exprs(v)
