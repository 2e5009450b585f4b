"""Request understanding (agents.understanding): dates, places, numbers, catalogue matches,
intents in both languages, follow-ups, single-slot answers, and the labelled set's bar.

The clock is fixed at 2026-11-28, a Saturday, as in the labelled set.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agents.understanding import INTENTS, Understanding, normalise_slot_value, parse_slot, understand
from agents.understanding.dates import find_dates
from agents.understanding.places import canonical_city, find_cities
from agents.understanding.text import cn_number, language_of
from evals.understanding.dataset import DatasetError, load
from evals.understanding.metrics import evaluate

TODAY = date(2026, 11, 28)


def read(text: str, **kw) -> Understanding:  # type: ignore[no-untyped-def]
    return understand(text, today=TODAY, **kw)


# -- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(("phrase", "expected"), [
    ("tomorrow", "2026-11-29"), ("明天", "2026-11-29"), ("the day after tomorrow", "2026-11-30"),
    ("后天", "2026-11-30"), ("大后天", "2026-12-01"), ("in 3 days", "2026-12-01"), ("3天后", "2026-12-01"),
    ("next Friday", "2026-12-04"), ("下周五", "2026-12-04"), ("this Friday", "2026-12-04"), ("周五", "2026-12-04"),
    ("下下周五", "2026-12-11"), ("Sunday", "2026-11-29"), ("next Sunday", "2026-12-06"), ("下周日", "2026-12-06"),
    ("Dec 5", "2026-12-05"), ("5 December", "2026-12-05"), ("12/5", "2026-12-05"), ("12月5日", "2026-12-05"),
    ("十二月五号", "2026-12-05"), ("Jan 3", "2027-01-03"), ("on the 5th", "2026-12-05"), ("5号", "2026-12-05"),
    ("2027-02-06", "2027-02-06"), ("tonight", "2026-11-28"),
])
def test_dates_resolve_against_the_fixed_clock(phrase: str, expected: str) -> None:
    found = find_dates(phrase, TODAY)
    assert [d.value.isoformat() for d in found.dates] == [expected]


@pytest.mark.parametrize(("text", "check_in", "nights"), [
    ("hotel in Xi'an from Dec 18 to Dec 20", "2026-12-18", 2),
    ("杭州的酒店，12月18日到20日", "2026-12-18", 2),
    ("a hotel in Wuhan for 3 nights starting December 20", "2026-12-20", 3),
    ("成都酒店，下周六入住，住两晚", "2026-12-05", 2),
    ("hotel in Chengdu this Friday to next Monday", "2026-12-04", 3),
])
def test_stays_give_check_in_and_nights(text: str, check_in: str, nights: int) -> None:
    slots = read(text).slots
    assert (slots["check_in"], slots["nights"]) == (check_in, nights)


def test_round_trip_dates_know_which_is_the_return() -> None:
    assert read("return flight Beijing to Harbin, out on Jan 8 and back on Jan 12").slots == {
        "origin": "Beijing", "destination": "Harbin", "date": "2027-01-08", "return_date": "2027-01-12",
        "booking_kind": "flight"}
    slots = read("广州到深圳的往返高铁，12月6日去，12月7日回").slots
    assert (slots["date"], slots["return_date"]) == ("2026-12-06", "2026-12-07")


# -- places -----------------------------------------------------------------------------


@pytest.mark.parametrize(("written", "city"), [
    ("Xian", "Xi'an"), ("xi'an", "Xi'an"), ("西安", "Xi'an"), ("西安市", "Xi'an"), ("XIY", "Xi'an"),
    ("帝都", "Beijing"), ("魔都", "Shanghai"), ("Peking", "Beijing"), ("PVG", "Shanghai"), ("浦东机场", "Shanghai"),
    ("虹桥", None), ("上海虹桥", "Shanghai"), ("汉口", "Wuhan"), ("chong qing", "Chongqing"), ("Shangai", "Shanghai"),
    ("Atlantis", None),
])
def test_city_names_and_aliases(written: str, city: str | None) -> None:
    assert canonical_city(written) == city


@pytest.mark.parametrize(("text", "origin", "destination"), [
    ("from Beijing to Shanghai", "Beijing", "Shanghai"), ("Beijing to Shanghai", "Beijing", "Shanghai"),
    ("to Shanghai from Beijing", "Beijing", "Shanghai"), ("从北京到上海", "Beijing", "Shanghai"),
    ("北京去上海", "Beijing", "Shanghai"), ("上海飞成都", "Shanghai", "Chengdu"),
    ("Kunming -> Guangzhou", "Kunming", "Guangzhou"), ("between Wuhan and Xi'an", "Wuhan", "Xi'an"),
])
def test_origin_and_destination_come_from_the_wording(text: str, origin: str, destination: str) -> None:
    slots = read(f"book a train {text} on Dec 5").slots
    assert (slots["origin"], slots["destination"]) == (origin, destination)


def test_a_city_said_alone_is_the_destination_and_a_mistyped_one_still_counts() -> None:
    assert read("飞广州，大后天").slots == {"destination": "Guangzhou", "date": "2026-12-01"}
    assert read("Fly me Beijng to Shenzen tomorrow").slots["origin"] == "Beijing"
    assert [c.city for c in find_cities("can you book it")] == []  # "can" is not CAN (Guangzhou)


def test_a_self_correction_replaces_what_was_said_before() -> None:
    slots = read("明天北京到天津的高铁... 不对，是北京到南京").slots
    assert (slots["origin"], slots["destination"]) == ("Beijing", "Nanjing")


# -- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(("numeral", "value"), [("十二", 12), ("两千", 2000), ("一万五", 15000), ("三百二十", 320),
                                                ("一百零五", 105), ("二十", 20), ("42", 42)])
def test_chinese_numerals(numeral: str, value: int) -> None:
    assert cn_number(numeral) == value


@pytest.mark.parametrize(("text", "price"), [
    ("buy earbuds under 500 yuan", "500"), ("earbuds less than ¥500", "500"), ("耳机500元以内", "500"),
    ("耳机不超过五百块", "500"), ("earbuds, budget 2k", "2000"), ("预算两千买个耳机", "2000"),
    ("earbuds for at most 1,299.50 rmb", "1299.5"),
])
def test_money(text: str, price: str) -> None:
    assert read(text).slots["max_price"] == price


@pytest.mark.parametrize(("text", "quantity"), [
    ("buy two packs of moving boxes", 2), ("买三卷封箱胶带", 3), ("get me a couple of bags of cat litter", 2),
    ("两张去上海的高铁票", 2), ("train tickets for 3 people to Wuhan", 3),
])
def test_quantities(text: str, quantity: int) -> None:
    assert read(text).slots["quantity"] == quantity


def test_brand_numbers_are_not_quantities_and_ordinals_are_read() -> None:
    assert "quantity" not in read("买一包三只松鼠每日坚果").slots
    assert read("buy the second one").slots == {"ordinal": 2}
    assert read("买第三个").slots == {"ordinal": 3}


@pytest.mark.parametrize(("text", "seat"), [("business class", "business"), ("商务座", "business"),
                                            ("二等座", "second"), ("经济舱", "economy"), ("first class", "first")])
def test_seat_classes(text: str, seat: str) -> None:
    assert read(f"train from Beijing to Shanghai tomorrow, {text}").slots["seat_class"] == seat


@pytest.mark.parametrize(("text", "preference"), [
    ("cheapest flight to Wuhan", "cheapest"), ("去武汉最便宜的机票", "cheapest"), ("earliest train to Wuhan", "earliest"),
    ("去武汉的高铁，最快的", "fastest"), ("best rated hotel in Wuhan", "best_rated"),
    ("buy cat food from my usual shop", "preferred_merchant"), ("买猫粮，送得最快的", "fastest_delivery"),
])
def test_preferences(text: str, preference: str) -> None:
    assert read(text).slots["preference"] == preference


# -- catalogue matches --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "query", "product_id"), [
    ("find noise cancelling headphnes", "noise cancelling headphones", None),
    ("I want wirless earbuds", "wireless earbuds", None),
    ("buy a Xiaomi Mi Band 9", "xiaomi mi band 9", "P0001"),
    ("buy a Xiaomi Mi Band 9 Pro", "xiaomi mi band 9 pro", "P0002"),
    ("buy the Sony WH-1000XM5", "sony wh-1000xm5", "P0011"),
    ("买个飞鹤奶粉", "飞鹤奶粉", "P0055"),
    ("买个小米充电宝", "小米充电宝", "P0015"),
    ("do you sell dumbells", "dumbbells", None),
])
def test_products_match_fuzzily_and_name_one_product_only_by_brand_or_model(
        text: str, query: str, product_id: str | None) -> None:
    slots = read(text).slots
    assert slots["product_query"] == query
    assert slots.get("product_id") == product_id


def test_categories_merchants_and_services() -> None:
    assert read("show me electronics under 200").slots == {"category": "electronics", "max_price": "200"}
    assert read("帮我在京东买三箱农夫山泉").slots["merchant_id"] == "M001"
    assert "merchant_id" not in read("buy JD Jingzao bubble wrap").slots  # a brand, not the JD store
    assert read("What documents do I need to renew my passport?").slots == {"service_id": "GS-0031"}
    assert read("办理结婚登记需要什么材料").slots == {"service_id": "GS-0020"}
    assert read("we just had a baby, what do we need to do").slots == {"life_event": "having-a-baby"}


# -- intents ------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "intent"), [
    ("Book the cheapest train from Beijing to Shanghai on Dec 5", "travel.book_train"),
    ("帮我订一张下周五北京到上海的高铁票", "travel.book_train"),
    ("I want to fly to Chengdu tomorrow", "travel.book_flight"), ("明天飞成都", "travel.book_flight"),
    ("find me a hotel in Wuhan for two nights", "travel.book_hotel"), ("武汉订个酒店住两晚", "travel.book_hotel"),
    ("round trip to Wuhan, back on Sunday", "travel.round_trip"), ("北京到武汉往返机票", "travel.round_trip"),
    ("cancel my hotel in Shanghai", "travel.cancel_booking"), ("把去杭州的火车票退了", "travel.cancel_booking"),
    ("what trips do I have booked", "travel.list_bookings"), ("我都订了哪些行程", "travel.list_bookings"),
    ("any air fryers under 400?", "shop.search_products"), ("有没有便宜的空气炸锅", "shop.search_products"),
    ("buy a rice cooker", "shop.buy"), ("帮我买个电饭煲", "shop.buy"),
    ("cancel order ORD-000008", "shop.cancel_order"), ("把坚果的订单取消", "shop.cancel_order"),
    ("I'd like to return the running shoes", "shop.return_item"), ("跑鞋想退货", "shop.return_item"),
    ("where is my air purifier", "shop.order_status"), ("空气净化器发货了吗", "shop.order_status"),
    ("we're moving to Hangzhou, what do we need to do", "gov.life_event"), ("身份证丢了怎么办", "gov.life_event"),
    ("what documents do I need for a residence permit", "gov.service_info"), ("办居住证要带什么材料", "gov.service_info"),
    ("am I eligible for the childcare subsidy", "gov.check_eligibility"), ("我能申请育儿补贴吗", "gov.check_eligibility"),
    ("book an appointment for my ID card replacement", "gov.book_appointment"),
    ("帮我预约下周三补办身份证", "gov.book_appointment"),
    ("apply for the maternity allowance", "gov.submit_application"), ("帮我申请生育津贴", "gov.submit_application"),
    ("status of APP-000003", "gov.application_status"), ("我的养老金申请批下来了吗", "gov.application_status"),
])
def test_intents_across_phrasings_in_both_languages(text: str, intent: str) -> None:
    assert read(text).intent == intent


def test_return_trip_is_not_returning_an_item() -> None:
    assert read("return trip to Wuhan on Dec 7 and back Dec 9").intent == "travel.round_trip"
    assert read("return the headphones I bought").intent == "shop.return_item"
    assert read("退掉去成都的火车票").intent == "travel.cancel_booking"


@pytest.mark.parametrize("text", ["what's the weather in Kunming tomorrow", "tell me a joke", "明天会下雨吗",
                                  "recommend a good stock to buy", "我感冒了吃什么药", "帮我叫辆出租车去机场",
                                  "who will win the world cup", "帮我写一首诗"])
def test_out_of_scope_requests_are_recognised(text: str) -> None:
    reading = read(text)
    assert reading.intent == "out_of_scope" and reading.slots == {}


def test_domains_restrict_the_intents_to_a_domain_agent() -> None:
    assert read("buy a rice cooker", domains=["travel"]).intent == "out_of_scope"
    assert read("buy a rice cooker", domains=["shop"]).intent == "shop.buy"
    with pytest.raises(ValueError, match="unknown domains"):
        read("buy a rice cooker", domains=["food"])


def test_close_intents_come_with_alternatives_and_a_note() -> None:
    reading = read("Any hotels in Wuhan for Dec 3-5 under 300 yuan per night?")
    assert reading.intent == "travel.book_hotel"
    assert reading.alternatives and reading.notes and reading.notes[0].startswith("could be")
    clear = read("Book the cheapest train from Beijing to Shanghai on Dec 5")
    assert clear.alternatives == [] and clear.confidence > 0.6


def test_language_detection_counts_characters_against_words() -> None:
    assert language_of("帮我book一张去上海的train") == "zh"
    assert language_of("book a train to 上海 tomorrow") == "en"
    assert read("帮我 book 一张去上海的机票").language == "zh"


# -- follow-ups and single answers ---------------------------------------------------------


def test_follow_ups_merge_into_the_earlier_reading() -> None:
    first = read("book a train from Beijing to Shanghai next Thursday")
    assert read("make it Friday instead", context=first).slots["date"] == "2026-12-04"
    assert read("改成下周五", context=first).slots["date"] == "2026-12-04"
    moved = read("actually fly instead", context=first)
    assert moved.intent == "travel.book_flight" and moved.slots["origin"] == "Beijing"
    assert read("second class please", context=first).slots == {**first.slots, "seat_class": "second"}
    assert read("what's the weather like", context=first).intent == "out_of_scope"
    hotel = read("帮我订杭州的酒店")
    assert read("12月18日入住，住两晚", context=hotel).slots == {"city": "Hangzhou", "check_in": "2026-12-18",
                                                           "nights": 2}


@pytest.mark.parametrize(("slot", "answer", "value"), [
    ("date", "next Friday", "2026-12-04"), ("date", "下周五", "2026-12-04"), ("quantity", "two", 2),
    ("quantity", "两张", 2), ("destination", "Shanghai", "Shanghai"), ("origin", "从西安", "Xi'an"),
    ("seat_class", "经济舱", "economy"), ("max_price", "2k", "2000"), ("max_price", "五百块", "500"),
    ("nights", "两晚", 2), ("ordinal", "the second one", 2), ("product_query", "wirless earbuds", "wireless earbuds"),
    ("service_id", "passport renewal", "GS-0031"), ("date", "no idea", None),
])
def test_parse_slot_reads_short_answers(slot: str, answer: str, value: object) -> None:
    assert parse_slot(slot, answer, today=TODAY) == value


def test_parse_slot_rejects_unknown_slots_and_values_are_in_contract_form() -> None:
    with pytest.raises(ValueError, match="unknown slot 'colour'"):
        parse_slot("colour", "red", today=TODAY)
    with pytest.raises(ValueError, match="seat_class"):
        normalise_slot_value("seat_class", "deluxe")
    for text in ("Book the cheapest train from Beijing to Shanghai on Dec 5", "帮我买两罐飞鹤奶粉，预算500"):
        reading = read(text)
        assert reading.intent in INTENTS
        assert all(normalise_slot_value(k, v) == v for k, v in reading.slots.items())


# -- the labelled set ---------------------------------------------------------------------


def test_labelled_set_loads_and_meets_its_shape() -> None:
    labelled = load()
    assert labelled.clock == TODAY
    requests = labelled.requests
    assert len(requests) >= 330
    for domain in ("gov", "shop", "travel"):
        mine = [r for r in requests if r.domain == domain]
        assert len(mine) >= 110 and any(r.intent == "out_of_scope" for r in mine)
    assert sum(r.lang == "zh" for r in requests) * 3 >= len(requests)
    assert sum(r.split == "heldout" for r in requests) >= 0.3 * len(requests)


def test_malformed_labelled_files_name_file_line_request_and_field(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("clock: 2026-11-28\nrequests:\n"
                   "- {id: a, split: dev, lang: en, intent: shop.buy, text: buy it, slots: {}}\n"
                   "- {id: b, split: dev, lang: en, intent: shop.buy, text: buy it, slots: {quantity: lots}}\n",
                   encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.yaml:4: request b: field slots: .*quantity"):
        load(bad)
    bad.write_text("clock: 2026-11-28\nrequests:\n"
                   "- {id: a, split: dev, lang: en, intent: shop.fly, text: x}\n", encoding="utf-8")
    with pytest.raises(DatasetError, match=r"bad\.yaml:3: request a: field intent: .*unknown intent"):
        load(bad)


def test_heldout_meets_the_bar_in_each_language() -> None:
    labelled = load()
    report = evaluate(labelled.split("heldout"), labelled.clock, "heldout").as_dict()
    for language, figures in report["by_language"].items():
        assert figures["intent_accuracy"] >= 0.95, (language, figures)
        assert figures["slot_f1"] >= 0.90, (language, figures)
