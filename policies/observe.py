"""Observing one proposed action: everything the rules need, gathered once, recorded for replay.

:class:`Observation` is plain data — the action, the money it moves, where each argument
came from, which profile data it carries, what suspicious text the session has read, what
the risk lists and the catalogue say. It is stored with every gate decision in the audit
log, so ``errand policy replay`` can re-evaluate a recorded action against a changed policy
without calling any service again.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from pydantic import BaseModel, Field

from agents.gate import GateRequest
from agents.models import canonical_args_hash
from policies.detectors.fraud import FraudObservation, RiskEntry, ShopMarket, observe_fraud
from policies.detectors.injection import Finding, scan
from policies.detectors.pii import carried_fields, fingerprints, leaves, unresolved_refs
from policies.money import Money, MoneyField

if TYPE_CHECKING:
    from policies.audit import AuditLog
    from policies.model import Policy

_FREE_TEXT_MIN = 16


class SessionObservation(BaseModel):
    read_untrusted: bool = Field(False, description="Some tool output read so far holds free text")
    personal_data: bool = Field(False, description="An earlier action of the run carried profile data")


class Observation(BaseModel):
    at: datetime
    run_id: str = ""
    agent: str = ""
    tool: str
    exists: bool = True
    effect: str | None = None
    domain: str | None = None
    declared: list[str] = Field(default_factory=list, description="Profile fields the tool declares")
    money_arg: str | None = None
    args: dict[str, Any] = Field(default_factory=dict)
    args_hash: str = ""
    user: dict[str, Any] = Field(default_factory=dict, description="Non-identifying profile facts")
    user_id: str | None = None
    vulnerable: bool = False
    amount: MoneyField | None = None
    payment_method: str | None = None
    payment_method_limit: MoneyField | None = None
    payment_method_label: str | None = None
    quantity: int | None = None
    provenance: dict[str, str] = Field(default_factory=dict)
    carried: dict[str, list[str]] = Field(default_factory=dict, description="profile field → argument paths")
    unresolved: dict[str, str] = Field(default_factory=dict, description="argument path → withheld field")
    session: SessionObservation = Field(default_factory=SessionObservation)
    injection: list[Finding] = Field(default_factory=list)
    fraud: FraudObservation = Field(default_factory=FraudObservation)
    first_proposed: datetime | None = None
    summary: str | None = None


def _is_free_text(value: Any) -> bool:
    return isinstance(value, str) and len(value) >= _FREE_TEXT_MIN and (
        " " in value or any("\u4e00" <= ch <= "\u9fff" for ch in value))


def _public_user(user: dict[str, Any]) -> dict[str, Any]:
    """The profile facts rules may read (``user.<field>``), without identifying values."""
    return {k: v for k, v in user.items() if k in ("id", "vulnerable", "home_city", "preferences")}


class Observer:
    """Gathers observations. Sources are injectable so tests and ``policy explain`` run offline."""

    def __init__(self, *, audit: "AuditLog | None" = None, market: ShopMarket | None = None,
                 clock: Callable[[], datetime] | None = None) -> None:
        from policies.audit import now

        self.audit = audit
        self.market = market
        self.clock = clock or now
        self._risk_files: dict[str, tuple[float, dict[str, RiskEntry]]] = {}
        self._history_cache: dict[str, tuple[list[Finding], bool]] = {}

    def risk_files(self, policy: "Policy") -> dict[str, dict[str, RiskEntry]]:
        """The policy's risk list files, re-read when they change on disk."""
        from policies.detectors.fraud import SHOP_SERVICE, load_risk_file

        out: dict[str, dict[str, RiskEntry]] = {}
        for source in policy.settings.fraud.risk_lists:
            if source == SHOP_SERVICE:
                continue
            stamp = Path(source).stat().st_mtime if Path(source).exists() else -1.0
            cached = self._risk_files.get(source)
            if cached is None or cached[0] != stamp:
                cached = (stamp, load_risk_file(Path(source)))
                self._risk_files[source] = cached
            out[source] = cached[1]
        return out

    def observe(self, request: GateRequest, policy: "Policy") -> Observation:
        meta = request.meta
        at = self.clock()
        user = request.user or {}
        user_id = user.get("id")
        obs = Observation(at=at, run_id=request.run_id, agent=request.agent, tool=request.tool,
                          exists=request.tool_exists, effect=meta.effect.value if meta else None,
                          domain=meta.domain if meta else None, declared=list(meta.personal_data) if meta else [],
                          money_arg=meta.money.amount_arg if meta and meta.money else None,
                          args=request.args, args_hash=canonical_args_hash(request.tool, request.args),
                          user=_public_user(user), user_id=user_id, vulnerable=bool(user.get("vulnerable")),
                          provenance=dict(request.provenance),
                          summary=meta.describe(request.args) if meta else None)
        if meta and meta.money:
            try:
                found = meta.money.amount(request.args)
            except (InvalidOperation, ValueError, TypeError):
                found = None
            if found is not None:
                obs.amount = Money(found[0], found[1])
        method = request.args.get("payment_method")
        if isinstance(method, str):
            obs.payment_method = method
            for pm in user.get("payment_methods") or []:
                if isinstance(pm, dict) and pm.get("id") == method:
                    obs.payment_method_label = pm.get("label")
                if isinstance(pm, dict) and pm.get("id") == method and pm.get("limit_per_transaction") is not None:
                    obs.payment_method_limit = Money(Decimal(str(pm["limit_per_transaction"])),
                                                     str(pm.get("currency") or "CNY"))
        quantity = request.args.get("quantity")
        if isinstance(quantity, int) and not isinstance(quantity, bool):
            obs.quantity = quantity
        prints = fingerprints(user)
        obs.carried = carried_fields(request.args, user, prints)
        obs.unresolved = unresolved_refs(request.args)
        self._observe_session(request, obs, prints)
        self._observe_args_text(request, obs)
        if meta is not None:
            obs.fraud = observe_fraud(
                request.args, domain=meta.domain, payee_args=policy.settings.payee_args,
                risk_sources=policy.settings.fraud.risk_lists, market=self.market,
                file_lists=self.risk_files(policy),
                purchases=lambda payee: self.audit.payments_to(user_id, payee, until=at) if self.audit else 0)
        if self.audit is not None and meta is not None and meta.effect.value == "irreversible":
            obs.first_proposed = self.audit.first_proposed(user_id, obs.args_hash)
        return obs

    def _observe_session(self, request: GateRequest, obs: Observation,
                         prints: dict[str, tuple[set[str], set[str]]]) -> None:
        """What the run has read so far (injection findings, free text) and whether it handled personal data."""
        user = request.user or {}
        for earlier in request.history:
            result = earlier.get("result") or {}
            if result.get("ok") and result.get("output") is not None:
                findings, free = self._scan_output(str(earlier.get("tool")), earlier.get("id", ""), result["output"])
                obs.injection.extend(findings)
                obs.session.read_untrusted = obs.session.read_untrusted or free
            if not obs.session.personal_data and carried_fields(earlier.get("args") or {}, user, prints):
                obs.session.personal_data = True

    def _scan_output(self, tool: str, action_id: str, output: Any) -> tuple[list[Finding], bool]:
        blob = json.dumps(output, ensure_ascii=False, sort_keys=True, default=str)
        key = hashlib.sha256(f"{tool}\n{action_id}\n{blob}".encode()).hexdigest()
        if key not in self._history_cache:
            findings: list[Finding] = []
            free = False
            for path, value in leaves(output):
                if _is_free_text(value):
                    free = True
                    findings.extend(scan(value, source=f"tool:{tool} ({action_id}) {path}"))
            if len(self._history_cache) > 2048:
                self._history_cache.clear()
            self._history_cache[key] = (findings, free)
        return self._history_cache[key]

    def _observe_args_text(self, request: GateRequest, obs: Observation) -> None:
        """Argument values taken from tool output are scanned too: that is how planted text travels."""
        for path, value in leaves(request.args):
            if isinstance(value, str) and obs.provenance.get(path, "").startswith("tool:"):
                obs.injection.extend(scan(value, source=f"arg:{path}"))
