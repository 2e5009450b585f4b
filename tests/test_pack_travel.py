"""The travel tool pack: metadata the gate relies on, and the tools end to end against the sandbox."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tools import Effect, ToolRegistry, call_tool, tool_meta
from tools.packs.travel import tools
from tools.profile import load_profile
from tools.sandbox.travel import TravelService

BOOKING_DATA = ("name", "national_id", "passport", "phone", "payment_methods")
EXPECTED = {  # name: (effect, money argument, personal data)
    "travel_list_cities": (Effect.READ, None, ()),
    "travel_search_flights": (Effect.READ, None, ()),
    "travel_search_trains": (Effect.READ, None, ()),
    "travel_get_offer": (Effect.READ, None, ()),
    "travel_search_hotels": (Effect.READ, None, ()),
    "travel_get_hotel": (Effect.READ, None, ()),
    "travel_book_flight": (Effect.PAYMENT, "max_price", BOOKING_DATA),
    "travel_book_train": (Effect.PAYMENT, "max_price", BOOKING_DATA),
    "travel_book_hotel": (Effect.PAYMENT, "max_price", BOOKING_DATA),
    "travel_list_bookings": (Effect.READ, None, ("national_id",)),
    "travel_get_booking": (Effect.READ, None, ()),
    "travel_cancel_booking": (Effect.WRITE, None, ()),
}


@pytest.fixture
def pack(services):
    return {t.name: t for t in tools(services)}


@pytest.fixture
def person():
    profile = load_profile()
    return {"passenger_name": "李明", "passenger_id_number": profile.national_id, "contact_phone": profile.phone,
            "payment_method": profile.payment_methods[0].id}


def run(pack, name, key=None, **args):
    result = call_tool(pack[name], args, key=key)
    assert result.ok, result.error
    return result.output


def test_every_tool_has_the_expected_metadata(pack):
    assert set(pack) == set(EXPECTED)
    for name, (effect, money_arg, personal) in EXPECTED.items():
        meta = tool_meta(pack[name])
        assert meta is not None and meta.domain == "travel", name
        assert meta.effect is effect, name
        assert (meta.money.amount_arg if meta.money else None) == money_arg, name
        assert meta.money is None or meta.money.currency == "CNY"
        assert meta.personal_data == personal, name
        assert meta.summary and len(pack[name].description) > 80, name
    assert len(ToolRegistry(pack.values())) == 12  # the registry accepts the money arguments


def test_summaries_say_what_is_paid_and_what_a_cancellation_costs(pack):
    args = {"offer_id": "TR-G7-2026-12-15", "seat_class": "second", "passenger_name": "李明",
            "passenger_id_number": "11010519900307451X", "contact_phone": "13800138000",
            "payment_method": "alipay-main", "max_price": "600.00"}
    summary = tool_meta(pack["travel_book_train"]).describe(args)
    assert "TR-G7-2026-12-15" in summary and "600.00 CNY" in summary and "李明" in summary
    assert "alipay-main" in summary and "11010519900307451X" in summary
    cancel = tool_meta(pack["travel_cancel_booking"]).describe({"booking_id": "BK-000001"})
    assert "BK-000001" in cancel and "refunded" in cancel and "fee" in cancel
    assert tool_meta(pack["travel_book_flight"]).money.amount(args) == (Decimal("600.00"), "CNY")


def test_search_book_list_and_cancel_a_flight(pack, person):
    found = run(pack, "travel_search_flights", origin="北京", destination="Chengdu", departure_date="2027-01-14",
                seat_class="economy")
    offer = next(o for o in found["offers"] if o["bookable"])
    assert offer["id"].startswith("FL-") and found["to"] == "Chengdu"
    checked = run(pack, "travel_get_offer", offer_id=offer["id"])
    assert checked["price"] == offer["price"]
    booking = run(pack, "travel_book_flight", key="run-1:step-3", offer_id=offer["id"], seat_class="economy",
                  max_price=Decimal(offer["price"]), **person)
    assert booking["status"] == "confirmed" and booking["price"] == offer["price"]
    assert booking["kind"] == "flight" and booking["passenger_id_number"] == person["passenger_id_number"]
    replay = run(pack, "travel_book_flight", key="run-1:step-3", offer_id=offer["id"], seat_class="economy",
                 max_price=Decimal(offer["price"]), **person)
    assert replay["id"] == booking["id"]
    listed = run(pack, "travel_list_bookings", customer_id="li-ming", kind="flight", status="confirmed")
    assert booking["id"] in [b["id"] for b in listed["bookings"]] and listed["count"] == 2
    quote = run(pack, "travel_get_booking", booking_id=booking["id"])["cancellation"]
    cancelled = run(pack, "travel_cancel_booking", key="run-1:step-5", booking_id=booking["id"], reason="改行程")
    assert cancelled["status"] == "cancelled" and cancelled["refund"] == quote["refund"]
    assert Decimal(cancelled["cancellation_fee"]) + Decimal(cancelled["refund"]) == Decimal(booking["price"])


def test_train_and_hotel_bookings_through_the_tools(pack, person):
    trains = run(pack, "travel_search_trains", origin="SHA", destination="杭州", departure_date="2026-12-19",
                 depart_after="08:00", sort="departure")
    assert all(o["departure"][11:16] >= "08:00" for o in trains["offers"])
    offer = next(o for o in trains["offers"] if o["bookable"])
    ticket = run(pack, "travel_book_train", key="t-1", offer_id=offer["id"], seat_class="second",
                 max_price="1000", **person)
    assert ticket["kind"] == "train" and ticket["seat"]
    hotels = run(pack, "travel_search_hotels", city="Hangzhou", check_in="2026-12-19", nights=2, min_stars=3)
    hotel = next(h for h in hotels["hotels"] if h["available"])
    detail = run(pack, "travel_get_hotel", hotel_id=hotel["id"], check_in="2026-12-19", nights=2)
    assert detail["total_price"] == hotel["total_price"] and detail["reviews"]
    stay = run(pack, "travel_book_hotel", key="h-1", hotel_id=hotel["id"], check_in="2026-12-19", nights=2,
               guest_name=person["passenger_name"], guest_id_number=person["passenger_id_number"],
               contact_phone=person["contact_phone"], payment_method=person["payment_method"],
               max_price=hotel["total_price"])
    assert stay["kind"] == "hotel" and stay["price"] == hotel["total_price"] and stay["passenger"] == "李明"
    assert run(pack, "travel_list_cities")["count"] == 12


def test_service_refusals_come_back_as_structured_errors(pack, person):
    offer = next(o for o in run(pack, "travel_search_trains", origin="Wuhan", destination="Xi'an",
                                departure_date="2026-12-11")["offers"] if o["bookable"])
    result = call_tool(pack["travel_book_train"], {"offer_id": offer["id"], "seat_class": "second",
                                                   "max_price": "1.00", **person}, key="low")
    assert not result.ok and result.error.kind == "service"
    assert (result.error.status, result.error.code) == (409, "price_changed") and "max_price" in result.error.message
    missing = call_tool(pack["travel_get_booking"], {"booking_id": "BK-424242"})
    assert (missing.error.status, missing.error.code) == (404, "booking_not_found")


@pytest.mark.parametrize(("name", "args", "field"), [
    ("travel_search_flights", {"origin": "Beijing", "destination": "Shanghai", "departure_date": "15/12/2026"},
     "departure_date"),
    ("travel_search_trains", {"origin": "Beijing", "destination": "Shanghai", "departure_date": "2026-12-15",
                              "seat_class": "economy"}, "seat_class"),
    ("travel_search_flights", {"origin": "Beijing", "destination": "Shanghai", "departure_date": "2026-12-15",
                               "depart_after": "9am"}, "depart_after"),
    ("travel_book_flight", {"offer_id": "FL-CA1501-2026-12-15", "seat_class": "economy", "passenger_name": "李明",
                            "passenger_id_number": "11010519900307451X", "contact_phone": "13800138000",
                            "payment_method": "alipay-main", "max_price": "-10"}, "max_price"),
    ("travel_book_hotel", {"hotel_id": "H-SH-01", "check_in": "2026-12-18", "nights": 0, "guest_name": "李明",
                           "guest_id_number": "11010519900307451X", "contact_phone": "13800138000",
                           "payment_method": "alipay-main", "max_price": "900"}, "nights"),
    ("travel_book_train", {"offer_id": "TR-G7-2026-12-15", "seat_class": "second", "passenger_name": "李明",
                           "passenger_id_number": "not-an-id", "contact_phone": "13800138000",
                           "payment_method": "alipay-main", "max_price": "600"}, "passenger_id_number"),
    ("travel_get_booking", {"booking_id": "BK-000001", "verbose": True}, "verbose"),
    ("travel_cancel_booking", {}, "booking_id"),
])
def test_invalid_arguments_are_reported_not_sent(pack, services, name, args, field):
    result = call_tool(pack[name], args, key="never-used")
    assert not result.ok and result.error.kind == "invalid_args"
    assert field in [p.field for p in result.error.problems]
    assert sum(not b["seeded"] for b in TravelService(services.home).state()["bookings"]) == 0


def test_the_pack_defaults_to_embedded_services_from_the_environment(errand_home):
    pack = {t.name: t for t in tools()}
    assert run(pack, "travel_list_bookings", customer_id="li-ming")["count"] == 4
    assert (errand_home / "sandbox" / "travel.sqlite").exists()
