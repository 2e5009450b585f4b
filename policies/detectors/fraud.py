"""Fraud signals: known-bad payees, first purchases, prices far from the catalogue's, odd quantities.

Where the facts come from:

- **risk lists**: the shop service's ``GET /risk/merchants`` (``shop-service``) and any list
  a deployment supplies as a YAML/JSON file (``[{payee: M099, reason: ...}]``), cached per
  process for a few minutes;
- **typical prices**: the shop's product offers (``GET /products/{id}``): the median price
  over every merchant that sells the product, and the chosen merchant's own offer; a cart
  checkout is priced line by line from ``GET /carts/{id}``;
- **first purchases**: the audit log's executed payments (see :mod:`policies.audit`).

This module only *observes*; which observation becomes which named signal (and at what
threshold) is the policy's business (:mod:`policies.facts`).
"""

from __future__ import annotations

import statistics
import threading
import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Callable, Iterable

from pydantic import BaseModel, Field, RootModel

SHOP_SERVICE = "shop-service"
_TTL_SECONDS = 300.0


class RiskEntry(BaseModel):
    """One payee a risk list names."""

    payee: str = Field(min_length=1)
    reason: str = ""
    source: str = ""


class RiskListFile(RootModel[list[RiskEntry]]):
    """A deployment-supplied risk list: a YAML/JSON list of ``{payee, reason}``."""


class LineQuote(BaseModel):
    """One product line of a purchase, priced against the catalogue."""

    product_id: str | None = None
    merchant_id: str | None = None
    quantity: int | None = None
    unit_price: Decimal | None = Field(default=None, description="This merchant's offer price")
    shipping: Decimal | None = None
    typical_price: Decimal | None = Field(default=None, description="Median offer price over all merchants")
    offers: int = 0


class FraudObservation(BaseModel):
    """What was found out about the payees and prices of one action."""

    payees: list[str] = Field(default_factory=list)
    risk_listed: dict[str, str] = Field(default_factory=dict, description="payee → reason")
    purchases_before: dict[str, int] = Field(default_factory=dict, description="payee → earlier payments")
    lines: list[LineQuote] = Field(default_factory=list)
    unavailable: list[str] = Field(default_factory=list, description="sources that could not be consulted")


def _decimal(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


class ShopMarket:
    """The shop service as a source of risk entries, offers and carts (cached per process).

    ``client_factory`` returns a :class:`tools.http.ServiceClient` for the shop; by default
    the one configured by the environment (embedded sandbox unless ``ERRAND_SHOP_URL`` /
    ``ERRAND_SANDBOX_URL`` say otherwise).
    """

    def __init__(self, client_factory: Callable[[], Any] | None = None) -> None:
        self._factory = client_factory
        self._lock = threading.Lock()
        self._cache: dict[tuple[str, str], tuple[float, Any]] = {}

    def _client(self) -> Any:
        if self._factory is not None:
            return self._factory()
        return _env_shop_client()

    def _cached(self, key: tuple[str, str], fetch: Callable[[], Any]) -> Any:
        from tools.home import errand_home

        scoped = (f"{errand_home()}|{key[0]}", key[1])  # a new ERRAND_HOME is a new world
        now = time.monotonic()
        with self._lock:
            hit = self._cache.get(scoped)
            if hit and now - hit[0] < _TTL_SECONDS:
                return hit[1]
        value = fetch()
        with self._lock:
            self._cache[scoped] = (now, value)
        return value

    def risk_entries(self) -> dict[str, RiskEntry]:
        def fetch() -> dict[str, RiskEntry]:
            data = self._client().get("/risk/merchants")
            return {e["merchant_id"]: RiskEntry(payee=e["merchant_id"], reason=e.get("reason") or "",
                                                source=e.get("source") or "shop risk list")
                    for e in data.get("merchants", []) if e.get("merchant_id")}
        return self._cached(("risk", ""), fetch)

    def offers(self, product_id: str) -> list[dict[str, Any]] | None:
        """The product's offers, or None if the shop does not know the product."""
        from tools.http import NotFound

        def fetch() -> list[dict[str, Any]] | None:
            try:
                return list(self._client().get(f"/products/{product_id}").get("offers", []))
            except NotFound:
                return None
        return self._cached(("offers", product_id), fetch)

    def cart_items(self, cart_id: str) -> list[dict[str, Any]] | None:
        """A cart's lines now (never cached: carts change until checkout)."""
        from tools.http import NotFound

        try:
            return list(self._client().get(f"/carts/{cart_id}").get("items", []))
        except NotFound:
            return None


_ENV_CLIENT: dict[str, Any] = {}
_ENV_LOCK = threading.Lock()


def _env_shop_client() -> Any:
    """One shop client per (configuration, ERRAND_HOME) per process."""
    import os

    from tools.home import errand_home
    from tools.services import Services

    key = "|".join([str(errand_home()), os.environ.get("ERRAND_SHOP_URL", ""), os.environ.get("ERRAND_SANDBOX_URL", "")])
    with _ENV_LOCK:
        if key not in _ENV_CLIENT:
            _ENV_CLIENT[key] = Services.from_env(home=errand_home()).client("shop")
        return _ENV_CLIENT[key]


def load_risk_file(path: Path) -> dict[str, RiskEntry]:
    """Read a deployment risk list; raises :class:`tools.loading.InputError` naming file and line."""
    from tools.loading import load_model

    entries = load_model(path, RiskListFile).root
    return {e.payee: e.model_copy(update={"source": e.source or str(path)}) for e in entries}


def payees_of(args: dict[str, Any], payee_args: Iterable[str]) -> list[str]:
    """The payees named by an action's arguments (``merchant_id``, ``payee`` …), in order."""
    out: list[str] = []
    for name in payee_args:
        value = args.get(name)
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item and item not in out:
                out.append(item)
    return out


def observe_fraud(args: dict[str, Any], *, domain: str | None, payee_args: Iterable[str],
                  risk_sources: Iterable[str | Path], market: ShopMarket | None,
                  file_lists: dict[str, dict[str, RiskEntry]],
                  purchases: Callable[[str], int]) -> FraudObservation:
    """Observe one action's payees and prices. Nothing here decides; see :mod:`policies.facts`."""
    observation = FraudObservation(payees=payees_of(args, payee_args))
    shop = market if domain == "shop" and market is not None else None
    if shop is not None:
        _price_lines(args, shop, observation)
    if not observation.payees:
        return observation
    for source in risk_sources:
        if source == SHOP_SERVICE:
            if market is None:
                continue
            try:
                entries = market.risk_entries()
            except Exception as exc:  # noqa: BLE001 - an unreachable list is recorded, never ignored
                observation.unavailable.append(f"shop risk list ({type(exc).__name__}: {exc})")
                continue
        else:
            entries = file_lists.get(str(source), {})
        for payee in observation.payees:
            if payee in entries and payee not in observation.risk_listed:
                entry = entries[payee]
                observation.risk_listed[payee] = entry.reason or f"listed by {entry.source}"
    observation.purchases_before = {p: purchases(p) for p in observation.payees}
    return observation


def _price_lines(args: dict[str, Any], shop: ShopMarket, observation: FraudObservation) -> None:
    """Price the product lines of a shop action: one product + merchant, or a whole cart."""
    try:
        if isinstance(args.get("cart_id"), str) and "product_id" not in args:
            items = shop.cart_items(args["cart_id"]) or []
            for item in items:
                merchant = item.get("merchant_id")
                if merchant and merchant not in observation.payees:
                    observation.payees.append(merchant)
                observation.lines.append(_quote(shop, item.get("product_id"), merchant, item.get("quantity")))
        elif isinstance(args.get("product_id"), str) and isinstance(args.get("merchant_id"), str):
            observation.lines.append(_quote(shop, args["product_id"], args["merchant_id"], args.get("quantity")))
    except Exception as exc:  # noqa: BLE001 - a catalogue outage leaves prices unverified, visibly
        observation.unavailable.append(f"shop catalogue ({type(exc).__name__}: {exc})")


def _quote(shop: ShopMarket, product_id: Any, merchant_id: Any, quantity: Any) -> LineQuote:
    quote = LineQuote(product_id=product_id, merchant_id=merchant_id,
                      quantity=int(quantity) if str(quantity or "").isdigit() else None)
    offers = shop.offers(product_id) if isinstance(product_id, str) else None
    if not offers:
        return quote
    prices = [p for p in (_decimal(o.get("price")) for o in offers) if p is not None]
    quote.offers = len(prices)
    quote.typical_price = Decimal(statistics.median(prices)) if prices else None
    mine = next((o for o in offers if o.get("merchant_id") == merchant_id), None)
    if mine is not None:
        quote.unit_price = _decimal(mine.get("price"))
        quote.shipping = _decimal(mine.get("shipping_fee"))
    return quote
