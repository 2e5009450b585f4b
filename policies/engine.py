"""The policy engine: the gate that decides allow / ask / deny for every proposed action.

One pass per action:

1. **observe** (:mod:`policies.observe`): money, provenance, personal data carried, what
   the session has read, risk lists and catalogue prices, spend so far;
2. **facts** (:mod:`policies.facts`): the observation under this policy's settings;
3. **built-in guards** — no such tool, unknown effect, personal data the tool does not
   declare or the policy does not release, withheld profile references, cooling-off.
   They come first and nothing relaxes them;
4. **caps** — per action and per window, from the audit log of what actually ran;
5. **rules** — in file order, each relaxed only by its own proven-narrower exceptions;
   no rule applied → the policy's default (ask or deny, never allow);
6. **combine**: deny beats ask beats allow. An ask that only rememberable rules raised
   becomes allow if the person said "always allow this" for exactly this action;
7. **explain**: the deciding rule, its condition and the values, as one sentence, plus
   structured signals for the approval screen.

The engine is the :class:`agents.gate.Gate` the runtime calls, and it also implements
the gate's optional hooks: which profile fields a tool may receive (the runtime resolves
only those ``$user.…`` references) and remembering an approval.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Literal
from zoneinfo import ZoneInfo

from agents.gate import GateRequest
from agents.models import Decision, GateVerdict
from policies.audit import AuditLog
from policies.conditions import Condition
from policies.detectors.fraud import ShopMarket
from policies.detectors.pii import PROFILE_FIELDS, describe_fields
from policies.explain import fill, plain_summary, render, sentence, signal_list
from policies.facts import MISSING, Facts
from policies.model import SEVERITY, CompiledCap, CompiledRule, Policy, Remembered
from policies.money import CurrencyMismatch, Money
from policies.observe import Observation, Observer
from policies.rules import get_rule
from policies.windows import describe_duration
from tools.loading import InputError
from tools.model import Effect, ToolMeta

ContributionKind = Literal["builtin", "cap", "rule", "exception", "default", "remembered"]
Spend = Callable[[CompiledCap, Facts, datetime], Decimal]


@dataclass
class Contribution:
    """One rule, cap or guard that applied, with the decision it asks for and why."""

    rule: str
    decision: Decision
    clause: str
    kind: ContributionKind
    rememberable: bool = True
    origin: str = ""
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def sentence(self) -> str:
        return sentence(self.decision, self.clause, self.rule)


@dataclass
class RuleTrace:
    """How one rule or cap fared (for ``errand policy explain``)."""

    rule: str
    kind: str
    applied: bool
    decision: Decision | None = None
    held: list[str] = field(default_factory=list)
    failed: str | None = None
    unknown: list[str] = field(default_factory=list)
    relaxed_by: str | None = None


@dataclass
class Evaluation:
    decision: Decision
    headline: Contribution
    contributions: list[Contribution]
    traces: list[RuleTrace]
    facts: Facts
    policy: Policy
    remember: dict[str, Any]

    @property
    def reasons(self) -> list[str]:
        same = [c.sentence for c in self.contributions if c.decision is self.decision and c is not self.headline]
        return [self.headline.sentence, *same]


# -- evaluating conditions ------------------------------------------------------------------

def check_conditions(conditions: list[Condition], python: list[str], facts: Facts, *, explain: bool = True
                     ) -> tuple[bool | None, list[str], str | None, list[str]]:
    """(outcome, clauses that held, first clause that failed, clauses that could not be checked).

    Clauses are words, and words cost: without ``explain`` a rule that does not apply returns
    as soon as one condition fails, without building any (a policy of 1,000 rules is mostly that).
    """
    results: list[tuple[Condition, Any, bool | None]] = []
    for condition in conditions:
        actual = facts.get(condition.fact)
        outcome = condition.test(actual)
        if outcome is False:
            if not explain:
                return False, [], None, []
            return (False, [c.clause(a) for c, a, o in results if o], f"not: {condition.clause(actual)}",
                    [c.clause(a) for c, a, o in results if o is None])
        results.append((condition, actual, outcome))
    held = [c.clause(a) for c, a, o in results if o]
    unknown = [c.clause(a) for c, a, o in results if o is None]
    for name in python:
        rule = get_rule(name)
        try:
            result = rule(facts) if rule is not None else None
        except Exception as exc:  # noqa: BLE001 - a failing Python rule is 'unknown', never a crash
            unknown.append(f"Python rule {name} failed ({type(exc).__name__}: {exc})")
            continue
        if rule is None:
            unknown.append(f"Python rule {name} is not registered")
        elif not result:
            return False, held, f"not: Python rule {name}", unknown
        else:
            held.append(result if isinstance(result, str) else f"Python rule {name} applies")
    return (None if unknown else True), held, None, unknown


def applies(outcome: bool | None, decision: Decision) -> bool:
    """Doubt never loosens: an unknown condition applies to ask/deny and not to allow."""
    return outcome is True or (outcome is None and decision is not Decision.ALLOW)


def _clause(rule_because: str | None, held: list[str], unknown: list[str], facts: Facts,
            extra: dict[str, Any] | None = None) -> str:
    if rule_because:
        text = fill(rule_because, facts, extra)
    else:
        text = " and ".join(held) or "it applies to every action"
    if unknown:
        text += " (could not check: " + "; ".join(unknown) + ")"
    return text


# -- the evaluation --------------------------------------------------------------------------

def evaluate(policy: Policy, facts: Facts, spend: Spend | None = None, *, explain: bool = False) -> Evaluation:
    """Decide one action under ``policy``. Pure apart from ``spend`` (the audit log's totals).
    ``explain`` also records why each rule that did not apply failed (for ``policy explain``)."""
    contributions: list[Contribution] = []
    traces: list[RuleTrace] = []
    contributions.extend(_guards(policy, facts))
    for cap in policy.caps:
        found = apply_cap(cap, facts, spend, traces, explain)
        if found is not None:
            contributions.append(found)
    rule_applied = False
    for rule in policy.candidates(facts.observation.tool):
        found = apply_rule(rule, facts, traces, explain)
        if found is not None:
            contributions.append(found)
            rule_applied = True
    if not rule_applied:
        default = Decision(policy.settings.default)
        contributions.append(Contribution("default", default, "no rule of this policy covers this action",
                                          "default", rememberable=True))
    decision = max((c.decision for c in contributions), key=SEVERITY.__getitem__)
    deciding = [c for c in contributions if c.decision is decision]
    headline = deciding[0]
    remember = _remember_offer(policy, facts, decision, deciding)
    if decision is Decision.ASK and remember.get("offered"):
        hit = _remembered_match(policy, facts)
        if hit is not None:
            granted = Contribution(hit.id, Decision.ALLOW, (
                f"you said to always allow this on {hit.created:%Y-%m-%d} (until {hit.expires:%Y-%m-%d}); "
                f"it would otherwise ask because {headline.clause}"), "remembered")
            contributions.append(granted)
            decision, headline = Decision.ALLOW, granted
            remember = {"offered": False, "why": "already remembered", "applied": hit.id}
    return Evaluation(decision, headline, contributions, traces, facts, policy, remember)


def _guards(policy: Policy, facts: Facts) -> list[Contribution]:
    """The built-in checks no rule can relax."""
    obs, settings = facts.observation, policy.settings
    out: list[Contribution] = []
    if not obs.exists:
        out.append(Contribution("no-such-tool", Decision.DENY, f"there is no tool named {obs.tool!r}", "builtin",
                                rememberable=False))
        return out
    if obs.effect is None:
        strict = settings.strict or settings.unknown_tools == "deny"
        out.append(Contribution("unknown-effect", Decision.DENY if strict else Decision.ASK,
                                f"{obs.tool} does not declare what it does, so it may change something",
                                "builtin", rememberable=False))
    undeclared = sorted(f for f in obs.carried if f not in obs.declared)
    if undeclared:
        paths = ", ".join(p for f in undeclared for p in obs.carried[f])
        out.append(Contribution("data-undeclared", Decision.DENY, (
            f"this would give {describe_fields(undeclared)} ({paths}) to {obs.tool}, which does not say it needs "
            f"{'them' if len(undeclared) > 1 else 'it'}"), "builtin", rememberable=False,
            detail={"fields": undeclared}))
    declared = [f for f in obs.carried if f in obs.declared]
    allowed = policy.releasable(obs.tool, obs.domain, declared)
    refused = sorted(f for f in declared if f not in allowed)
    if refused:
        out.append(Contribution("data-not-allowed", Decision.DENY, (
            f"your policy does not let {describe_fields(refused)} go to {obs.tool} "
            f"({obs.domain or 'no'} service)"), "builtin", rememberable=False, detail={"fields": refused}))
    if obs.unresolved:
        fields = sorted(set(obs.unresolved.values()))
        unknown = [f for f in fields if f not in PROFILE_FIELDS]
        text = (f"it refers to profile data errand does not hold ({', '.join('$user.' + f for f in unknown)})"
                if unknown else
                f"it asks for {describe_fields(fields)}, which your policy does not release to {obs.tool}")
        out.append(Contribution("data-withheld", Decision.DENY, text, "builtin", rememberable=False,
                                detail={"fields": fields}))
    if obs.effect == Effect.IRREVERSIBLE.value and settings.cooling_off > timedelta(0):
        first = obs.first_proposed or obs.at
        ready = first + settings.cooling_off
        if obs.at < ready:
            local = ready.astimezone(ZoneInfo(settings.timezone))
            out.append(Contribution("cooling-off", Decision.DENY, (
                f"this cannot be undone, so errand waits {describe_duration(settings.cooling_off)} after first proposing it; "
                f"propose it again after {local:%H:%M on %Y-%m-%d}"), "builtin", rememberable=False,
                detail={"not_before": ready.isoformat()}))
    return out


def apply_cap(cap: CompiledCap, facts: Facts, spend: Spend | None, traces: list[RuleTrace],
              explain: bool = True) -> Contribution | None:
    """A cap's contribution: its decision when the payment breaks it, ``near_decision`` when it nears it."""
    amount = facts.get("amount")
    if amount is MISSING:
        return None
    outcome, held, failed, unknown = check_conditions(cap.conditions, cap.python, facts, explain=explain)
    trace = RuleTrace(cap.id, "cap", False, held=held, failed=failed, unknown=unknown)
    traces.append(trace)
    if not applies(outcome, cap.decision):
        return None
    limit = cap.limit
    if limit is None:
        limit = facts.observation.payment_method_limit
        if limit is None:
            if facts.observation.payment_method is None:
                trace.failed = "not: no payment method given"
                return None
            trace.applied, trace.decision = True, Decision.ASK
            return Contribution(cap.id, Decision.ASK, (
                f"{facts.observation.payment_method!r} is not one of your payment methods, so "
                f"{cap.label} cannot be checked"), "cap", rememberable=False)
    try:
        total = amount if cap.window is None else None
        spent = Decimal(0)
        if cap.window is not None:
            since = cap.window.start(facts.now, ZoneInfo(facts.timezone))
            spent = spend(cap, facts, since) if spend is not None else Decimal(0)
            total = Money(spent, amount.currency) + amount
        assert total is not None
        over = total > limit
        near = cap.near is not None and total >= limit.scaled(cap.near)
    except CurrencyMismatch:
        trace.applied, trace.decision = True, Decision.ASK
        return Contribution(cap.id, Decision.ASK, (
            f"this payment is in {amount.currency} and {cap.label} is in {limit.currency}, so it cannot be checked"),
            "cap", rememberable=False)
    if not (over or near):
        trace.failed = f"not: {total} is within {cap.label} of {limit}"
        return None
    decision = cap.decision if over else cap.near_decision
    extra = {"limit": limit, "total": total, "spent": Money(spent, amount.currency), "label": cap.label,
             "window": cap.window.phrase() if cap.window else "this payment",
             "share": f"{(total.amount / limit.amount * 100):.0f}%" if limit.amount else "—"}
    if cap.because:
        clause = fill(cap.because, facts, extra)
    elif cap.window is None:
        clause = (f"this payment of {amount} is above {cap.label} of {limit}" if over else
                  f"this payment of {amount} is {extra['share']} of {cap.label} of {limit}")
    else:
        scope = "spending" if cap.per == "user" else f"spending with {facts.observation.payment_method}"
        clause = (f"this payment of {amount} would bring your {scope} {extra['window']} to {total}, "
                  f"{'above' if over else extra['share'] + ' of'} {cap.label} of {limit}")
    if unknown:
        clause += " (could not check: " + "; ".join(unknown) + ")"
    trace.applied, trace.decision = True, decision
    return Contribution(cap.id, decision, clause, "cap", rememberable=cap.window is None,
                        origin=cap.origin, detail={k: render(v) for k, v in extra.items()})


def _named_signals(rule: CompiledRule, facts: Facts) -> dict[str, Any]:
    """``{signal_details}`` in a rule's clause: only the signals its own conditions name."""
    named: set[str] = set()
    for c in rule.conditions:
        if c.fact == "signals":
            named |= set(c.value) if isinstance(c.value, frozenset) else {c.value}
    if not named:
        return {}
    return {"signal_details": "; ".join(d for s, d in facts.signal_details.items() if s in named) or "none"}


def apply_rule(rule: CompiledRule, facts: Facts, traces: list[RuleTrace], explain: bool = True) -> Contribution | None:
    """A rule's contribution if it applies: its own decision, or that of the first exception that holds."""
    if not explain:  # the fast path for the many rules that do not apply: no words, no trace
        get = facts.get
        for condition in rule.conditions:
            if condition.test(get(condition.fact)) is False:
                return None
    outcome, held, failed, unknown = check_conditions(rule.conditions, rule.python, facts, explain=explain)
    trace = RuleTrace(rule.id, "rule", False, held=held, failed=failed, unknown=unknown)
    traces.append(trace)
    if not applies(outcome, rule.decision):
        return None
    trace.applied, trace.decision = True, rule.decision
    for exc in rule.exceptions:
        e_outcome, e_held, _, e_unknown = check_conditions(exc.conditions, exc.python, facts)
        if e_outcome is True:  # a relaxation needs certainty
            trace.relaxed_by, trace.decision = exc.id, exc.decision
            return Contribution(exc.id, exc.decision, _clause(exc.because, e_held, e_unknown, facts,
                                                              _named_signals(exc, facts)), "exception",
                                rememberable=rule.rememberable, origin=exc.origin, detail={"relaxes": rule.id})
    return Contribution(rule.id, rule.decision, _clause(rule.because, held, unknown, facts, _named_signals(rule, facts)),
                        "rule",
                        rememberable=rule.rememberable, origin=rule.origin)


# -- remembered approvals ---------------------------------------------------------------------

def _remember_offer(policy: Policy, facts: Facts, decision: Decision, deciding: list[Contribution]) -> dict[str, Any]:
    """Whether "always allow this" may be offered (and later applied) for this action, and why not."""
    obs, cfg = facts.observation, policy.settings.remember
    why = None
    if decision is not Decision.ASK:
        why = f"the decision is {decision.value}, not ask"
    elif not cfg.enabled:
        why = "this policy does not remember approvals"
    elif obs.effect is None or Effect(obs.effect) > Effect(cfg.max_effect):
        why = f"{obs.effect or 'unknown'} actions are always asked under this policy"
    elif facts.get("untrusted_args"):
        why = "some arguments came from tool output: " + render(facts.get("untrusted_args"))
    elif facts.get("session.injection"):
        why = "text this errand read looks like planted instructions"
    elif not obs.user_id:
        why = "the user has no id"
    elif any(not c.rememberable for c in deciding):
        why = "asked by " + ", ".join(c.rule for c in deciding if not c.rememberable) + ", which is always asked"
    if why:
        return {"offered": False, "why": why}
    until = obs.at + timedelta(days=cfg.days)
    preview: dict[str, Any] = {"tool": obs.tool, "user": obs.user_id,
                               "args": {k: v for k, v in obs.args.items() if k != obs.money_arg},
                               "expires": until.isoformat()}
    if obs.amount is not None:
        preview["amount_up_to"] = obs.amount.canonical()
    return {"offered": True, "rule": preview, "days": cfg.days, "max_days": cfg.max_days}


def _remembered_match(policy: Policy, facts: Facts) -> Remembered | None:
    obs = facts.observation
    for entry in policy.remembered:
        if entry.tool != obs.tool or entry.user != obs.user_id or not (entry.created <= obs.at < entry.expires):
            continue
        rest = {k: v for k, v in obs.args.items() if k != entry.amount_arg}
        if _canonical(rest) != _canonical(entry.args):
            continue
        if entry.amount_up_to is not None:
            try:
                if obs.amount is None or obs.amount > entry.amount_up_to:
                    continue
            except CurrencyMismatch:
                continue
        elif obs.amount is not None:
            continue
        return entry
    return None


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


# -- the gate ----------------------------------------------------------------------------------

class PolicyEngine:
    """The policy gate. ``policy`` is a :class:`Policy`, a shipped name (``default``, ``strict``,
    ``autonomous``) or a YAML path; ``None`` means ``default``.

    Users marked ``vulnerable`` get the policy named by ``settings.vulnerable_profile``
    (``strict`` unless the policy says otherwise), whatever policy was given. A user's own
    file ``ERRAND_HOME/policies/<user id>.yaml`` (remembered approvals, extra rules and caps)
    is added on top; it can only tighten, except for its narrow remembered approvals.
    """

    def __init__(self, policy: Policy | str | Path | None = None, *, vulnerable: Policy | str | Path | None = None,
                 audit: AuditLog | None = None, market: ShopMarket | None = None,
                 clock: Callable[[], datetime] | None = None, user_policies: bool = True) -> None:
        from policies.loader import load_policy

        self.policy = policy if isinstance(policy, Policy) else load_policy(policy or "default")
        self._vulnerable = (vulnerable if isinstance(vulnerable, Policy) or vulnerable is None
                            else load_policy(vulnerable))
        self.audit = audit or AuditLog()
        self.observer = Observer(audit=self.audit, market=market if market is not None else ShopMarket(),
                                 clock=clock)
        self.user_policies = user_policies
        self._lock = threading.Lock()
        self._overlays: dict[str, tuple[tuple[float, int], Policy | InputError]] = {}

    # -- which policy applies ------------------------------------------------------------

    def base_for(self, user: dict[str, Any]) -> Policy:
        """The policy for this person before their own file: strict for vulnerable users."""
        if not user.get("vulnerable"):
            return self.policy
        if self._vulnerable is None:
            from policies.loader import load_policy

            target = self.policy.settings.vulnerable_profile
            self._vulnerable = self.policy if target is None else load_policy(target)
        return self._vulnerable

    def profile_for(self, user: dict[str, Any]) -> Policy:
        """The base policy plus the user's own file (raises InputError if that file is broken)."""
        base = self.base_for(user)
        overlay = self._overlay(user.get("id")) if self.user_policies else None
        return base.with_overlay(overlay) if overlay is not None else base

    def _overlay(self, user_id: str | None) -> Policy | None:
        from policies.approvals import user_policy_path
        from policies.loader import load_policy

        if not user_id:
            return None
        path = user_policy_path(user_id)
        try:
            stat = path.stat()
        except FileNotFoundError:
            return None
        key = (stat.st_mtime, stat.st_size)
        with self._lock:
            cached = self._overlays.get(str(path))
        if cached is None or cached[0] != key:
            try:
                loaded: Policy | InputError = load_policy(path, overlay=True)
            except InputError as exc:
                loaded = exc
            with self._lock:
                self._overlays[str(path)] = (key, loaded)
            cached = (key, loaded)
        if isinstance(cached[1], InputError):
            raise cached[1]
        return cached[1]

    # -- deciding ------------------------------------------------------------------------

    def evaluate_request(self, request: GateRequest) -> Evaluation:
        policy = self.profile_for(request.user or {})
        observation = self.observer.observe(request, policy)
        return self.evaluate(observation, policy, action_id=request.action_id)

    def evaluate(self, observation: Observation, policy: Policy, *, action_id: str | None = None,
                 in_flight: bool = True) -> Evaluation:
        """Evaluate a (possibly recorded) observation; spend comes from the audit log up to its time."""
        facts = Facts(observation, policy)

        def spend(cap: CompiledCap, f: Facts, since: datetime) -> Decimal:
            obs = f.observation
            return self.audit.spent(obs.user_id, obs.amount.currency if obs.amount else policy.settings.currency,
                                    since=since, until=obs.at + timedelta(microseconds=1),
                                    payment_method=obs.payment_method, by_method=cap.per == "payment_method",
                                    run_id=obs.run_id if in_flight and obs.run_id else None,
                                    exclude_action=action_id)

        return evaluate(policy, facts, spend)

    def decide(self, request: GateRequest) -> GateVerdict:
        try:
            evaluation = self.evaluate_request(request)
        except InputError as exc:
            # fail closed: a broken user policy file stops everything until it is fixed
            clause = f"your policy file is invalid, so nothing runs until it is fixed: {exc}"
            return GateVerdict(decision=Decision.DENY, reasons=[sentence(Decision.DENY, clause, "policy-error")],
                               risk="high", summary=request.tool, signals={"rule": "policy-error"})
        return verdict_of(evaluation)

    # -- hooks the runtime calls -----------------------------------------------------------

    def releasable_fields(self, tool: str, meta: ToolMeta | None, user: dict[str, Any]) -> set[str]:
        """Profile fields the runtime may put into this tool's arguments."""
        if meta is None:
            return set()
        try:
            policy = self.profile_for(user)
        except InputError:
            return set()
        return policy.releasable(tool, meta.domain, meta.personal_data)

    def remember(self, *, tool: str, args: dict[str, Any], verdict: GateVerdict | dict[str, Any],
                 user: dict[str, Any], approved_by: str | None = None, days: int | None = None,
                 run_id: str = "", action_id: str = "") -> Remembered | None:
        """Turn an approval the person asked to remember into a narrow rule in their policy file.

        Only what was *offered* with the verdict can be remembered (never for arguments from
        tool output, never above the policy's ``remember.max_effect``); the expiry is capped
        by ``remember.max_days``. Returns the stored rule, or None if it was not offered.
        """
        from policies.approvals import append_remembered, build_remembered

        data = verdict.model_dump(mode="json") if isinstance(verdict, GateVerdict) else verdict
        offer = (data.get("signals") or {}).get("remember") or {}
        observed = data.get("observed") or {}
        if not offer.get("offered") or observed.get("tool") != tool or observed.get("args") != _jsonable(args):
            return None
        policy = self.base_for(user)
        cfg = policy.settings.remember
        span = min(days or cfg.days, cfg.max_days)
        entry = build_remembered(Observation.model_validate(observed), days=span, approved_by=approved_by,
                                 run_id=run_id, action_id=action_id, now=self.observer.clock())
        append_remembered(entry)
        return entry


def _jsonable(value: Any) -> Any:
    return json.loads(_canonical(value))


def verdict_of(evaluation: Evaluation) -> GateVerdict:
    """The runtime's verdict: decision, reasons (one sentence each), risk, summary, structured signals."""
    facts, obs = evaluation.facts, evaluation.facts.observation
    decision = evaluation.decision
    effect = Effect(obs.effect) if obs.effect else None
    if decision is Decision.DENY:
        risk = "high"
    elif decision is Decision.ASK:
        risk = "high" if (effect is None or effect >= Effect.PAYMENT or facts.signal_details) else "medium"
    else:
        risk = "low" if effect is Effect.READ else "medium"
    if evaluation.policy.settings.plain_language:
        summary = plain_summary(facts, obs.payment_method_label)
    else:
        summary = obs.summary or f"{obs.tool}({', '.join(f'{k}={v!r}' for k, v in obs.args.items())[:120]})"
    signals: dict[str, Any] = {
        "rule": evaluation.headline.rule,
        "condition": evaluation.headline.clause,
        "decided_by": [c.rule for c in evaluation.contributions if c.decision is decision],
        "policy": evaluation.policy.name,
        "fraud": [s for s in signal_list(facts) if s["signal"].startswith("fraud.")],
        "injection": [f.model_dump(exclude_none=True) for f in facts.injection],
        "data_released": sorted(obs.carried),
        "untrusted_args": sorted(facts.get("untrusted_args")),
        "remember": evaluation.remember,
    }
    for c in evaluation.contributions:
        if c.kind == "cap":
            signals.setdefault("caps", {})[c.rule] = {"decision": c.decision.value, **c.detail}
        if c.rule == "cooling-off":
            signals["cooling_off"] = c.detail
    return GateVerdict(decision=decision, reasons=evaluation.reasons, risk=risk, summary=summary, signals=signals,
                       observed=obs.model_dump(mode="json"))
