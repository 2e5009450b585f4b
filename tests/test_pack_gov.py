"""The gov tool pack: metadata the gate relies on, and every tool end to end against the
embedded sandbox through ``call_tool`` (validation, idempotency keys, structured errors)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from tools.calling import call_tool
from tools.model import Effect, MoneyArg, tool_meta
from tools.packs.gov import tools
from tools.profile import load_profile
from tools.sandbox.gov import SLOT_TIMES, GovService

EXPECTED = {
    # name: (effect, personal_data, money arg)
    "gov_list_life_events": ("read", (), None),
    "gov_search_services": ("read", (), None),
    "gov_get_service": ("read", (), None),
    "gov_list_required_documents": ("read", (), None),
    "gov_check_eligibility": ("read", ("national_id",), None),
    "gov_find_offices": ("read", (), None),
    "gov_list_appointment_slots": ("read", (), None),
    "gov_book_appointment": ("write", ("name", "national_id", "phone"), None),
    "gov_cancel_appointment": ("write", (), None),
    "gov_list_appointments": ("read", ("national_id",), None),
    "gov_submit_application": ("irreversible", ("name", "national_id", "phone", "address"), "max_fee"),
    "gov_get_application_status": ("read", (), None),
    "gov_list_applications": ("read", ("national_id",), None),
    "gov_withdraw_application": ("write", (), None),
}


@pytest.fixture
def pack(services):
    return {t.name: t for t in tools(services)}


@pytest.fixture
def me():
    return load_profile()


def run(pack, tool_name: str, /, key: str | None = None, **args):
    result = call_tool(pack[tool_name], args, key=key)
    assert result.ok, result.error
    return result.output


def test_metadata_matches_the_expected_table(pack):
    assert set(pack) == set(EXPECTED)
    for name, (effect, personal, money) in EXPECTED.items():
        meta = tool_meta(pack[name])
        assert meta is not None, name
        assert meta.effect == Effect(effect), name
        assert meta.domain == "gov"
        assert set(meta.personal_data) == set(personal), name
        assert meta.money == (MoneyArg(amount_arg=money) if money else None), name
        assert meta.summary, name
        assert len(pack[name].description) > 80, name
        for arg in meta.personal_data:
            assert arg in pack[name].args, f"{name} must carry {arg} as an explicit argument"


def test_summary_names_what_is_released(pack, me):
    meta = tool_meta(pack["gov_submit_application"])
    text = meta.describe({"service_id": "GS-0002", "city": "Beijing", "name": me.name, "national_id": me.national_id,
                          "phone": me.phone, "address": me.address, "documents": ["household_register"],
                          "max_fee": Decimal("380.00")})
    assert me.national_id in text and "380.00" in text and "cannot be undone" in text
    assert meta.money.amount({"max_fee": "380.00"}) == (Decimal("380.00"), "CNY")


def test_having_a_baby_end_to_end(pack, me):
    events = run(pack, "gov_list_life_events", query="宝宝")
    assert events["life_events"][0]["id"] == "having-a-baby"
    found = run(pack, "gov_search_services", life_event="having-a-baby", city="Beijing")
    assert [s["id"] for s in found["services"]][:2] == ["GS-0001", "GS-0002"]
    service = run(pack, "gov_get_service", service_id="GS-0002", city="Beijing")
    assert service["fee"] == "380.00" and list(service["offices"]) == ["Beijing"]
    docs = [d["code"] for d in run(pack, "gov_list_required_documents", service_id="GS-0002")["documents"]]
    check = run(pack, "gov_check_eligibility", service_id="GS-0002", national_id=me.national_id, documents=["id_card"])
    assert check["eligible"] is True
    assert [d["code"] for d in check["missing_documents"]] == docs
    args = dict(service_id="GS-0002", city="Beijing", national_id=me.national_id, name=me.name, phone=me.phone,
                address=me.address, documents=docs, max_fee=Decimal("380"))
    app = run(pack, "gov_submit_application", key="run-1:step-4", **args)
    assert app["status"] == "submitted" and app["fee"] == "380.00"
    assert run(pack, "gov_submit_application", key="run-1:step-4", **args)["id"] == app["id"]  # resumed step
    status = run(pack, "gov_get_application_status", application_id=app["reference"])
    assert status["id"] == app["id"] and status["history"][0]["status"] == "submitted"
    listed = run(pack, "gov_list_applications", national_id=me.national_id)["applications"]
    assert [a["id"] for a in listed if not a["seeded"]] == [app["id"]]
    withdrawn = run(pack, "gov_withdraw_application", key="run-1:step-7", application_id=app["id"],
                    reason="applied at the hospital instead")
    assert withdrawn["status"] == "withdrawn"


def test_passport_appointment_end_to_end(pack, me, errand_home):
    offices = run(pack, "gov_find_offices", city="北京", service_id="GS-0031")["offices"]
    assert "BJ-EXIT-01" in [o["id"] for o in offices]
    slots = run(pack, "gov_list_appointment_slots", office_id="BJ-EXIT-01", service_id="GS-0031",
                date_from=date(2026, 12, 1), date_to=date(2026, 12, 4))["slots"]
    assert slots and all("2026-12-01" <= s["date"] <= "2026-12-04" for s in slots)
    booked = run(pack, "gov_book_appointment", key="run-2:step-3", service_id="GS-0031", office_id="BJ-EXIT-01",
                 slot=slots[0]["slot_id"], national_id=me.national_id, name=me.name, phone=me.phone)
    assert booked["status"] == "booked" and booked["slot_id"] == slots[0]["slot_id"]
    mine = run(pack, "gov_list_appointments", national_id=me.national_id)["appointments"]
    assert booked["id"] in [a["id"] for a in mine]
    cancelled = run(pack, "gov_cancel_appointment", key="run-2:step-5", appointment_id=booked["id"])
    assert cancelled["status"] == "cancelled"
    assert [a["status"] for a in GovService(errand_home).state()["appointments"] if not a["seeded"]] == ["cancelled"]


@pytest.mark.parametrize(("name", "args", "field"), [
    ("gov_check_eligibility", {"service_id": "GS-0001", "national_id": "12345"}, "national_id"),
    ("gov_get_service", {"service_id": "passport"}, "service_id"),
    ("gov_get_service", {}, "service_id"),
    ("gov_search_services", {"query": "baby", "colour": "red"}, "colour"),
    ("gov_search_services", {"limit": 0}, "limit"),
    ("gov_list_appointment_slots", {"office_id": "BJ-EXIT-01", "date_from": "next friday"}, "date_from"),
    ("gov_book_appointment", {"service_id": "GS-0031", "office_id": "BJ-EXIT-01", "slot": "x",
                              "national_id": "11010519900307451X", "name": "李明", "phone": "none"}, "phone"),
    ("gov_submit_application", {"service_id": "GS-0001", "city": "Beijing", "national_id": "11010519900307451X",
                                "name": "李明", "phone": "13800138000", "address": "北京市朝阳区建国路88号",
                                "documents": [], "max_fee": "-5"}, "max_fee"),
])
def test_invalid_args_come_back_structured(pack, name, args, field):
    result = call_tool(pack[name], args)
    assert result.ok is False
    assert result.error.kind == "invalid_args"
    assert field in [p.field for p in result.error.problems]


def test_service_refusals_come_back_structured(pack, me):
    unknown = call_tool(pack["gov_get_service"], {"service_id": "GS-9999"})
    assert unknown.error.kind == "service" and unknown.error.status == 404 and unknown.error.code == "service_not_found"
    gov = GovService()
    day = date(2026, 11, 30)
    full = next(f"{day + timedelta(days=d)}T{t}" for d in range(5) for t in SLOT_TIMES
                if gov.capacity("BJ-EXIT-01", day + timedelta(days=d), t) == 0)
    refused = call_tool(pack["gov_book_appointment"], {
        "service_id": "GS-0031", "office_id": "BJ-EXIT-01", "slot": full, "national_id": me.national_id,
        "name": me.name, "phone": me.phone}, key="k-full")
    assert refused.error.status == 409 and refused.error.code == "slot_full"
    pricey = call_tool(pack["gov_submit_application"], {
        "service_id": "GS-0002", "city": "Beijing", "national_id": me.national_id, "name": me.name,
        "phone": me.phone, "address": me.address, "documents": ["birth_medical_certificate", "household_register"],
        "max_fee": "100"}, key="k-price")
    assert pricey.error.code == "price_changed" and "380.00" in pricey.error.message
    closed = call_tool(pack["gov_withdraw_application"], {"application_id": "APP-000001"}, key="k-closed")
    assert closed.error.code == "application_closed"
