"""The policy file format (pydantic) and the compiled policy the engine evaluates.

A policy file::

    policy: default                    # a name
    extends: null                      # optionally a shipped policy name or a path
    imports: []                        # modules that register Python rules
    settings: {...}                    # see Settings
    data_release:                      # which profile fields may go to which tools/domains
      national_id: {domains: [gov], tools: ["travel_book_*"]}
    caps:                              # money limits per action or per window
      - {id: shop-payment-cap, limit: 1000 CNY, when: {domain: shop}, decision: ask,
         label: your per-purchase limit}
    rules:                             # allow / ask / deny with conditions
      - id: reads
        decision: allow
        when: {effect: read}
        because: it only looks things up
        matches: [{tool: shop_search_products, args: {query: tea}}]
        exceptions: [...]              # narrower carve-outs, proven narrower at load
    remembered: []                     # "always allow this" approvals (user files)

**Precedence** (documented, simple): every rule and cap that applies contributes its
decision; deny beats ask beats allow. The only way to relax a rule is an ``exception``
inside it, which the loader proves narrower than the rule (it implies every condition of
the rule and is not equivalent to it). An exception relaxes only its own rule; every other
rule still applies. Built-in guards (no such tool, unknown effect, personal data not
declared or not allowed, unresolved profile references, cooling-off, policy errors) come
first and no rule can relax them. Nothing matched → ``settings.default`` (ask or deny; never
allow). The explanation's first sentence (the *headline*) is the first contribution with the
final decision — guards, then caps, then rules in file order — so put specific rules before
general ones.
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator

from agents.models import Decision
from policies.conditions import Condition
from policies.detectors.pii import PROFILE_FIELDS
from policies.money import Money, MoneyField
from policies.windows import Duration, Window, WindowField

RULE_ID = r"^[a-z0-9][a-z0-9._:-]*$"
DecisionName = Literal["allow", "ask", "deny"]
EffectName = Literal["read", "write", "payment", "irreversible"]
ProfileField = Literal["name", "national_id", "passport", "phone", "email", "address", "date_of_birth",
                       "payment_methods"]
SEVERITY = {Decision.ALLOW: 0, Decision.ASK: 1, Decision.DENY: 2}

DEFAULT_PAYEE_ARGS = ["merchant_id", "payee", "payee_id", "recipient", "merchant"]
_DEFAULT_SENSITIVE = ["merchant_id", "payee", "payee_id", "recipient", "merchant", "payment_method", "destination",
                      "account", "iban", "to", "shipping_address", "shipping_phone", "shipping_name"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RememberSettings(_Strict):
    """Whether "always allow this" is offered, for which actions, and for how long."""

    enabled: bool = True
    max_effect: EffectName = Field("payment", description="The most consequential effect it may cover")
    days: int = Field(30, ge=1, le=365, description="How long a remembered approval lasts by default")
    max_days: int = Field(90, ge=1, le=365)


class FraudSettings(_Strict):
    """Where fraud observations come from and the thresholds that make them signals."""

    risk_lists: list[str] = Field(default_factory=lambda: ["shop-service"],
                                  description="'shop-service' and/or paths of YAML/JSON risk list files")
    price_above_typical: Decimal = Field(Decimal("1.5"), gt=1,
                                         description="Signal when the unit price exceeds typical × this")
    price_below_typical: Decimal = Field(Decimal("0.7"), gt=0, lt=1,
                                         description="Signal when the unit price is under typical × this")
    usual_quantity: int = Field(5, ge=1, description="Signal when more units than this are bought")


class Settings(_Strict):
    strict: bool = Field(False, description="Strict mode: unknown tools and unknown effects are denied")
    unknown_tools: Literal["ask", "deny"] = "ask"
    default: Literal["ask", "deny"] = Field("ask", description="Decision when no rule applies; never allow")
    timezone: str = "Asia/Shanghai"
    currency: str = Field("CNY", pattern=r"^[A-Z]{3}$")
    plain_language: bool = Field(False, description="Summaries in plain words for the person")
    cooling_off: Duration = Field(default=timedelta(0), description="Hold before irreversible actions (e.g. '30m')")
    remember: RememberSettings = Field(default_factory=RememberSettings)
    vulnerable_profile: str | None = Field(
        "strict", description="Policy for users marked vulnerable (shipped name or path); null: this one")
    payee_args: list[str] = Field(default_factory=lambda: list(DEFAULT_PAYEE_ARGS))
    sensitive_args: list[str] = Field(default_factory=lambda: list(_DEFAULT_SENSITIVE))
    known_domains: list[str] = Field(default_factory=list,
                                     description="Links in tool output to other domains are suspicious")
    fraud: FraudSettings = Field(default_factory=FraudSettings)

    @field_validator("timezone")
    @classmethod
    def _zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name such as Asia/Shanghai)") from None
        return value


class DataRelease(_Strict):
    """Where one profile field may go: service domains and/or tool name globs."""

    domains: list[str] = Field(default_factory=list)
    tools: list[str] = Field(default_factory=list)

    def allows(self, tool: str, domain: str | None) -> bool:
        return (domain is not None and domain in self.domains) or any(fnmatch.fnmatchcase(tool, g) for g in self.tools)


class Example(_Strict):
    """An action a rule must (``matches``) or must not (``not_matches``) apply to, checked at load."""

    tool: str
    args: dict[str, Any] = Field(default_factory=dict)
    effect: EffectName | None = Field(None, description="Default: the installed tool's metadata")
    domain: str | None = None
    personal_data: list[ProfileField] | None = None
    amount: MoneyField | None = Field(None, description="The money it moves (default: from the tool's money arg)")
    provenance: dict[str, str] = Field(default_factory=dict)
    user: dict[str, Any] | None = Field(None, description="Profile overrides on top of the sample user")
    facts: dict[str, Any] = Field(default_factory=dict, description="Fact overrides, e.g. signals: [fraud.risk_list]")
    spent: MoneyField | None = Field(None, description="For caps: already spent in the window")


class ExceptionRule(_Strict):
    id: str = Field(pattern=RULE_ID)
    decision: DecisionName
    when: dict[str, Any]
    because: str | None = None
    description: str = ""
    matches: list[Example] = Field(default_factory=list)
    not_matches: list[Example] = Field(default_factory=list)


class Rule(_Strict):
    id: str = Field(pattern=RULE_ID)
    decision: DecisionName
    when: dict[str, Any] = Field(default_factory=dict)
    because: str | None = Field(None, description="The clause of the explanation; {placeholders} take facts")
    description: str = ""
    rememberable: bool = Field(True, description="May an 'always allow this' approval stand in for this ask?")
    exceptions: list[ExceptionRule] = Field(default_factory=list)
    matches: list[Example] = Field(default_factory=list)
    not_matches: list[Example] = Field(default_factory=list)


class Cap(_Strict):
    id: str = Field(pattern=RULE_ID)
    label: str = Field("the limit", description="How the limit reads: 'your per-purchase limit'")
    when: dict[str, Any] = Field(default_factory=dict)
    limit: MoneyField | Literal["payment_method"] = Field(
        description="An amount, or 'payment_method': the profile's per-transaction limit of the method used")
    window: WindowField | None = Field(None, description="None: per action; day/week/month/year or '7d'")
    per: Literal["user", "payment_method"] = "user"
    near: Decimal | None = Field(None, gt=0, lt=1, description="Share of the limit from which near_decision applies")
    decision: Literal["ask", "deny"] = "deny"
    near_decision: Literal["ask", "deny"] = "ask"
    because: str | None = None
    description: str = ""
    matches: list[Example] = Field(default_factory=list)
    not_matches: list[Example] = Field(default_factory=list)

    @field_validator("near", mode="before")
    @classmethod
    def _percent(cls, value: Any) -> Any:
        if isinstance(value, str) and value.strip().endswith("%"):
            return Decimal(value.strip()[:-1]) / 100
        return value


class Remembered(_Strict):
    """A person's "always allow this": one tool, exact arguments, an amount ceiling, one user, an expiry."""

    id: str = Field(pattern=RULE_ID)
    tool: str
    user: str
    args: dict[str, Any] = Field(description="Every argument but the amount, exactly as approved")
    amount_arg: str | None = None
    amount_up_to: MoneyField | None = None
    created: datetime
    expires: datetime
    approved_by: str | None = None
    source: dict[str, str] = Field(default_factory=dict)


class PolicyFile(_Strict):
    policy: str = Field(min_length=1)
    description: str = ""
    extends: str | None = None
    imports: list[str] = Field(default_factory=list)
    settings: Settings = Field(default_factory=Settings)
    data_release: dict[ProfileField, DataRelease] = Field(default_factory=dict)
    caps: list[Cap] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)
    remembered: list[Remembered] = Field(default_factory=list)


# -- compiled -------------------------------------------------------------------------------

@dataclass
class CompiledRule:
    """A rule (or an exception) ready to evaluate."""

    id: str
    decision: Decision
    conditions: list[Condition]
    python: list[str]
    because: str | None
    rememberable: bool = True
    exceptions: list["CompiledRule"] = field(default_factory=list)
    origin: str = ""
    tools: frozenset[str] | None = None  # the exact tool names it can apply to (index); None: any


@dataclass
class CompiledCap:
    id: str
    label: str
    conditions: list[Condition]
    python: list[str]
    limit: Money | None  # None: the payment method's own per-transaction limit
    window: Window | None
    per: str
    near: Decimal | None
    decision: Decision
    near_decision: Decision
    because: str | None
    origin: str = ""


@dataclass
class Policy:
    """A loaded, validated, compiled policy. Build with :func:`policies.loader.load_policy`."""

    name: str
    settings: Settings
    data_release: dict[str, DataRelease]
    rules: list[CompiledRule]
    caps: list[CompiledCap]
    remembered: list[Remembered] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    description: str = ""
    _by_tool: dict[str, list[int]] = field(default_factory=dict, repr=False)
    _generic: list[int] = field(default_factory=list, repr=False)

    def __post_init__(self) -> None:
        self.reindex()

    def reindex(self) -> None:
        """Rules that name exact tools are indexed by tool, so 1,000 rules cost what the relevant ones cost."""
        self._by_tool, self._generic = {}, []
        for i, rule in enumerate(self.rules):
            if rule.tools is None:
                self._generic.append(i)
            else:
                for name in rule.tools:
                    self._by_tool.setdefault(name, []).append(i)

    def candidates(self, tool: str) -> list[CompiledRule]:
        """The rules that can apply to ``tool``, in file order."""
        specific = self._by_tool.get(tool)
        if not specific:
            return [self.rules[i] for i in self._generic]
        return [self.rules[i] for i in sorted([*self._generic, *specific])]

    def releasable(self, tool: str, domain: str | None, declared: tuple[str, ...] | list[str]) -> set[str]:
        """Profile fields this tool may receive: those it declares *and* the policy lets go to it."""
        return {f for f in declared if f in self.data_release and self.data_release[f].allows(tool, domain)}

    def with_overlay(self, overlay: "Policy") -> "Policy":
        """This policy plus a user overlay's rules, caps and remembered approvals (never its settings)."""
        return Policy(name=f"{self.name}+{overlay.name}", settings=self.settings, data_release=self.data_release,
                      rules=[*self.rules, *overlay.rules], caps=[*self.caps, *overlay.caps],
                      remembered=[*self.remembered, *overlay.remembered], files=[*self.files, *overlay.files],
                      description=self.description)


__all__ = ["Cap", "CompiledCap", "CompiledRule", "DataRelease", "Example", "ExceptionRule", "FraudSettings",
           "Policy", "PolicyFile", "PROFILE_FIELDS", "Remembered", "RememberSettings", "Rule", "SEVERITY",
           "Settings"]
