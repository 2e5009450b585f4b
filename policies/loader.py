"""Loading policy files: validated, compiled and self-tested, or not loaded at all (fail closed).

Any problem anywhere — a malformed YAML line, an unknown key, a misspelt fact, an operator
that does not fit, a bad regex, an unregistered Python rule, an exception that is not
provably narrower than its rule, a duplicate rule id, a missing risk list, a rule example
that does not come out as it says — makes the whole load fail with an
:class:`~tools.loading.InputError` listing *every* problem as ``file:line: where: what``.
Nothing is skipped, so one bad rule can never silently switch off the rules around it.

Sources: a shipped policy name (``default``, ``strict``, ``autonomous``) or a path.
``extends`` layers a file on a parent: settings keys and data-release fields it sets
replace the parent's, its rules and caps are added after the parent's (ids must stay
unique), so a child can tighten but can only relax through its own rules' exceptions.
"""

from __future__ import annotations

import importlib
import os
import threading
from pathlib import Path
from typing import Any, Callable

import yaml
from pydantic import BaseModel, ValidationError

from agents.models import Decision
from policies.conditions import Condition, ConditionError, compile_when, conjunction_implies, implies
from policies.explain import template_problems
from policies.model import SEVERITY, Cap, CompiledCap, CompiledRule, Example, Policy, PolicyFile, Rule, Settings
from policies.rules import get_rule
from tools.loading import InputError, line_of, read_yaml, validation_problems

SHIPPED_DIR = Path(__file__).resolve().parent
SHIPPED = ("default", "strict", "autonomous")
OVERLAY_KEYS = ("policy", "description", "imports", "rules", "caps", "remembered")

Problems = list[tuple[int | None, str]]


def resolve_source(source: str | Path, relative_to: Path | None = None) -> Path:
    """A shipped name, or a path (relative paths against ``relative_to`` when given)."""
    if isinstance(source, str) and source in SHIPPED:
        return SHIPPED_DIR / f"{source}.yaml"
    path = Path(source).expanduser()
    if not path.is_absolute() and relative_to is not None:
        path = relative_to / path
    return path


def _line(node: yaml.Node | None, path: tuple[Any, ...]) -> int | None:
    """The line of the deepest YAML node along ``path`` (1-based)."""
    return line_of(node, path)


def _read(path: Path) -> tuple[Any, yaml.Node | None]:
    data, node = read_yaml(path)
    if not isinstance(data, dict):
        raise InputError(str(path), [(1, "a policy file is a mapping with at least a 'policy' name")])
    return data, node


def load_policy_file(path: str | Path) -> PolicyFile:
    """Parse and validate one file's structure (no compilation, no extends)."""
    path = Path(path)
    data, node = _read(path)
    try:
        return PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(str(path), validation_problems(exc, node)) from None


_CACHE: dict[tuple[str, bool], tuple[tuple[tuple[str, int, int], ...], Policy]] = {}
_CACHE_LOCK = threading.Lock()


def _stamp(file: str) -> tuple[str, int, int]:
    try:
        stat = os.stat(file)
    except OSError:
        return file, -1, -1
    return file, stat.st_mtime_ns, stat.st_size


def load_policy(source: str | Path, *, overlay: bool = False) -> Policy:
    """Load, validate, compile and self-test a policy (see the module docstring).

    A policy whose files (itself and what it extends) are unchanged on disk is loaded once
    per process; compiled policies are never mutated, so sharing them is safe.
    """
    path = resolve_source(source)
    key = (str(path.resolve()) if path.exists() else str(path), overlay)
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and all(_stamp(stamp[0]) == stamp for stamp in hit[0]):
        return hit[1]
    policy = _load(path, (), overlay)
    with _CACHE_LOCK:
        _CACHE[key] = (tuple(_stamp(f) for f in policy.files), policy)
    return policy


def _load(path: Path, chain: tuple[Path, ...], overlay: bool) -> Policy:
    path = path.resolve() if path.exists() else path
    data, node = _read(path)
    problems: Problems = []

    def problem(where: tuple[Any, ...], message: str) -> None:
        dotted = ".".join(str(p) for p in where)
        problems.append((_line(node, where), f"{dotted}: {message}" if dotted else message))

    if overlay:
        for key in data:
            if key not in OVERLAY_KEYS:
                problem((key,), f"a user policy file may only hold {', '.join(OVERLAY_KEYS)}; "
                                "settings, data release and extends belong in the base policy")
    try:
        file = PolicyFile.model_validate(data)
    except ValidationError as exc:
        raise InputError(str(path), problems + validation_problems(exc, node)) from None
    for i, module in enumerate(file.imports):
        try:
            importlib.import_module(module)
        except Exception as exc:  # noqa: BLE001 - any import failure is a load failure
            problem(("imports", i), f"cannot import {module!r}: {type(exc).__name__}: {exc}")
    parent: Policy | None = None
    if file.extends:
        target = resolve_source(file.extends, path.parent)
        if target.resolve() in (*chain, path):
            problem(("extends",), f"extends forms a cycle: {' → '.join(str(p) for p in (*chain, path, target))}")
        else:
            parent = _load(target, (*chain, path), overlay=False)
    settings = _settings(file, data, parent, path, problem)
    data_release = {**(parent.data_release if parent else {}), **file.data_release}
    taken = {r.id for r in parent.rules} | {c.id for c in parent.caps} if parent else set()
    caps = [*(parent.caps if parent else [])]
    for i, cap in enumerate(file.caps):
        compiled = _compile_cap(cap, ("caps", i), problem, taken)
        if compiled is not None:
            caps.append(compiled)
    rules = [*(parent.rules if parent else [])]
    for i, rule in enumerate(file.rules):
        compiled_rule = _compile_rule(rule, ("rules", i), problem, taken, str(path), node)
        if compiled_rule is not None:
            rules.append(compiled_rule)
    for i, entry in enumerate(file.remembered):
        if entry.id in taken:
            problem(("remembered", i, "id"), f"duplicate id {entry.id!r}")
        taken.add(entry.id)
        if entry.expires <= entry.created:
            problem(("remembered", i, "expires"), "expires before it was created")
    policy = Policy(name=file.policy, settings=settings, data_release=data_release, rules=rules, caps=caps,
                    remembered=[*(parent.remembered if parent else []), *file.remembered],
                    files=[*(parent.files if parent else []), str(path)], description=file.description)
    if not problems:
        _check_examples(policy, file, problem)
    if problems:
        raise InputError(str(path), problems)
    return policy


def _settings(file: PolicyFile, data: dict[str, Any], parent: Policy | None, path: Path,
              problem: Callable[[tuple[Any, ...], str], None]) -> Settings:
    """This file's settings over the parent's (keys it sets win), with paths resolved and checked."""
    merged = _merge(parent.settings, file.settings) if parent else file.settings
    raw = data.get("settings") or {}
    fraud_raw = raw.get("fraud") or {} if isinstance(raw, dict) else {}
    if "risk_lists" in fraud_raw:
        from policies.detectors.fraud import SHOP_SERVICE, load_risk_file

        resolved = []
        for i, source in enumerate(file.settings.fraud.risk_lists):
            if source == SHOP_SERVICE:
                resolved.append(source)
                continue
            target = resolve_source(source, path.parent)
            try:
                load_risk_file(target)
            except InputError as exc:
                problem(("settings", "fraud", "risk_lists", i), f"risk list {source!r}: {exc}")
            resolved.append(str(target))
        merged = merged.model_copy(update={"fraud": merged.fraud.model_copy(update={"risk_lists": resolved})})
    target_name = file.settings.vulnerable_profile
    if isinstance(raw, dict) and raw.get("vulnerable_profile") and target_name:
        target = resolve_source(target_name, path.parent)
        if not target.exists():
            problem(("settings", "vulnerable_profile"), f"no policy {target_name!r} (looked for {target})")
        elif target_name not in SHIPPED:
            merged = merged.model_copy(update={"vulnerable_profile": str(target)})
    return merged


def _merge(parent: BaseModel, child: BaseModel) -> Any:
    """``parent`` with every field ``child`` set explicitly (nested models merged the same way)."""
    update: dict[str, Any] = {}
    for name in child.model_fields_set:
        value = getattr(child, name)
        current = getattr(parent, name)
        update[name] = _merge(current, value) if isinstance(value, BaseModel) and isinstance(current, BaseModel) \
            else value
    return parent.model_copy(update=update)


def _compile_conditions(when: dict[str, Any], where: tuple[Any, ...],
                        problem: Callable[[tuple[Any, ...], str], None]) -> tuple[list[Condition], list[str]] | None:
    """Compile each fact's predicate on its own, so every bad one is reported at its own line."""
    conditions: list[Condition] = []
    python: list[str] = []
    ok = True
    for fact, predicate in when.items():
        try:
            found, names = compile_when({fact: predicate})
        except ConditionError as exc:
            problem((*where, "when", fact), str(exc))
            ok = False
            continue
        for name in names:
            if get_rule(name) is None:
                problem((*where, "when", "python"), f"no Python rule registered as {name!r} "
                                                    "(list its module under 'imports')")
                ok = False
        conditions.extend(found)
        python.extend(names)
    return (conditions, python) if ok else None


def _exact_tools(conditions: list[Condition]) -> frozenset[str] | None:
    for c in conditions:
        if c.fact == "tool" and c.op == "eq":
            return frozenset([c.value])
        if c.fact == "tool" and c.op == "in":
            return frozenset(c.value)
    return None


def _compile_rule(rule: Rule, where: tuple[Any, ...], problem: Callable[[tuple[Any, ...], str], None],
                  taken: set[str], source: str, node: yaml.Node | None) -> CompiledRule | None:
    if rule.id in taken:
        problem((*where, "id"), f"duplicate id {rule.id!r}")
    taken.add(rule.id)
    compiled = _compile_conditions(rule.when, where, problem)
    if compiled is None:
        return None
    conditions, python = compiled
    decision = Decision(rule.decision)
    if decision is Decision.ALLOW and not rule.when:
        problem((*where, "when"), "an allow rule must say what it allows (an empty 'when' would allow everything)")
    if rule.because:
        for message in template_problems(rule.because, cap=False):
            problem((*where, "because"), message)
    out = CompiledRule(rule.id, decision, conditions, python, rule.because, rule.rememberable,
                       origin=f"{source}:{_line(node, where)}", tools=_exact_tools(conditions))
    for j, exc in enumerate(rule.exceptions):
        ewhere = (*where, "exceptions", j)
        if exc.id in taken:
            problem((*ewhere, "id"), f"duplicate id {exc.id!r}")
        taken.add(exc.id)
        e_decision = Decision(exc.decision)
        if SEVERITY[e_decision] >= SEVERITY[decision]:
            problem((*ewhere, "decision"), f"an exception relaxes its rule: {exc.decision} is not less strict than "
                                           f"{rule.decision} (write a separate rule to be stricter)")
        e_compiled = _compile_conditions(exc.when, ewhere, problem)
        if e_compiled is None:
            continue
        e_conditions, e_python = e_compiled
        narrower_problem = _narrower(e_conditions, e_python, conditions, python)
        if narrower_problem:
            problem((*ewhere, "when"), f"exception {exc.id!r} is not provably narrower than rule {rule.id!r}: "
                                       f"{narrower_problem}")
        if exc.because:
            for message in template_problems(exc.because, cap=False):
                problem((*ewhere, "because"), message)
        out.exceptions.append(CompiledRule(exc.id, e_decision, e_conditions, e_python, exc.because, rule.rememberable,
                                           origin=f"{source}:{_line(node, ewhere)}"))
    return out


def _narrower(narrow: list[Condition], narrow_py: list[str], broad: list[Condition], broad_py: list[str]) -> str | None:
    """Why ``narrow`` is not proven strictly narrower than ``broad`` (None if it is)."""
    for b in broad:
        if not any(implies(n, b) for n in narrow if n.fact == b.fact):
            return (f"it must restrict {b.fact} at least as tightly as the rule does "
                    f"({b.fact} {b.op} {_show(b.value)})")
    missing_py = [p for p in broad_py if p not in narrow_py]
    if missing_py:
        return f"it must also require the Python rule(s) {', '.join(missing_py)}"
    if conjunction_implies(broad, narrow) and set(narrow_py) <= set(broad_py):
        return "it covers exactly the same actions as the rule; add a condition that narrows it"
    return None


def _show(value: Any) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(map(str, value))) + "]"
    return getattr(value, "pattern", None) or str(getattr(value, "value", value))


def _compile_cap(cap: Cap, where: tuple[Any, ...], problem: Callable[[tuple[Any, ...], str], None],
                 taken: set[str]) -> CompiledCap | None:
    if cap.id in taken:
        problem((*where, "id"), f"duplicate id {cap.id!r}")
    taken.add(cap.id)
    compiled = _compile_conditions(cap.when, where, problem)
    if compiled is None:
        return None
    if cap.because:
        for message in template_problems(cap.because, cap=True):
            problem((*where, "because"), message)
    if cap.near is not None and cap.near_decision == "deny" and cap.decision == "ask":
        problem((*where, "near_decision"), "nearing a cap cannot be stricter than breaking it")
    return CompiledCap(cap.id, cap.label, compiled[0], compiled[1],
                       None if cap.limit == "payment_method" else cap.limit, cap.window, cap.per, cap.near,
                       Decision(cap.decision), Decision(cap.near_decision), cap.because)


# -- self-tests ----------------------------------------------------------------------------

def _check_examples(policy: Policy, file: PolicyFile, problem: Callable[[tuple[Any, ...], str], None]) -> None:
    """Every rule's and cap's ``matches`` must come out its way, every ``not_matches`` must not."""
    from policies.engine import apply_cap, apply_rule, check_conditions
    from policies.examples import example_facts

    rules = {r.id: r for r in policy.rules}
    caps = {c.id: c for c in policy.caps}

    def run(where: tuple[Any, ...], examples: list[Example], expect: bool, outcome: Callable[[Example], tuple[bool, str]]
            ) -> None:
        for k, example in enumerate(examples):
            try:
                got, why = outcome(example)
            except (ConditionError, ValueError) as exc:
                problem((*where, "matches" if expect else "not_matches", k), f"example is invalid: {exc}")
                continue
            if got != expect:
                verb = "apply" if expect else "not apply"
                problem((*where, "matches" if expect else "not_matches", k),
                        f"the example {example.tool} {example.args} should {verb} but did not: {why}")

    for i, raw in enumerate(file.rules):
        rule = rules.get(raw.id)
        if rule is None:
            continue

        def rule_outcome(example: Example, rule: CompiledRule = rule) -> tuple[bool, str]:
            facts = example_facts(example, policy)
            found = apply_rule(rule, facts, traces := [])
            if found is None:
                return False, traces[-1].failed or "a condition could not be checked"
            if found.rule != rule.id:
                return False, f"exception {found.rule} relaxed it"
            return True, found.clause

        run(("rules", i), raw.matches, True, rule_outcome)
        run(("rules", i), raw.not_matches, False, rule_outcome)
        for j, exc in enumerate(raw.exceptions):
            compiled = next((e for e in rule.exceptions if e.id == exc.id), None)
            if compiled is None:
                continue

            def exc_outcome(example: Example, rule: CompiledRule = rule, compiled: CompiledRule = compiled
                            ) -> tuple[bool, str]:
                facts = example_facts(example, policy)
                found = apply_rule(rule, facts, [])
                if found is None:
                    return False, "its rule does not apply"
                outcome, held, failed, _ = check_conditions(compiled.conditions, compiled.python, facts)
                return found.rule == compiled.id, failed or "; ".join(held)

            run(("rules", i, "exceptions", j), exc.matches, True, exc_outcome)
            run(("rules", i, "exceptions", j), exc.not_matches, False, exc_outcome)
    for i, raw_cap in enumerate(file.caps):
        cap = caps.get(raw_cap.id)
        if cap is None:
            continue

        def cap_outcome(example: Example, cap: CompiledCap = cap) -> tuple[bool, str]:
            from decimal import Decimal

            facts = example_facts(example, policy)
            spent = example.spent.amount if example.spent is not None else Decimal(0)
            traces: list[Any] = []
            found = apply_cap(cap, facts, lambda *_: spent, traces)
            if found is None:
                return False, (traces[-1].failed if traces else "it moves no money") or "within the limit"
            return True, found.clause

        run(("caps", i), raw_cap.matches, True, cap_outcome)
        run(("caps", i), raw_cap.not_matches, False, cap_outcome)
