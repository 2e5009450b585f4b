"""Where triggers look: each source reads the person's world and yields events.

A source is a name, the model of its events (whose fields are what a trigger's expressions
may read as ``event.*`` — checked when triggers load), optionally a model of the params it
understands, and ``events(ctx)``. Sources only *read*: the person's profile and the services
(embedded or at ``ERRAND_SANDBOX_URL``), over the same HTTP client the tools use. Nothing a
source does changes anything.

Built in:

====================  ==========================================================================
profile.documents     identity documents with an expiry (profile passport; ID card, passport and
                      driving licence from the government registry), with the first upcoming trip
                      that needs the document and the services already in progress
people.birthdays      the next birthday of the person, their children (registry) and anyone in
                      ``params.people``
travel.bookings       the person's upcoming flights and trains, with the operator's status
shop.orders           the person's orders, with their delays
shop.wishlist         price changes of products on the person's wish list
gov.applications      the person's applications, with their latest status and the officer's note
schedule              one event per period (day, week, month or year) once it is due
====================  ==========================================================================

Third parties add sources with the ``errand.trigger_sources`` entry point (a :class:`Source`
object or a callable returning one) or :func:`register_source`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from importlib.metadata import entry_points
from typing import Any, Literal, Protocol, runtime_checkable

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.http import NotFound, ServiceError
from tools.sandbox.base import CHINA_TZ
from tools.services import Services

ENTRY_POINT_GROUP = "errand.trigger_sources"


@dataclass(frozen=True)
class SourceContext:
    """What a source may read: the services, the person's profile, the clock, its trigger's params."""

    services: Services
    user: dict[str, Any]
    now: datetime
    params: dict[str, Any]

    @property
    def today(self) -> date:
        return self.now.astimezone(CHINA_TZ).date()


class Event(BaseModel):
    """Base of every source's events: plain JSON data."""

    model_config = ConfigDict(extra="ignore")


class Params(BaseModel):
    """Base of the params a source understands; other params are the trigger's own."""

    model_config = ConfigDict(extra="allow")


@runtime_checkable
class Source(Protocol):
    name: str
    summary: str
    event: type[Event]
    params: type[Params]

    def events(self, ctx: SourceContext) -> list[Event]: ...


def event_fields(source: Source) -> frozenset[str]:
    return frozenset(source.event.model_fields)


# -- helpers ------------------------------------------------------------------------------------

def _days(start: date, end: date) -> int:
    return (end - start).days


def _date(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


# -- travel.bookings ----------------------------------------------------------------------------

class BookingEvent(Event):
    id: str
    kind: Literal["flight", "train"]
    number: str
    offer_id: str
    origin: str
    destination: str
    date: str
    departure_at: str
    arrival_at: str
    estimated_departure: str = Field(description="departure_at plus the delay")
    seat_class: str
    price: str
    payment_method: str
    departure_status: str = Field(description="scheduled, delayed or cancelled (by the operator)")
    delay_minutes: int
    status_note: str | None = None
    own: bool = Field(description="The person is the passenger (not someone they booked for)")


class TravelBookings:
    name = "travel.bookings"
    summary = "the person's upcoming flights and trains, with the operator's status"
    event = BookingEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        found = ctx.services.client("travel").get("/bookings", customer_id=ctx.user.get("id"), status="confirmed")
        own_ids = {ctx.user.get("national_id"), (ctx.user.get("passport") or {}).get("number")} - {None}
        out: list[Event] = []
        for b in found.get("bookings", []):
            if b.get("kind") not in ("flight", "train") or not b.get("upcoming"):
                continue
            delay = int(b.get("delay_minutes") or 0)
            estimated = datetime.fromisoformat(b["departure_at"]) + timedelta(minutes=delay)
            out.append(BookingEvent(**b, origin=b["from"], destination=b["to"],
                                    estimated_departure=estimated.isoformat(),
                                    own=b.get("passenger_id_number") in own_ids))
        return out


# -- shop.orders --------------------------------------------------------------------------------

class OrderEvent(Event):
    id: str
    status: str
    product_id: str
    product_name: str
    merchant_id: str
    merchant_name: str
    quantity: int
    total: str
    payment_method: str
    created_at: str
    estimated_delivery: str | None = None
    delay_days: int = Field(0, description="Days the delivery has been pushed back, in total")
    delayed_at: str | None = Field(None, description="When the latest delay was announced")
    delay_note: str | None = None


class ShopOrders:
    name = "shop.orders"
    summary = "the person's orders, with their delays"
    event = OrderEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        found = ctx.services.client("shop").get("/orders", customer_id=ctx.user.get("id"))
        out: list[Event] = []
        for order in found.get("orders", []):
            delays = [e for e in order.get("events", []) if isinstance(e, dict) and e.get("delay_days")]
            out.append(OrderEvent(**order, delayed_at=delays[-1]["at"] if delays else None,
                                  delay_note=delays[-1].get("note") if delays else None))
        return out


# -- shop.wishlist ------------------------------------------------------------------------------

class PriceEvent(Event):
    change_id: str
    at: str
    product_id: str
    product_name: str
    merchant_id: str
    merchant_name: str
    old_price: str
    new_price: str
    current_price: str | None = Field(None, description="The offer's price now (a later change may have undone it)")
    drop: str = Field(description="old_price - new_price (negative for a rise)")
    drop_percent: str
    budget: str | None = Field(None, description="The wish list's budget per unit, if any")
    in_stock: bool
    flagged: bool = Field(description="The merchant is on the marketplace's fraud risk list")


class WishlistPrices:
    name = "shop.wishlist"
    summary = "price changes of products on the person's wish list"
    event = PriceEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        shop = ctx.services.client("shop")
        wishes = shop.get("/wishlist", customer_id=ctx.user.get("id")).get("items", [])
        if not wishes:
            return []
        flagged = {r["merchant_id"] for r in shop.get("/risk/merchants").get("merchants", [])}
        out: list[Event] = []
        for wish in wishes:
            changes = shop.get("/price-changes", product_id=wish["product_id"]).get("changes", [])
            if not changes:
                continue
            offers = {o["merchant_id"]: o for o in shop.get(f"/products/{wish['product_id']}").get("offers", [])}
            for change in changes:
                old, new = Decimal(change["old_price"]), Decimal(change["new_price"])
                offer = offers.get(change["merchant_id"]) or {}
                out.append(PriceEvent(
                    **{k: v for k, v in change.items() if k != "id"}, change_id=change["id"],
                    current_price=offer.get("price"), drop=str(old - new),
                    drop_percent=str((100 * (old - new) / old).quantize(Decimal("0.1"))) if old else "0",
                    budget=wish.get("budget"), in_stock=bool(offer.get("in_stock")),
                    flagged=change["merchant_id"] in flagged))
        return out


# -- gov.applications ---------------------------------------------------------------------------

class ApplicationEvent(Event):
    id: str
    reference: str
    service_id: str
    service_name_en: str
    service_name_zh: str
    status: str
    city: str
    note: str = Field("", description="The latest note in the history (an officer's request, a reason)")
    status_at: str = Field("", description="When the latest status was set")


class GovApplications:
    name = "gov.applications"
    summary = "the person's applications, with their latest status and the officer's note"
    event = ApplicationEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        citizen = ctx.user.get("national_id")
        try:
            found = ctx.services.client("gov").get("/applications", citizen_id=citizen)
        except NotFound:
            return []  # not in the registry: no applications
        out: list[Event] = []
        for app in found.get("applications", []):
            latest = (app.get("history") or [{}])[-1]
            out.append(ApplicationEvent(**app, note=latest.get("note") or "", status_at=latest.get("at") or ""))
        return out


# -- profile.documents --------------------------------------------------------------------------

DOCUMENT_NAMES = {"passport": ("passport", "护照"), "id_card": ("resident ID card", "居民身份证"),
                  "driving_licence": ("driving licence", "机动车驾驶证")}
ID_TYPES = {"national_id": "id_card", "passport": "passport"}


class DocumentEvent(Event):
    document: Literal["passport", "id_card", "driving_licence"]
    name_en: str
    name_zh: str
    number: str | None = None
    expiry: str
    days_left: int
    needed_by: str | None = Field(None, description="Date of the first upcoming trip that needs this document")
    open_services: list[str] = Field(default_factory=list, description=(
        "Government services already in progress for the person (an upcoming appointment, an open application)"))


class ProfileDocuments:
    name = "profile.documents"
    summary = "identity documents with an expiry, the first trip that needs each, services in progress"
    event = DocumentEvent
    params = Params

    def events(self, ctx: SourceContext) -> list[Event]:
        documents: dict[str, tuple[str | None, date]] = {}
        passport = ctx.user.get("passport") or {}
        if _date(passport.get("expiry")):
            documents["passport"] = (passport.get("number"), _date(passport["expiry"]))  # type: ignore[assignment]
        gov = ctx.services.client("gov")
        citizen_id = ctx.user.get("national_id")
        try:
            citizen = gov.get(f"/citizens/{citizen_id}")
        except NotFound:
            citizen = {}
        registered_passport = citizen.get("passport") or {}
        for document, expiry, number in (
                ("id_card", citizen.get("id_card_expiry"), citizen_id),
                ("passport", registered_passport.get("expiry"), registered_passport.get("number")),
                ("driving_licence", citizen.get("driving_licence_expiry"), None)):
            if document not in documents and _date(expiry):
                documents[document] = (number, _date(expiry))  # type: ignore[assignment]
        if not documents:
            return []
        needed = self._trips(ctx)
        open_services = self._in_progress(ctx, gov, citizen_id) if citizen else []
        return [DocumentEvent(document=doc, name_en=DOCUMENT_NAMES[doc][0], name_zh=DOCUMENT_NAMES[doc][1],
                              number=number, expiry=expiry.isoformat(), days_left=_days(ctx.today, expiry),
                              needed_by=needed.get(doc), open_services=open_services)
                for doc, (number, expiry) in sorted(documents.items())]

    @staticmethod
    def _trips(ctx: SourceContext) -> dict[str, str]:
        """The first upcoming trip date that needs each document (real-name tickets carry its number)."""
        found = ctx.services.client("travel").get("/bookings", customer_id=ctx.user.get("id"), status="confirmed")
        first: dict[str, str] = {}
        for b in sorted(found.get("bookings", []), key=lambda b: b.get("date") or ""):
            doc = ID_TYPES.get(b.get("passenger_id_type") or "")
            if b.get("upcoming") and doc and doc not in first:
                first[doc] = b["date"]
        return first

    @staticmethod
    def _in_progress(ctx: SourceContext, gov: Any, citizen_id: str) -> list[str]:
        services = set()
        for a in gov.get("/appointments", citizen_id=citizen_id).get("appointments", []):
            if a.get("status") == "booked" and (_date(a.get("date")) or date.min) >= ctx.today:
                services.add(a["service_id"])
        for app in gov.get("/applications", citizen_id=citizen_id).get("applications", []):
            if app.get("status") in ("submitted", "accepted", "in_review", "needs_documents"):
                services.add(app["service_id"])
        return sorted(services)


# -- people.birthdays ---------------------------------------------------------------------------

class Person(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1)
    birthday: str = Field(pattern=r"^(\d{4}-)?\d{2}-\d{2}$", description="YYYY-MM-DD, or MM-DD when the year "
                                                                         "is not known")
    relation: str = "friend"

    @field_validator("birthday")
    @classmethod
    def _real_day(cls, value: str) -> str:
        month_day = value[-5:]
        try:
            date.fromisoformat(f"2000-{month_day}")  # a leap year, so 02-29 is a day
        except ValueError:
            raise ValueError(f"{value!r} is not a day of the year") from None
        return value


class BirthdayParams(Params):
    people: list[Person] = Field(default_factory=list, description="More people whose birthdays matter")


class BirthdayEvent(Event):
    name: str
    relation: str = Field(description="self, child (from the registry), or as given in params.people")
    birthday: str = Field(description="The date of the next birthday")
    days_until: int
    age: int | None = Field(None, description="The age they turn, when the year of birth is known")


class Birthdays:
    name = "people.birthdays"
    summary = "the next birthday of the person, their children and the people in params.people"
    event = BirthdayEvent
    params = BirthdayParams

    def events(self, ctx: SourceContext) -> list[Event]:
        people: list[tuple[str, str, str]] = []
        if ctx.user.get("date_of_birth"):
            people.append((ctx.user.get("name") or "", str(ctx.user["date_of_birth"]), "self"))
        try:
            citizen = ctx.services.client("gov").get(f"/citizens/{ctx.user.get('national_id')}")
        except NotFound:
            citizen = {}
        people += [(c["name"], c["date_of_birth"], "child") for c in citizen.get("children", [])
                   if c.get("date_of_birth")]
        people += [(p.name, p.birthday, p.relation) for p in BirthdayParams.model_validate(ctx.params).people]
        out: list[Event] = []
        for name, born, relation in people:
            month, day = int(born[-5:-3]), int(born[-2:])
            upcoming = _next_anniversary(ctx.today, month, day)
            age = upcoming.year - int(born[:4]) if len(born) == 10 else None
            out.append(BirthdayEvent(name=name, relation=relation, birthday=upcoming.isoformat(),
                                     days_until=_days(ctx.today, upcoming), age=age))
        return out


def _next_anniversary(today: date, month: int, day: int) -> date:
    for year in (today.year, today.year + 1, today.year + 2, today.year + 3, today.year + 4):
        try:
            candidate = date(year, month, day)
        except ValueError:  # 29 February outside a leap year
            continue
        if candidate >= today:
            return candidate
    raise ValueError(f"no date for {month:02d}-{day:02d}")


# -- schedule -----------------------------------------------------------------------------------

class ScheduleParams(Params):
    every: Literal["day", "week", "month", "year"]
    day: int | None = Field(None, ge=1, le=366, description="month: day of the month (1-28); week: weekday "
                                                           "(1 = Monday … 7); year: day of the year")
    at: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", description="Time of day, China time")
    start: date | None = Field(None, description="No period before this date")

    @field_validator("day")
    @classmethod
    def _day(cls, value: int | None, info: Any) -> int | None:
        every = info.data.get("every")
        limit = {"month": 28, "week": 7, "year": 366, "day": 1}.get(every or "", 366)
        if value is not None and value > limit:
            raise ValueError(f"for every: {every}, day is at most {limit}")
        return value


class ScheduleEvent(Event):
    period: str = Field(description="2026-11 (month), 2026-W48 (week), 2026-11-28 (day) or 2026 (year)")
    due: str = Field(description="When this period's errand became due (ISO)")
    days_late: int


class Schedule:
    name = "schedule"
    summary = "one event per period (day, week, month or year) once it is due"
    event = ScheduleEvent
    params = ScheduleParams

    def events(self, ctx: SourceContext) -> list[Event]:
        p = ScheduleParams.model_validate(ctx.params)
        today = ctx.today
        if p.every == "day":
            start, period = today, today.isoformat()
        elif p.every == "week":
            monday = today - timedelta(days=today.weekday())
            start, period = monday + timedelta(days=(p.day or 1) - 1), f"{monday:%G-W%V}"
        elif p.every == "month":
            start, period = today.replace(day=p.day or 1), f"{today:%Y-%m}"
        else:
            start, period = date(today.year, 1, 1) + timedelta(days=(p.day or 1) - 1), str(today.year)
        hour, minute = map(int, p.at.split(":"))
        due = datetime.combine(start, time(hour, minute), CHINA_TZ)
        if ctx.now < due or (p.start is not None and start < p.start):
            return []
        return [ScheduleEvent(period=period, due=due.isoformat(), days_late=_days(start, today))]


# -- the registry -------------------------------------------------------------------------------

BUILTIN: tuple[Source, ...] = (ProfileDocuments(), Birthdays(), TravelBookings(), ShopOrders(), WishlistPrices(),
                               GovApplications(), Schedule())
_registered: dict[str, Source] = {}


def register_source(source: Source) -> Source:
    """Make ``source`` available to triggers by its name (a later one replaces an earlier one)."""
    if not isinstance(source, Source):
        raise TypeError(f"{source!r} is not a trigger source (needs name, summary, event, params, events())")
    _registered[source.name] = source
    return source


def sources() -> dict[str, Source]:
    """Every available source: built in, installed (entry points), registered in this process."""
    found: dict[str, Source] = {s.name: s for s in BUILTIN}
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        target = ep.load()
        source = target() if callable(target) and not isinstance(target, Source) else target
        found[source.name] = source
    found.update(_registered)
    return found


SourceError = ServiceError
"""What a source raises when a service cannot answer (the watcher reports it and carries on)."""


__all__ = ["ApplicationEvent", "BirthdayEvent", "BookingEvent", "DocumentEvent", "Event", "OrderEvent", "Params",
           "PriceEvent", "ScheduleEvent", "Source", "SourceContext", "SourceError", "event_fields",
           "register_source", "sources"]
