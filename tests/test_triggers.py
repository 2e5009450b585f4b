"""Triggers: each source proposes the right errand, once; approving acts exactly once; dismissals stick."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agents import RunStatus
from agents.inbox import Inbox, InboxError
from agents.triggers import Ledger, PassReport, Proposal, TriggerSet, Watcher, dismiss, load_triggers, \
    proposal_run_id
from tests_support import cli_env
from tools.sandbox import sandbox_state
from tools.services import Services

LI_MING_ID = "11010519900307451X"


def client(domain: str):  # noqa: ANN201 - a ServiceClient
    return Services.from_env().client(domain)


def watch(*trigger_ids: str, **kwargs) -> PassReport:  # noqa: ANN003 - Watcher options
    """One pass over the named triggers only (the files loaded as the watcher would load them)."""
    found = load_triggers()
    only = TriggerSet()
    only.add([found.get(t) for t in trigger_ids])
    return Watcher(only, **kwargs).evaluate()


def one(report: PassReport, trigger: str) -> Proposal:
    found = [p for p in report.proposals if p.trigger == trigger]
    assert len(found) == 1, [(p.trigger, p.status, p.text, p.error) for p in report.proposals]
    return found[0]


def pending_action(proposal: Proposal) -> dict:
    (item_id,) = proposal.items
    item = Inbox().get(item_id)
    assert item is not None and item.status == "pending"
    return item.payload


def bookings(**where: str) -> list[dict]:
    return [b for b in sandbox_state()["travel"]["bookings"] if all(b.get(k) == v for k, v in where.items())]


def write_triggers(home: Path, name: str, text: str) -> Path:
    folder = home / "triggers"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# -- sandbox events ----------------------------------------------------------------------------

def test_a_delayed_flight_is_rebooked_exactly_once_after_approval():
    client("travel").post("/admin/departures/FL-HU2654-2026-12-20/status",
                          json={"status": "delayed", "delay_minutes": 180})
    proposal = one(watch("departure-disrupted"), "departure-disrupted")
    assert proposal.status == "proposed" and proposal.key == "BK-000003:delayed"
    book = pending_action(proposal)
    # the nearest departure that still arrives before the delayed one would (19:05 + 3 h)
    assert book["tool"] == "travel_book_flight"
    assert book["args"]["offer_id"] == "FL-CZ3363-2026-12-20" and book["args"]["passenger_id_number"] == LI_MING_ID
    assert bookings(number="CZ3363") == []  # nothing happens before approval

    inbox = Inbox()
    after_booking = inbox.decide(proposal.items[0], "approve")
    (cancel,) = after_booking.waiting_for.actions
    assert cancel.tool == "travel_cancel_booking" and cancel.args["booking_id"] == "BK-000003"
    assert cancel.args["max_fee"] == "0.00"  # delayed three hours: a free cancellation
    (cancel_item,) = [i for i in inbox.pending() if i.run_id == proposal.run_id]
    done = inbox.decide(cancel_item.item_id, "approve")
    assert done.status is RunStatus.DONE and "CZ3363" in done.final.text

    assert [b["status"] for b in bookings(number="CZ3363")] == ["confirmed"]
    assert bookings(id="BK-000003")[0]["status"] == "cancelled"
    assert bookings(id="BK-000003")[0]["refund"] == "1080.00"
    with pytest.raises(InboxError, match="no longer pending"):
        inbox.decide(proposal.items[0], "approve")
    assert watch("departure-disrupted").proposals == []
    assert len(bookings(number="CZ3363")) == 1


def test_two_reviewers_approving_the_rebooking_at_once_book_one_seat():
    from concurrent.futures import ThreadPoolExecutor

    from agents.agent import RunError

    client("travel").post("/admin/departures/FL-HU2654-2026-12-20/status", json={"status": "cancelled"})
    proposal = one(watch("departure-disrupted"), "departure-disrupted")
    assert proposal.key == "BK-000003:cancelled"

    def approve() -> str:  # each reviewer with their own inbox (own database connections)
        try:
            return Inbox().decide(proposal.items[0], "approve", reviewer="tab").status.value
        except (InboxError, RunError) as exc:
            return f"refused: {exc}"

    with ThreadPoolExecutor(2) as pool:
        outcomes = sorted(pool.map(lambda _: approve(), range(2)))
    assert outcomes[0].startswith("refused") and outcomes[1] == "waiting", outcomes  # next: the cancellation
    assert len(bookings(number="CZ3363", status="confirmed")) == 1


def test_a_delayed_order_that_has_not_shipped_is_proposed_for_cancellation():
    order = client("shop").post("/admin/orders/ORD-000008/delay", json={"days": 3, "note": "warehouse backlog"})
    assert order["delay_days"] == 3 and order["estimated_delivery"] == "2026-12-02"
    proposal = one(watch("order-delayed"), "order-delayed")
    action = pending_action(proposal)
    assert action["tool"] == "shop_cancel_order" and action["args"]["order_id"] == "ORD-000008"
    done = Inbox().decide(proposal.items[0], "approve")
    assert done.status is RunStatus.DONE
    cancelled = next(o for o in sandbox_state()["shop"]["orders"] if o["id"] == "ORD-000008")
    assert cancelled["status"] == "cancelled" and cancelled["refund_amount"] == cancelled["total"]


def test_a_shipped_order_delay_is_not_proposed_for_cancellation():
    client("shop").post("/admin/orders/ORD-000007/delay", json={"days": 5})  # the air purifier, shipped
    assert watch("order-delayed").proposals == []


def test_a_price_drop_on_the_wish_list_is_proposed_within_budget_only_from_a_safe_merchant():
    shop = client("shop")
    # AirPods (budget 1600): the fraud-listed M017 drops further, then an honest merchant drops above budget
    shop.post("/admin/offers/P0006:M017/price", json={"price": "999.00"})
    shop.post("/admin/offers/P0006:M004/price", json={"price": "1700.00"})
    assert watch("wish-price-drop").proposals == []
    # the stroller (budget 1100) drops to 1050 at Kidswant
    shop.post("/admin/offers/P0065:M008/price", json={"price": "1050.00"})
    proposal = one(watch("wish-price-drop"), "wish-price-drop")
    action = pending_action(proposal)
    assert action["tool"] == "shop_place_order"
    assert {k: action["args"][k] for k in ("product_id", "merchant_id", "quantity", "max_total")} == \
        {"product_id": "P0065", "merchant_id": "M008", "quantity": 1, "max_total": "1050.00"}


def test_an_application_needing_a_document_is_proposed_an_office_appointment():
    client("gov").post("/admin/applications/APP-000002/status",
                       json={"status": "needs_documents", "note": "请补充房屋租赁合同备案证明"})
    proposal = one(watch("application-needs-documents"), "application-needs-documents")
    assert "房屋租赁合同备案证明" in proposal.request
    action = pending_action(proposal)
    assert action["tool"] == "gov_book_appointment"
    assert action["args"]["service_id"] == "GS-0047" and action["args"]["national_id"] == LI_MING_ID


# -- the profile and its dates ------------------------------------------------------------------

def test_an_expiring_passport_is_proposed_for_renewal_but_a_renewal_in_progress_is_not():
    proposal = one(watch("document-expiring"), "document-expiring")
    assert proposal.key == "passport:2027-04-20"  # 143 days left; the driving licence already has an appointment
    action = pending_action(proposal)
    assert action["tool"] == "gov_book_appointment" and action["args"]["service_id"] == "GS-0031"


def test_a_document_that_expires_before_a_booked_trip_is_proposed_even_outside_the_window(errand_home, tmp_path):
    from tools.profile import load_profile

    profile = load_profile()
    profile.passport.expiry = profile.passport.expiry.replace(year=2027, month=1, day=10)
    write_triggers(errand_home, "documents.yaml", """
triggers:
  - id: document-expiring
    title: Renew a document
    source: profile.documents
    params: {within_days: 30, renewal_services: {passport: GS-0031, id_card: GS-0030, driving_licence: GS-0038}}
    when: >-
      params.renewal_services[event.document] not in event.open_services
      and (event.days_left <= params.within_days or (event.needed_by is not None and event.expiry <= event.needed_by))
    key: "${event.document}:${event.expiry}"
    agent: gov
    errand: {intent: gov.book_appointment, slots: {service_id: "${params.renewal_services[event.document]}"}}
    request: "Renew my ${event.name_en} (expires ${event.expiry}, trip on ${event.needed_by})."
""")
    assert watch("document-expiring", user=profile).proposals == []
    offer = client("travel").get("/flights", **{"from": "Beijing", "to": "Kunming", "date": "2027-01-20"})["offers"][0]
    client("travel").post("/bookings", json={
        "kind": "flight", "offer_id": offer["id"], "seat_class": "economy", "passenger_name": "李明",
        "passenger_id_number": profile.passport.number, "contact_phone": "13800138000",
        "payment_method": "alipay-main", "max_price": offer["price"], "customer_id": "li-ming"})
    proposal = one(watch("document-expiring", user=profile), "document-expiring")
    assert proposal.request == "Renew my passport (expires 2027-01-10, trip on 2027-01-20)."


def test_a_birthday_soon_proposes_a_gift_within_budget(errand_home):
    write_triggers(errand_home, "family.yaml", """
triggers:
  - id: birthday-gift
    title: Order a gift before a birthday
    source: people.birthdays
    params:
      days_before: 10
      budget: 300
      gifts: {child: 玩具, default: 礼物}
      people: [{name: 小雨, birthday: "2021-12-03", relation: child}, {name: 妈妈, birthday: "05-02", relation: mother}]
    when: event.relation != 'self' and event.days_until <= params.days_before
    key: "${event.name}:${event.birthday}"
    agent: shop
    errand:
      intent: shop.buy
      slots: {product_query: "${params.gifts[event.relation]}", max_price: "${params.budget}", preference: best_rated}
    request: "Buy a present for ${event.name}, turning ${event.age} on ${event.birthday}."
""")
    proposal = one(watch("birthday-gift"), "birthday-gift")
    assert proposal.key == "小雨:2026-12-03" and proposal.request.endswith("turning 5 on 2026-12-03.")
    action = pending_action(proposal)
    assert action["tool"] == "shop_place_order" and float(action["args"]["max_total"]) <= 300


# -- a schedule --------------------------------------------------------------------------------

MONTHLY = """
triggers:
  - id: monthly-diapers
    title: {en: Monthly diapers, zh: 每月纸尿裤}
    source: schedule
    params: {every: month, day: 1, at: "09:00"}
    key: "${event.period}"
    agent: shop
    errand: {intent: shop.buy, slots: {product_id: P0061, quantity: 2, max_price: 110}}
    request: {en: "Monthly: buy 2 packs of newborn diapers.", zh: 每月：买两包新生儿纸尿裤。}
"""


def test_a_monthly_schedule_proposes_once_per_month(errand_home):
    from tools.sandbox.base import fixed_clock

    write_triggers(errand_home, "monthly.yaml", MONTHLY)
    november = one(watch("monthly-diapers"), "monthly-diapers")
    assert november.key == "2026-11"
    action = pending_action(november)
    assert (action["args"]["product_id"], action["args"]["quantity"]) == ("P0061", 2)
    assert watch("monthly-diapers").proposals == []
    assert watch("monthly-diapers", clock=fixed_clock("2026-12-01T08:59:00+08:00")).proposals == []  # due at 09:00
    december = one(watch("monthly-diapers", clock=fixed_clock("2026-12-01T09:30:00+08:00")), "monthly-diapers")
    assert december.key == "2026-12" and december.run_id != november.run_id


# -- de-duplication, recovery, dismissal ---------------------------------------------------------

def test_watch_once_prints_the_pass_as_json():
    from typer.testing import CliRunner

    from agents.proactive_cli import app

    client("travel").post("/admin/departures/FL-HU2654-2026-12-20/status",
                          json={"status": "delayed", "delay_minutes": 150})
    first = CliRunner().invoke(app, ["watch", "--once", "--json"])
    assert first.exit_code == 0, first.output
    fired = sorted((p["trigger"], p["key"], p["status"]) for p in json.loads(first.output)["proposals"])
    assert fired == [("departure-disrupted", "BK-000003:delayed", "proposed"),
                     ("document-expiring", "passport:2027-04-20", "proposed")]
    again = CliRunner().invoke(app, ["watch", "--once"])
    assert again.exit_code == 0 and again.output.strip() == "nothing new to propose"


def test_a_watcher_that_died_mid_claim_is_taken_over_on_the_same_run():
    from datetime import datetime, timedelta, timezone

    ledger = Ledger()
    claim = ledger.claim("document-expiring", "passport:2027-04-20",
                         now=datetime.now(timezone.utc) - timedelta(hours=1))  # and then the process died
    assert claim is not None
    assert [p.trigger for p in Watcher().evaluate().proposals] == ["document-expiring"]
    row = ledger.get("document-expiring", "passport:2027-04-20")
    assert row.status == "proposed" and row.attempts == 2 and row.run_id == claim.run_id


def test_a_dismissed_proposal_ends_its_run_and_is_never_proposed_again():
    proposal = one(watch("document-expiring"), "document-expiring")
    result = dismiss(proposal.items[0], "I renew it at the consulate")
    assert result.status is RunStatus.REJECTED
    assert [a.status.value for a in result.actions if a.effect != "read"] == ["rejected"]  # nothing else proposed
    assert Inbox().get(proposal.items[0]).status == "dismissed"
    assert Ledger().get("document-expiring", proposal.key).status == "dismissed"
    assert watch("document-expiring").proposals == []
    assert sandbox_state()["gov"]["appointments"] == [a for a in sandbox_state()["gov"]["appointments"] if a["seeded"]]
    with pytest.raises(InboxError, match="no longer pending"):
        dismiss(proposal.items[0])


def test_only_proposals_can_be_dismissed(tmp_path):
    from agents.builtin import load_agent

    script = tmp_path / "s.json"
    script.write_text(json.dumps([{"tool_calls": [{"name": "shop_cancel_order", "args": {
        "order_id": "ORD-000008", "reason": "changed my mind"}}]}, "Cancelled."]), encoding="utf-8")
    result = load_agent("shop", model=f"scripted:{script}").run("cancel my nuts")
    with pytest.raises(InboxError, match="not a proposal"):
        dismiss(result.run_id)


# -- errand watch, continuously ------------------------------------------------------------------

def test_concurrent_watchers_propose_once_and_stop_cleanly_on_sigterm_and_sigint(errand_home):
    """Two watcher processes race over the same events; each stops after its pass on a signal;
    a watcher started afterwards finds nothing new (the ledger is on disk)."""
    import signal

    from agents.store import RunIndex

    client("travel").post("/admin/departures/FL-HU2654-2026-12-20/status",
                          json={"status": "delayed", "delay_minutes": 150})
    watchers = {name: subprocess.Popen([sys.executable, "-m", "agents.proactive_cli", "watch", "--interval", "0.2"],
                                       env=cli_env(errand_home), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       text=True) for name in ("SIGTERM", "SIGINT")}
    for proc in watchers.values():
        first = proc.stdout.readline()
        assert first.startswith("watching 6 trigger(s) every 0.2s"), first
    ledger, deadline = Ledger(), time.monotonic() + 60
    while {r.status for r in ledger.rows()} != {"proposed"} or len(ledger.rows()) < 2:
        assert time.monotonic() < deadline, f"no pass proposed both: {ledger.rows()}"
        time.sleep(0.05)
    for name, proc in watchers.items():
        proc.send_signal(getattr(signal, name))
    printed = ""
    for name, proc in watchers.items():
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        assert f"received {name}: stopping after this pass" in out
        assert out.rstrip().splitlines()[-1].startswith("stopped after")
        printed += out
    assert sorted(line.split()[1] for line in printed.splitlines() if line.startswith("proposed")) == \
        ["departure-disrupted", "document-expiring"]  # each event once, by one of the two watchers
    assert sorted(r.run_id for r in RunIndex().list()) == sorted(
        [proposal_run_id("departure-disrupted", "BK-000003:delayed"),
         proposal_run_id("document-expiring", "passport:2027-04-20")])
    assert len(Inbox().pending()) == 2
    assert Watcher().evaluate().proposals == []
