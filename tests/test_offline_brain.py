"""The offline brain end to end: real request understanding, shipped playbooks, the embedded
sandboxes, approvals — and the rules for questions, rejections, denials and resumption."""

from __future__ import annotations

import json
from typing import Any, Callable

import pytest

from agents import Agent, RunStatus
from agents.brains.offline import OfflineBrain
from agents.builtin import builtin_agent
from agents.gate import DefaultGate
from agents.models import ActionStatus, Decision, GateVerdict
from agents.understanding.model import Understanding
from tools.calling import call_tool
from tools.registry import default_registry
from tools.sandbox import sandbox_state


def agent_for(services, name: str = "errand", gate: Any = DefaultGate, brain: Any = None) -> Agent:
    """A built-in agent over the test's embedded sandboxes; the baseline gate unless told otherwise."""
    return builtin_agent(name, brain=brain or OfflineBrain(name), services=services,
                         gate=gate() if isinstance(gate, type) else gate)


def created(errand_home, domain: str, table: str) -> list[dict[str, Any]]:
    """What the run created in a sandbox table (seeded records left out)."""
    return [r for r in sandbox_state(errand_home)[domain][table] if not r.get("seeded")]


def tool(services, name: str, **args: Any) -> Any:
    result = call_tool(default_registry(services=services).get(name), args)
    assert result.ok, result.error
    return result.output


def pending(result) -> list[Any]:
    assert result.status is RunStatus.WAITING and result.waiting_for.kind == "approval", result
    return result.waiting_for.actions


# -- the main job ----------------------------------------------------------------------------

def test_the_main_job_books_the_cheapest_train_after_approval(services, errand_home):
    offers = tool(services, "travel_search_trains", origin="Beijing", destination="Shanghai",
                  departure_date="2026-12-18")["offers"]
    cheapest = min((o for o in offers if o["bookable"]), key=lambda o: float(o["price"]))
    agent = agent_for(services)
    result = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18")
    [action] = pending(result)
    assert action.tool == "travel_book_train"
    assert action.args["offer_id"] == cheapest["id"] and action.args["max_price"] == cheapest["price"]
    assert action.args["passenger_id_number"] == "11010519900307451X"  # from the profile
    assert action.rationale.startswith(f"Book train {cheapest['number']} from Beijing to Shanghai on 2026-12-18")
    assert created(errand_home, "travel", "bookings") == []  # nothing before approval
    done = agent.approve(result.run_id)
    assert done.status is RunStatus.DONE
    [booking] = created(errand_home, "travel", "bookings")
    assert (booking["offer_id"], booking["status"], booking["seat_class"]) == (cheapest["id"], "confirmed", "second")
    assert booking["id"] in done.final.text and f"¥{cheapest['price']}" in done.final.text


def test_a_chinese_request_is_answered_in_chinese(services, errand_home):
    agent = agent_for(services)
    result = agent.run("帮我订12月20日从上海到杭州最便宜的高铁")
    [action] = pending(result)
    assert action.args["offer_id"].endswith("2026-12-20")
    assert "上海到杭州最便宜的二等座" in action.rationale
    done = agent.approve(result.run_id)
    [booking] = created(errand_home, "travel", "bookings")
    assert (booking["from"], booking["to"], booking["date"]) == ("Shanghai", "Hangzhou", "2026-12-20")
    assert done.final.text.startswith("已订好2026-12-20") and booking["id"] in done.final.text


def test_the_default_policy_asks_before_the_booking(services, errand_home):
    agent = agent_for(services, gate=None)  # the shipped policy, as `errand run` uses it
    result = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18")
    [action] = pending(result)
    assert action.tool == "travel_book_train" and action.risk == "high"
    assert agent.approve(result.run_id).status is RunStatus.DONE
    assert len(created(errand_home, "travel", "bookings")) == 1


def test_the_cli_runs_the_main_job_on_a_fresh_home(errand_home):
    from typer.testing import CliRunner

    from agents.cli import app

    cli = CliRunner()
    run = cli.invoke(app, ["run", "book the cheapest train from Beijing to Shanghai on Dec 18", "--json"])
    assert run.exit_code == 3, run.output  # waiting for a human
    paused = json.loads(run.stdout)
    [action] = paused["waiting_for"]["actions"]
    assert action["tool"] == "travel_book_train" and action["rationale"].startswith("Book train")
    approve = cli.invoke(app, ["approve", paused["run_id"], "--json"])
    assert approve.exit_code == 0, approve.output
    assert json.loads(approve.stdout)["status"] == "done"
    state = json.loads(cli.invoke(app, ["sandbox", "state", "--json"]).stdout)
    assert [b["offer_id"] for b in state["travel"]["bookings"] if not b["seeded"]] == [action["args"]["offer_id"]]


# -- questions -------------------------------------------------------------------------------

@pytest.mark.parametrize("request_text, question, answer", [
    ("book a train to Shanghai", "On which date do you want to travel?", "next Friday"),
    ("帮我订去上海的火车票", "您哪天出发？", "下周五"),
])
def test_a_missing_slot_is_asked_once_in_the_persons_language(services, errand_home, request_text, question, answer):
    agent = agent_for(services)
    result = agent.run(request_text)
    assert result.status is RunStatus.WAITING and result.waiting_for.kind == "question"
    assert result.waiting_for.question == question and result.waiting_for.slot == "date"
    [action] = pending(agent.answer(result.run_id, answer))
    # relative dates resolve against the pinned clock (Saturday 2026-11-28): next Friday is 2026-12-04
    assert action.args["offer_id"].endswith("-2026-12-04")
    search = agent.result(result.run_id).actions[0]
    assert search.args["origin"] == "Beijing"  # the profile's home city, said in the rationale
    assert ("home city" in action.rationale) or ("常住城市" in action.rationale)


def test_an_answer_that_is_not_understood_is_asked_again_then_the_run_stops(services):
    agent = agent_for(services)
    run_id = agent.run("book a train to Shanghai").run_id
    again = agent.answer(run_id, "banana")
    assert again.waiting_for.question == "Sorry, I did not understand that. On which date do you want to travel?"
    final = agent.answer(run_id, "purple")
    assert final.status is RunStatus.FAILED and "nothing was done" in final.final.text


def test_several_matching_products_become_a_choice(services, errand_home):
    agent = agent_for(services)
    result = agent.run("我想买个耳机")
    assert result.waiting_for.kind == "question" and len(result.waiting_for.choices) > 1
    assert any("Redmi Buds 6" in c for c in result.waiting_for.choices)
    [action] = pending(agent.answer(result.run_id, "the Redmi one"))
    assert action.tool == "shop_place_order" and action.args["product_id"] == "P0013"


def test_relative_dates_in_the_request(services, errand_home):
    agent = agent_for(services)
    result = agent.run("book a hotel in Shanghai from next Friday for 2 nights")
    [action] = pending(result)
    assert (action.args["check_in"], action.args["nights"]) == ("2026-12-04", 2)


# -- scope ----------------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("what's the weather tomorrow", "Sorry, that is not something I can do."),
    ("明天天气怎么样", "抱歉，这件事我办不了。"),
])
def test_out_of_scope_requests_get_a_plain_refusal(services, text, expected):
    result = agent_for(services).run(text)
    assert result.status is RunStatus.DONE and result.final.text.startswith(expected)
    assert result.actions == []


def test_another_domain_names_the_agent_that_handles_it(services):
    result = agent_for(services, "travel").run("buy 2 boxes of Redmi Buds 6")
    assert result.final.text.startswith("That is a shopping errand")
    assert '--agent shop' in result.final.text and result.actions == []


# -- rejection, denial, resumption ----------------------------------------------------------

def test_a_rejection_leads_to_a_different_proposal_then_a_question(services, errand_home):
    agent = agent_for(services)
    run_id = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18").run_id
    first = pending(agent.result(run_id))[0]
    second = pending(agent.reject(run_id))[0]
    assert second.args["offer_id"] != first.args["offer_id"]
    assert float(second.args["max_price"]) >= float(first.args["max_price"])
    assert second.rationale.startswith("Instead of the option you turned down")
    asked = agent.reject(run_id)
    assert asked.waiting_for.kind == "question" and asked.waiting_for.slot == "refine"
    [third] = pending(agent.answer(run_id, "first class please"))
    assert third.args["seat_class"] == "first"
    agent.approve(run_id)
    [booking] = created(errand_home, "travel", "bookings")
    assert booking["seat_class"] == "first"
    rejected = [a.args["offer_id"] for a in agent.result(run_id).actions if a.status is ActionStatus.REJECTED]
    assert rejected == [first.args["offer_id"], second.args["offer_id"]]


def test_a_rejection_reason_can_change_the_plan(services):
    agent = agent_for(services)
    run_id = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18").run_id
    offers = tool(services, "travel_search_trains", origin="Beijing", destination="Shanghai",
                  departure_date="2026-12-18")["offers"]
    earliest = min((o for o in offers if o["bookable"]), key=lambda o: o["departure"])
    [action] = pending(agent.reject(run_id, "I want the earliest one"))
    assert action.args["offer_id"] == earliest["id"]


def test_saying_stop_after_rejections_ends_with_nothing_done(services, errand_home):
    agent = agent_for(services)
    run_id = agent.run("book the cheapest flight from Beijing to Shanghai on Dec 18").run_id
    agent.reject(run_id)
    agent.reject(run_id)
    final = agent.answer(run_id, "stop")
    assert final.status is RunStatus.REJECTED and "Nothing was changed" in final.final.text
    assert created(errand_home, "travel", "bookings") == []


def test_rejecting_a_cancellation_does_not_cancel_something_else(services, errand_home):
    agent = agent_for(services)
    run_id = agent.run("cancel my Shanghai hotel booking").run_id
    assert pending(agent.result(run_id))[0].args["booking_id"] == "BK-000002"
    final = agent.reject(run_id)
    assert final.status is RunStatus.REJECTED and [a.tool for a in final.actions].count("travel_cancel_booking") == 1


class DenyPayments(DefaultGate):
    def decide(self, request):
        if request.meta and request.meta.effect.value == "payment":
            return GateVerdict(decision=Decision.DENY, reasons=["payments are switched off"], summary="a payment")
        return super().decide(request)


def test_a_denial_is_explained_and_never_retried(services, errand_home):
    agent = agent_for(services, gate=DenyPayments)
    result = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18")
    assert result.status is RunStatus.FAILED
    assert "the policy refused a payment (payments are switched off)" in result.final.text
    bookings = [a for a in result.actions if a.tool == "travel_book_train"]
    assert [a.status for a in bookings] == [ActionStatus.DENIED]
    assert created(errand_home, "travel", "bookings") == []


def test_a_refusal_about_the_person_is_explained_not_worked_around(services, errand_home):
    agent = agent_for(services)  # the fastest train that day is G9286, which the profile's seeded BK-000001 holds
    run_id = agent.run("book the fastest train from Beijing to Shanghai on Dec 18").run_id
    assert pending(agent.result(run_id))[0].args["offer_id"] == "TR-G9286-2026-12-18"
    final = agent.approve(run_id)
    assert final.status is RunStatus.FAILED and "already holds booking BK-000001" in final.final.text
    assert [a.tool for a in final.actions].count("travel_book_train") == 1
    assert created(errand_home, "travel", "bookings") == []


def test_a_run_continues_from_a_fresh_agent_as_another_process_would(services, errand_home):
    run_id = agent_for(services).run("帮我订上海的酒店，12月18日入住，住两晚，每晚400元以内").run_id
    fresh = agent_for(services, brain=OfflineBrain("errand"))
    [action] = pending(fresh.result(run_id))
    assert action.args["nights"] == 2 and float(action.args["max_price"]) <= 800
    done = fresh.approve(run_id)
    assert done.status is RunStatus.DONE and done.final.text.startswith("已订好")
    [booking] = created(errand_home, "travel", "bookings")
    assert (booking["kind"], booking["nights"], booking["date"]) == ("hotel", 2, "2026-12-18")


def test_planning_is_a_pure_function_of_the_context(services):
    agent = agent_for(services)
    run_id = agent.run("book the cheapest train from Beijing to Shanghai on Dec 18").run_id
    context = agent.nodes.context(agent.state(run_id))
    assert OfflineBrain("errand").plan(context) == OfflineBrain("errand").plan(context)


def test_an_unclear_request_asks_which_errand_is_meant(services):
    def understand(text, *, today, domains=None, context=None):
        if context is not None:
            return context
        return Understanding(text=text, language="en", intent="travel.book_hotel", confidence=0.3,
                             slots={"city": "Shanghai"}, alternatives=["travel.cancel_booking", "shop.cancel_order"])

    brain = OfflineBrain("errand", understand=understand, parse_slot=lambda slot, text, today: None)
    agent = agent_for(services, brain=brain)
    result = agent.run("my hotel in Shanghai")
    assert result.waiting_for.question == ("Do you want me to: book a hotel, cancel a travel booking or cancel an "
                                           "order?")
    [action] = pending(agent.answer(result.run_id, "2"))
    assert action.tool == "travel_cancel_booking" and action.args["booking_id"] == "BK-000002"


def test_hand_built_readings_plug_in_through_the_seam(services):
    def understand(text, *, today, domains=None, context=None):
        return context or Understanding(text=text, language="en", intent="travel.list_bookings", confidence=1.0)

    brain = OfflineBrain("travel", understand=understand, parse_slot=lambda slot, text, today: None)
    result = agent_for(services, "travel", brain=brain).run("anything at all")
    assert result.final.text.startswith("Your upcoming bookings:") and "BK-000001" in result.final.text


# -- every playbook, end to end ---------------------------------------------------------------

Check = Callable[[Any, Any], None]


def one(records: list[dict[str, Any]]) -> dict[str, Any]:
    assert len(records) == 1, records
    return records[0]


def booked(kind: str, **expected: Any) -> Check:
    def check(home, final):
        record = one([b for b in created(home, "travel", "bookings") if b["kind"] == kind])
        assert {k: record[k] for k in expected} == expected
    return check


def round_trip(home, final):
    legs = sorted(created(home, "travel", "bookings"), key=lambda b: b["date"])
    assert [(b["from"], b["to"], b["date"], b["kind"]) for b in legs] == [
        ("Beijing", "Hangzhou", "2026-12-10", "train"), ("Hangzhou", "Beijing", "2026-12-12", "train")]


def cancelled_booking(booking_id: str) -> Check:
    def check(home, final):
        states = {b["id"]: b["status"] for b in sandbox_state(home)["travel"]["bookings"]}
        assert states[booking_id] == "cancelled" and list(states.values()).count("cancelled") == 2  # + BK-000004
    return check


def ordered(product_id: str, quantity: int, merchant_id: str) -> Check:
    def check(home, final):
        order = one(created(home, "shop", "orders"))
        assert (order["product_id"], order["quantity"], order["merchant_id"]) == (product_id, quantity, merchant_id)
        assert order["merchant_id"] not in ("M013", "M017", "M019")  # never a merchant on the fraud list
    return check


def order_status(order_id: str, status: str) -> Check:
    def check(home, final):
        assert {o["id"]: o["status"] for o in sandbox_state(home)["shop"]["orders"]}[order_id] == status
    return check


def says(*words: str) -> Check:
    def check(home, final):
        assert all(w in final.text for w in words), final.text
        assert not any(created(home, d, t) for d, tables in sandbox_state(home).items() for t in tables
                       if t not in ("carts",))
    return check


def appointment(service_id: str, day: str) -> Check:
    def check(home, final):
        record = one(created(home, "gov", "appointments"))
        assert (record["service_id"], record["date"], record["status"]) == (service_id, day, "booked")
    return check


def application(service_id: str) -> Check:
    def check(home, final):
        record = one(created(home, "gov", "applications"))
        assert (record["service_id"], record["status"]) == (service_id, "submitted")
        assert record["id"] in final.text
    return check


CASES = [
    ("travel.book_train", "travel", "book the fastest train from Beijing to Shanghai on Dec 19", [],
     booked("train", **{"from": "Beijing", "to": "Shanghai", "date": "2026-12-19"})),
    ("travel.book_flight", "travel", "订一张12月18日北京飞上海最早的机票", [],
     booked("flight", date="2026-12-18", seat_class="economy")),
    ("travel.book_hotel", "travel", "book a hotel in Shanghai for 2 nights from Dec 18 under 400 a night", [],
     booked("hotel", city="Shanghai", nights=2, date="2026-12-18")),
    ("travel.round_trip", "travel", "round trip Beijing to Hangzhou, leaving Dec 10 and back Dec 12", ["高铁"],
     round_trip),
    ("travel.cancel_booking", "travel", "取消我12月18日去上海的火车票", [], cancelled_booking("BK-000001")),
    ("travel.list_bookings", "travel", "show my bookings", [], says("BK-000001", "BK-000002")),
    ("shop.search_products", "shop", "find wireless headphones under 2000 yuan", [], says("Found")),
    ("shop.buy", "shop", "帮我买两个苹果降噪耳机", [], ordered("P0006", 2, "M004")),  # cheapest: flagged M017
    ("shop.cancel_order", "shop", "cancel the order for the nuts", [], order_status("ORD-000008", "cancelled")),
    ("shop.return_item", "shop", "那双跑鞋我想退货", [], order_status("ORD-000006", "return_requested")),
    ("shop.order_status", "shop", "where is my air purifier", [], says("ORD-000007", "JD673949282004")),
    ("gov.life_event", "gov", "we just had a baby, what do we need to do?", [],
     says("Newborn household registration", "GS-0001")),
    ("gov.service_info", "gov", "护照换发需要什么材料", [], says("居民身份证", "¥120.00")),
    ("gov.check_eligibility", "gov", "am I eligible for passport renewal", [], says("You are eligible")),
    ("gov.book_appointment", "gov", "book an appointment for passport renewal on Dec 2", [],
     appointment("GS-0031", "2026-12-02")),
    ("gov.submit_application", "gov", "申请新生儿落户", [], application("GS-0001")),
    ("gov.application_status", "gov", "what's the status of my application BJ-20261019-00001", [],
     says("APP-000001", "approved")),
]


@pytest.mark.parametrize("intent, agent_name, text, answers, check", CASES, ids=[c[0] for c in CASES])
def test_every_playbook_end_to_end(services, errand_home, intent, agent_name, text, answers, check):
    agent = agent_for(services, agent_name)
    answers = list(answers)
    result = agent.run(text)
    assert agent.state(result.run_id)["notes"]["offline"]["today"] == "2026-11-28"
    approvals = 0
    while result.status is RunStatus.WAITING:
        if result.waiting_for.kind == "question":
            result = agent.answer(result.run_id, answers.pop(0))
        else:
            approvals += 1
            result = agent.approve(result.run_id)
    assert result.status is RunStatus.DONE, result.final
    consequential = [a for a in result.actions if a.effect != "read"]
    assert approvals == len(consequential) and all(a.status is ActionStatus.EXECUTED for a in consequential)
    check(errand_home, result.final)
    assert answers == []  # every scripted answer was asked for


def test_the_test_cases_cover_every_intent():
    from agents.understanding.model import INTENTS

    assert {c[0] for c in CASES} == set(INTENTS) - {"out_of_scope"}
