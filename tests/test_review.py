"""`errand review` driven in a real pseudo-terminal, and the inbox's safety rules."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pexpect
import pytest

from agents import RunStatus
from agents.builtin import load_agent
from agents.inbox import Inbox, InboxError
from tests_support import cli_env

HERE = Path(__file__).parent


def state() -> dict:
    from tools.sandbox import sandbox_state

    return sandbox_state()


def created(domain: str, table: str) -> list[dict]:
    return [r for r in state()[domain][table] if not r["seeded"]]


def wait_for(check, timeout: float = 30.0) -> None:
    deadline = time.time() + timeout
    while not check():
        assert time.time() < deadline, "timed out"
        time.sleep(0.1)


def test_review_in_a_pseudo_terminal_approve_edit_reject(errand_home):
    # three parked runs from two agents; the newest is listed first
    hotel = load_agent("travel").run("book a hotel in Shanghai for 2 nights from Dec 20")
    tape = load_agent("shop").run("buy 2 rolls of packing tape")
    train = load_agent("travel").run("book the cheapest train from Beijing to Shanghai on Dec 19")
    assert all(r.status is RunStatus.WAITING for r in (hotel, tape, train))
    rejected_hotel = hotel.waiting_for.actions[0].args["hotel_id"]

    env = cli_env(errand_home, EDITOR=f"{sys.executable} {HERE / 'edit_quantity.py'}", COLUMNS="80", LINES="24")
    child = pexpect.spawn(sys.executable, ["-m", "agents.cli", "review"], env=env, encoding="utf-8",
                          timeout=60, dimensions=(24, 80))
    child.expect("3 pending")
    child.expect("Buy train ticket")  # the newest item is listed (and selected) first
    child.send("\r")                  # open its detail view, fitted to 80×24
    child.expect("what")
    child.expect("shares")
    child.expect("expires")
    child.send("d")                   # everything, including the args hash and the run so far
    child.expect("args hash")
    child.expect("the run so far")
    child.send("a")                   # approve the train
    wait_for(lambda: len(created("travel", "bookings")) == 1)
    child.expect("2 pending")
    child.send("e")                   # edit the tape order in $EDITOR: quantity 2 → 1
    # the edit went through the gate again and is listed again, with the new args, for approval
    wait_for(lambda: any(i.payload["args"].get("quantity") == 1 for i in Inbox().pending()))
    child.expect("next approval")
    child.send("a")
    wait_for(lambda: len(created("shop", "orders")) == 1)
    child.expect("1 pending")
    child.send("r")                   # reject the hotel, with a reason
    child.expect("reason")
    child.sendline("too far from the venue")
    # the rejected hotel never runs; the agent re-plans and proposes a different one
    wait_for(lambda: any(i.run_id == hotel.run_id and i.payload["args"]["hotel_id"] != rejected_hotel
                         for i in Inbox().pending()))
    child.expect("next approval")
    child.send("q")
    child.expect(pexpect.EOF)

    bookings = created("travel", "bookings")
    assert [(b["kind"], b["offer_id"]) for b in bookings] == [("train", "TR-D2895-2026-12-19")]
    (order,) = created("shop", "orders")
    assert order["product_id"] == "P0241" and order["quantity"] == 1
    agent = load_agent("travel")
    assert agent.result(train.run_id).status is RunStatus.DONE
    hotel_actions = agent.state(hotel.run_id)["actions"]
    first = next(a for a in hotel_actions if a["args"].get("hotel_id") == rejected_hotel)
    assert first["status"] == "rejected" and first["human"]["reason"] == "too far from the venue"
    assert agent.result(hotel.run_id).status is RunStatus.WAITING  # the new proposal awaits the person


def test_plain_mode_line_by_line(errand_home):
    load_agent("shop").run("buy 2 rolls of packing tape")
    child = pexpect.spawn(sys.executable, ["-m", "agents.cli", "review", "--plain"], env=cli_env(errand_home),
                          encoding="utf-8", timeout=60)
    child.expect("1. a-")
    child.expect("item number")
    child.sendline("1")
    child.expect("a approve / e edit / r reject")
    child.sendline("a")
    child.expect("Nothing is waiting for you")
    child.expect(pexpect.EOF)
    assert len(created("shop", "orders")) == 1


def test_an_expired_approval_never_runs_and_the_agent_says_so(errand_home, monkeypatch):
    import agents.graph as graph

    run = load_agent("shop").run("buy 2 rolls of packing tape")
    (item,) = Inbox().pending()
    assert item.expires_at == run.waiting_for.actions[0].expires_at
    # a day and a bit later
    later = "2999-01-01T00:00:00.000+00:00"
    monkeypatch.setattr(graph, "utcnow", lambda: later)
    monkeypatch.setattr("agents.inbox._now", lambda: later)
    with pytest.raises(InboxError, match="expired at .* counted as rejected"):
        Inbox().decide(item.item_id, "approve")
    assert created("shop", "orders") == []
    result = load_agent("shop").result(run.run_id)
    assert result.status is RunStatus.REJECTED
    (action,) = [a for a in result.actions if a.tool == "shop_place_order"]
    assert action.status.value == "expired" and action.human["type"] == "expired"
    assert Inbox().get(item.item_id).status == "expired"


def test_an_edit_that_renames_the_tool_is_a_new_action_through_the_gate(tmp_path):
    import json

    from agents.models import ApprovalResume, Approve, Edit

    call = {"name": "shop_place_order", "args": {
        "customer_id": "li-ming", "product_id": "P0241", "merchant_id": "M004", "quantity": 2,
        "payment_method": "alipay-main", "shipping_name": "$user.name", "shipping_phone": "$user.phone",
        "shipping_address": "$user.address", "max_total": "70.00"}}
    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"tool_calls": [call]}, "ok"]))
    agent = load_agent("shop", model=f"scripted:{script}")
    run = agent.run("buy tape")
    (pending,) = run.waiting_for.actions
    # the person would rather just put it in a cart
    after = agent.resume(run.run_id, ApprovalResume(decisions={pending.action_id: Edit(
        tool="shop_create_cart", args={"customer_id": "li-ming"}, args_hash=pending.args_hash)}))
    assert after.status is RunStatus.WAITING  # a cart is a write: the gate asks about the new action
    (new,) = after.waiting_for.actions
    assert new.tool == "shop_create_cart" and new.action_id != pending.action_id and new.effect == "write"
    old = next(a for a in after.actions if a.id == pending.action_id)
    assert old.status.value == "superseded" and old.human["replaced_by"] == new.action_id
    done = agent.resume(run.run_id, ApprovalResume(decisions={new.action_id: Approve(args_hash=new.args_hash)}))
    assert done.status is RunStatus.DONE
    assert created("shop", "orders") == [] and len(created("shop", "carts")) == 1
