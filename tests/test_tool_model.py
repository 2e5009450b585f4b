"""The tool model, the registry with its entry points, and argument validation."""

from __future__ import annotations

from decimal import Decimal
from importlib.metadata import EntryPoint

import pytest
from langchain_core.tools import tool as lc_tool

from tools import (
    Effect,
    MoneyArg,
    ToolRegistry,
    UnknownTool,
    call_tool,
    errand_tool,
    tool_meta,
    with_meta,
)
from tools.registry import ToolRegistryError


@errand_tool(effect="payment", domain="shop", personal_data=["phone"], money="max_total",
             summary="Pay up to {max_total} CNY for {quantity} x {product_id}")
def buy(product_id: str, quantity: int, max_total: Decimal, phone: str) -> dict:
    """Buy a product."""
    return {"product_id": product_id, "quantity": quantity, "max_total": str(max_total)}


def test_effects_are_ordered():
    assert Effect.READ < Effect.WRITE < Effect.PAYMENT < Effect.IRREVERSIBLE
    assert max([Effect.WRITE, Effect.IRREVERSIBLE, Effect.READ]) is Effect.IRREVERSIBLE
    assert sorted(["payment", "read"], key=lambda e: Effect(e).rank) == ["read", "payment"]


def test_errand_tool_is_a_plain_langchain_tool_with_metadata():
    meta = tool_meta(buy)
    assert meta.effect is Effect.PAYMENT and meta.domain == "shop"
    assert meta.personal_data == ("phone",)
    assert meta.money.amount({"max_total": "19.90"}) == (Decimal("19.90"), "CNY")
    assert meta.describe({"max_total": "19.90", "quantity": 2, "product_id": "P1"}) == \
        "Pay up to 19.90 CNY for 2 x P1"
    assert buy.invoke({"product_id": "P1", "quantity": 2, "max_total": "19.90", "phone": "1"})["quantity"] == 2


def test_any_basetool_can_carry_metadata_and_unknown_tools_have_none():
    @lc_tool
    def weather(city: str) -> str:
        """Weather in a city."""
        return "sunny"

    assert tool_meta(weather) is None
    with_meta(weather, effect="read", domain="travel")
    assert tool_meta(weather).effect is Effect.READ


def test_money_currency_can_come_from_an_argument():
    money = MoneyArg(amount_arg="amount", currency_arg="currency")
    assert money.amount({"amount": 10, "currency": "usd"}) == (Decimal("10"), "USD")
    assert money.amount({}) is None


def test_registry_rejects_duplicates_and_names_unknown_tools():
    registry = ToolRegistry([buy])
    assert registry.get("buy") is buy and registry.effect("buy") is Effect.PAYMENT
    with pytest.raises(ToolRegistryError, match="already registered"):
        registry.register(errand_tool(effect="read", name="buy")(demo_pack()[0].func))
    with pytest.raises(UnknownTool, match="unknown tool 'sell'; known tools: buy"):
        registry.get("sell")


def test_registry_checks_the_money_argument_exists():
    @errand_tool(effect="payment", money="amount")
    def pay(total: Decimal) -> str:
        """Pay."""
        return "ok"

    with pytest.raises(ToolRegistryError, match="money argument 'amount' is not one of its arguments"):
        ToolRegistry([pay])


def test_entry_points_load_third_party_packs(monkeypatch):
    import tools.registry as registry_module

    fake = [EntryPoint(name="demo", value=f"{__name__}:demo_pack", group="errand.tools"),
            EntryPoint(name="single", value=f"{__name__}:buy", group="errand.tools")]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: fake if group == "errand.tools" else [])
    registry = ToolRegistry.from_entry_points()
    assert registry.names() == ["buy", "demo_lookup"]
    assert ToolRegistry.from_entry_points(names=["demo"]).names() == ["demo_lookup"]


def test_a_broken_pack_is_named_in_the_error(monkeypatch):
    import tools.registry as registry_module

    broken = [EntryPoint(name="broken", value="tests.no_such_module:tools", group="errand.tools")]
    monkeypatch.setattr(registry_module, "entry_points", lambda group: broken)
    with pytest.raises(ToolRegistryError, match="tool pack 'broken'"):
        ToolRegistry.from_entry_points()


def test_the_shipped_packs_are_registered_by_entry_point():
    from importlib.metadata import entry_points

    names = {ep.name: ep.value for ep in entry_points(group="errand.tools")}
    assert names == {"gov": "tools.packs.gov:tools", "shop": "tools.packs.shop:tools",
                     "travel": "tools.packs.travel:tools"}


def demo_pack():
    @errand_tool(effect="read", domain="demo")
    def demo_lookup(q: str) -> str:
        """Look something up."""
        return q

    return [demo_lookup]


def test_invalid_args_come_back_structured_never_raised():
    result = call_tool(buy, {"product_id": "P1", "quantity": "many", "max_total": "x", "colour": "red"})
    assert not result.ok
    assert result.error.kind == "invalid_args"
    fields = {p.field for p in result.error.problems}
    assert fields == {"quantity", "max_total", "phone", "colour"}
    assert "unexpected argument" in result.error.message


def test_tool_failures_become_structured_errors():
    @errand_tool(effect="read")
    def flaky(x: int) -> int:
        """Fails."""
        raise RuntimeError("boom")

    result = call_tool(flaky, {"x": 1})
    assert not result.ok and result.error.kind == "tool" and "boom" in result.error.message
    assert call_tool(buy, "not a dict").error.kind == "invalid_args"  # type: ignore[arg-type]


def test_call_tool_passes_the_idempotency_key_to_the_http_layer():
    from tools.http import current_idempotency_key

    @errand_tool(effect="write")
    def which_key() -> str | None:
        """Report the key."""
        return current_idempotency_key()

    assert call_tool(which_key, {}, key="run-1:step-2").output == "run-1:step-2"
    assert current_idempotency_key() is None
