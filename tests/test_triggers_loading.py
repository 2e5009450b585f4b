"""Trigger files and Python triggers are checked like playbooks: every problem, with file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.triggers import (
    Event,
    Params,
    SourceContext,
    Trigger,
    TriggerError,
    TriggerSet,
    Watcher,
    load_trigger_file,
    load_triggers,
    register_source,
)


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mine.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def problems(path: Path) -> str:
    with pytest.raises(TriggerError) as err:
        load_trigger_file(path)
    return str(err.value)


def test_shipped_triggers_load_and_cover_every_kind_of_source():
    found = load_triggers(plugins=False, home=False)
    assert {t.source for t in found} == {"travel.bookings", "shop.orders", "shop.wishlist", "gov.applications",
                                         "profile.documents", "people.birthdays"}
    assert all(t.title.zh and t.request.zh for t in found)


def test_every_reference_problem_is_reported_with_its_line(tmp_path):
    path = write(tmp_path, """
triggers:
  - id: first
    title: Bad source
    source: travel.booking
    key: "${event.id}"
    errand: {intent: travel.rebook, slots: {booking_ref: "${event.id}"}}
    request: Rebook it.
  - id: second
    title: Bad references
    source: travel.bookings
    when: event.delay_minute > 60
    key: "${event.id}:${params.threshold}"
    agent: shop
    errand: {intent: travel.rebook, slots: {booking: "${event.id}"}}
    request: "Hello ${user.nickname}, ${memory.avoid_red_eyes}"
  - id: third
    title: Bad params
    source: schedule
    params: {every: fortnight}
    key: "${event.period}"
    errand: {intent: travel.rebok}
    request: Do it.
""")
    message = problems(path)
    expected = [
        (5, "triggers.0.source: unknown source 'travel.booking'; did you mean 'travel.bookings'?"),
        (12, "`event.delay_minute`: no field of travel.bookings events named 'delay_minute' (did you mean "
             "'delay_minutes'?)"),
        (13, "`params.threshold`: no param named 'threshold'"),
        (14, "agent 'shop' does not handle travel.rebook (travel errands); use agent travel or errand"),
        (15, "the travel.rebook playbook has no slot 'booking' (did you mean 'booking_ref'?)"),
        (16, "`user.nickname`: no profile field named 'nickname'"),
        (16, "`memory.avoid_red_eyes`: no memory field named 'avoid_red_eyes'"),
        (20, "triggers.2.params.every: Input should be 'day', 'week', 'month' or 'year'"),
        (22, "no playbook for intent 'travel.rebok'; did you mean 'travel.rebook'?"),
    ]
    for line, text in expected:
        assert f"{path}:{line}: " in message and text in message, (line, text, message)
    assert len(message.splitlines()) == len(expected)


def test_shape_problems_are_reported_with_their_lines(tmp_path):
    path = write(tmp_path, """
triggers:
  - id: Not_An_Id
    title: Shape
    source: travel.bookings
    when: event.delay_minutes >
    key: every time
    errand: {intent: travel.rebook}
    request: Rebook.
    colour: red
""")
    message = problems(path)
    assert f"{path}:3: triggers.0.id: String should match pattern" in message
    assert f"{path}:6: triggers.0.when" in message and "not a valid expression" in message
    assert f"{path}:7: triggers.0.key" in message and "a constant key would fire once, ever" in message
    assert f"{path}:10: triggers.0.colour: Extra inputs are not permitted" in message


def test_a_person_can_switch_off_a_shipped_trigger_by_id(errand_home):
    folder = errand_home / "triggers"
    folder.mkdir(parents=True)
    (folder / "off.yaml").write_text("""
triggers:
  - id: document-expiring
    title: Not for me
    enabled: false
    source: profile.documents
    key: "${event.document}"
    agent: gov
    errand: {intent: gov.book_appointment, slots: {service_id: GS-0031}}
    request: Renew it.
""", encoding="utf-8")
    found = load_triggers()
    assert not found.get("document-expiring").enabled
    assert Watcher(found).evaluate().proposals == []


class ParcelEvent(Event):
    id: str
    days_late: int


class LateParcels:
    """A source written in Python: here, a fixed list standing in for a courier's API."""

    name = "courier.parcels"
    summary = "parcels a courier is late with"
    event = ParcelEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        return [ParcelEvent(id="ORD-000008", days_late=4), ParcelEvent(id="ORD-000001", days_late=0)]


def test_triggers_and_sources_defined_in_python_are_checked_and_run():
    register_source(LateParcels())
    bad = Trigger(id="late-parcel", title="Late parcel", source="courier.parcels", when="event.late > 2",
                  key="${event.id}", agent="shop", request="Cancel ${event.id}.",
                  errand={"intent": "shop.cancel_order", "slots": {"order_ref": "${event.id}"}})
    with pytest.raises(TriggerError, match="`event.late`: no field of courier.parcels events named 'late'"):
        TriggerSet().add([bad])
    good = bad.model_copy(update={"when": "event.days_late > 2"})
    triggers = TriggerSet()
    triggers.add([good])
    (proposal,) = Watcher(triggers).evaluate().proposals
    assert proposal.key == "ORD-000008" and proposal.status == "proposed"
    assert "Cancel order ORD-000008" in proposal.text
