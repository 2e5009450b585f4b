"""Helpers shared by the policy tests: gate requests for installed tools, and an offline shop."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from agents.gate import GateRequest
from policies.detectors.fraud import ShopMarket
from tools.model import tool_meta
from tools.profile import load_profile


@lru_cache(maxsize=1)
def _registry() -> Any:
    from tools.registry import default_registry

    return default_registry()


def user(**changes: Any) -> dict[str, Any]:
    return {**load_profile().model_dump(mode="json"), **changes}


def request(tool: str, args: dict[str, Any], *, who: dict[str, Any] | None = None,
            provenance: dict[str, str] | None = None, history: list[dict[str, Any]] | None = None,
            run_id: str = "run-1", action_id: str = "1.1") -> GateRequest:
    registry = _registry()
    meta = tool_meta(registry.get(tool)) if tool in registry else None
    return GateRequest(run_id=run_id, agent="test", action_id=action_id, tool=tool, args=args, meta=meta,
                       tool_exists=tool in registry, user=who or user(), provenance=provenance or {},
                       history=history or [])


def order(merchant: str = "M004", total: str = "259.00", **changes: Any) -> dict[str, Any]:
    """shop_place_order args for the sample user."""
    me = user()
    return {"customer_id": me["id"], "product_id": "P0001", "merchant_id": merchant, "quantity": 1,
            "payment_method": "alipay-main", "shipping_name": "李明", "shipping_phone": me["phone"],
            "shipping_address": me["address"], "max_total": total, **changes}


class FakeShop:
    """The three shop endpoints the fraud detector reads, without the sandbox."""

    def __init__(self, risk: dict[str, str] | None = None, offers: dict[str, list[tuple[str, str]]] | None = None,
                 carts: dict[str, list[dict[str, Any]]] | None = None) -> None:
        self.risk = risk if risk is not None else {"M013": "sells fakes"}
        self.offers = offers if offers is not None else {"P0001": [("M013", "167.00"), ("M006", "233.00"),
                                                                  ("M004", "259.00")]}
        self.carts = carts or {}
        self.calls: list[str] = []

    def get(self, path: str, **_: Any) -> dict[str, Any]:
        from tools.http import NotFound

        self.calls.append(path)
        if path == "/risk/merchants":
            return {"merchants": [{"merchant_id": m, "reason": r, "source": "fake"} for m, r in self.risk.items()]}
        if path.startswith("/products/"):
            pid = path.rsplit("/", 1)[1]
            if pid not in self.offers:
                raise NotFound(f"no product {pid}", service="shop", status=404)
            return {"offers": [{"merchant_id": m, "price": p, "shipping_fee": "0.00"} for m, p in self.offers[pid]]}
        if path.startswith("/carts/"):
            return {"items": self.carts[path.rsplit("/", 1)[1]]}
        raise AssertionError(f"unexpected request {path}")

    def market(self) -> ShopMarket:
        return ShopMarket(lambda: self)


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
