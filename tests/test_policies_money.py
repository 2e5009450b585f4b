"""Money: Decimal amounts, caps per action and over windows from the audit log, and the log itself."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from agents.models import Decision
from policies import AuditLog, PolicyEngine
from policies.money import CurrencyMismatch, Money
from policies.windows import Window
from policies_support import FakeShop, order, request, user, write
from tests_support import cli_env

CN = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 28, 10, 0, tzinfo=CN)  # a Saturday

CAPS = """policy: caps
settings: {vulnerable_profile: null}
data_release: {name: {domains: [shop]}, phone: {domains: [shop]}, address: {domains: [shop]},
               payment_methods: {domains: [shop]}}
caps:
  - {id: daily, label: your daily limit, limit: 1000 CNY, window: day, near: 80%}
  - {id: weekly-rolling, label: your 7-day limit, limit: 3000 CNY, window: 7d}
  - {id: alipay-monthly, label: your Alipay monthly limit, limit: 2000 CNY, window: month, per: payment_method,
     when: {payment_method: alipay-main}}
rules:
  - {id: payments-ok, decision: allow, when: {effect: payment}}
"""


def paid(log: AuditLog, amount: str, at: datetime, *, method: str = "alipay-main", ok: bool = True,
         run: str = "old", action: str = "1.1", who: str = "li-ming") -> None:
    from tools.model import MoneyArg, ToolMeta

    meta = ToolMeta(effect="payment", domain="shop", money=MoneyArg(amount_arg="max_total", currency_arg="currency"))
    args = {"max_total": amount.split()[0], "currency": amount.split()[1], "payment_method": method,
            "merchant_id": "M004"}
    log.record_execution(run_id=run, action_id=action, tool="shop_place_order", args=args,
                         args_hash=f"h-{run}-{action}", user_id=who, meta=meta,
                         result={"ok": ok, "output": {"id": "ORD-1"}} if ok else {"ok": False, "error": {
                             "kind": "conflict", "message": "sold out"}}, at=at)


@pytest.fixture
def caps(tmp_path):
    log = AuditLog()
    return log, PolicyEngine(write(tmp_path, CAPS), audit=log, market=FakeShop(risk={}).market(),
                             clock=lambda: NOW)


# -- money and windows ------------------------------------------------------------------------

def test_money_is_exact_decimal_with_a_currency():
    assert Money.parse("¥1,299.00") == Money(Decimal("1299.00"), "CNY")
    assert str(Money.parse("1299 CNY")) == "¥1,299.00" and str(Money.parse("12.5 USD")) == "$12.50"
    assert Money.parse("0.10 CNY") + Money.parse("0.20 CNY") == Money(Decimal("0.30"), "CNY")
    with pytest.raises(ValueError, match="float"):
        Money.parse(0.1)
    with pytest.raises(CurrencyMismatch):
        assert Money.parse("1 CNY") < Money.parse("1 USD")


def test_windows_start_where_a_person_expects():
    assert Window.parse("day").start(NOW, CN) == datetime(2026, 11, 28, tzinfo=CN)
    assert Window.parse("week").start(NOW, CN) == datetime(2026, 11, 23, tzinfo=CN)  # Monday
    assert Window.parse("month").start(NOW, CN) == datetime(2026, 11, 1, tzinfo=CN)
    assert Window.parse("year").start(NOW, CN) == datetime(2026, 1, 1, tzinfo=CN)
    assert Window.parse("rolling 36h").start(NOW, CN) == NOW - timedelta(hours=36)
    assert Window.parse("30d").phrase() == "in the last 30 days" and Window.parse("week").phrase() == "this week"
    with pytest.raises(ValueError):
        Window.parse("fortnightly")


# -- caps ------------------------------------------------------------------------------------------

def test_a_calendar_day_cap_counts_today_in_the_policy_time_zone(caps):
    log, engine = caps
    paid(log, "700.00 CNY", NOW - timedelta(hours=2), action="1")
    paid(log, "900.00 CNY", datetime(2026, 11, 27, 23, 30, tzinfo=CN), action="2")  # yesterday, Beijing time
    verdict = engine.decide(request("shop_place_order", order(total="400.00")))
    assert verdict.decision is Decision.DENY
    assert verdict.reasons[0] == ("Denying because this payment of ¥400.00 would bring your spending today to "
                                  "¥1,100.00, above your daily limit of ¥1,000.00 (rule daily).")
    near = engine.decide(request("shop_place_order", order(total="150.00")))
    assert near.decision is Decision.ASK
    assert near.reasons[0] == ("Asking because this payment of ¥150.00 would bring your spending today to ¥850.00, "
                               "85% of your daily limit of ¥1,000.00 (rule daily).")
    assert engine.decide(request("shop_place_order", order(total="50.00"))).decision is Decision.ALLOW


def test_a_rolling_window_of_any_length(caps):
    log, engine = caps
    paid(log, "2000.00 CNY", NOW - timedelta(days=6, hours=23), method="card-cmb", action="1")
    paid(log, "2000.00 CNY", NOW - timedelta(days=7, hours=1), method="card-cmb", action="2")
    verdict = engine.decide(request("shop_place_order", order(total="999.99", payment_method="card-cmb")))
    assert verdict.decision is Decision.ASK  # near the daily cap, but within the 7-day one
    over = engine.decide(request("shop_place_order", order(total="1000.01", payment_method="card-cmb")))
    assert over.signals["decided_by"] == ["daily", "weekly-rolling"]
    assert "bring your spending in the last week to ¥3,000.01" in over.reasons[1]


def test_caps_per_payment_method_count_only_that_method(caps):
    log, engine = caps
    for i, day in enumerate((2, 5, 9)):
        paid(log, "600.00 CNY", datetime(2026, 11, day, 12, tzinfo=CN), method="alipay-main", action=f"a{i}")
    paid(log, "900.00 CNY", datetime(2026, 11, 3, 12, tzinfo=CN), method="card-cmb", action="c")
    alipay = engine.decide(request("shop_place_order", order(total="300.00")))
    assert alipay.decision is Decision.DENY and alipay.signals["rule"] == "alipay-monthly"
    assert "your spending with alipay-main this month to ¥2,100.00" in alipay.reasons[0]
    card = engine.decide(request("shop_place_order", order(total="300.00", payment_method="card-cmb")))
    assert card.decision is Decision.ALLOW


def test_only_successful_executions_in_the_same_currency_count_and_exactly_once(caps):
    log, engine = caps
    for _ in range(3):  # a node re-run records the same execution again: one entry
        paid(log, "0.10 CNY", NOW - timedelta(hours=1), action="dime")
    paid(log, "0.70 CNY", NOW - timedelta(hours=1), action="seventy")
    paid(log, "500.00 CNY", NOW - timedelta(hours=1), ok=False, action="failed")
    paid(log, "500.00 USD", NOW - timedelta(hours=1), action="dollars")
    assert log.spent("li-ming", "CNY", since=NOW - timedelta(days=1), until=NOW) == Decimal("0.80")
    exact = engine.decide(request("shop_place_order", order(total="999.20")))  # 0.80 + 999.20 = 1000.00 exactly
    assert exact.decision is Decision.ASK and exact.signals["caps"]["daily"]["total"] == "¥1,000.00"
    assert engine.decide(request("shop_place_order", order(total="999.21"))).decision is Decision.DENY


def test_payments_allowed_in_the_same_run_count_before_they_execute(caps):
    log, engine = caps
    first = request("shop_place_order", order(total="600.00"), run_id="r", action_id="1.1")
    verdict = engine.decide(first)
    assert verdict.decision is Decision.ALLOW
    from tools.model import tool_meta

    log.record_decision(run_id="r", action_id="1.1", agent="t", tool=first.tool, args=first.args, args_hash="x",
                        user_id="li-ming", meta=first.meta, verdict=verdict.model_dump(mode="json"))
    second = engine.decide(request("shop_place_order", order(total="500.00"), run_id="r", action_id="1.2"))
    assert second.decision is Decision.DENY and "to ¥1,100.00" in second.reasons[0]
    again = engine.decide(first)  # the gate re-running for the same action does not count itself
    assert again.decision is Decision.ALLOW
    assert tool_meta  # imported for the meta type above


def test_a_payment_in_another_currency_cannot_be_checked_so_it_asks(caps):
    _, engine = caps
    from tools.model import MoneyArg

    req = request("shop_place_order", order(total="10.00"))
    req.meta = req.meta.model_copy(update={"money": MoneyArg(amount_arg="max_total", currency="USD")})
    verdict = engine.decide(req)
    assert verdict.decision is Decision.ASK
    assert "this payment is in USD and your daily limit is in CNY, so it cannot be checked" in verdict.reasons[0]


def test_the_payment_methods_own_limit_is_a_cap(tmp_path):
    engine = PolicyEngine("default", market=FakeShop(risk={}).market())
    verdict = engine.decide(request("shop_place_order", order(total="5000.01")))
    assert verdict.decision is Decision.DENY
    assert verdict.reasons[0] == ("Denying because this payment of ¥5,000.01 is above the per-transaction limit of "
                                  "this payment method of ¥5,000.00 (rule payment-method-limit).")
    stranger = engine.decide(request("shop_place_order", order(total="10.00", payment_method="someone-elses-card")))
    assert stranger.decision is Decision.ASK and "is not one of your payment methods" in " ".join(stranger.reasons)


def test_caps_survive_a_process_restart(tmp_path, errand_home):
    script = ("from datetime import datetime, timedelta, timezone\n"
              "from policies import AuditLog\n"
              "from tools.model import ToolMeta\n"
              "meta = ToolMeta(effect='payment', domain='shop', money={'amount_arg': 'max_total'})\n"
              "AuditLog().record_execution(run_id='earlier-process', action_id='1.1', tool='shop_place_order',\n"
              "    args={'max_total': '950.00', 'payment_method': 'alipay-main'}, args_hash='h', user_id='li-ming',\n"
              "    meta=meta, result={'ok': True, 'output': {}},\n"
              "    at=datetime(2026, 11, 28, 1, 0, tzinfo=timezone.utc))\n")
    subprocess.run([sys.executable, "-c", script], env=cli_env(errand_home), check=True, timeout=60)
    engine = PolicyEngine(write(tmp_path, CAPS), market=FakeShop(risk={}).market(), clock=lambda: NOW)
    verdict = engine.decide(request("shop_place_order", order(total="100.00")))
    assert verdict.decision is Decision.DENY and "to ¥1,050.00" in verdict.reasons[0]


# -- the audit log -----------------------------------------------------------------------------

def filled_log() -> AuditLog:
    log = AuditLog()
    for i in range(1, 6):
        log.append("decision", f"k{i}", data={"n": i}, run_id="run", action_id=f"{i}.1",
                   at=datetime(2026, 11, 28, i, tzinfo=timezone.utc))
    assert log.verify().ok
    return log


def sql(log: AuditLog, statement: str, *params) -> None:
    conn = sqlite3.connect(log.path)
    conn.execute(statement, params)
    conn.commit()
    conn.close()


def test_the_audit_log_is_append_only_idempotent_and_verifies():
    log = filled_log()
    again = log.append("decision", "k3", data={"n": "different"})
    assert again.seq == 3 and again.data == {"n": 3}
    report = log.verify()
    assert report.ok and report.entries == 5 and report.head == log.entries()[-1].hash


def test_an_edited_entry_is_found_and_named():
    log = filled_log()
    sql(log, "UPDATE entries SET data=? WHERE seq=2", '{"n": 200}')
    report = log.verify()
    assert not report.ok
    assert [(p.seq, p.problem) for p in report.problems] == [(2, "edited")]
    assert report.problems[0].message.startswith("entry 2 (decision, run run, action 2.1")


def test_a_removed_entry_is_found_and_named():
    log = filled_log()
    sql(log, "DELETE FROM entries WHERE seq=3")
    problems = log.verify().problems
    assert [(p.seq, p.problem) for p in problems] == [(3, "removed")]
    assert problems[0].message == "entry 3 is missing: the sequence jumps to 4"


def test_reordered_entries_are_found_and_named():
    log = filled_log()
    sql(log, "UPDATE entries SET seq=-2 WHERE seq=2")
    sql(log, "UPDATE entries SET seq=2 WHERE seq=3")
    sql(log, "UPDATE entries SET seq=3 WHERE seq=-2")
    problems = log.verify().problems
    assert [(p.seq, p.problem) for p in problems] == [(2, "reordered"), (3, "reordered"), (4, "reordered")]
    assert "it was written after entry 3" in problems[0].message


def test_entries_removed_from_the_end_are_found_and_a_kept_head_detects_rewrites():
    log = filled_log()
    head = log.verify().head
    sql(log, "DELETE FROM entries WHERE seq>=4")
    problems = log.verify().problems
    assert [(p.seq, p.problem) for p in problems] == [(4, "removed")]
    assert "entries 4–5 were removed from the end" in problems[0].message
    sql(log, "DELETE FROM head")
    assert [p.problem for p in log.verify(expect_head=head).problems] == ["head", "head"]


def test_audit_verify_on_the_command_line(errand_home):
    import typer
    from typer.testing import CliRunner

    from policies.cli import audit_app, policy_app

    app = typer.Typer()  # mounted the way agents/cli.py mounts it
    app.add_typer(policy_app, name="policy")
    app.add_typer(audit_app, name="audit")
    log = filled_log()
    runner = CliRunner()
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0 and "5 entries, chain intact" in ok.output
    sql(log, "UPDATE entries SET data=? WHERE seq=4", '{"n": 4, "x": 1}')
    bad = runner.invoke(app, ["audit", "verify", "--json"])
    assert bad.exit_code == 1
    assert '"problem": "edited"' in bad.output and '"seq": 4' in bad.output
    assert user()["id"] == "li-ming"
