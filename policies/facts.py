"""The facts rules are written against, and how they read in a sentence.

A rule's ``when`` is a mapping from fact names to predicates. Every fact has a *kind*
(which operators make sense for it) and a *label* (how it reads in an explanation). The
vocabulary is closed: a rule naming a fact that does not exist fails the load, so a typo
never silently turns a rule off. Three families are open-ended: ``args.<name>`` (the
action's typed arguments), ``provenance.<arg>`` (where an argument's value came from) and
``user.<field>`` (the person's profile).

:class:`Facts` computes every fact of one action from an :class:`~policies.observe.Observation`
and the policy's settings, once, before any rule is read.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from policies.detectors.injection import flagged
from policies.detectors.pii import describe_fields
from policies.money import Money
from tools.model import Effect

if TYPE_CHECKING:
    from policies.model import Policy
    from policies.observe import Observation


class Kind(str, Enum):
    STR = "text"
    EFFECT = "effect"
    MONEY = "money"
    NUMBER = "number"
    BOOL = "yes/no"
    SET = "set"
    ANY = "argument"


FACTS: dict[str, tuple[Kind, str]] = {
    "tool": (Kind.STR, "the tool"),
    "effect": (Kind.EFFECT, "the action's effect"),
    "domain": (Kind.STR, "the service"),
    "known": (Kind.BOOL, "errand knows what this tool does"),
    "amount": (Kind.MONEY, "this payment"),
    "currency": (Kind.STR, "the currency"),
    "payment_method": (Kind.STR, "the payment method"),
    "payees": (Kind.SET, "the payee"),
    "quantity": (Kind.NUMBER, "the quantity"),
    "untrusted_args": (Kind.SET, "the arguments taken from tool output"),
    "untrusted_text_args": (Kind.SET, "the arguments taken from free text in tool output"),
    "untrusted_sensitive_args": (Kind.SET, "the sensitive arguments taken from tool output"),
    "untrusted_text_sensitive_args": (Kind.SET, "the sensitive arguments taken from free text in tool output"),
    "model_args": (Kind.SET, "the arguments the model chose itself"),
    "data.released": (Kind.SET, "the personal data it shares"),
    "signals": (Kind.SET, "the warning signs"),
    "session.read_untrusted": (Kind.BOOL, "this errand has read text written by outside parties"),
    "session.personal_data": (Kind.BOOL, "this errand is handling your personal data"),
    "session.injection": (Kind.BOOL, "text this errand read looks like instructions planted for the agent"),
    "time.hour": (Kind.NUMBER, "the hour"),
    "time.weekday": (Kind.STR, "the day"),
}
PREFIXES: dict[str, tuple[Kind, str]] = {
    "args.": (Kind.ANY, "the argument {name}"),
    "provenance.": (Kind.STR, "the source of {name}"),
    "user.": (Kind.ANY, "your profile's {name}"),
}

SIGNALS: dict[str, str] = {
    "fraud.risk_list": "the payee is on a fraud risk list",
    "fraud.first_purchase": "it is the first payment to this payee",
    "fraud.price_above_typical": "the price is far above the catalogue's typical price",
    "fraud.price_below_typical": "the price is far below the catalogue's typical price (a common lure)",
    "fraud.unusual_quantity": "the quantity is unusually large",
    "fraud.unverified": "the payee could not be checked against the risk list",
    "injection": "text this errand read looks like instructions planted for the agent",
    "injection.args": "an argument comes from text that looks like planted instructions",
}
"""Every named signal, with its plain meaning (rules may only name these)."""

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def fact_spec(name: str) -> tuple[Kind, str] | None:
    """(kind, label) of a fact name, or None if there is no such fact."""
    if name in FACTS:
        return FACTS[name]
    for prefix, (kind, label) in PREFIXES.items():
        if name.startswith(prefix) and len(name) > len(prefix):
            return kind, label.format(name=name[len(prefix):])
    return None


def known_fact_names() -> list[str]:
    return [*FACTS, *(p + "<name>" for p in PREFIXES)]


class _Missing:
    """A fact that does not apply to this action (no amount on a search, no such argument)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


def _path_get(value: Any, path: str) -> Any:
    for part in path.split("."):
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def _top(path: str) -> str:
    return path.split(".")[0].split("[")[0]


class Facts:
    """Every fact about one action under one policy, plus the plain details behind each signal."""

    def __init__(self, observation: "Observation", policy: "Policy") -> None:
        obs, settings = observation, policy.settings
        self.observation = obs
        self.values: dict[str, Any] = {
            "tool": obs.tool,
            "effect": Effect(obs.effect) if obs.effect else MISSING,
            "domain": obs.domain if obs.domain is not None else MISSING,
            "known": obs.effect is not None,
            "amount": obs.amount if obs.amount is not None else MISSING,
            "currency": obs.amount.currency if obs.amount is not None else MISSING,
            "payment_method": obs.payment_method if obs.payment_method is not None else MISSING,
            "payees": frozenset(obs.fraud.payees),
            "quantity": Decimal(obs.quantity) if obs.quantity is not None else MISSING,
        }
        sources = {p: s for p, s in obs.provenance.items()}
        untrusted = {_top(p) for p, s in sources.items() if s.startswith("tool:")}
        text = {_top(p) for p, s in sources.items() if s.startswith("tool:") and s.endswith(":text")}
        sensitive = set(settings.sensitive_args) | set(settings.payee_args)
        if obs.money_arg:
            sensitive.add(obs.money_arg)
        self.values.update({
            "untrusted_args": frozenset(untrusted),
            "untrusted_text_args": frozenset(text),
            "untrusted_sensitive_args": frozenset(untrusted & sensitive),
            "untrusted_text_sensitive_args": frozenset(text & sensitive),
            "model_args": frozenset(_top(p) for p, s in sources.items() if s == "model"),
            "data.released": frozenset(obs.carried),
        })
        self.timezone = settings.timezone
        local = obs.at.astimezone(ZoneInfo(settings.timezone))
        self.values["time.hour"] = Decimal(local.hour)
        self.values["time.weekday"] = WEEKDAYS[local.weekday()]
        self.injection = flagged(obs.injection, settings.known_domains)
        self.signal_details = self._signals(obs, policy)
        self.values["signals"] = frozenset(self.signal_details)
        self.values["session.read_untrusted"] = obs.session.read_untrusted
        self.values["session.personal_data"] = obs.session.personal_data or bool(obs.carried)
        self.values["session.injection"] = "injection" in self.signal_details
        self.user = obs.user
        self.args = obs.args
        self.provenance = sources
        self.now: datetime = obs.at

    def get(self, name: str) -> Any:
        """A fact's value, or :data:`MISSING` if it does not apply to this action."""
        try:
            return self.values[name]
        except KeyError:
            pass
        if name.startswith("args."):
            value = _path_get(self.args, name[5:])
        elif name.startswith("provenance."):
            value = self.provenance.get(name[11:], MISSING)
        elif name.startswith("user."):
            value = _path_get(self.user, name[5:])
        else:
            value = MISSING
        self.values[name] = value  # computed once per action, however many rules ask
        return value

    def _signals(self, obs: "Observation", policy: "Policy") -> dict[str, str]:
        """Named signals with the concrete detail behind each (for the approval and the sentence)."""
        fraud, cfg = obs.fraud, policy.settings.fraud
        out: dict[str, str] = {}
        if fraud.risk_listed:
            out["fraud.risk_list"] = "; ".join(f"{p} is on a fraud risk list ({why})"
                                               for p, why in fraud.risk_listed.items())
        if fraud.unavailable and fraud.payees:
            out["fraud.unverified"] = ("errand could not check " + ", ".join(fraud.payees) + " against the risk list ("
                                       + "; ".join(fraud.unavailable) + ")")
        paying = obs.effect in (Effect.PAYMENT.value, Effect.IRREVERSIBLE.value)
        firsts = [p for p in fraud.payees if fraud.purchases_before.get(p, 0) == 0]
        if paying and firsts and fraud.purchases_before:
            out["fraud.first_purchase"] = "this is the first payment to " + ", ".join(firsts)
        above, below = [], []
        single = len(fraud.lines) == 1
        for line in fraud.lines:
            if line.typical_price is None or line.typical_price <= 0:
                continue
            typical = Money(line.typical_price, policy.settings.currency)
            # the merchant's own price, and what the person would authorise per unit (one-line purchases)
            authorised = (obs.amount.amount / line.quantity if single and obs.amount is not None and line.quantity
                          else None)
            what = f"{line.product_id} from {line.merchant_id}"
            prices = [("costs", line.unit_price), ("would be paid up to", authorised)]
            high = [(verb, p) for verb, p in prices if p is not None and p / line.typical_price > cfg.price_above_typical]
            if high:
                verb, price = max(high, key=lambda vp: vp[1])
                above.append(f"{what} {verb} {Money(price, typical.currency)} per unit, typically {typical}")
            elif line.unit_price is not None and line.unit_price / line.typical_price < cfg.price_below_typical:
                below.append(f"{what} costs {Money(line.unit_price, typical.currency)}, typically {typical}")
        if above:
            out["fraud.price_above_typical"] = "; ".join(above)
        if below:
            out["fraud.price_below_typical"] = "; ".join(below)
        quantities = [q for q in [obs.quantity, *(ln.quantity for ln in fraud.lines)] if q is not None]
        if quantities and max(quantities) > cfg.usual_quantity:
            out["fraud.unusual_quantity"] = f"the quantity {max(quantities)} is more than the usual {cfg.usual_quantity}"
        if self.injection:
            sources = sorted({f.source for f in self.injection})
            out["injection"] = f"“{self.injection[0].excerpt}” (in {', '.join(sources)})"
            if any(s.startswith("arg:") for s in sources):
                out["injection.args"] = "arguments " + ", ".join(s[4:] for s in sources if s.startswith("arg:"))
        return out

    def released_words(self) -> str:
        return describe_fields(sorted(self.observation.carried))
