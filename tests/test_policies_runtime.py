"""The policy engine inside the runtime: default gate, audit trail, data release, remembered
approvals, the strict profile, replay, and the command line."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import typer
import yaml
from typer.testing import CliRunner

from agents import Agent, RunStatus
from agents.brains.scripted import ScriptedChatModel
from agents.models import ActionStatus, Decision
from policies import AuditLog, PolicyEngine
from policies.approvals import user_policy_path
from policies.cli import audit_app, policy_app
from policies_support import FakeShop, user, write
from tools import errand_tool

LEDGER: list[dict] = []
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@errand_tool(effect="read", domain="shop", summary="Find '{query}'")
def find_tea(query: str) -> dict:
    """Find tea."""
    return {"items": [{"id": "P7", "merchant_id": "M006", "price": "88.00",
                       "description": "Spring harvest longjing from West Lake, hand fried in small batches."}]}


@errand_tool(effect="payment", domain="shop", money="max_total", personal_data=["phone", "payment_methods"],
             summary="Buy {quantity} x {product_id} from {merchant_id} for up to {max_total} CNY")
def buy_tea(product_id: str, merchant_id: str, quantity: int, max_total: Decimal, payment_method: str,
            phone: str) -> dict:
    """Buy tea."""
    LEDGER.append({"product_id": product_id, "merchant_id": merchant_id, "max_total": str(max_total)})
    return {"order_id": f"ORD-{len(LEDGER)}"}


@errand_tool(effect="irreversible", domain="gov", money="max_fee", personal_data=["name", "national_id"],
             summary="File form for {name}")
def file_form(name: str, national_id: str, max_fee: Decimal) -> dict:
    """File a form."""
    LEDGER.append({"form": name})
    return {"application_id": "APP-1"}


@pytest.fixture(autouse=True)
def clean_ledger():
    LEDGER.clear()


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


def call(name: str, /, **args) -> dict:
    return {"tool_calls": [{"name": name, "args": args}]}


def buy(merchant: str = "M004", total: str = "176.00") -> dict:
    return call("buy_tea", product_id="P7", merchant_id=merchant, quantity=2, max_total=total,
                payment_method="alipay-main", phone="$user.phone")


def agent(*replies, policy: str = "default", clock: Clock | None = None) -> Agent:
    gate = PolicyEngine(policy, market=FakeShop(risk={"M013": "fakes"}).market(), clock=clock)
    return Agent("shop", tools=[find_tea, buy_tea, file_form], brain=ScriptedChatModel(script=list(replies)),
                 gate=gate)


REQUEST = "buy 2 boxes of P7 from M004, at most 176.00"


# -- the default gate and the audit trail ------------------------------------------------------

def test_an_agent_uses_the_policy_engine_by_default_and_takes_a_policy():
    assert isinstance(Agent("a").gate, PolicyEngine) and Agent("a").gate.policy.name == "default"
    chosen = Agent("b", policy="autonomous")
    assert chosen.gate.policy.name == "autonomous" and chosen.spec["policy"] == "autonomous"
    with pytest.raises(ValueError, match="either a gate or a policy"):
        Agent("c", gate=PolicyEngine(), policy="strict")


def test_every_decision_approval_and_execution_is_audited_once():
    bot = agent(call("find_tea", query="longjing"), buy(), "bought")
    result = bot.run(REQUEST)
    assert result.status is RunStatus.WAITING
    assert bot.approve(result.run_id, reviewer="terminal").status is RunStatus.DONE
    log = AuditLog()
    kinds = [(e.kind, e.tool) for e in log.entries(run_ids=[result.run_id])]
    assert kinds == [("decision", "find_tea"), ("executed", "find_tea"), ("decision", "buy_tea"),
                     ("human", "buy_tea"), ("executed", "buy_tea")]
    executed = log.entries(kinds=["executed"], run_ids=[result.run_id])[-1]
    assert executed.data["amount"] == "176.00 CNY" and executed.data["payees"] == ["M004"]
    # LangGraph re-runs a node from its top after a crash: the audit log does not grow
    before_gate = next(s for s in bot.graph.get_state_history(bot._config(result.run_id)) if s.next == ("gate",)
                       and s.values.get("step") == 2)
    bot.graph.invoke(None, before_gate.config)  # replay from that checkpoint: gate runs again, pauses again
    assert len(log.entries(run_ids=[result.run_id])) == 5
    assert log.verify().ok



def test_a_step_that_pauses_logs_every_decision_before_anyone_is_asked():
    both = {"tool_calls": [{"name": "find_tea", "args": {"query": "longjing"}}, buy()["tool_calls"][0]]}
    bot = agent(both, "bought")
    result = bot.run(REQUEST)
    assert result.status is RunStatus.WAITING
    log = AuditLog()
    # the allowed read waits with the payment, so its decision is written now, not with its execution
    assert [(e.kind, e.tool) for e in log.entries(run_ids=[result.run_id])] == [
        ("decision", "find_tea"), ("decision", "buy_tea")]
    assert bot.approve(result.run_id).status is RunStatus.DONE
    kinds = [(e.kind, e.tool) for e in log.entries(run_ids=[result.run_id])]
    assert kinds[:2] == [("decision", "find_tea"), ("decision", "buy_tea")]
    assert sorted(kinds[2:]) == [("executed", "buy_tea"), ("executed", "find_tea"), ("human", "buy_tea")]
    assert log.verify().ok



def test_two_payments_in_one_step_cannot_each_squeeze_under_a_cap(tmp_path):
    policy = write(tmp_path, """policy: caps
settings: {vulnerable_profile: null}
data_release: {phone: {domains: [shop]}, payment_methods: {domains: [shop]}}
caps:
  - {id: daily, label: your daily limit, limit: 1000 CNY, window: day}
rules:
  - {id: payments-ok, decision: allow, when: {effect: payment}}
""")
    gate = PolicyEngine(policy, market=FakeShop(risk={}).market(), clock=Clock())
    both = {"tool_calls": [buy(total="600.00")["tool_calls"][0], buy(total="500.00")["tool_calls"][0]]}
    bot = Agent("shop", tools=[find_tea, buy_tea], brain=ScriptedChatModel(script=[both, "done"]), gate=gate)
    result = bot.run(REQUEST)
    first, second = result.actions
    assert first.status is ActionStatus.EXECUTED and LEDGER == [
        {"product_id": "P7", "merchant_id": "M004", "max_total": "600.00"}]
    # the first payment's decision was in the log before the second was decided
    assert second.status is ActionStatus.DENIED and "1,100.00" in second.verdict.reasons[0]

def test_an_allowed_read_that_never_runs_still_has_its_decision_logged():
    bot = agent(call("find_tea", query="longjing"), "done")
    run_id, state = bot.start(REQUEST)
    config = bot._config(run_id)
    bot.graph.invoke(state, config, interrupt_before=["act"], durability="sync")
    log = AuditLog()
    assert log.entries(run_ids=[run_id]) == []  # the allowed read's decision goes with its execution
    actions = bot.state(run_id)["actions"]
    actions[0]["args"] = {"query": "something else"}  # tampered after the gate: must not run
    bot.graph.update_state(config, {"actions": actions}, as_node="gate")
    final = bot.continue_run(run_id)
    assert final.actions[0].status is ActionStatus.FAILED
    assert [(e.kind, e.tool) for e in log.entries(run_ids=[run_id])] == [("decision", "find_tea")]


def test_appending_entries_together_is_one_idempotent_link_each():
    from policies.audit import Pending

    log = AuditLog()
    first = log.append_all([Pending(kind="decision", key="r:1:decision", data={"n": 1}, run_id="r"),
                            Pending(kind="executed", key="r:1:executed", data={"n": 2}, run_id="r")])
    assert [e.seq for e in first] == [1, 2] and first[1].prev == first[0].hash
    again = log.append_all([Pending(kind="decision", key="r:1:decision", data={"n": 1}, run_id="r"),
                            Pending(kind="executed", key="r:2:executed", data={"n": 3}, run_id="r")])
    assert again[0].seq == 1 and again[1].seq == 3 and again[1].prev == first[1].hash
    assert len(log.entries()) == 3 and log.verify().ok

def test_the_act_node_runs_nothing_the_gate_denied():
    bot = agent(buy("M013", "88.00"), "ok")
    result = bot.run(REQUEST)
    assert result.status is RunStatus.DONE and LEDGER == []
    action = result.actions[0]
    assert action.status is ActionStatus.DENIED and action.verdict.signals["rule"] == "fraud-risk-list"


# -- data release in the runtime ------------------------------------------------------------------

def test_profile_data_a_tool_may_not_have_never_enters_its_arguments():
    bot = agent(call("buy_tea", product_id="P7", merchant_id="M004", quantity=1, max_total="88.00",
                     payment_method="alipay-main", phone="$user.national_id"), "ok")
    result = bot.run(REQUEST)
    action = result.actions[0]
    assert action.status is ActionStatus.DENIED and LEDGER == []
    assert action.args["phone"] == "$user.national_id"  # the ID number itself was never put in the action
    assert user()["national_id"] not in json.dumps(bot.state(result.run_id)["actions"], ensure_ascii=False)
    assert action.verdict.reasons == ["Denying because it asks for your national ID number, which your policy does "
                                      "not release to buy_tea (rule data-withheld)."]
    declared = agent(buy(), "ok").run(REQUEST).waiting_for.actions[0]
    assert declared.args["phone"] == user()["phone"]


# -- remembered approvals ---------------------------------------------------------------------------

def test_always_allow_becomes_a_narrow_expiring_rule():
    clock = Clock()
    first = agent(buy(), "bought", clock=clock)
    result = first.run(REQUEST)
    offer = result.waiting_for.actions[0].signals["remember"]
    assert offer["offered"] is True and offer["rule"]["amount_up_to"] == "176.00 CNY"
    done = first.approve(result.run_id, remember=True, reviewer="terminal")
    assert done.status is RunStatus.DONE
    stored = yaml.safe_load(user_policy_path("li-ming").read_text(encoding="utf-8"))["remembered"]
    assert len(stored) == 1
    rule = stored[0]
    assert rule["tool"] == "buy_tea" and rule["user"] == "li-ming" and rule["amount_up_to"] == "176.00 CNY"
    assert rule["args"] == {"product_id": "P7", "merchant_id": "M004", "quantity": 2, "payment_method": "alipay-main",
                            "phone": user()["phone"]}
    assert datetime.fromisoformat(rule["expires"]) - datetime.fromisoformat(rule["created"]) == timedelta(days=30)
    assert done.actions[0].human["remembered"] == rule["id"]

    again = agent(buy(), "bought", clock=clock).run(REQUEST)
    assert again.status is RunStatus.DONE and len(LEDGER) == 2
    assert again.actions[0].verdict.reasons[0].startswith("Allowing because you said to always allow this on")
    assert agent(buy(total="176.01"), "x", clock=clock).run(REQUEST).status is RunStatus.WAITING
    assert agent(buy(merchant="M006"), "x", clock=clock).run(REQUEST).status is RunStatus.WAITING
    clock.now = NOW + timedelta(days=31)
    assert agent(buy(), "x", clock=clock).run(REQUEST).status is RunStatus.WAITING


def test_always_allow_is_never_offered_for_values_from_tool_output():
    bot = agent(call("find_tea", query="longjing"), buy(merchant="M006", total="176.00"), "ok")
    result = bot.run("buy two boxes of longjing, at most 176.00")
    pending = result.waiting_for.actions[0]
    assert pending.signals["remember"] == {"offered": False,
                                           "why": "some arguments came from tool output: merchant_id, product_id"}
    bot.approve(result.run_id, remember=True)
    assert not user_policy_path("li-ming").exists()


def test_a_broken_user_policy_file_stops_everything_until_fixed():
    path = user_policy_path("li-ming")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("policy: mine\nremembered:\n  - {id: x, tool: buy_tea}\n", encoding="utf-8")
    result = agent(call("find_tea", query="tea"), "ok").run("find tea")
    verdict = result.actions[0].verdict
    assert verdict.decision is Decision.DENY and verdict.signals["rule"] == "policy-error"
    assert f"{path}:3" in verdict.reasons[0]


# -- the strict profile ---------------------------------------------------------------------------------

def test_vulnerable_users_get_the_strict_profile():
    clock = Clock()
    old = user(vulnerable=True)
    result = agent(buy(), "ok", clock=clock).run(REQUEST, user=old)
    pending = result.waiting_for.actions[0]
    assert pending.signals["policy"] == "strict"
    assert "every-payment-asked" in pending.signals["decided_by"]
    assert pending.signals["remember"]["offered"] is False  # payments are never remembered here
    assert "You pay up to ¥176.00 with Alipay (li***@example.cn). This shares your payment details and phone number." \
        in pending.summary
    over = agent(buy(total="600.00"), "ok", clock=clock).run(REQUEST, user=old)
    assert over.actions[0].status is ActionStatus.DENIED
    assert over.actions[0].verdict.signals["rule"] == "strict-payment-cap"


def test_irreversible_actions_wait_out_a_cooling_off_period_for_vulnerable_users():
    clock = Clock()
    old = user(vulnerable=True)
    form = call("file_form", name="$user.name", national_id="$user.national_id", max_fee="0")
    first = agent(form, "held", clock=clock).run("file the form", user=old)
    action = first.actions[0]
    assert action.status is ActionStatus.DENIED and action.verdict.signals["rule"] == "cooling-off"
    assert "propose it again after 10:30 on 2026-11-28" in action.verdict.reasons[0]
    clock.now = NOW + timedelta(minutes=29)
    assert agent(form, "held", clock=clock).run("file the form", user=old).actions[0].status is ActionStatus.DENIED
    clock.now = NOW + timedelta(minutes=31)
    later = agent(form, "ok", clock=clock).run("file the form", user=old)
    assert later.status is RunStatus.WAITING and later.waiting_for.actions[0].signals["rule"] == "irreversible-ask"
    assert LEDGER == []
    # the same user without the vulnerable flag is asked straight away
    assert agent(form, "ok", clock=Clock()).run("file the form").status is RunStatus.WAITING


def test_the_autonomous_policy_runs_payments_within_caps_and_asks_irreversible():
    bot = agent(call("find_tea", query="tea"), buy(merchant="M006"), "bought", policy="autonomous")
    assert bot.run("buy two boxes of tea, at most 176.00").status is RunStatus.DONE
    assert LEDGER[0]["merchant_id"] == "M006"
    form = call("file_form", name="$user.name", national_id="$user.national_id", max_fee="0")
    assert agent(form, "ok", policy="autonomous").run("file it").status is RunStatus.WAITING


# -- replay and the command line ----------------------------------------------------------------------------

def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(policy_app, name="policy")
    app.add_typer(audit_app, name="audit")
    return app


def test_replay_lists_the_decisions_a_changed_policy_would_change(tmp_path):
    bot = agent(call("find_tea", query="longjing"), buy(), "bought")
    run_id = bot.run(REQUEST).run_id
    bot.approve(run_id)
    no_m004 = write(tmp_path, "policy: no-m004\nextends: default\n"
                              "rules: [{id: not-m004, decision: deny, when: {payees: {contains: M004}}}]\n")
    runner = CliRunner()
    out = runner.invoke(cli(), ["policy", "replay", str(no_m004), "--runs", run_id, "--json"])
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    assert report["evaluated"] == 2 and report["unchanged"] == 1
    [change] = report["changes"]
    assert (change["tool"], change["before"], change["after"], change["after_rule"]) == \
        ("buy_tea", "ask", "deny", "not-m004")
    loose = json.loads(runner.invoke(cli(), ["policy", "replay", "autonomous", "--all", "--json"]).output)
    assert [(c["before"], c["after"]) for c in loose["changes"]] == [("ask", "allow")]


def test_policy_check_and_explain_on_the_command_line(tmp_path):
    runner = CliRunner()
    ok = runner.invoke(cli(), ["policy", "check", "default", "--json"])
    assert ok.exit_code == 0 and json.loads(ok.output)["examples_checked"] >= 5
    broken = write(tmp_path, "policy: b\nrules:\n  - {id: x, decision: ask, when: {efect: read}}\n")
    bad = runner.invoke(cli(), ["policy", "check", str(broken)])
    assert bad.exit_code == 2 and f"{broken}:3: rules.0.when.efect: unknown fact 'efect'" in bad.output
    action = {"tool": "shop_checkout_cart", "amount": "1299 CNY", "args": {"cart_id": "CART-000001"}}
    out = runner.invoke(cli(), ["policy", "explain", "default", "--action", json.dumps(action), "--json"])
    explained = json.loads(out.output)
    assert explained["decision"] == "ask" and explained["rule"] == "shop-payment-cap"
    assert explained["reason"] == ("Asking because this payment of ¥1,299.00 is above your per-purchase limit of "
                                   "¥1,000.00 (rule shop-payment-cap).")
    reads = next(r for r in explained["rules"] if r["rule"] == "reads")
    assert reads["applied"] is False and reads["failed"] == "not: the action's effect (payment) is read"
    text = runner.invoke(cli(), ["policy", "explain", "default", "--action", json.dumps(action)])
    assert text.exit_code == 0 and "ASK" in text.output
    assert runner.invoke(cli(), ["policy", "explain", "default", "--action", "{not json"]).exit_code == 2
