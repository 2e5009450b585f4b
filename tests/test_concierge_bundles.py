"""Life-event bundles are validated data: every shipped bundle plans from requests in English
and Chinese with every item read by its domain agent as meant; a malformed file is refused
with its file, line and what is wrong."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from agents.concierge import (
    BundleError,
    is_life_event,
    load_bundle_file,
    load_bundles,
    parse_bundles,
    routes_to_concierge,
)
from agents.concierge.planner import OfflinePlanner
from agents.concierge.planning import bind, make_plan

TODAY = date(2026, 11, 28)
USER = {"home_city": "Beijing"}

# (request, bundle, slots the request states, plan items) — several phrasings per life event, both languages
REQUESTS = [
    ("We're moving from Chengdu to Hangzhou on Jan 10", "moving-city",
     {"origin": "Chengdu", "destination": "Hangzhou", "date": "2027-01-10"},
     ["residence", "pension", "hukou", "train", "hotel", "boxes", "tape"]),
    ("我们1月10日从成都搬到杭州", "moving-city", {"origin": "Chengdu", "destination": "Hangzhou", "date": "2027-01-10"},
     ["residence", "pension", "hukou", "train", "hotel", "boxes", "tape"]),
    ("We're flying to Shenzhen on Dec 20 — relocating for a new job", "moving-city",
     {"destination": "Shenzhen", "date": "2026-12-20", "transport": "flight"},
     ["residence", "pension", "hukou", "flight", "hotel", "boxes", "tape"]),
    ("Our baby was born last week", "having-a-baby", {},
     ["birth_registration", "medical_insurance", "social_security_card", "childcare_subsidy", "vaccination",
      "diapers"]),
    ("我们家宝宝在上海出生了", "having-a-baby", {"city": "Shanghai"},
     ["birth_registration", "medical_insurance", "social_security_card", "childcare_subsidy", "vaccination",
      "diapers"]),
    ("I want to open a small restaurant in Chengdu", "starting-business", {"city": "Chengdu", "trade": "food"},
     ["name", "licence_individual", "tax", "employer_insurance", "food_permit", "printer"]),
    ("我想在深圳开个公司", "starting-business", {"city": "Shenzhen", "form": "company"},
     ["name", "licence_company", "seal", "tax", "employer_insurance", "printer"]),
    ("We're getting married in Shanghai", "getting-married", {"city": "Shanghai"},
     ["health_check", "registration", "household_register", "birth_planning", "chocolates"]),
    ("我们下个月要结婚了", "getting-married", {}, ["health_check", "registration", "household_register",
                                                  "birth_planning", "chocolates"]),
    ("I'm retiring this year in Wuhan", "retiring", {"city": "Wuhan"},
     ["pension", "medical", "housing_fund", "senior_card"]),
    ("我明年要退休了", "retiring", {}, ["pension", "medical", "housing_fund", "senior_card"]),
    ("Family trip from Beijing to Kunming from Dec 20 to Dec 25", "family-trip",
     {"destination": "Kunming", "date": "2026-12-20", "return_date": "2026-12-25"},
     ["train_there", "hotel", "train_back", "suitcase"]),
    ("带孩子去昆明玩，12月20日出发，25日回来", "family-trip",
     {"destination": "Kunming", "date": "2026-12-20", "return_date": "2026-12-25"},
     ["train_there", "hotel", "train_back", "suitcase"]),
    ("We're taking the family to Xi'an by plane on Dec 20 for 4 nights", "family-trip",
     {"destination": "Xi'an", "date": "2026-12-20", "nights": 4, "transport": "flight"},
     ["flight_there", "hotel", "flight_back", "suitcase"]),
    ("I lost my wallet with my ID card in it", "lost-documents", {}, ["report_loss", "replacement", "temporary_card"]),
    ("我的身份证在广州丢了", "lost-documents", {"city": "Guangzhou"}, ["report_loss", "replacement", "temporary_card"]),
]


def planned(request: str):
    bundles = load_bundles()
    reading = OfflinePlanner().read(request, user=USER, today=TODAY, bundles=bundles)
    binding = bind(reading, [], bundles=bundles, request=request, user=USER, today=TODAY)
    assert binding.question is None and binding.bundle is not None, (request, binding)
    plan = make_plan(binding.bundle, binding.slots, reading.lang, user=USER, today=TODAY, run_id="r1", check=True)
    return reading, plan


def test_the_seven_life_events_ship_as_bundles_spanning_domains():
    bundles = load_bundles()
    assert sorted(bundles.ids) == ["family-trip", "getting-married", "having-a-baby", "lost-documents",
                                   "moving-city", "retiring", "starting-business"]
    moving = bundles.get("moving-city")
    assert {i.agent for i in moving.items} == {"gov", "travel", "shop"}
    assert [i.key for i in moving.items if i.optional] == ["hukou", "boxes", "tape"]
    assert moving.item("hukou").after == ["pension"]


@pytest.mark.parametrize("request_text, bundle, stated, keys", REQUESTS, ids=[r[0][:30] for r in REQUESTS])
def test_every_bundle_plans_from_english_and_chinese_with_every_task_read_as_meant(request_text, bundle, stated,
                                                                                   keys):
    reading, plan = planned(request_text)
    assert plan.bundle == bundle
    assert {k: plan.slots[k] for k in stated} == stated
    assert [i.key for i in plan.items] == keys
    # the understanding reads each item's request as the intent (and service, cities, dates) it declares
    assert [(i.key, i.problem) for i in plan.items if i.problem] == []
    chinese = reading.lang == "zh"
    assert all(("的" in i.task or "在" in i.task or "买" in i.task) == chinese for i in plan.items)


def test_the_plan_binds_defaults_from_the_profile_and_the_request():
    _, plan = planned("We're taking the family to Xi'an by plane on Dec 20 for 4 nights")
    assert plan.slots["origin"] == "Beijing"  # the profile's home city
    back = next(i for i in plan.items if i.key == "flight_back")
    assert back.task == "Book the cheapest flight from Xi'an to Beijing on 2026-12-24"
    _, trip = planned("Family trip from Beijing to Kunming from Dec 20 to Dec 25")
    assert trip.slots["nights"] == 5 and trip.title == "Family trip from Beijing to Kunming, 2026-12-20 for 5 nights"


def test_life_event_requests_are_told_from_other_errands_and_from_questions_about_them():
    assert is_life_event("我的身份证丢了")
    assert not is_life_event("I bought a car")  # a life event no bundle covers does not pick another bundle
    assert not is_life_event("what's the weather like")
    for request in ("We're moving from Chengdu to Hangzhou on Jan 10", "我们1月10日从成都搬到杭州", "We just had a baby",
                    "Family trip from Beijing to Kunming from Dec 20 to Dec 25"):
        assert routes_to_concierge(request, today=TODAY), request
    for request in ("buy moving boxes", "book the cheapest train from Beijing to Shanghai on Dec 18",
                    "apply for a residence permit in Hangzhou", "What services do I need when moving to Shanghai?",
                    "搬家需要办哪些手续"):
        assert not routes_to_concierge(request, today=TODAY), request


GOOD = """\
bundles:
  - id: tiny
    name: {en: Tiny, zh: 小}
    title: {en: "Tiny in ${slots.city}", zh: "${local.city}小事"}
    cues: {en: [tiny thing], zh: [小事]}
    slots:
      city: {type: city, from: [city], default: "${user.home_city}"}
    items:
      - key: train
        agent: travel
        title: {en: Train, zh: 火车}
        task: {en: "Book a train to ${slots.city}", zh: "订去${local.city}的火车票"}
"""


def problems_of(text: str) -> list[tuple[int | None, str]]:
    with pytest.raises(BundleError) as caught:
        parse_bundles(text, source="bad.yaml")
    assert str(caught.value).startswith("bad.yaml")
    return caught.value.problems


@pytest.mark.parametrize("change, line, message", [
    (("zh: 火车}", "}"), 11, "title.zh: Field required"),
    (("agent: travel", "agent: travle"), 10, "unknown agent 'travle' (did you mean 'travel'?)"),
    (("key: train", "key: train\n        after: [boxes]"), 10, "no item 'boxes'"),
    (("key: train", "key: train\n        colour: blue"), 10, "colour: Extra inputs are not permitted"),
    (("${local.city}小事", "${local.town}小事"), 4, "`local.town`: no slot named 'town'"),
    (("${user.home_city}", "${user.hometown}"), 7, "`user.hometown`: no profile field named 'hometown'"),
    (("from: [city]", "from: [date.start]"), 7, "a city slot cannot be read from date.start"),
    (("default: \"${user.home_city}\"}", "required: true}"), 7, "a required slot needs `ask`"),
    (("agent: travel", "agent: travel\n        intent: shop.buy"), 11, "shop.buy is a shop errand; the travel agent"),
    (("cues: {en: [tiny thing], zh: [小事]}", "cues: {}"), 5, "give `life_event` or `cues`"),
    (("  - id: tiny", "  - id: Tiny Thing"), 2, "String should match pattern"),
    (("    items:", "    items: {"), 9, "not valid YAML/JSON"),
])
def test_malformed_bundles_are_refused_with_file_line_and_reason(change, line, message):
    old, new = change
    assert old in GOOD
    problems = problems_of(GOOD.replace(old, new, 1))
    assert any(found == line and message in text for found, text in problems), problems


def test_items_waiting_for_each_other_in_a_circle_are_refused():
    text = GOOD + """\
        after: [hotel]
      - key: hotel
        agent: travel
        after: [train]
        title: {en: Hotel, zh: 酒店}
        task: {en: "Book a hotel in ${slots.city}", zh: "订${local.city}的酒店"}
"""
    problems = problems_of(text)
    assert any("wait for each other in a circle: train → hotel → train" in msg for _, msg in problems), problems


def test_a_persons_own_bundles_load_from_errand_home_and_a_broken_one_names_its_file(errand_home: Path):
    own = errand_home / "bundles"
    own.mkdir(parents=True)
    (own / "tiny.yaml").write_text(GOOD, encoding="utf-8")
    assert "tiny" in load_bundles().ids and len(load_bundles()) == 8
    (own / "broken.yaml").write_text(GOOD.replace("agent: travel", "agent: nobody"), encoding="utf-8")
    with pytest.raises(BundleError, match=r"broken\.yaml:10: bundles\.0\.items\.0\.agent: unknown agent 'nobody'"):
        load_bundles()
    with pytest.raises(BundleError, match="file not found"):
        load_bundle_file(own / "missing.yaml")
