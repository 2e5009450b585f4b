"""Memory of the person: learned from decisions, shown with its evidence, used by planners and
triggers, and forgotten for good when the person says so."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from agents.builtin import load_agent
from agents.memory import MemoryStore, learn, may_share_with_model, planner_view
from agents.proactive_cli import app
from agents.triggers import TriggerSet, Watcher, dismiss, load_triggers
from tools.profile import load_profile
from tools.services import Services


def wish_list_only() -> TriggerSet:
    triggers = TriggerSet()
    triggers.add([load_triggers().get("wish-price-drop")])
    return triggers


def offer_of(result) -> str:  # noqa: ANN001 - a RunResult waiting for a booking
    (action,) = result.waiting_for.actions
    return action.args["offer_id"]


def turn_down_evening_flights() -> tuple[str, str]:
    """Two errands in which the person rejects the cheapest flight, both leaving after 20:00."""
    travel = load_agent("travel")
    first = travel.run("book the cheapest flight from Beijing to Wuhan on December 10")
    assert offer_of(first) == "FL-CZ3352-2026-12-10"  # 21:05
    travel.reject(first.run_id)
    second = travel.run("book the cheapest flight from Beijing to Shanghai on December 11")
    assert offer_of(second) == "FL-CA4991-2026-12-11"  # 21:00
    travel.reject(second.run_id)
    return first.run_id, second.run_id


def test_rejected_evening_departures_are_learned_and_the_planner_avoids_them():
    runs = turn_down_evening_flights()
    assert learn().entries == 1
    (entry,) = MemoryStore().entries()
    assert entry.id == "avoid-departures-evening" and entry.statement.en == \
        "Avoid departures late evening (20:00–22:00)"
    assert sorted(e.run_id for e in entry.evidence) == sorted(runs)
    assert {e.detail for e in entry.evidence} == {"CZ3352 departing 21:05", "CA4991 departing 21:00"}

    # the cheapest Guangzhou → Shenzhen flight leaves at 20:05; the next cheapest at 11:05
    proposal = load_agent("travel").run("book the cheapest flight from Guangzhou to Shenzhen on December 10")
    assert offer_of(proposal) == "FL-CZ8908-2026-12-10"
    assert "outside the hours you usually turn down (late evening (20:00–22:00))" in \
        proposal.waiting_for.actions[0].rationale


def test_one_rejection_whose_reason_states_the_preference_is_enough():
    travel = load_agent("travel")
    run = travel.run("book the cheapest flight from Wuhan to Shanghai on December 10")
    assert offer_of(run) == "FL-HO2810-2026-12-10"  # 21:05
    travel.reject(run.run_id, "too late for me, no red-eye flights")
    learn()
    entries = {e.id: e for e in MemoryStore().entries()}
    assert set(entries) == {"avoid-departures-evening", "avoid-departures-night"}
    assert entries["avoid-departures-night"].evidence[0].stated
    assert entries["avoid-departures-night"].evidence[0].reason == "too late for me, no red-eye flights"
    assert [w.start for w in planner_view().avoid_departures] == ["20:00", "22:00"]


def _place_order(tmp_path: Path, user: dict, product_id: str, merchant_id: str) -> str:
    """An order placed by a scripted model and approved by the person; its run id."""
    offer = next(o for o in Services.from_env().client("shop").get(f"/products/{product_id}")["offers"]
                 if o["merchant_id"] == merchant_id)
    total = f"{float(offer['price']) + float(offer['shipping_fee']):.2f}"
    script = tmp_path / f"{product_id}.json"
    script.write_text(json.dumps([{"tool_calls": [{"name": "shop_place_order", "args": {
        "customer_id": "li-ming", "product_id": product_id, "merchant_id": merchant_id, "quantity": 1,
        "payment_method": "card-cmb", "shipping_name": "$user.name", "shipping_phone": "$user.phone",
        "shipping_address": "$user.address", "max_total": total}}]}, "Ordered."]), encoding="utf-8")
    agent = load_agent("shop", model=f"scripted:{script}")
    result = agent.approve(agent.run(f"order {product_id}", user=user).run_id)
    assert result.final.receipts, result.final
    return result.run_id


def test_a_merchant_approved_again_and_again_becomes_the_default_choice(tmp_path):
    user = load_profile().model_dump(mode="json")
    user["preferences"]["preferred_merchants"] = []
    runs = [_place_order(tmp_path, user, "P0059", "M001"), _place_order(tmp_path, user, "P0212", "M004"),
            _place_order(tmp_path, user, "P0241", "M001")]
    learn()
    (entry,) = MemoryStore().entries()
    assert entry.id == "prefer-merchant-M001" and "京东自营" in entry.statement.en
    assert sorted(e.run_id for e in entry.evidence) == sorted([runs[0], runs[2]])
    # the cheapest safe stroller is Kidswant's (M008, ¥1234); the person keeps buying from M001 (¥1293)
    proposal = load_agent("shop").run("buy a Goodbaby stroller", user=user)
    (action,) = proposal.waiting_for.actions
    assert action.args["merchant_id"] == "M001" and "preferred-merchant" in action.rationale


def test_a_rejection_about_the_seller_keeps_planners_and_triggers_away_from_it():
    shop = load_agent("shop")
    run = shop.run("buy a Goodbaby stroller")
    assert run.waiting_for.actions[0].args["merchant_id"] == "M008"
    shop.reject(run.run_id, "not from this seller please")
    learn()
    assert [e.id for e in MemoryStore().entries()] == ["avoid-merchant-M008"]
    again = shop.run("buy a Goodbaby stroller")
    assert again.waiting_for.actions[0].args["merchant_id"] == "M001"
    # and a price drop at that merchant on the wish-listed stroller is not proposed
    Services.from_env().client("shop").post("/admin/offers/P0065:M008/price", json={"price": "999.00"})
    assert Watcher(wish_list_only()).evaluate().proposals == []


def test_dismissing_a_triggers_proposals_twice_mutes_it_until_forgotten():
    shop = Services.from_env().client("shop")
    for price in ("1099.00", "1080.00"):
        shop.post("/admin/offers/P0065:M008/price", json={"price": price})
        (proposal,) = Watcher(wish_list_only()).evaluate().proposals
        dismiss(proposal.items[0])
    shop.post("/admin/offers/P0065:M008/price", json={"price": "1050.00"})
    report = Watcher(wish_list_only()).evaluate()
    assert report.muted == ["wish-price-drop"] and report.proposals == []
    MemoryStore().forget("mute-trigger-wish-price-drop")
    assert [p.key for p in Watcher(wish_list_only()).evaluate().proposals] == ["PC-000003"]


def test_forgotten_entries_are_not_learned_again_from_the_same_decisions():
    turn_down_evening_flights()
    learn()
    store = MemoryStore()
    forgotten = store.forget("avoid-departures-evening")
    assert forgotten.statement.en.startswith("Avoid departures")
    assert learn().entries == 0 and store.entries() == []
    assert planner_view().avoid_departures == []
    # a new decision is new evidence — one more rejection is not two
    travel = load_agent("travel")
    run = travel.run("book the cheapest flight from Guangzhou to Shenzhen on December 10")
    travel.reject(run.run_id)
    assert learn().entries == 0


def test_memory_list_and_forget_from_the_command_line():
    turn_down_evening_flights()
    runner = CliRunner()
    listed = runner.invoke(app, ["memory", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    (entry,) = json.loads(listed.output)
    assert entry["id"] == "avoid-departures-evening" and len(entry["evidence"]) == 2
    assert {"ref", "run_id", "action_id", "decision", "reason", "detail"} <= set(entry["evidence"][0])
    table = runner.invoke(app, ["memory", "list"])
    assert "avoid-departures-evening" in table.output and "CZ3352" in table.output
    missing = runner.invoke(app, ["memory", "forget", "prefer-merchant-M999"])
    assert missing.exit_code == 2 and "no memory entry 'prefer-merchant-M999'" in missing.output
    assert runner.invoke(app, ["memory", "forget"]).exit_code == 2
    gone = runner.invoke(app, ["memory", "forget", "--all"])
    assert gone.exit_code == 0 and "forgot 1 entr" in gone.output
    assert json.loads(runner.invoke(app, ["memory", "list", "--json"]).output) == []


@pytest.mark.parametrize(("spec", "base_url", "shared"), [
    (None, None, False), ("openai:gpt-4.1-mini", None, False), ("anthropic:claude", None, False),
    ("openai:qwen", "https://api.example.com/v1", False), ("ollama:qwen3", None, True),
    ("openai:qwen", "http://127.0.0.1:8000/v1", True), ("openai:qwen", "http://localhost:11434/v1", True),
])
def test_memory_is_shared_only_with_a_model_on_this_machine(spec, base_url, shared):
    assert may_share_with_model(spec, base_url) is shared
