"""The inbox: pending items across runs and agents, decided by id, exactly once."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents import RunStatus
from agents.builtin import load_agent
from agents.inbox import Inbox, InboxError
from tests_support import cli_env

ORDER = {"customer_id": "li-ming", "product_id": "P0237", "merchant_id": "M004", "quantity": 2,
         "payment_method": "alipay-main", "shipping_name": "$user.name", "shipping_phone": "$user.phone",
         "shipping_address": "$user.address", "max_total": "123.00"}
TAPE = {**ORDER, "product_id": "P0241", "quantity": 1, "max_total": "80.00"}


def script(tmp_path: Path, name: str, replies: list) -> str:
    path = tmp_path / f"{name}.json"
    path.write_text(json.dumps(replies), encoding="utf-8")
    return f"scripted:{path}"


def parked_shop_run(tmp_path: Path, *calls: dict) -> str:
    spec = script(tmp_path, "shop", [{"tool_calls": [{"name": "shop_place_order", "args": c} for c in calls]},
                                     "Ordered."])
    result = load_agent("shop", model=spec).run("buy moving boxes and tape")
    assert result.status is RunStatus.WAITING
    return result.run_id


def created_orders() -> list[dict]:
    from tools.sandbox import sandbox_state

    return [o for o in sandbox_state()["shop"]["orders"] if not o["seeded"]]


def test_pending_items_are_listed_across_runs_and_decided_by_id(tmp_path):
    run_a = parked_shop_run(tmp_path, ORDER, TAPE)
    inbox = Inbox()
    items = inbox.pending()
    assert [(i.run_id, i.action_id) for i in items] == [(run_a, "1.1"), (run_a, "1.2")]
    tape = next(i for i in items if i.payload["args"]["product_id"] == "P0241")
    assert tape.payload["args"]["shipping_phone"] == "13800138000"
    partial = inbox.decide(tape.item_id, "approve")
    assert partial.status is RunStatus.WAITING  # the other action of the step is still undecided
    assert created_orders() == []
    boxes = next(i for i in inbox.pending() if i.run_id == run_a)
    assert boxes.payload["args"]["product_id"] == "P0237"
    done = inbox.decide(boxes.item_id, "reject", reason="I have boxes")
    assert done.status is RunStatus.DONE
    assert [o["product_id"] for o in created_orders()] == ["P0241"]
    decided = {i.item_id: i for i in inbox.recent()}
    assert decided[tape.item_id].status == "approved" and decided[boxes.item_id].status == "rejected"
    assert decided[boxes.item_id].outcome == "done"
    assert inbox.pending() == []


def test_decisions_for_items_no_longer_pending_are_refused(tmp_path):
    run_id = parked_shop_run(tmp_path, ORDER)
    inbox = Inbox()
    (item,) = inbox.pending()
    inbox.decide(item.item_id, "approve")
    with pytest.raises(InboxError, match="no longer pending \\(it is approved"):
        inbox.decide(item.item_id, "reject")
    with pytest.raises(InboxError, match="not waiting"):
        inbox.decide(run_id, "approve")
    with pytest.raises(InboxError, match="no inbox item or run 'zzzz-nothing'"):
        inbox.decide("zzzz-nothing", "approve")
    assert len(created_orders()) == 1


def test_a_stale_decision_never_applies_to_changed_args(tmp_path):
    from agents.agent import RunError
    from agents.models import ApprovalResume, Approve

    run_id = parked_shop_run(tmp_path, ORDER)
    agent = Inbox()._load(run_id)
    with pytest.raises(RunError, match="changed since it was shown"):
        agent.resume(run_id, ApprovalResume(decisions={"1.1": Approve(args_hash="f" * 32)}))
    assert created_orders() == [] and len(Inbox().pending()) == 1


def test_two_processes_deciding_the_same_item_exactly_one_wins(tmp_path, errand_home):
    parked_shop_run(tmp_path, ORDER)
    (item,) = Inbox().pending()
    env = cli_env(errand_home)
    cmd = [sys.executable, "-m", "agents.cli", "approve", item.item_id, "--json"]
    procs = [subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outcomes = [(p.wait(timeout=120), p.stdout.read(), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _, _ in outcomes)
    assert codes == [0, 2], outcomes
    loser = next(err for code, _, err in outcomes if code == 2)
    assert "no longer pending" in loser or "not waiting" in loser
    assert len(created_orders()) == 1


def test_review_list_json_is_stable(tmp_path, errand_home):
    parked_shop_run(tmp_path, ORDER)
    proc = subprocess.run([sys.executable, "-m", "agents.cli", "review", "--list", "--json"],
                          env=cli_env(errand_home), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    (item,) = json.loads(proc.stdout)
    assert {"item_id", "run_id", "agent", "kind", "action_id", "args_hash", "payload", "created_at",
            "expires_at", "status"} <= set(item)
    assert item["kind"] == "approval" and item["payload"]["tool"] == "shop_place_order"
    assert item["status"] == "pending" and item["expires_at"] > item["created_at"]
