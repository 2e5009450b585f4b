"""Agents for the crash tests: built the same way in the test process and in the child that dies.

Run as a script, it approves a parked run and SIGKILLs itself at a chosen point:
``before_call`` (approved, tool not yet called), ``during_call`` (the service has committed
but the result was never recorded), ``after_act`` (the result is checkpointed, next step not).
"""

from __future__ import annotations

import os
import signal
import sys

from agents import Agent
from agents.brains.scripted import ScriptedChatModel
from tools.packs import gov, shop, travel

USER = "$user."
CALLS = {
    "shop": ("shop_place_order", {
        "customer_id": "li-ming", "product_id": "P0237", "merchant_id": "M004", "quantity": 2,
        "payment_method": "alipay-main", "shipping_name": USER + "name", "shipping_phone": USER + "phone",
        "shipping_address": USER + "address", "max_total": "123.00"}),
    "travel": ("travel_book_train", {
        "offer_id": "TR-D2895-2026-12-19", "seat_class": "second", "passenger_name": USER + "name",
        "passenger_id_number": USER + "national_id", "contact_phone": USER + "phone",
        "payment_method": "alipay-main", "max_price": "395.50"}),
    "gov": ("gov_submit_application", {
        "service_id": "GS-0007", "city": "Beijing", "national_id": USER + "national_id", "name": USER + "name",
        "phone": USER + "phone", "address": USER + "address", "documents": ["id_card"], "max_fee": "0"}),
}
PACKS = {"shop": shop, "travel": travel, "gov": gov}
RECORDS = {"shop": ("shop", "orders"), "travel": ("travel", "bookings"), "gov": ("gov", "applications")}


def make_agent(domain: str) -> Agent:
    tool, args = CALLS[domain]
    model = ScriptedChatModel(script=[{"tool_calls": [{"name": tool, "args": args}]}, "All done."])
    return Agent(domain, tools=PACKS[domain].tools(), brain=model)


def created(domain: str) -> list[dict]:
    from tools.sandbox import sandbox_state

    service, table = RECORDS[domain]
    return [r for r in sandbox_state()[service][table] if not r["seeded"]]


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def approve_and_crash(domain: str, run_id: str, point: str) -> None:
    import agents.graph as graph

    agent = make_agent(domain)
    real_call = graph.call_tool

    def crashing_call(tool, args, *, key=None):  # noqa: ANN001, ANN202 - mirrors call_tool
        if point == "before_call":
            die()
        result = real_call(tool, args, key=key)
        if point == "during_call":
            die()
        return result

    graph.call_tool = crashing_call
    if point == "after_act":
        real_plan = agent.brain.plan

        def crashing_plan(ctx):  # noqa: ANN001, ANN202
            if any(a.status.value == "executed" for a in ctx.actions):
                die()
            return real_plan(ctx)

        agent.brain.plan = crashing_plan  # type: ignore[method-assign]
    agent.approve(run_id)
    raise SystemExit("the crash point was never reached")


if __name__ == "__main__":
    approve_and_crash(*sys.argv[1:4])
