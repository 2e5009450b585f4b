"""The concierge carries out a life event as one plan: every item a linked child run of its
domain agent, every consequential step approved in the inbox, every effect exactly once —
whatever order the approvals come in, whichever items are dropped, and across a crash."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from agents import RunStatus
from agents.agent import RunError
from agents.builtin import load_agent
from agents.inbox import Inbox, InboxError
from agents.store import RunIndex
from tests_support import REPO, cli_env

MOVING_EN = "We're moving from Chengdu to Hangzhou on Jan 10"
MOVING_ZH = "我们1月10日从成都搬到杭州"
APPROVED_FIRST = ["residence", "pension", "train", "hotel", "boxes", "tape"]  # hukou waits for pension


def created() -> dict[str, list[dict]]:
    from tools.sandbox import sandbox_state

    state = sandbox_state()
    return {"applications": [r for r in state["gov"]["applications"] if not r["seeded"]],
            "bookings": [r for r in state["travel"]["bookings"] if not r["seeded"]],
            "orders": [r for r in state["shop"]["orders"] if not r["seeded"]]}


def pending_by_item(concierge, run_id: str) -> dict[str, object]:
    """The plan's pending inbox items, by plan item key."""
    by_run = {i.run_id: i.key for i in concierge.view(run_id).items}
    return {by_run[i.run_id]: i for i in Inbox().pending() if i.run_id in by_run}


def test_moving_in_english_end_to_end_every_step_approved_in_the_inbox_exactly_once():
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN)
    assert parked.status is RunStatus.WAITING and parked.agent == "concierge"
    plan = concierge.view(parked.run_id)
    assert plan.bundle == "moving-city"
    assert plan.slots == {"destination": "Hangzhou", "origin": "Chengdu", "date": "2027-01-10", "nights": 3,
                          "transport": "train"}
    assert [(i.key, i.agent, i.status) for i in plan.items] == [
        ("residence", "gov", "waiting"), ("pension", "gov", "waiting"), ("hukou", "gov", "not_started"),
        ("train", "travel", "waiting"), ("hotel", "travel", "waiting"), ("boxes", "shop", "waiting"),
        ("tape", "shop", "waiting")]
    assert plan.item("train").task == "Book the cheapest train from Chengdu to Hangzhou on 2027-01-10"
    assert created() == {"applications": [], "bookings": [], "orders": []}  # nothing consequential yet

    # each sub-errand is its own run, linked to the plan, and waits in the inbox under it
    children = RunIndex().children(parked.run_id)
    assert sorted(c.spec["item"] for c in children) == sorted(APPROVED_FIRST)
    assert {c.parent_id for c in children} == {parked.run_id}
    items = pending_by_item(concierge, parked.run_id)
    assert sorted(items) == sorted(APPROVED_FIRST)
    assert items["train"].payload["tool"] == "travel_book_train"
    assert items["residence"].payload["args"]["service_id"] == "GS-0009"

    inbox = Inbox()
    for key in APPROVED_FIRST:
        outcome = inbox.decide(items[key].item_id, "approve")
        assert outcome.status is RunStatus.DONE, (key, outcome)
    done = concierge.result(parked.run_id)
    assert done.status is RunStatus.DONE
    effects = created()
    assert sorted(a["service_id"] for a in effects["applications"]) == ["GS-0009", "GS-0010"]
    assert sorted(b["kind"] for b in effects["bookings"]) == ["hotel", "train"]
    train = next(b for b in effects["bookings"] if b["kind"] == "train")
    assert (train["from"], train["to"], train["date"]) == ("Chengdu", "Hangzhou", "2027-01-10")
    assert len(effects["orders"]) == 2
    # the hukou move started once the pension transfer had happened, and said why it could not apply
    final = concierge.view(parked.run_id)
    assert final.item("hukou").status == "no_effect" and "not eligible" in final.item("hukou").text
    report = done.final.text
    assert report.startswith("Moving from Chengdu to Hangzhou on 2027-01-10: done — 6 of 7 item(s).")
    assert f"✓ Train to Hangzhou on 2027-01-10: Booked train {train['number']}" in report
    assert {r["item"] for r in done.final.receipts} == set(APPROVED_FIRST)
    assert RunIndex().get(parked.run_id).status is RunStatus.DONE

    # carrying the plan on again, or deciding again, does nothing more
    concierge.advance(parked.run_id)
    with pytest.raises(InboxError, match="no longer pending"):
        inbox.decide(items["train"].item_id, "approve")
    assert created() == effects


def test_moving_in_chinese_approved_in_reverse_order_from_a_fresh_agent_each_time():
    parked = load_agent("concierge").run(MOVING_ZH)
    concierge = load_agent("concierge")
    plan = concierge.view(parked.run_id)
    assert plan.lang == "zh" and plan.title == "2027年1月10日从成都搬到杭州"
    assert plan.item("train").task == "订2027年1月10日从成都到杭州最便宜的火车票"
    items = pending_by_item(concierge, parked.run_id)
    for key in reversed(APPROVED_FIRST):  # the inbox loads the concierge anew for every decision
        Inbox().decide(items[key].item_id, "approve")
    done = load_agent("concierge").result(parked.run_id)
    assert done.status is RunStatus.DONE
    effects = created()
    assert sorted(a["service_id"] for a in effects["applications"]) == ["GS-0009", "GS-0010"]
    assert sorted(b["kind"] for b in effects["bookings"]) == ["hotel", "train"]
    assert len(effects["orders"]) == 2
    assert done.final.text.startswith("2027年1月10日从成都搬到杭州：已办好，共7项中完成6项。")
    assert "✓ 杭州头3晚的酒店：已订好" in done.final.text


def test_partial_approval_travel_approved_the_rest_dropped_only_travel_happens_and_the_report_says_so():
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN)
    items = pending_by_item(concierge, parked.run_id)
    for key in ("train", "hotel"):
        assert Inbox().decide(items[key].item_id, "approve").status is RunStatus.DONE
    assert concierge.result(parked.run_id).status is RunStatus.WAITING  # gov and shop still wait
    done = concierge.reject(parked.run_id, reason="not now")  # the plan's run: drop every open item
    assert done.status is RunStatus.DONE
    effects = created()
    assert effects["applications"] == [] and effects["orders"] == []
    assert sorted(b["kind"] for b in effects["bookings"]) == ["hotel", "train"]
    statuses = {i.key: i.status for i in concierge.view(parked.run_id).items}
    assert statuses == {"residence": "declined", "pension": "declined", "hukou": "declined", "train": "done",
                        "hotel": "done", "boxes": "declined", "tape": "declined"}
    report = done.final.text.splitlines()
    assert report[0].startswith("Moving from Chengdu to Hangzhou on 2027-01-10: partly done — 2 of 7 item(s) done; "
                                "not done: ")
    assert "✗ Moving boxes: you dropped it from the plan; nothing was done" in report
    assert "✗ Packing tape: you dropped it from the plan; nothing was done" in report
    assert any(line.startswith("✓ Hotel in Hangzhou for the first 3 nights: Booked") for line in report)
    # the shop errand itself recorded the person's rejection and ended: nothing else was offered
    shop = concierge.state(concierge.view(parked.run_id).item("boxes").run_id)
    assert [(a["status"], a["human"]["reason"]) for a in shop["actions"] if a["effect"] == "payment"] == [
        ("rejected", "not now")]
    assert Inbox().pending() == []


def test_dropping_an_item_skips_what_must_come_after_it_and_leaving_items_out_up_front():
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN, without=["boxes", "tape", "no-such-item"])
    plan = concierge.view(parked.run_id)
    assert plan.item("boxes").status == "declined" and plan.item("tape").status == "declined"
    assert {i.run_id for i in Inbox().pending()} == {plan.item(k).run_id for k in ("residence", "pension", "train",
                                                                                    "hotel")}
    concierge.decline(parked.run_id, ["pension"], reason="staying in my old scheme")
    plan = concierge.view(parked.run_id)
    assert plan.item("pension").status == "declined" and plan.item("hukou").status == "skipped"
    assert "– Household registration (hukou) move to Hangzhou: not started, because Pension insurance transfer to " \
           "Hangzhou did not happen" in plan.report
    with pytest.raises(RunError, match="already settled"):
        concierge.decline(parked.run_id, ["boxes"])
    with pytest.raises(RunError, match="no item nope"):
        concierge.decline(parked.run_id, ["nope"])


def test_approving_the_whole_plan_at_once_then_the_items_that_were_waiting_for_others():
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN)
    after_first = concierge.approve(parked.run_id)  # every item waiting for an approval, together
    plan = concierge.view(parked.run_id)
    assert [i.key for i in plan.items if i.status == "done"] == APPROVED_FIRST
    assert plan.item("hukou").status == "no_effect"  # started after the pension transfer, not eligible
    assert after_first.status is RunStatus.DONE
    with pytest.raises(RunError, match="nothing in plan .* waits for an approval"):
        concierge.approve(parked.run_id)
    assert len(created()["bookings"]) == 2


def test_rejecting_an_action_in_the_inbox_keeps_the_domain_agents_own_behaviour():
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN)
    tape = pending_by_item(concierge, parked.run_id)["tape"]
    after = Inbox().decide(tape.item_id, "reject", reason="")
    # the shop agent offers the next option for this item; the plan still waits for it
    assert after.status is RunStatus.WAITING and after.run_id == tape.run_id
    assert after.waiting_for.actions[0].args["merchant_id"] != tape.payload["args"]["merchant_id"]
    assert concierge.view(parked.run_id).item("tape").status == "waiting"


def test_a_missing_detail_is_asked_in_the_inbox_then_the_plan_starts():
    concierge = load_agent("concierge")
    parked = concierge.run("We are moving to Hangzhou")
    assert parked.status is RunStatus.WAITING
    assert parked.waiting_for.kind == "question" and parked.waiting_for.question == "On which day do you move?"
    (question,) = Inbox().pending()
    assert question.run_id == parked.run_id and question.kind == "question"
    with pytest.raises(RunError, match="has no plan yet"):
        concierge.view(parked.run_id)
    Inbox().decide(question.item_id, "answer", text="the 20th of December")
    plan = concierge.view(parked.run_id)
    assert plan.slots["date"] == "2026-12-20" and plan.slots["origin"] == "Beijing"  # the profile's home city
    assert plan.item("train").task == "Book the cheapest train from Beijing to Hangzhou on 2026-12-20"
    assert plan.item("train").status == "waiting"


def test_a_request_that_names_no_life_event_gets_one_question_with_the_choices():
    concierge = load_agent("concierge")
    parked = concierge.run("hello, can you help me with something big")
    pause = parked.waiting_for
    assert pause.slot == "life_event" and "Moving to another city" in pause.choices and len(pause.choices) == 7
    after = concierge.answer(parked.run_id, "Replacing lost documents")
    plan = concierge.view(after.run_id)
    assert plan.bundle == "lost-documents" and plan.slots == {"city": "Beijing"}
    assert [(i.key, i.status) for i in plan.items] == [("report_loss", "waiting"), ("replacement", "not_started"),
                                                       ("temporary_card", "not_started")]
    again = concierge.run("blah blah")
    finished = concierge.answer(again.run_id, "nothing really")
    assert finished.status is RunStatus.DONE and finished.final.text.startswith("I could not tell which life event")


CRASH = textwrap.dedent("""
    import os, signal, sys
    import agents.graph as graph
    from agents.inbox import Inbox

    real_call = graph.call_tool

    def dying_call(tool, args, *, key=None):
        result = real_call(tool, args, key=key)  # the service commits; the result is never recorded
        os.kill(os.getpid(), signal.SIGKILL)

    graph.call_tool = dying_call
    Inbox().decide(sys.argv[1], "approve")
""")


def test_a_crash_in_one_sub_errand_leaves_the_others_alone_and_resumes_exactly_once(errand_home):
    concierge = load_agent("concierge")
    parked = concierge.run(MOVING_EN)
    items = pending_by_item(concierge, parked.run_id)
    child = subprocess.run([sys.executable, "-c", CRASH, items["train"].item_id], env=cli_env(errand_home),
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr
    assert len(created()["bookings"]) == 1  # the service booked it; the run never learned so
    plan = concierge.view(parked.run_id)
    assert plan.item("train").status == "running"
    assert {i.key for i in plan.items if i.status == "waiting"} == {"residence", "pension", "hotel", "boxes", "tape"}
    for key in ("tape", "boxes", "hotel", "pension", "residence"):  # the others go on as if nothing happened
        assert Inbox().decide(items[key].item_id, "approve").status is RunStatus.DONE
    assert concierge.result(parked.run_id).status is RunStatus.RUNNING  # the train is still unfinished
    resumed = load_agent("concierge").continue_run(parked.run_id)
    assert resumed.status is RunStatus.DONE
    effects = created()
    assert sorted(b["kind"] for b in effects["bookings"]) == ["hotel", "train"]  # the train booked once
    assert len(effects["applications"]) == 2 and len(effects["orders"]) == 2
    train = concierge.view(parked.run_id).item("train")
    assert train.status == "done" and train.receipts[0]["output"]["id"] == next(
        b["id"] for b in effects["bookings"] if b["kind"] == "train")
