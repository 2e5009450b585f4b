"""Policies: the file format, fail-closed loading, precedence and exceptions, explanations."""

from __future__ import annotations

import pytest

from agents.models import Decision
from policies import PolicyEngine, load_policy
from policies.loader import SHIPPED
from policies_support import FakeShop, order, request, write
from tools.loading import InputError

MINIMAL = """
policy: test
settings: {{vulnerable_profile: null}}
data_release: {{name: {{domains: [shop]}}, phone: {{domains: [shop]}}, address: {{domains: [shop]}}, payment_methods: {{domains: [shop]}}}}
rules:
{rules}
"""


def engine_for(tmp_path, rules: str, **kw) -> PolicyEngine:
    path = write(tmp_path, MINIMAL.format(rules=rules))
    return PolicyEngine(path, market=FakeShop().market(), **kw)


def problems(tmp_path, text: str) -> list[tuple[int | None, str]]:
    path = write(tmp_path, text)
    with pytest.raises(InputError) as caught:
        load_policy(path)
    assert caught.value.source == str(path)
    assert str(path) in str(caught.value)
    return caught.value.problems


# -- shipped files --------------------------------------------------------------------------

@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_policies_load_and_pass_their_own_examples(name):
    policy = load_policy(name)
    assert policy.rules and policy.caps
    assert policy.settings.default in ("ask", "deny")


def test_default_policy_keeps_the_baseline_reads_run_the_rest_asks_unknown_asks():
    engine = PolicyEngine("default", market=FakeShop(risk={}).market())
    assert engine.decide(request("shop_search_products", {"query": "tea"})).decision is Decision.ALLOW
    assert engine.decide(request("shop_create_cart", {"customer_id": "li-ming"})).decision is Decision.ASK
    assert engine.decide(request("shop_place_order", order())).decision is Decision.ASK
    unknown = request("mystery_tool", {"x": 1}).model_copy(update={"tool_exists": True})
    verdict = engine.decide(unknown)
    assert verdict.decision is Decision.ASK and verdict.signals["rule"] == "unknown-effect"
    missing = engine.decide(request("no_such_tool", {}))
    assert missing.decision is Decision.DENY and missing.signals["rule"] == "no-such-tool"


def test_an_allow_rule_can_never_allow_a_tool_without_effect_metadata(tmp_path):
    engine = engine_for(tmp_path, "  - {id: everything, decision: allow, when: {tool: '*'}}")
    unknown = request("mystery_tool", {}).model_copy(update={"tool_exists": True})
    assert engine.decide(unknown).decision is Decision.ASK
    strict = write(tmp_path, "policy: s\nsettings: {strict: true, vulnerable_profile: null}\n"
                             "rules: [{id: all, decision: allow, when: {tool: '*'}}]", "strict.yaml")
    assert PolicyEngine(strict).decide(unknown).decision is Decision.DENY


# -- precedence and exceptions ------------------------------------------------------------------

NARROW_ALLOW = """  - id: no-shop-payments
    decision: deny
    when: {domain: shop, effect: {ge: payment}}
    because: shop payments are off
    exceptions:
      - id: tea-from-m004
        decision: allow
        when: {domain: shop, effect: payment, payees: {all_in: [M004]}, amount: {le: 300 CNY}}
        because: tea from M004 up to ¥300 is fine
  - id: payments-ask
    decision: ask
    when: {effect: {ge: payment}}
"""


def test_deny_beats_ask_beats_allow(tmp_path):
    engine = engine_for(tmp_path, """  - {id: reads, decision: allow, when: {effect: read}}
  - {id: cautious, decision: ask, when: {tool: shop_search_products}}
  - {id: never-m013, decision: deny, when: {args.merchant_id: M013}}""")
    verdict = engine.decide(request("shop_search_products", {"query": "tea"}))
    assert verdict.decision is Decision.ASK and verdict.signals["rule"] == "cautious"
    verdict = engine.decide(request("shop_search_products", {"query": "tea", "merchant_id": "M013"}))
    assert verdict.decision is Decision.DENY and verdict.signals["decided_by"] == ["never-m013"]


def test_a_narrower_exception_relaxes_only_its_own_rule(tmp_path):
    engine = engine_for(tmp_path, NARROW_ALLOW)
    carved = engine.decide(request("shop_place_order", order("M004", "259.00")))
    # the exception turned the deny into allow, but the other rule still asks: precedence holds
    assert carved.decision is Decision.ASK
    assert carved.signals["decided_by"] == ["payments-ask"]
    outside = engine.decide(request("shop_place_order", order("M004", "301.00")))
    assert outside.decision is Decision.DENY
    assert outside.reasons[0] == "Denying because shop payments are off (rule no-shop-payments)."
    other = engine.decide(request("shop_place_order", order("M006", "233.00")))
    assert other.decision is Decision.DENY


def test_exceptions_must_be_proven_narrower_and_must_relax(tmp_path):
    found = problems(tmp_path, MINIMAL.format(rules="""  - id: no-shop
    decision: deny
    when: {domain: shop, amount: {gt: 100 CNY}}
    exceptions:
      - {id: broader, decision: allow, when: {amount: {gt: 100 CNY}}}
      - {id: looser, decision: allow, when: {domain: shop, amount: {gt: 50 CNY}}}
      - {id: same, decision: ask, when: {domain: shop, amount: {gt: 100 CNY}}}
      - {id: stricter, decision: deny, when: {domain: shop, amount: {gt: 500 CNY}}}
      - {id: fine, decision: ask, when: {domain: shop, amount: {ge: 1000 CNY}, payees: {contains: M004}}}"""))
    messages = [m for _, m in problems_by_line(found)]
    assert any("exceptions.0.when: exception 'broader' is not provably narrower" in m and "restrict domain" in m
               for m in messages)
    assert any("exceptions.1.when: exception 'looser'" in m and "restrict amount" in m for m in messages)
    assert any("exceptions.2.when" in m and "exactly the same actions" in m for m in messages)
    assert any("exceptions.3.decision" in m and "not less strict" in m for m in messages)
    assert not any("'fine'" in m for m in messages)
    lines = {line for line, m in found if "exceptions." in m}
    assert lines == {10, 11, 12, 13}


def problems_by_line(found):
    return sorted(found, key=lambda p: p[0] or 0)


# -- fail-closed loading ---------------------------------------------------------------------------

def test_every_kind_of_malformed_rule_fails_the_whole_load_with_file_and_line(tmp_path):
    text = """policy: broken
settings: {vulnerable_profile: null, timezone: Mars/Olympus}
caps:
  - {id: cap-1, limit: lots, window: fortnightly}
rules:
  - {id: ok-rule, decision: deny, when: {tool: shop_place_order}}
  - {id: Bad Id, decision: deny, when: {tool: x}}
  - {id: typo, decision: ask, when: {efect: payment}}
  - {id: wrong-op, decision: ask, when: {tool: {gt: 5}}}
  - {id: bad-regex, decision: ask, when: {args.query: {matches: "(open"}}}
  - {id: bad-money, decision: ask, when: {amount: {gt: 12.5}}}
  - {id: no-python, decision: ask, when: {python: not_registered}}
  - {id: ok-rule, decision: ask, when: {effect: write}}
  - {id: allow-all, decision: allow}
  - {id: maybe, decision: perhaps, when: {effect: read}}
  - {id: placeholder, decision: ask, when: {effect: read}, because: "it costs {amout}"}
"""
    found = problems(tmp_path, text)
    # pydantic-level problems are reported first and stop compilation; check them, then fix them
    by_msg = {m.split(":")[0]: line for line, m in found}
    assert by_msg["settings.timezone"] == 2
    assert by_msg["caps.0.limit"] == 4 and by_msg["caps.0.window"] == 4
    assert by_msg["rules.1.id"] == 7
    assert by_msg["rules.9.decision"] == 15
    fixed = (text.replace("Mars/Olympus", "Asia/Shanghai").replace("limit: lots, window: fortnightly", "limit: 1 CNY")
             .replace("Bad Id", "bad-id").replace("perhaps", "ask"))
    found = problems(tmp_path, fixed)
    where = {m.split(": ")[0]: line for line, m in found}
    assert where == {"rules.2.when.efect": 8, "rules.3.when.tool": 9, "rules.4.when.args.query": 10,
                     "rules.5.when.amount": 11, "rules.6.when.python": 12, "rules.7.id": 13, "rules.8.when": 14,
                     "rules.10.because": 16}
    text_of = {m.split(": ")[0]: m for _, m in found}
    assert "unknown fact 'efect'" in text_of["rules.2.when.efect"]
    assert "operator 'gt' does not apply to a text fact" in text_of["rules.3.when.tool"]
    assert "float" in text_of["rules.5.when.amount"]
    assert "duplicate id 'ok-rule'" in text_of["rules.7.id"]
    assert "{amout}" in text_of["rules.10.because"]


def test_broken_yaml_and_wrong_shapes_name_the_line(tmp_path):
    assert problems(tmp_path, "policy: x\nrules:\n  - id: a\n    decision: [deny\n")[0][0] is not None
    assert problems(tmp_path, "- just\n- a list\n") == [(1, "a policy file is a mapping with at least a 'policy' name")]
    found = problems(tmp_path, "policy: x\nrules:\n  - id: a\n    decision: deny\n    whenn: {}\n")
    assert found[0][0] == 5 and "whenn" in found[0][1]


def test_rule_examples_are_checked_at_load(tmp_path):
    found = problems(tmp_path, MINIMAL.format(rules="""  - id: big-orders
    decision: ask
    when: {amount: {gt: 1000 CNY}}
    matches:
      - {tool: shop_checkout_cart, amount: 999 CNY, args: {cart_id: C1}}
    not_matches:
      - {tool: shop_checkout_cart, amount: 1001 CNY, args: {cart_id: C1}}
      - {tool: shop_checkout_cart, amount: 5 CNY, args: {cart_id: C1}}"""))
    assert [(line, m.split(":")[0]) for line, m in found] == [(10, "rules.0.matches.0"), (12, "rules.0.not_matches.0")]
    assert "¥999.00" in found[0][1] and "should apply but did not" in found[0][1]


def test_a_missing_risk_list_or_vulnerable_profile_fails_the_load(tmp_path):
    found = problems(tmp_path, "policy: x\nsettings:\n  vulnerable_profile: nowhere.yaml\n"
                               "  fraud: {risk_lists: [shop-service, missing.yaml]}\n")
    assert {m.split(":")[0] for _, m in found} == {"settings.vulnerable_profile", "settings.fraud.risk_lists.1"}


def test_extends_layers_settings_and_adds_rules_and_refuses_cycles(tmp_path):
    write(tmp_path, "policy: child\nextends: default\nsettings: {plain_language: true}\n"
                    "rules: [{id: no-m006, decision: deny, when: {payees: {contains: M006}}}]", "child.yaml")
    child = load_policy(tmp_path / "child.yaml")
    assert child.settings.plain_language and child.settings.vulnerable_profile == "strict"
    assert [r.id for r in child.rules][-1] == "no-m006" and "reads" in {r.id for r in child.rules}
    write(tmp_path, "policy: a\nextends: b.yaml\n", "a.yaml")
    write(tmp_path, "policy: b\nextends: a.yaml\n", "b.yaml")
    with pytest.raises(InputError, match="cycle"):
        load_policy(tmp_path / "a.yaml")
    write(tmp_path, "policy: dup\nextends: default\nrules: [{id: reads, decision: deny, when: {effect: read}}]",
          "dup.yaml")
    with pytest.raises(InputError, match="duplicate id 'reads'"):
        load_policy(tmp_path / "dup.yaml")


# -- explanations ----------------------------------------------------------------------------

def test_every_verdict_is_one_sentence_with_rule_condition_and_values():
    engine = PolicyEngine("default", market=FakeShop(risk={}, offers={}).market())
    verdict = engine.decide(request("shop_place_order", order("M004", "1299.00")))
    assert verdict.decision is Decision.ASK
    assert verdict.reasons[0] == ("Asking because this payment of ¥1,299.00 is above your per-purchase limit of "
                                  "¥1,000.00 (rule shop-payment-cap).")
    assert verdict.signals["rule"] == "shop-payment-cap"
    assert verdict.signals["caps"]["shop-payment-cap"]["limit"] == "¥1,000.00"
    assert set(verdict.signals) >= {"fraud", "injection", "data_released", "untrusted_args", "remember"}
    assert verdict.signals["data_released"] == ["address", "name", "payment_methods", "phone"]


def test_generated_clauses_carry_the_actual_values(tmp_path):
    engine = engine_for(tmp_path, "  - {id: many, decision: deny, when: {args.quantity: {gt: 3}, domain: shop}}")
    verdict = engine.decide(request("shop_add_to_cart", {"cart_id": "C1", "product_id": "P0001",
                                                         "merchant_id": "M004", "quantity": 7}))
    assert verdict.reasons == ["Denying because the argument quantity (7) is above 3 and the service is shop "
                               "(rule many)."]


def test_unknown_values_never_loosen_a_decision(tmp_path):
    engine = engine_for(tmp_path, """  - {id: big, decision: deny, when: {args.max_total: {gt: 100}}}
  - {id: small-ok, decision: allow, when: {args.max_total: {le: 100}}}""")
    verdict = engine.decide(request("shop_place_order", order(total="a lot")))
    assert verdict.decision is Decision.DENY
    assert "could not check" in verdict.reasons[0]


# -- Python rules ---------------------------------------------------------------------------

def test_python_rules_are_registered_by_name_and_a_failing_one_never_loosens(tmp_path):
    from policies.money import Money
    from policies.rules import python_rule

    @python_rule("test_weekend_spend")
    def weekend_spend(facts):
        amount = facts.get("amount")
        if facts.get("time.weekday") in ("saturday", "sunday") and isinstance(amount, Money) and amount.amount > 200:
            return f"it is {facts.get('time.weekday')} and this payment is {amount}"
        return False

    @python_rule("test_broken")
    def broken(facts):
        raise RuntimeError("oops")

    engine = engine_for(tmp_path, """  - {id: weekend, decision: deny, when: {python: test_weekend_spend}}
  - {id: fragile, decision: deny, when: {tool: shop_create_cart, python: test_broken}}
  - {id: fragile-allow, decision: allow, when: {tool: shop_get_product, python: test_broken}}""")
    verdict = engine.decide(request("shop_place_order", order(total="259.00")))  # 2026-11-28 is a Saturday
    assert verdict.reasons[0] == "Denying because it is saturday and this payment is ¥259.00 (rule weekend)."
    assert engine.decide(request("shop_place_order", order(total="99.00"))).signals["rule"] != "weekend"
    cart = engine.decide(request("shop_create_cart", {"customer_id": "li-ming"}))
    assert cart.decision is Decision.DENY and "Python rule test_broken failed (RuntimeError: oops)" in cart.reasons[0]
    product = engine.decide(request("shop_get_product", {"product_id": "P0001"}))
    assert product.decision is Decision.ASK and product.signals["rule"] == "default"
