"""The shop tool pack: metadata the gate relies on, and every tool end to end against the
embedded shop service through ``call_tool``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from langchain_core.tools import BaseTool

from tools.calling import ToolResult, call_tool
from tools.model import Effect, tool_meta
from tools.registry import ToolRegistry
from tools.services import Services
from tools.packs.shop import tools

EXPECTED_EFFECTS = {
    "shop_search_products": Effect.READ,
    "shop_get_product": Effect.READ,
    "shop_list_categories": Effect.READ,
    "shop_get_merchant": Effect.READ,
    "shop_check_merchant_risk": Effect.READ,
    "shop_create_cart": Effect.WRITE,
    "shop_add_to_cart": Effect.WRITE,
    "shop_remove_from_cart": Effect.WRITE,
    "shop_view_cart": Effect.READ,
    "shop_checkout_cart": Effect.PAYMENT,
    "shop_place_order": Effect.PAYMENT,
    "shop_list_orders": Effect.READ,
    "shop_get_order": Effect.READ,
    "shop_cancel_order": Effect.WRITE,
    "shop_return_order": Effect.WRITE,
}
PURCHASE_DATA = ("name", "phone", "address", "payment_methods")
SHIPPING = {"payment_method": "card-cmb", "shipping_name": "李明", "shipping_phone": "13800138000",
            "shipping_address": "北京市朝阳区建国路88号 3单元 1202"}


@pytest.fixture
def pack(services: Services) -> dict[str, BaseTool]:
    return {t.name: t for t in tools(services)}


def ok(result: ToolResult) -> Any:
    assert result.ok, result.error
    return result.output


def run(pack: dict[str, BaseTool], name: str, key: str | None = None, **args: Any) -> Any:
    return ok(call_tool(pack[name], args, key=key))


def test_every_tool_has_the_expected_effect(pack: dict[str, BaseTool]) -> None:
    assert {name: tool_meta(t).effect for name, t in pack.items()} == EXPECTED_EFFECTS
    assert all(tool_meta(t).domain == "shop" and t.description.strip() for t in pack.values())


def test_purchases_declare_money_and_personal_data(pack: dict[str, BaseTool]) -> None:
    for name, tool in pack.items():
        meta = tool_meta(tool)
        if meta.effect is Effect.PAYMENT:
            assert meta.money is not None and meta.money.amount_arg == "max_total" and meta.money.currency == "CNY"
            assert meta.personal_data == PURCHASE_DATA
            assert {"shipping_name", "shipping_phone", "shipping_address", "payment_method"} <= set(tool.args)
        else:
            assert meta.money is None and meta.personal_data == (), name
    summary = tool_meta(pack["shop_place_order"]).describe(
        {"quantity": 2, "product_id": "P0001", "merchant_id": "M001", "max_total": Decimal("520.00"), **SHIPPING})
    assert summary.startswith("Buy 2 × P0001 from merchant M001, paying up to 520.00 CNY with card-cmb")
    assert "北京市朝阳区" in summary
    amount = tool_meta(pack["shop_checkout_cart"]).money.amount({"max_total": "88.5"})
    assert amount == (Decimal("88.5"), "CNY")


def test_pack_registers_and_is_found_by_entry_point(services: Services) -> None:
    assert ToolRegistry(tools(services)).names() == sorted(EXPECTED_EFFECTS)
    registry = ToolRegistry.from_entry_points(names=["shop"], services=services)
    assert registry.names() == sorted(EXPECTED_EFFECTS)


def test_search_product_merchant_and_risk(pack: dict[str, BaseTool]) -> None:
    categories = run(pack, "shop_list_categories")["categories"]
    assert "moving_storage" in {c["id"] for c in categories}
    found = run(pack, "shop_search_products", query="bubble wrap", max_price=Decimal("100"), sort="price")
    assert found["total"] >= 2 and all(p["category"] == "moving_storage" for p in found["results"])
    prices = [Decimal(p["best_price"]) for p in found["results"]]
    assert prices == sorted(prices)
    band = run(pack, "shop_get_product", product_id="P0001")
    assert band["name"].startswith("Xiaomi Mi Band 9") and band["reviews"]
    cheapest = band["best_merchant_id"]
    risk = run(pack, "shop_check_merchant_risk", merchant_id=cheapest)
    assert risk["flagged"] is True and risk["merchants"][0]["reason"]
    assert run(pack, "shop_check_merchant_risk", merchant_id="M001")["flagged"] is False
    assert run(pack, "shop_check_merchant_risk")["count"] == 3
    assert run(pack, "shop_get_merchant", merchant_id="M004")["city"] == "Beijing"


def test_cart_to_checkout_with_tools_is_idempotent(pack: dict[str, BaseTool], services: Services) -> None:
    cart = run(pack, "shop_create_cart", key="s1", customer_id="li-ming")
    run(pack, "shop_add_to_cart", key="s2", cart_id=cart["id"], product_id="P0237", merchant_id="M001", quantity=2)
    with_extra = run(pack, "shop_add_to_cart", key="s3", cart_id=cart["id"], product_id="P0001", merchant_id="M001")
    extra = next(i for i in with_extra["items"] if i["product_id"] == "P0001")
    run(pack, "shop_remove_from_cart", key="s4", cart_id=cart["id"], item_id=extra["id"])
    viewed = run(pack, "shop_view_cart", cart_id=cart["id"])
    assert [(i["product_id"], i["quantity"]) for i in viewed["items"]] == [("P0237", 2)]
    args = {"cart_id": cart["id"], "max_total": Decimal(viewed["totals"]["total"]), **SHIPPING}
    paid = run(pack, "shop_checkout_cart", key="s5", **args)
    again = run(pack, "shop_checkout_cart", key="s5", **args)  # a resumed step replays its key
    assert paid == again and paid["total"] == viewed["totals"]["total"]
    assert [(o["product_id"], o["quantity"], o["payment_method"]) for o in paid["orders"]] == [("P0237", 2, "card-cmb")]
    state = services.client("shop").get("/orders", customer_id="li-ming", status="placed")["orders"]
    assert len([o for o in state if o["cart_id"] == cart["id"]]) == 1


def test_place_track_and_cancel_an_order(pack: dict[str, BaseTool]) -> None:
    order = run(pack, "shop_place_order", key="buy-1", customer_id="li-ming", product_id="P0001",
                merchant_id="M001", quantity=1, max_total=Decimal("400"), **SHIPPING)
    assert order["status"] == "placed" and order["shipping_address"] == SHIPPING["shipping_address"]
    listed = run(pack, "shop_list_orders", customer_id="li-ming", status="placed", query="mi band")["orders"]
    assert [o["id"] for o in listed] == [order["id"]]
    assert run(pack, "shop_get_order", order_id=order["id"])["total"] == order["total"]
    cancelled = run(pack, "shop_cancel_order", key="cancel-1", order_id=order["id"], reason="ordered by mistake")
    assert cancelled["status"] == "cancelled" and cancelled["refund_amount"] == order["total"]


def test_return_a_recent_delivery(pack: dict[str, BaseTool]) -> None:
    [headphones] = run(pack, "shop_list_orders", customer_id="li-ming", query="headphones")["orders"]
    returned = run(pack, "shop_return_order", key="ret-1", order_id=headphones["id"], reason="too tight")
    assert returned["status"] == "return_requested"
    assert Decimal(returned["refund_amount"]) == Decimal(headphones["unit_price"])


def test_service_refusals_come_back_structured(pack: dict[str, BaseTool]) -> None:
    result = call_tool(pack["shop_place_order"],
                       {"customer_id": "li-ming", "product_id": "P0001", "merchant_id": "M001", "quantity": 1,
                        "max_total": "1.00", **SHIPPING}, key="cheap")
    assert not result.ok and result.error.kind == "service"
    assert (result.error.status, result.error.code) == (409, "price_changed")
    [cooker] = ok(call_tool(pack["shop_list_orders"], {"customer_id": "li-ming", "query": "rice cooker"}))["orders"]
    late = call_tool(pack["shop_return_order"], {"order_id": cooker["id"], "reason": "x"}, key="late")
    assert late.error.code == "return_window_closed" and "2026-11-19" in late.error.message
    # a crafted id never reaches the service, so it cannot address another endpoint
    sneaky = call_tool(pack["shop_get_product"], {"product_id": "../orders"})
    assert sneaky.error.kind == "invalid_args" and sneaky.error.problems[0].field == "product_id"
    assert call_tool(pack["shop_get_product"], {"product_id": "P9999"}).error.code == "product_not_found"


@pytest.mark.parametrize("name, args, field", [
    ("shop_place_order", {"customer_id": "li-ming", "product_id": "P0001", "merchant_id": "M001", "quantity": 0,
                          "max_total": "100", **SHIPPING}, "quantity"),
    ("shop_place_order", {"customer_id": "li-ming", "product_id": "P0001", "merchant_id": "M001", "quantity": 1,
                          **SHIPPING}, "max_total"),
    ("shop_checkout_cart", {"cart_id": "CART-000001", "max_total": "lots", **SHIPPING}, "max_total"),
    ("shop_search_products", {"query": "tape", "sort": "cheapest"}, "sort"),
    ("shop_search_products", {"query": "tape", "colour": "red"}, "colour"),
    ("shop_add_to_cart", {"cart_id": "CART-000001", "product_id": "P0001"}, "merchant_id"),
    ("shop_return_order", {"order_id": "ORD-000005", "reason": ""}, "reason"),
])
def test_invalid_args_are_reported_not_sent(pack: dict[str, BaseTool], services: Services, name: str,
                                            args: dict, field: str) -> None:
    result = call_tool(pack[name], args, key="never-used")
    assert not result.ok and result.error.kind == "invalid_args"
    assert field in {p.field.split(".")[0] for p in result.error.problems}
    state = services.client("shop").get("/orders", customer_id="li-ming")["orders"]
    assert all(o["seeded"] for o in state) and all(o["status"] != "return_requested" for o in state)
