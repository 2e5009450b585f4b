"""Playbooks: the file format and its checks, the expression language, and the engine's rules."""

from __future__ import annotations

import textwrap
from decimal import Decimal
from pathlib import Path

import pytest

from agents.models import Action, ActionStatus, GateVerdict, Decision
from agents.playbooks import (
    Ask,
    Engine,
    Env,
    ExprError,
    Fail,
    Finish,
    PlaybookError,
    Propose,
    Refinement,
    Situation,
    compile_expr,
    compile_template,
    load_playbook_file,
    load_playbooks,
)
from agents.playbooks.matching import ReferenceMatcher, match_option
from agents.understanding.model import INTENTS
from tools import errand_tool

USER = {"id": "li-ming", "name": "Li Ming", "phone": "13800138000", "home_city": "Beijing",
        "payment_methods": [{"id": "alipay-main", "limit_per_transaction": "5000"},
                            {"id": "card-cmb", "limit_per_transaction": "20000"}],
        "preferences": {"preferred_merchants": ["M001"]}}


@errand_tool(effect="read", domain="shop", summary="Find {query}")
def find_tea(query: str, max_price: Decimal | None = None) -> dict:
    """Find tea offers."""
    return {}


@errand_tool(effect="payment", domain="shop", money="max_total", summary="Buy {quantity} x {offer_id}")
def buy_tea(offer_id: str, quantity: int, max_total: Decimal, payment_method: str) -> dict:
    """Buy tea."""
    return {}


TOOLS = [find_tea, buy_tea]

TEA = """\
playbooks:
  - intent: shop.buy_tea
    title: {en: Buy tea, zh: 买茶}
    slots:
      query:
        type: text
        required: true
        ask: {en: "Which tea?", zh: "哪种茶？"}
      quantity: {type: count, default: 1}
      max_price: {type: money}
      preference: {type: preference, default: cheapest}
    steps:
      - id: search
        tool: find_tea
        args: {query: "${slots.query}", max_price: "${slots.max_price}"}
        say: {en: "Look for ${slots.query}.", zh: "查找${slots.query}。"}
      - id: buy
        tool: buy_tea
        choose:
          from: steps.search.offers
          where: item.stock >= slots.quantity and within(item.price, slots.max_price)
          rules:
            cheapest: {key: item.price, label: {en: cheapest, zh: 最便宜}}
            preferred_merchant: {key: "(item.merchant not in user.preferences.preferred_merchants, item.price)",
                                 label: {en: preferred, zh: 常用商家}}
          by: slots.preference
          next_on: [sold_out]
          on_none: {en: "No tea fits.", zh: "没有合适的茶。"}
        args:
          offer_id: ${pick.id}
          quantity: ${slots.quantity}
          max_total: ${money(pick.price * slots.quantity)}
          payment_method: ${payment_method(pick.price * slots.quantity)}
        say: {en: "Buy ${slots.quantity} x ${pick.id}, the ${choice.why}, for ¥${money(pick.price * slots.quantity)}.",
              zh: "买${choice.why}的${pick.id}。"}
    report:
      - text: {en: "Bought ${steps.buy.id}.", zh: "已买 ${steps.buy.id}。"}
"""


def write(tmp_path: Path, text: str, name: str = "book.yaml") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def problems_of(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(PlaybookError) as err:
        load_playbook_file(path, tools=TOOLS)
    message = str(err.value)
    assert str(path) in message
    return message


# -- the shipped playbooks ---------------------------------------------------------------------

def test_shipped_playbooks_cover_every_intent_and_check_against_the_real_tools():
    from agents.brains.offline import _catalogue

    books = load_playbooks(tools=_catalogue(), plugins=False, home=False)
    assert set(books.intents) == set(INTENTS) - {"out_of_scope"}
    buy = books.get("shop.buy")
    assert buy is not None and "shop_check_merchant_risk" in buy.tools
    assert buy.tools.index("shop_check_merchant_risk") < buy.tools.index("shop_place_order")


def test_a_valid_file_loads(tmp_path):
    [book] = load_playbook_file(write(tmp_path, TEA), tools=TOOLS)
    assert book.intent == "shop.buy_tea" and book.tools == ["find_tea", "buy_tea"]
    assert book.source.endswith("book.yaml")


# -- malformed files: every problem names file, line and what is wrong ----------------------------

def test_bad_yaml_names_the_line(tmp_path):
    message = problems_of(tmp_path, "playbooks:\n  - intent: shop.x\n    title: [unclosed\n")
    assert ":4:" in message and "not valid YAML" in message


def test_unknown_tool(tmp_path):
    message = problems_of(tmp_path, TEA.replace("tool: buy_tea", "tool: buy_coffee"))
    assert "book.yaml:18:" in message and "unknown tool 'buy_coffee'" in message and "buy_tea" in message


def test_argument_the_tool_does_not_take(tmp_path):
    message = problems_of(tmp_path, TEA.replace("quantity: ${slots.quantity}", "qty: ${slots.quantity}"))
    assert ":31: playbooks.0.steps.1.args.qty: buy_tea has no argument 'qty'" in message
    assert ":30: playbooks.0.steps.1.args: buy_tea needs argument 'quantity'" in message


def test_reference_to_an_undefined_slot(tmp_path):
    message = problems_of(tmp_path, TEA.replace("${slots.query}\"", "${slots.tea_name}\""))
    assert "book.yaml:15:" in message
    assert "`slots.tea_name`: no slot named 'tea_name'" in message


def test_reference_to_a_later_or_unknown_step(tmp_path):
    message = problems_of(tmp_path, TEA.replace("from: steps.search.offers", "from: steps.buy.offers"))
    assert "`steps.buy`: no earlier step named 'buy'" in message and ":20:" in message


def test_wrong_types_are_named_with_their_line(tmp_path):
    message = problems_of(tmp_path, TEA.replace("quantity: {type: count, default: 1}",
                                                "quantity: {type: number, default: 1}"))
    assert ":9:" in message and "slots.quantity.type" in message and "'count'" in message


def test_a_literal_argument_the_tool_would_refuse(tmp_path):
    message = problems_of(tmp_path, TEA.replace("quantity: ${slots.quantity}", "quantity: lots"))
    assert "buy_tea would refuse 'lots'" in message and ":31:" in message


def test_bad_expressions_and_unknown_functions(tmp_path):
    message = problems_of(tmp_path, TEA.replace("within(item.price, slots.max_price)", "cheap(item)")
                          .replace("${slots.query}.\"", "${slots.query +}.\""))
    assert "unknown function 'cheap'" in message and ":21:" in message
    assert "not a valid expression" in message and ":16:" in message


def test_reserved_words_get_a_hint(tmp_path):
    message = problems_of(tmp_path, TEA.replace("from: steps.search.offers", "from: steps.search.from"))
    assert "x['from']" in message


def test_several_problems_are_reported_together(tmp_path):
    message = problems_of(tmp_path, TEA.replace("tool: find_tea", "tool: find_coffee")
                          .replace("from: steps.search.offers", "from: steps.nope.offers"))
    assert len(message.splitlines()) == 2


def test_a_required_slot_needs_a_question_and_steps_need_a_reason(tmp_path):
    message = problems_of(tmp_path, TEA.replace('        ask: {en: "Which tea?", zh: "哪种茶？"}\n', "")
                          .replace('        say: {en: "Look for ${slots.query}.", zh: "查找${slots.query}。"}\n', ""))
    assert "needs `ask`" in message and "needs `say`" in message


def test_home_and_entry_point_playbooks_override_by_intent(tmp_path, errand_home, monkeypatch):
    own = errand_home / "playbooks"
    own.mkdir(parents=True)
    write(own, TEA, "tea.yaml")
    plugin = write(tmp_path, TEA.replace("Buy tea", "Buy plugin tea"), "plugin.yaml")

    class EntryPoint:
        name, value = "teapack", "teapack:playbooks"

        def load(self):
            return lambda: [str(plugin)]

    monkeypatch.setattr("agents.playbooks.loader.entry_points", lambda group: [EntryPoint()])
    books = load_playbooks(tools=TOOLS, shipped=False, home=False)
    assert books.get("shop.buy_tea").title.en == "Buy plugin tea"
    books = load_playbooks(tools=TOOLS, shipped=False)
    assert books.get("shop.buy_tea").title.en == "Buy tea"  # ERRAND_HOME wins over plugins


def test_duplicate_intents_in_one_file(tmp_path):
    doubled = TEA + TEA.split("playbooks:\n", 1)[1]
    message = problems_of(tmp_path, doubled)
    assert "already has a playbook in this file" in message


# -- the expression language -------------------------------------------------------------------

def ev(source: str, **roots):
    return compile_expr(source)(Env(roots))


def test_money_strings_are_numbers_in_arithmetic_and_ordering():
    assert ev("p.price * q + p.shipping", p={"price": "420.50", "shipping": "8.00"}, q=2) == Decimal("849.00")
    assert ev("a < b", a="99.00", b="100.00") is True  # numerically, not as text
    assert ev("min([x.price for x in xs])", xs=[{"price": "9.50"}, {"price": "10.00"}]) == "9.50"
    assert ev("money(1 / 3)") == Decimal("0.33")


def test_missing_data_reads_as_none_and_text_compares_as_text():
    assert ev("a.b.c", a={}) is None
    assert ev("xs[5]", xs=[1]) is None
    assert ev("coalesce(a.b, 'x')", a=None) == "x"
    assert ev("d1 < d2", d1="2026-12-05", d2="2026-12-18") is True


def test_nothing_but_data_is_reachable():
    for source in ("().__class__", "x.__class__", "open('f')", "__import__('os')", "lambda: 1", "x[1:2]",
                   "[a for a in b for c in d]", "x is 1"):
        with pytest.raises(ExprError):
            compile_expr(source)(Env({"x": {}}))
    with pytest.raises(ExprError, match="cannot read"):
        ev("s.upper", s="text")
    with pytest.raises(ExprError, match="check for None first"):
        ev("a < b", a=None, b=1)


def test_templates_keep_types_when_whole_and_render_text_otherwise():
    assert compile_template("${xs}").render(Env({"xs": [1, 2]})) == [1, 2]
    assert compile_template("¥${p} for ${n} night(s)").render(Env({"p": Decimal("1.50"), "n": 2})) == \
        "¥1.50 for 2 night(s)"
    assert compile_template("${ {'a': 1}['a'] }").render(Env({})) == 1


def test_payment_method_picks_the_first_that_covers_the_amount():
    assert ev("payment_method(4999)", user=USER) == "alipay-main"
    assert ev("payment_method(6000)", user=USER) == "card-cmb"
    assert ev("payment_method(50000)", user=USER) is None


# -- references and options ----------------------------------------------------------------

def test_references_match_ids_exactly_and_words_loosely():
    match = ReferenceMatcher(lambda phrase: ["Shanghai"] if "上海" in phrase else [])
    hotel = {"id": "BK-000002", "kind": "hotel", "city": "Shanghai", "hotel_name": "澜庭酒店(上海虹桥枢纽店)"}
    train = {"id": "BK-000001", "kind": "train", "from": "Beijing", "to": "Shanghai"}
    assert match(hotel, "BK-000002") == 1.0 and match(train, "BK-000002") == 0.0
    assert match(hotel, "my hotel in Shanghai") > match(train, "my hotel in Shanghai")
    assert match(train, "去上海的火车") == 1.0 and match(hotel, "去上海的火车") == 0.5
    assert match({"product_name": "李宁赤兔7跑鞋"}, "那双跑鞋") == 1.0
    assert match(train, "my last booking") == 1.0  # says nothing that tells records apart


def test_answers_pick_options_by_id_position_or_resemblance():
    options = [("BK-000001: G9286 Beijing → Shanghai", "BK-000001"), ("BK-000002: Lanting Hotel", "BK-000002")]
    assert match_option("bk-000002 please", options) == "BK-000002"
    assert match_option("2", options) == "BK-000002"
    assert match_option("the first", options, ordinal=1) == "BK-000001"
    assert match_option("the Lanting hotel", options) == "BK-000002"
    assert match_option("whatever", options) is None


# -- the engine ------------------------------------------------------------------------------

OFFERS = {"offers": [{"id": "T1", "price": "30.00", "stock": 5, "merchant": "M009"},
                     {"id": "T2", "price": "25.00", "stock": 1, "merchant": "M002"},
                     {"id": "T3", "price": "40.00", "stock": 9, "merchant": "M001"}]}


@pytest.fixture
def tea(tmp_path):
    [book] = load_playbook_file(write(tmp_path, TEA), tools=TOOLS)
    return book


def situation(request, actions=(), lang="en", refinements=()):
    return Situation(lang=lang, today="2026-11-28", user=USER, request=request, actions=list(actions),
                     refinements=list(refinements), effects={"find_tea": "read", "buy_tea": "payment"},
                     required_args={"buy_tea": frozenset({"offer_id", "quantity", "max_total", "payment_method"}),
                                    "find_tea": frozenset({"query"})})


def done(move: Propose, step: int, output=None, status=ActionStatus.EXECUTED, **result) -> Action:
    action = Action.propose(step, 1, move.tool, move.args, call_id=move.call_id, rationale=move.rationale)
    action.status = status
    action.effect = "read" if move.tool == "find_tea" else "payment"
    action.result = {"ok": status is ActionStatus.EXECUTED, "output": output, **result}
    return action


def test_a_missing_required_slot_is_one_question_in_the_persons_language(tea):
    move = Engine(tea, situation({}, lang="zh")).next_move()
    assert move == Ask("哪种茶？", "query")
    assert Engine(tea, situation({})).next_move() == Ask("Which tea?", "query")


def test_steps_bind_slots_and_earlier_results(tea):
    first = Engine(tea, situation({"query": "longjing", "quantity": 2})).next_move()
    assert isinstance(first, Propose) and first.args == {"query": "longjing"}  # the unset budget is left out
    search = done(first, 1, OFFERS)
    second = Engine(tea, situation({"query": "longjing", "quantity": 2}, [search])).next_move()
    assert isinstance(second, Propose)
    assert second.args == {"offer_id": "T1", "quantity": 2, "max_total": "60.00", "payment_method": "alipay-main"}
    assert second.rationale == "Buy 2 x T1, the cheapest, for ¥60.00."  # T2 has too little stock
    assert second.call_id == "pb:buy:T1"


def test_selection_rules_and_budget(tea):
    search = done(Engine(tea, situation({"query": "x"})).next_move(), 1, OFFERS)
    preferred = Engine(tea, situation({"query": "x", "preference": "preferred_merchant"}, [search])).next_move()
    assert preferred.args["offer_id"] == "T3"
    tight = situation({"query": "x", "max_price": "20"}, [done(Propose("search", "find_tea", {
        "query": "x", "max_price": "20"}, "", "pb:search:"), 1, OFFERS)])
    assert Engine(tea, tight).next_move() == Finish("No tea fits.")


def test_a_rejected_option_is_never_proposed_again_and_the_next_one_is(tea):
    request = {"query": "x"}
    search = done(Engine(tea, situation(request)).next_move(), 1, OFFERS)
    first = Engine(tea, situation(request, [search])).next_move()
    rejected = done(first, 2, status=ActionStatus.REJECTED)
    second = Engine(tea, situation(request, [search, rejected])).next_move()
    assert isinstance(second, Propose) and second.args["offer_id"] == "T1"  # T2 (cheapest) was turned down
    assert second.rationale.startswith("Instead of the option you turned down: buy 1 x T1, the next cheapest")
    again = done(second, 3, status=ActionStatus.REJECTED)
    third = Engine(tea, situation(request, [search, rejected, again])).next_move()
    assert isinstance(third, Ask) and third.slot == "refine"  # two in a row: ask what to change
    nothing = Engine(tea, situation(request, [search, rejected, again],
                                    refinements=[Refinement(4, False, "answer")])).next_move()
    assert isinstance(nothing, Finish) and "Nothing was changed" in nothing.text


def test_a_refinement_that_changes_a_slot_reruns_the_search(tea):
    request = {"query": "x"}
    search = done(Engine(tea, situation(request)).next_move(), 1, OFFERS)
    rejected = done(Engine(tea, situation(request, [search])).next_move(), 2, status=ActionStatus.REJECTED)
    refined = {"query": "x", "max_price": "28"}
    move = Engine(tea, situation(refined, [search, rejected], refinements=[Refinement(2, True, "reason")])).next_move()
    assert isinstance(move, Propose) and move.tool == "find_tea" and move.args["max_price"] == "28"


def test_a_denial_is_not_retried(tea):
    request = {"query": "x"}
    search = done(Engine(tea, situation(request)).next_move(), 1, OFFERS)
    denied = done(Engine(tea, situation(request, [search])).next_move(), 2, status=ActionStatus.DENIED)
    denied.verdict = GateVerdict(decision=Decision.DENY, reasons=["over your cap"], summary="Buy 1 x T2")
    move = Engine(tea, situation(request, [search, denied])).next_move()
    assert isinstance(move, Fail) and "policy refused Buy 1 x T2 (over your cap)" in move.text


def test_a_conflict_moves_to_the_next_option_and_other_failures_stop(tea):
    request = {"query": "x"}
    search = done(Engine(tea, situation(request)).next_move(), 1, OFFERS)
    sold_out = done(Engine(tea, situation(request, [search])).next_move(), 2, status=ActionStatus.FAILED,
                    error={"status": 409, "code": "sold_out", "message": "sold out"})
    move = Engine(tea, situation(request, [search, sold_out])).next_move()
    assert isinstance(move, Propose) and move.args["offer_id"] == "T1" and "sold out" in move.rationale
    broken = done(move, 3, status=ActionStatus.FAILED, error={"status": 409, "code": "duplicate_booking",
                                                              "message": "you already hold this tea"})
    final = Engine(tea, situation(request, [search, sold_out, broken])).next_move()
    assert isinstance(final, Fail) and "you already hold this tea" in final.text


def test_a_completed_payment_is_never_proposed_again(tea):
    request = {"query": "x"}
    search = done(Engine(tea, situation(request)).next_move(), 1, OFFERS)
    bought = done(Engine(tea, situation(request, [search])).next_move(), 2, {"id": "ORD-1"})
    later = {"query": "x", "max_price": "50"}  # even when the inputs change afterwards
    engine = Engine(tea, situation(later, [search, bought], refinements=[Refinement(3, True, "answer")]))
    assert isinstance(engine.next_move(), Propose)  # the search re-runs with the new budget …
    rerun = done(engine.next_move(), 3, OFFERS)
    final = Engine(tea, situation(later, [search, bought, rerun])).next_move()
    assert final == Finish("", complete=True)  # … but nothing is bought twice
    assert Engine(tea, situation(later, [search, bought, rerun])).report() == "Bought ORD-1."
