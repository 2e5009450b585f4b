"""The travel sandbox: flights, high-speed trains and hotels in twelve Chinese cities.

The world is deterministic from the seed. Timetables, fares and seat loads are *computed*
from a seeded hash of (seed, route, number, date) rather than stored — 132 routes × 90 days ×
up to 12 departures would be hundreds of thousands of rows — so the database holds only what
can change or what evals may overwrite: hotels and their reviews (free text), operational
status changes (delays, cancellations), inventory/fare overrides, and bookings. Seats left =
computed seats for sale − confirmed bookings in the database.

Money is integer fen in SQLite and a two-decimal string in every response.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Annotated, Any, Iterable, Literal

from fastapi import APIRouter, Body, Header, Path, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.profile import national_id_checksum, valid_national_id
from tools.sandbox.base import CHINA_TZ, SandboxError, SandboxService, bad_request, conflict, not_found
from tools.sandbox.travel_data import (
    AIRLINE_BY_CODE,
    AIRLINES,
    AMENITIES_BY_STARS,
    BIG_THREE,
    CITIES,
    CITY_BY_NAME,
    CITY_PRICE_PERCENT,
    ESSENTIAL_AMENITIES,
    FLIGHT_CLASSES,
    HOTEL_BRANDS,
    HOTEL_PITCH,
    NARROWBODIES,
    RANGE_END,
    RANGE_START,
    REVIEW_AUTHORS,
    REVIEW_SNIPPETS,
    STAR_PRICE_YUAN,
    STAR_RATING,
    TRAIN_CLASSES,
    TRAINSETS,
    WIDEBODIES,
    WINTER_SEASON,
    City,
    Equipment,
    Point,
    find_city,
    festival_pressure,
    great_circle_km,
)

CURRENCY = "CNY"
DEFAULT_CUSTOMER = "li-ming"
Kind = Literal["flight", "train"]
KIND_PREFIX: dict[str, str] = {"flight": "FL", "train": "TR"}
CLASSES: dict[str, tuple[str, ...]] = {"flight": FLIGHT_CLASSES, "train": TRAIN_CLASSES}
DEFAULT_CLASS: dict[str, str] = {"flight": "economy", "train": "second"}
OFFER_ID = re.compile(r"^(FL|TR)-([0-9A-Z]{2,6})-(\d{4}-\d{2}-\d{2})$")
HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
PASSPORT = re.compile(r"^[A-Z]{1,2}\d{7,8}$")
PHONE_PATTERN = r"^\+?\d[\d -]{6,}$"
INVOLUNTARY_DELAY_MINUTES = 120  # a flight delayed this long may be refunded without a fee


# --- money and hashing helpers -----------------------------------------------------------


def money(fen: int) -> str:
    """Integer fen → the API's two-decimal string."""
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def to_fen(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def _round_to(numerator: int, denominator: int, step: int) -> int:
    """round(numerator / denominator) to a multiple of ``step``, half up, in integers only."""
    return (2 * numerator + denominator * step) // (2 * denominator * step) * step


def _unit(seed: int, *parts: object) -> float:
    """A stable pseudo-random number in [0, 1) for (seed, parts) — same in every process."""
    digest = hashlib.blake2b("|".join(map(str, (seed, *parts))).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def _digits(seed: int, n: int, *parts: object) -> str:
    return str(int(_unit(seed, "digits", *parts) * 10**n)).zfill(n)


def _duration_text(minutes: int) -> str:
    return f"{minutes // 60}h{minutes % 60:02d}m"


# --- the timetable: scheduled services repeating daily -----------------------------------


@dataclass(frozen=True)
class Scheduled:
    """One flight or train number: route, time of day, equipment; it repeats on ``weekdays``."""

    kind: Kind
    number: str
    carrier: str  # airline code, or the train type "G"/"D"
    origin: City
    destination: City
    origin_point: Point
    destination_point: Point
    departs: int  # minutes after midnight, China time
    duration: int  # minutes
    distance_km: int
    equipment: Equipment
    weekdays: frozenset[int]

    def operates_on(self, day: date) -> bool:
        return day.weekday() in self.weekdays

    def offer_id(self, day: date) -> str:
        return f"{KIND_PREFIX[self.kind]}-{self.number}-{day.isoformat()}"

    def departure(self, day: date) -> datetime:
        return datetime.combine(day, time(0, 0), CHINA_TZ) + timedelta(minutes=self.departs)

    def seat_classes(self) -> tuple[str, ...]:
        return tuple(cls for cls, _ in self.equipment.seats)

    def capacity(self, seat_class: str) -> int:
        return dict(self.equipment.seats).get(seat_class, 0)


@dataclass(frozen=True)
class Timetable:
    by_route: dict[tuple[str, str, str], tuple[Scheduled, ...]]  # (kind, origin, destination)
    by_number: dict[str, Scheduled]


ALL_WEEK = frozenset(range(7))


def _spread(rng: random.Random, n: int, start: int, end: int, step: int) -> list[int]:
    """``n`` distinct times in [start, end), one per equal slice, on a ``step``-minute grid."""
    width = max(step, (end - start) // n)
    times = {(start + i * width + int(rng.random() * width * 0.8)) // step * step for i in range(n)}
    return sorted(times)


def _flight_count(origin: City, destination: City, km: int, rng: random.Random) -> int:
    if km < 400:
        return 4
    busy = 1 if 800 <= km <= 2200 else 0
    return max(4, min(10, 2 + origin.size + destination.size + busy + rng.choice((-1, 0, 0, 1))))


def _train_count(origin: City, destination: City, km: int, rng: random.Random) -> int:
    if km > 2800:
        return 3
    if km > 2000:
        return rng.choice((3, 4))
    base = 9 if km <= 700 else 6 if km <= 1300 else 4
    return max(3, min(12, base + origin.size + destination.size - 4 + rng.choice((-1, 0, 1))))


def _main_point(rng: random.Random, points: tuple[Point, ...]) -> Point:
    return points[0] if len(points) == 1 or rng.random() < 0.75 else rng.choice(points[1:])


def _unique_number(rng: random.Random, used: set[str], prefix: str, low: int, high: int) -> str:
    while True:
        number = f"{prefix}{rng.randint(low, high)}"
        if number not in used:
            used.add(number)
            return number


def _airlines_for(origin: City, destination: City) -> list[str]:
    """Carriers flying a route: the hub airlines of both ends, plus the big three."""
    codes = [a.code for a in AIRLINES if origin.name in a.hubs or destination.name in a.hubs]
    return codes + [c for c in BIG_THREE if c not in codes]


@lru_cache(maxsize=8)
def timetable(seed: int) -> Timetable:
    """Every flight and train number of the world for ``seed`` (built once per process)."""
    rng = random.Random(f"travel-timetable:{seed}")
    used: set[str] = set()
    by_route: dict[tuple[str, str, str], tuple[Scheduled, ...]] = {}
    for origin in CITIES:
        for destination in CITIES:
            if origin is destination:
                continue
            km = great_circle_km(origin, destination)
            by_route[("flight", origin.name, destination.name)] = tuple(
                _build_flights(rng, used, origin, destination, round(km * 1.08)))
            by_route[("train", origin.name, destination.name)] = tuple(
                _build_trains(rng, used, origin, destination, round(km * 1.22)))
    by_number = {s.number: s for services in by_route.values() for s in services}
    return Timetable(by_route, by_number)


def _build_flights(rng: random.Random, used: set[str], origin: City, destination: City,
                   km: int) -> Iterable[Scheduled]:
    carriers = _airlines_for(origin, destination)
    fleet = NARROWBODIES if km < 900 else NARROWBODIES + WIDEBODIES if km < 1800 else WIDEBODIES + NARROWBODIES[2:]
    for departs in _spread(rng, _flight_count(origin, destination, km, rng), 7 * 60, 22 * 60, 5):
        airline = carriers[min(int(rng.random() ** 1.6 * len(carriers)), len(carriers) - 1)]
        weekdays = ALL_WEEK if rng.random() < 0.8 else frozenset(rng.sample(range(7), rng.randint(4, 6)))
        yield Scheduled(
            kind="flight", number=_unique_number(rng, used, airline, 1001, 8999), carrier=airline,
            origin=origin, destination=destination,
            origin_point=_main_point(rng, origin.airports), destination_point=_main_point(rng, destination.airports),
            departs=departs, duration=(45 + km * 60 // 800) // 5 * 5 + rng.choice((-5, 0, 5, 10)),
            distance_km=km, equipment=rng.choice(fleet), weekdays=weekdays)


def _build_trains(rng: random.Random, used: set[str], origin: City, destination: City,
                  km: int) -> Iterable[Scheduled]:
    count = _train_count(origin, destination, km, rng)
    typical = km * 60 // 270 + 10
    latest = max(6 * 60 + 60 * count, min(20 * 60, 23 * 60 + 30 - typical))
    for departs in _spread(rng, count, 6 * 60, latest, 5):
        train_type = "D" if km < 1500 and rng.random() < 0.25 else "G"
        speed = 270 if train_type == "G" else 200
        yield Scheduled(
            kind="train", number=_unique_number(rng, used, train_type, 1, 9999), carrier=train_type,
            origin=origin, destination=destination,
            origin_point=_main_point(rng, origin.stations), destination_point=_main_point(rng, destination.stations),
            departs=departs, duration=int(km * 60 / speed * rng.uniform(0.95, 1.12)) + 10,
            distance_km=km, equipment=rng.choice(TRAINSETS[train_type]), weekdays=ALL_WEEK)


# --- fares and seat loads for one date ---------------------------------------------------

# Simulated share of seats already sold by others: base + spread·u + peak·festival + weekend.
_LOADS: dict[str, tuple[float, float, float, float]] = {
    "economy": (0.40, 0.62, 0.26, 0.04), "business": (0.25, 0.70, 0.30, 0.0), "first": (0.15, 0.80, 0.25, 0.0),
    "second": (0.35, 0.66, 0.32, 0.03),
}
_TRAIN_LOADS = {"first": (0.25, 0.70, 0.35, 0.0), "business": (0.15, 0.80, 0.30, 0.0)}
_TRAIN_CLASS_PERCENT = {"second": 100, "first": 160, "business": 315}


@dataclass(frozen=True)
class ClassQuote:
    seat_class: str
    price_fen: int
    for_sale: int  # seats for sale before this sandbox's own bookings are subtracted


def _for_sale(seed: int, s: Scheduled, day: date, seat_class: str, pressure: float) -> int:
    base, spread, peak, weekend = (_TRAIN_LOADS.get(seat_class) if s.kind == "train" else None) or _LOADS[seat_class]
    load = (base + spread * _unit(seed, "load", s.number, day, seat_class) + peak * pressure
            + (weekend if day.weekday() in (4, 6) else 0.0))
    capacity = s.capacity(seat_class)
    return max(0, capacity - round(capacity * min(1.0, load)))


def quote_departure(seed: int, s: Scheduled, day: date) -> dict[str, ClassQuote]:
    """Price and seats for sale of every class of ``s`` on ``day`` (no DB, pure function)."""
    pressure = festival_pressure(day)
    weekend = day.weekday() in (4, 6)  # Friday and Sunday are the busy travel days
    hour = s.departs // 60
    u = _unit(seed, "fare", s.number, day)
    quotes: dict[str, ClassQuote] = {}
    for seat_class in s.seat_classes():
        for_sale = _for_sale(seed, s, day, seat_class, pressure)
        if s.kind == "flight":
            full_fare = 200 + s.distance_km * 9 // 10  # published full economy (Y) fare, yuan
            if seat_class == "economy":
                low, high = (40, 65) if hour < 8 or hour >= 21 else (70, 100) if hour in (8, 9, 17, 18, 19) else (50, 85)
                last_seats = 10 if for_sale < s.capacity("economy") * 0.08 else 0
                percent = min(100, low + int((high - low) * u) + (8 if weekend else 0) + int(35 * pressure) + last_seats)
                fen = _round_to(full_fare * percent, 1, 1000)
            else:
                multiple = 21 if seat_class == "business" else 32  # tenths of the Y fare
                percent = (80 if seat_class == "business" else 90) + int(20 * u) + int(20 * pressure)
                fen = _round_to(full_fare * multiple * percent, 10, 1000)
        else:
            per_km = 46 if s.carrier == "G" else 31  # fen per km, second class
            adjust = 5 if hour in (7, 8, 17, 18) else -6 if hour < 7 or hour >= 20 else 0
            percent = 100 + adjust + (3 if weekend else 0) + int(12 * pressure) + int(6 * u) - 3
            fen = _round_to(s.distance_km * per_km * _TRAIN_CLASS_PERCENT[seat_class] * percent, 10000, 50)
        quotes[seat_class] = ClassQuote(seat_class, fen, for_sale)
    return quotes


def hotel_night(seed: int, hotel: sqlite3.Row, night: date) -> tuple[int, int]:
    """(price in fen, rooms for sale) of ``hotel`` for the night starting on ``night``."""
    pressure = festival_pressure(night)
    city = CITY_BY_NAME.get(hotel["city"])
    winter = bool(city and city.winter_peak and WINTER_SEASON[0] <= night <= WINTER_SEASON[1])
    weekend = night.weekday() in (4, 5)  # Friday and Saturday nights
    u = _unit(seed, "hotel-load", hotel["id"], night)
    load = 0.15 + 0.65 * u + 0.3 * pressure + (0.08 if weekend else 0.0) + (0.15 if winter else 0.0)
    rooms = int(hotel["rooms"] or 0)
    for_sale = max(0, rooms - round(rooms * min(1.0, load)))
    jitter = 96 + int(8 * _unit(seed, "hotel-rate", hotel["id"], night))
    price = (int(hotel["base_price_fen"] or 0) * (118 if weekend else 100) * (100 + int(30 * pressure))
             * (125 if winter else 100) * jitter)
    return _round_to(price, 100**4, 100), for_sale


# --- request bodies ----------------------------------------------------------------------


def _two_places(value: Decimal | None) -> Decimal | None:
    return None if value is None else value.quantize(Decimal("0.01"))


class BookingRequest(BaseModel):
    """``POST /bookings``: one passenger on one departure, or one room for a stay."""

    model_config = ConfigDict(extra="forbid")

    kind: Literal["flight", "train", "hotel"]
    offer_id: str | None = Field(None, description="flight/train: the offer id from a search")
    hotel_id: str | None = Field(None, description="hotel: the hotel id, e.g. H-SH-03")
    seat_class: str | None = Field(None, description="flight: economy|business|first; train: second|first|business")
    check_in: date | None = Field(None, description="hotel: first night, YYYY-MM-DD")
    nights: int | None = Field(None, ge=1, le=30, description="hotel: number of nights")
    passenger_name: str = Field(min_length=1, max_length=64)
    passenger_id_number: str = Field(min_length=1, max_length=32)
    contact_phone: str = Field(pattern=PHONE_PATTERN)
    payment_method: str = Field(min_length=1, max_length=64)
    max_price: Decimal = Field(gt=0, decimal_places=2, description="refuse (409 price_changed) above this total")
    customer_id: str = Field(DEFAULT_CUSTOMER, min_length=1, max_length=64)

    _money = field_validator("max_price")(_two_places)

    @field_validator("passenger_id_number")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.strip().upper()


class CancelRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(None, max_length=200)
    max_fee: Decimal | None = Field(None, ge=0, decimal_places=2,
                                    description="refuse (409 fee_changed) if the cancellation fee is higher")

    _money = field_validator("max_fee")(_two_places)


class StatusRequest(BaseModel):
    """Admin: an operational change to one departure (a delay or a cancellation by the operator)."""

    model_config = ConfigDict(extra="forbid")

    status: Literal["scheduled", "delayed", "cancelled"]
    delay_minutes: int = Field(0, ge=0, le=1440)
    note: str | None = Field(None, max_length=500)


# --- cancellation rules ------------------------------------------------------------------

# (at least this many hours before departure, fee percent economy/second, fee percent premium classes, label)
FLIGHT_FEES: tuple[tuple[int, int, int, str], ...] = (
    (168, 5, 0, "7 days or more"), (48, 10, 5, "2 to 7 days"), (4, 20, 10, "4 to 48 hours"),
    (0, 30, 15, "less than 4 hours"))
TRAIN_FEES: tuple[tuple[int, int, int, str], ...] = (
    (192, 0, 0, "8 days or more"), (48, 5, 5, "2 to 8 days"), (24, 10, 10, "24 to 48 hours"),
    (0, 20, 20, "less than 24 hours"))
MIN_TRAIN_FEE_FEN = 200


@dataclass(frozen=True)
class CancelTerms:
    allowed: bool
    fee_fen: int
    rule: str
    refusal: str | None = None  # the 409 code when not allowed

    def view(self, price_fen: int) -> dict[str, Any]:
        return {"allowed": self.allowed, "fee": money(self.fee_fen) if self.allowed else None,
                "refund": money(price_fen - self.fee_fen) if self.allowed else None,
                "currency": CURRENCY, "rule": self.rule}


# Query/header parameter types (module level: FastAPI resolves string annotations in module globals).
ClassQ = Annotated[str | None, Query(description="flight: economy|business|first; "
                                                 "train: second|first|business")]
SortQ = Annotated[Literal["price", "departure", "duration"], Query()]
PriceQ = Annotated[Decimal | None, Query(gt=0, description="highest price in the chosen class")]
TimeQ = Annotated[str | None, Query(description="HH:MM, China time")]
FromQ = Annotated[str, Query(alias="from", description="city: English, 中文 or IATA/station code")]
ToQ = Annotated[str, Query(alias="to")]
KeyH = Annotated[str | None, Header(alias="Idempotency-Key")]


@dataclass(frozen=True)
class _Inventory:
    """What the database adds to the computed world for a set of offers."""

    booked: dict[tuple[str, str], int]
    statuses: dict[str, sqlite3.Row]
    overrides: dict[str, sqlite3.Row]


# --- the service -------------------------------------------------------------------------


class TravelService(SandboxService):
    name = "travel"
    title = "Travel: flights, high-speed trains and hotels"
    schema = """
    CREATE TABLE hotels (
        id TEXT PRIMARY KEY,
        city TEXT NOT NULL DEFAULT 'Beijing',
        name_zh TEXT NOT NULL DEFAULT '',
        name_en TEXT NOT NULL DEFAULT '',
        district_zh TEXT NOT NULL DEFAULT '',
        district_en TEXT NOT NULL DEFAULT '',
        area_zh TEXT NOT NULL DEFAULT '',
        area_en TEXT NOT NULL DEFAULT '',
        address TEXT NOT NULL DEFAULT '',
        phone TEXT NOT NULL DEFAULT '',
        stars INTEGER NOT NULL DEFAULT 3,
        rating REAL NOT NULL DEFAULT 4.0,
        review_count INTEGER NOT NULL DEFAULT 0,
        base_price_fen INTEGER NOT NULL DEFAULT 30000,
        rooms INTEGER NOT NULL DEFAULT 10,
        amenities TEXT NOT NULL DEFAULT '[]',
        description TEXT NOT NULL DEFAULT '',
        check_in_time TEXT NOT NULL DEFAULT '14:00',
        check_out_time TEXT NOT NULL DEFAULT '12:00'
    );
    CREATE INDEX hotels_city ON hotels(city);
    CREATE TABLE hotel_reviews (
        id TEXT PRIMARY KEY,
        hotel_id TEXT NOT NULL DEFAULT '',
        author TEXT NOT NULL DEFAULT '匿名用户',
        rating INTEGER NOT NULL DEFAULT 5,
        stay_date TEXT NOT NULL DEFAULT '2026-11-01',
        language TEXT NOT NULL DEFAULT 'zh',
        text TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX hotel_reviews_hotel ON hotel_reviews(hotel_id);
    CREATE TABLE departure_status (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'scheduled',
        delay_minutes INTEGER NOT NULL DEFAULT 0,
        note TEXT,
        updated_at TEXT
    );
    CREATE TABLE inventory_overrides (
        id TEXT PRIMARY KEY,
        price_fen INTEGER,
        available INTEGER
    );
    CREATE TABLE bookings (
        id TEXT PRIMARY KEY,
        status TEXT NOT NULL DEFAULT 'confirmed',
        created_at TEXT NOT NULL DEFAULT '2026-11-01T00:00:00+08:00',
        seeded INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL DEFAULT 'train',
        from_city TEXT,
        to_city TEXT,
        city TEXT,
        date TEXT NOT NULL DEFAULT '2026-12-01',
        nights INTEGER,
        offer_id TEXT,
        hotel_id TEXT,
        number TEXT,
        hotel_name TEXT,
        seat_class TEXT,
        departure_at TEXT,
        arrival_at TEXT,
        nightly_fen TEXT,
        price_fen INTEGER NOT NULL DEFAULT 0,
        passenger_name TEXT NOT NULL DEFAULT '',
        passenger_id_number TEXT NOT NULL DEFAULT '',
        passenger_id_type TEXT NOT NULL DEFAULT 'national_id',
        contact_phone TEXT NOT NULL DEFAULT '',
        customer_id TEXT NOT NULL DEFAULT 'li-ming',
        payment_method TEXT NOT NULL DEFAULT '',
        reference TEXT,
        seat TEXT,
        fee_fen INTEGER,
        refund_fen INTEGER,
        cancelled_at TEXT,
        cancel_reason TEXT
    );
    CREATE INDEX bookings_offer ON bookings(offer_id, seat_class, status);
    CREATE INDEX bookings_hotel ON bookings(hotel_id, status)
    """

    # -- the seeded world ----------------------------------------------------------------

    def seed_world(self, conn: sqlite3.Connection) -> None:
        rng = random.Random(f"travel-world:{self.seed}")
        for city in CITIES:
            self._seed_hotels(conn, rng, city)
        self._seed_bookings(conn)

    def _seed_hotels(self, conn: sqlite3.Connection, rng: random.Random, city: City) -> None:
        count = rng.randint(6, 10)
        star_levels = sorted([5, 4, 3, 2, *(rng.choice((5, 4, 4, 3, 3, 2)) for _ in range(count - 4))], reverse=True)
        used: set[tuple[str, str]] = set()
        for index, stars in enumerate(star_levels, start=1):
            while True:
                brand_zh, brand_en = rng.choice(HOTEL_BRANDS[stars])
                district = rng.choice(city.districts)
                if (brand_zh, district.area_zh) not in used:
                    used.add((brand_zh, district.area_zh))
                    break
            hotel_id = f"H-{city.hotel_code}-{index:02d}"
            low, high = STAR_PRICE_YUAN[stars]
            base_yuan = rng.randint(low, high) * CITY_PRICE_PERCENT[city.name] // 100 // 10 * 10 + 8
            rating_low, rating_high = STAR_RATING[stars]
            optional = [a for a in AMENITIES_BY_STARS[stars] if a not in ESSENTIAL_AMENITIES]
            amenities = [*ESSENTIAL_AMENITIES, *sorted(rng.sample(optional, max(1, len(optional) * 3 // 4)))]
            walk = rng.randint(2, 12)
            pitch_zh, pitch_en = HOTEL_PITCH[stars]
            # Chain naming: "锦悦酒店(北京王府井店)"; no doubled city for areas named after it (北京南站).
            name_zh = f"{brand_zh}({'' if district.area_zh.startswith(city.name_zh) else city.name_zh}"\
                      f"{district.area_zh}店)"
            name_en = f"{brand_en} {'' if district.area_en.startswith(city.name) else city.name + ' '}"\
                      f"{district.area_en}"
            description = (f"{name_zh}位于{city.name_zh}{district.district_zh}{district.area_zh}商圈，"
                           f"步行约{walk}分钟可达地铁{district.metro_line}号线。{pitch_zh} "
                           f"{name_en} is in the {district.area_en} area of {district.district_en}, "
                           f"a {walk}-minute walk from Metro Line {district.metro_line}. {pitch_en}")
            conn.execute(
                "INSERT INTO hotels VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (hotel_id, city.name, name_zh, name_en, district.district_zh, district.district_en,
                 district.area_zh, district.area_en,
                 f"{city.name_zh}市{district.district_zh}{district.street_zh}{rng.randint(1, 399)}号",
                 f"{city.area_code}-{rng.randint(5000_0000, 8999_9999)}",
                 stars, rng.randint(rating_low, rating_high) / 10, rng.randint(120, 4800), base_yuan * 100,
                 rng.randint(6, 24), json.dumps(amenities), description,
                 "15:00" if stars >= 4 else "14:00", "12:00"))
            for n, (rating, language, text) in enumerate(rng.sample(REVIEW_SNIPPETS, rng.randint(3, 5)), start=1):
                stay = date(2026, 11, 25) - timedelta(days=rng.randint(3, 300))
                conn.execute("INSERT INTO hotel_reviews VALUES (?,?,?,?,?,?,?)",
                             (f"RV-{hotel_id[2:]}-{n}", hotel_id, rng.choice(REVIEW_AUTHORS), rating,
                              stay.isoformat(), language, text))

    def _seed_bookings(self, conn: sqlite3.Connection) -> None:
        """Upcoming trips of the default user 李明 (and one other customer), for list/cancel tasks."""
        li = {"passenger_name": "李明", "passenger_id_number": "11010519900307451X",
              "contact_phone": "13800138000", "customer_id": DEFAULT_CUSTOMER}
        zhang_id = "44010619850712002"
        zhang = {"passenger_name": "张伟", "passenger_id_number": zhang_id + national_id_checksum(zhang_id),
                 "contact_phone": "13922001234", "customer_id": "zhang-wei"}
        trip = date(2026, 12, 18)

        def first(kind: Kind, origin: str, destination: str, day: date, after: int) -> Scheduled:
            services = timetable(self.seed).by_route[(kind, origin, destination)]
            return next(s for s in services if s.departs >= after and s.operates_on(day)
                        and (kind == "flight" or s.carrier == "G"))

        confirmed = {"status": "confirmed"}
        refunded = {"status": "cancelled", "fee_fen": 0, "cancelled_at": "2026-11-18T08:00:00+08:00",
                    "cancel_reason": "行程变更 change of plans"}
        seeded = [
            (self._departure_row(first("train", "Beijing", "Shanghai", trip, 8 * 60), trip, "second",
                                 "alipay-main", li), "2026-11-20T09:30:00+08:00", confirmed),
            (self._hotel_row(conn.execute("SELECT * FROM hotels WHERE city='Shanghai' AND stars=4 "
                                          "ORDER BY id").fetchone(), trip, 2, "alipay-main", li),
             "2026-11-20T09:42:00+08:00", confirmed),
            (self._departure_row(first("flight", "Shanghai", "Beijing", trip + timedelta(days=2), 17 * 60),
                                 trip + timedelta(days=2), "economy", "card-cmb", li),
             "2026-11-20T09:51:00+08:00", confirmed),
            (self._departure_row(first("train", "Beijing", "Hangzhou", date(2026, 12, 5), 9 * 60),
                                 date(2026, 12, 5), "second", "alipay-main", li), "2026-11-15T20:12:00+08:00", refunded),
            (self._departure_row(first("flight", "Guangzhou", "Chengdu", date(2026, 12, 22), 10 * 60),
                                 date(2026, 12, 22), "economy", "wechat-pay", zhang),
             "2026-11-22T14:05:00+08:00", confirmed),
        ]
        for row, created_at, outcome in seeded:
            refund = {"refund_fen": row["price_fen"]} if outcome["status"] == "cancelled" else {}
            self._insert_booking(conn, {**row, **outcome, **refund, "created_at": created_at, "seeded": 1})

    # -- lookups ---------------------------------------------------------------------------

    def _city(self, value: str, field: str) -> City:
        city = find_city(value)
        if city is None:
            raise bad_request("unknown_city", f"{field}: unknown city {value!r}; known cities: "
                              + ", ".join(f"{c.name} {c.name_zh} {c.iata}" for c in CITIES),
                              {"field": field, "allowed": [c.name for c in CITIES]})
        return city

    def _check_range(self, day: date, field: str = "date") -> None:
        if not RANGE_START <= day <= RANGE_END:
            raise bad_request("date_out_of_range",
                              f"{field} {day.isoformat()} is outside the bookable range "
                              f"{RANGE_START.isoformat()} to {RANGE_END.isoformat()}",
                              {"field": field, "first": RANGE_START.isoformat(), "last": RANGE_END.isoformat()})

    def _check_future(self, day: date, field: str = "date") -> None:
        if day < self.today():
            raise bad_request("date_in_past", f"{field} {day.isoformat()} is before today "
                              f"({self.today().isoformat()})", {"field": field, "today": self.today().isoformat()})
        self._check_range(day, field)

    def _seat_class(self, kind: str, seat_class: str | None) -> str | None:
        if seat_class is None:
            return None
        value = seat_class.strip().lower()
        if value not in CLASSES[kind]:
            raise bad_request("invalid_seat_class", f"seat_class {seat_class!r} is not a {kind} class; "
                              f"allowed: {', '.join(CLASSES[kind])}",
                              {"field": "seat_class", "allowed": list(CLASSES[kind])})
        return value

    def _offer(self, offer_id: str) -> tuple[Scheduled, date]:
        """Resolve an offer id (``FL-CA1501-2026-12-15``) to its scheduled service and date."""
        match = OFFER_ID.match(offer_id.strip().upper())
        if not match:
            raise not_found("offer", offer_id)
        prefix, number, day_text = match.groups()
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise not_found("offer", offer_id) from None
        self._check_range(day)
        service = timetable(self.seed).by_number.get(number)
        if service is None or KIND_PREFIX[service.kind] != prefix:
            raise not_found("offer", offer_id)
        if not service.operates_on(day):
            raise _not_operating(offer_id, service, day)
        return service, day

    # -- departures as the API shows them ---------------------------------------------------

    def _inventory(self, conn: sqlite3.Connection, offer_ids: list[str]) -> _Inventory:
        marks = ",".join("?" for _ in offer_ids) or "''"
        booked = {(r["offer_id"], r["seat_class"]): r["n"] for r in conn.execute(
            f"SELECT offer_id, seat_class, COUNT(*) AS n FROM bookings WHERE status='confirmed' "
            f"AND offer_id IN ({marks}) GROUP BY offer_id, seat_class", offer_ids)}
        statuses = {r["id"]: r for r in conn.execute(
            f"SELECT * FROM departure_status WHERE id IN ({marks})", offer_ids)}
        overrides = {r["id"]: r for r in conn.execute(
            f"SELECT * FROM inventory_overrides WHERE substr(id, 1, instr(id, ':') - 1) IN ({marks})", offer_ids)}
        return _Inventory(booked, statuses, overrides)

    def _classes(self, s: Scheduled, day: date, inventory: _Inventory) -> dict[str, tuple[int, int]]:
        """seat class → (price fen, seats left) after overrides and this sandbox's bookings."""
        offer_id = s.offer_id(day)
        result: dict[str, tuple[int, int]] = {}
        for seat_class, quote in quote_departure(self.seed, s, day).items():
            override = inventory.overrides.get(f"{offer_id}:{seat_class}")
            price = override["price_fen"] if override and override["price_fen"] is not None else quote.price_fen
            for_sale = override["available"] if override and override["available"] is not None else quote.for_sale
            result[seat_class] = (price, max(0, for_sale - inventory.booked.get((offer_id, seat_class), 0)))
        return result

    def _operation(self, s: Scheduled, day: date, status_row: sqlite3.Row | None) -> dict[str, Any]:
        status = status_row["status"] if status_row else "scheduled"
        delay = int(status_row["delay_minutes"] or 0) if status_row else 0
        estimated = s.departure(day) + timedelta(minutes=delay)
        if status != "cancelled" and self.now() >= estimated:
            status = "departed"
        return {"status": status, "delay_minutes": delay,
                "estimated_departure": None if status == "cancelled" else estimated.isoformat(),
                "status_note": status_row["note"] if status_row else None}

    def _offer_view(self, s: Scheduled, day: date, inventory: _Inventory,
                    seat_class: str | None = None) -> dict[str, Any]:
        classes = self._classes(s, day, inventory)
        chosen = seat_class or next((c for c, (_, left) in sorted(classes.items(), key=lambda kv: kv[1][0])
                                     if left > 0), DEFAULT_CLASS[s.kind])
        price, left = classes.get(chosen, (None, 0))
        operation = self._operation(s, day, inventory.statuses.get(s.offer_id(day)))
        departure = s.departure(day)
        if s.kind == "flight":
            airline = AIRLINE_BY_CODE[s.carrier]
            carrier = f"{airline.name_en} {airline.name_zh}"
        else:
            carrier = f"China Railway 中国铁路 ({'high-speed G' if s.carrier == 'G' else 'EMU D'} train)"
        return {
            "id": s.offer_id(day), "kind": s.kind, "number": s.number, "carrier": carrier,
            "equipment": s.equipment.name, "date": day.isoformat(),
            "from": s.origin.name, "to": s.destination.name,
            "from_point": s.origin_point.view(), "to_point": s.destination_point.view(),
            "departure": departure.isoformat(),
            "arrival": (departure + timedelta(minutes=s.duration)).isoformat(),
            "duration_minutes": s.duration, "duration": _duration_text(s.duration), "distance_km": s.distance_km,
            **operation,
            "seat_class": chosen, "price": money(price) if price is not None else None,
            "seats_left": left, "bookable": bool(price is not None and left > 0
                                                  and operation["status"] in ("scheduled", "delayed")),
            "currency": CURRENCY,
            "classes": [{"seat_class": c, "price": money(p), "seats_left": n, "available": n > 0}
                        for c, (p, n) in classes.items()],
        }

    def _search(self, kind: Kind, origin: str, destination: str, day: date, seat_class: str | None,
                sort: str, max_price: Decimal | None, depart_after: str | None,
                depart_before: str | None) -> dict[str, Any]:
        src, dst = self._city(origin, "from"), self._city(destination, "to")
        if src is dst:
            raise bad_request("same_city", f"from and to are both {src.name}")
        self._check_future(day)
        seat_class = self._seat_class(kind, seat_class)
        after, before = _minutes(depart_after, "depart_after"), _minutes(depart_before, "depart_before")
        services = [s for s in timetable(self.seed).by_route[(kind, src.name, dst.name)]
                    if s.operates_on(day) and (seat_class is None or s.capacity(seat_class))
                    and (after is None or s.departs >= after) and (before is None or s.departs <= before)]
        with self.read() as conn:
            inventory = self._inventory(conn, [s.offer_id(day) for s in services])
        offers = [self._offer_view(s, day, inventory, seat_class) for s in services]
        if max_price is not None:
            offers = [o for o in offers if o["price"] is not None and Decimal(o["price"]) <= max_price]
        keys = {"price": lambda o: (not o["bookable"], Decimal(o["price"] or "0"), o["departure"]),
                "departure": lambda o: o["departure"],
                "duration": lambda o: (o["duration_minutes"], o["departure"])}
        offers.sort(key=keys[sort])
        return {"kind": kind, "from": src.name, "to": dst.name, "date": day.isoformat(),
                "seat_class": seat_class or DEFAULT_CLASS[kind], "count": len(offers), "offers": offers}

    # -- hotels ----------------------------------------------------------------------------

    def _hotel_row(self, hotel: sqlite3.Row, check_in: date, nights: int, payment_method: str,
                   person: dict[str, str]) -> dict[str, Any]:
        nightly = [hotel_night(self.seed, hotel, check_in + timedelta(days=i))[0] for i in range(nights)]
        return {"kind": "hotel", "city": hotel["city"], "date": check_in.isoformat(), "nights": nights,
                "hotel_id": hotel["id"], "hotel_name": f"{hotel['name_zh']} {hotel['name_en']}",
                "nightly_fen": json.dumps(nightly), "price_fen": sum(nightly),
                "payment_method": payment_method, **person}

    def _departure_row(self, s: Scheduled, day: date, seat_class: str, payment_method: str,
                       person: dict[str, str], price_fen: int | None = None) -> dict[str, Any]:
        departure = s.departure(day)
        if price_fen is None:
            price_fen = quote_departure(self.seed, s, day)[seat_class].price_fen
        return {"kind": s.kind, "from_city": s.origin.name, "to_city": s.destination.name, "date": day.isoformat(),
                "offer_id": s.offer_id(day), "number": s.number, "seat_class": seat_class,
                "departure_at": departure.isoformat(),
                "arrival_at": (departure + timedelta(minutes=s.duration)).isoformat(),
                "price_fen": price_fen, "payment_method": payment_method, **person}

    def _stay(self, conn: sqlite3.Connection, hotel: sqlite3.Row, check_in: date,
              nights: int) -> dict[str, Any]:
        """Per-night prices and rooms left for a stay, after overrides and this sandbox's bookings."""
        days = [check_in + timedelta(days=i) for i in range(nights)]
        overrides = {r["id"]: r for r in conn.execute(
            "SELECT * FROM inventory_overrides WHERE id LIKE ?", (f"{hotel['id']}:%",))}
        booked: dict[str, int] = {}
        for row in conn.execute("SELECT date, nights FROM bookings WHERE hotel_id=? AND status='confirmed'",
                                (hotel["id"],)):
            start = date.fromisoformat(row["date"])
            for i in range(int(row["nights"] or 1)):
                key = (start + timedelta(days=i)).isoformat()
                booked[key] = booked.get(key, 0) + 1
        nightly = []
        for day in days:
            price, for_sale = hotel_night(self.seed, hotel, day)
            override = overrides.get(f"{hotel['id']}:{day.isoformat()}")
            if override is not None:
                price = price if override["price_fen"] is None else override["price_fen"]
                for_sale = for_sale if override["available"] is None else override["available"]
            nightly.append({"date": day.isoformat(), "price_fen": price,
                            "rooms_left": max(0, for_sale - booked.get(day.isoformat(), 0))})
        total = sum(n["price_fen"] for n in nightly)
        rooms_left = min(n["rooms_left"] for n in nightly)
        return {"check_in": check_in.isoformat(), "check_out": (check_in + timedelta(days=nights)).isoformat(),
                "nights": nights, "total_fen": total, "rooms_left": rooms_left,
                "nightly": nightly}

    def _check_stay(self, check_in: date, nights: int) -> None:
        self._check_future(check_in, "check_in")
        self._check_range(check_in + timedelta(days=nights - 1), "last night")

    def _hotel_view(self, hotel: sqlite3.Row, stay: dict[str, Any] | None, *, detail: bool) -> dict[str, Any]:
        city = CITY_BY_NAME.get(hotel["city"])
        view: dict[str, Any] = {
            "id": hotel["id"], "name": hotel["name_en"], "name_zh": hotel["name_zh"], "city": hotel["city"],
            "city_zh": city.name_zh if city else None,
            "district": f"{hotel['district_zh']} {hotel['district_en']}".strip(),
            "area": f"{hotel['area_zh']} {hotel['area_en']}".strip(), "address": hotel["address"],
            "stars": hotel["stars"], "rating": hotel["rating"], "review_count": hotel["review_count"],
            "amenities": _json_list(hotel["amenities"]),
            "typical_price_per_night": money(hotel["base_price_fen"]), "currency": CURRENCY,
        }
        if stay is not None:
            view.update({
                "check_in": stay["check_in"], "check_out": stay["check_out"], "nights": stay["nights"],
                "price_per_night": money(_round_to(stay["total_fen"], stay["nights"], 1)),
                "total_price": money(stay["total_fen"]), "rooms_left": stay["rooms_left"],
                "available": stay["rooms_left"] > 0})
            if detail:
                view["nightly"] = [{"date": n["date"], "price": money(n["price_fen"]), "rooms_left": n["rooms_left"]}
                                   for n in stay["nightly"]]
        if detail:
            view.update({"phone": hotel["phone"], "description": hotel["description"],
                         "check_in_time": hotel["check_in_time"], "check_out_time": hotel["check_out_time"],
                         "cancellation_policy": "Free cancellation until the day before check-in; "
                                                "cancelling on the check-in day costs the first night. "
                                                "入住前一天（含）免费取消，入住当天取消收取首晚房费。"})
        return view

    def _hotel(self, conn: sqlite3.Connection, hotel_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM hotels WHERE id=?", (hotel_id.strip().upper(),)).fetchone()
        if row is None:
            raise not_found("hotel", hotel_id)
        return row

    # -- bookings --------------------------------------------------------------------------

    def _insert_booking(self, conn: sqlite3.Connection, fields: dict[str, Any]) -> str:
        booking_id = self.next_id(conn, "BK")
        fields = {"id": booking_id, **fields, **self._reference(booking_id, fields)}
        columns = ", ".join(fields)
        conn.execute(f"INSERT INTO bookings ({columns}) VALUES ({', '.join('?' for _ in fields)})",
                     tuple(fields.values()))
        return booking_id

    def _reference(self, booking_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        """E-ticket number (flight), ticket number and seat (train) or confirmation number (hotel)."""
        if fields["kind"] == "flight":
            airline = AIRLINE_BY_CODE[fields["number"][:2]]
            return {"reference": f"{airline.ticket_prefix}-{_digits(self.seed, 10, booking_id)}", "seat": None}
        if fields["kind"] == "train":
            cars = {"business": (1, 1, "ACF"), "first": (2, 3, "ACDF"), "second": (4, 16, "ABCDF")}
            low, high, letters = cars[fields["seat_class"]]
            u = _unit(self.seed, "seat", booking_id)
            car = low + int(u * (high - low + 1))
            seat = f"{car:02d}车{1 + int(u * 997) % 17:02d}{letters[int(u * 7919) % len(letters)]}号"
            return {"reference": f"E{_digits(self.seed, 9, booking_id)}", "seat": seat}
        return {"reference": f"HC{_digits(self.seed, 8, booking_id)}", "seat": None}

    def _booking(self, conn: sqlite3.Connection, booking_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM bookings WHERE id=?", (booking_id.strip().upper(),)).fetchone()
        if row is None:
            raise not_found("booking", booking_id)
        return row

    def _terms(self, row: sqlite3.Row, status_row: sqlite3.Row | None) -> CancelTerms:
        """What cancelling ``row`` now would cost, or why it cannot be cancelled."""
        if row["status"] == "cancelled":
            return CancelTerms(False, 0, "already cancelled", "already_cancelled")
        price = int(row["price_fen"])
        if row["kind"] == "hotel":
            check_in, today = date.fromisoformat(row["date"]), self.today()
            if today < check_in:
                return CancelTerms(True, 0, "free cancellation until the day before check-in")
            if today == check_in:
                first_night = _json_list(row["nightly_fen"])[:1] or [price]
                return CancelTerms(True, int(first_night[0]), "cancelled on the check-in day: the first night is charged")
            return CancelTerms(False, 0, "the stay has already started", "stay_started")
        status = status_row["status"] if status_row else "scheduled"
        delay = int(status_row["delay_minutes"] or 0) if status_row else 0
        if status == "cancelled":
            return CancelTerms(True, 0, "the operator cancelled this departure: full refund")
        if row["kind"] == "flight" and delay >= INVOLUNTARY_DELAY_MINUTES:
            return CancelTerms(True, 0, f"the flight is delayed {delay} minutes: full refund")
        departure = datetime.fromisoformat(row["departure_at"]) + timedelta(minutes=delay)
        hours = (departure - self.now()).total_seconds() / 3600
        if hours <= 0:
            return CancelTerms(False, 0, "already departed", "already_departed")
        table = FLIGHT_FEES if row["kind"] == "flight" else TRAIN_FEES
        _, standard, premium, window = next(t for t in table if hours >= t[0])
        percent = premium if row["seat_class"] in ("business", "first") and row["kind"] == "flight" else standard
        fee = _round_to(price * percent, 100, 100 if row["kind"] == "flight" else 50)
        if row["kind"] == "train" and percent:
            fee = min(price, max(fee, MIN_TRAIN_FEE_FEN))
        rule = f"{percent}% fee when cancelling {window} before departure" if percent else \
            f"free cancellation {window} before departure"
        return CancelTerms(True, fee, rule)

    def _booking_views(self, conn: sqlite3.Connection, rows: list[sqlite3.Row]) -> list[dict[str, Any]]:
        offer_ids = [r["offer_id"] for r in rows if r["offer_id"]]
        marks = ",".join("?" for _ in offer_ids) or "''"
        statuses = {r["id"]: r for r in conn.execute(
            f"SELECT * FROM departure_status WHERE id IN ({marks})", offer_ids)}
        return [self._booking_view(r, statuses.get(r["offer_id"])) for r in rows]

    def _booking_view(self, row: sqlite3.Row, status_row: sqlite3.Row | None) -> dict[str, Any]:
        is_hotel = row["kind"] == "hotel"
        check_out = (date.fromisoformat(row["date"]) + timedelta(days=int(row["nights"] or 0))).isoformat() \
            if is_hotel else None
        operation = None if is_hotel else {
            "departure_status": status_row["status"] if status_row else "scheduled",
            "delay_minutes": int(status_row["delay_minutes"] or 0) if status_row else 0,
            "status_note": status_row["note"] if status_row else None}
        start = row["date"] if is_hotel else row["departure_at"]
        upcoming = row["status"] == "confirmed" and (
            date.fromisoformat(start) >= self.today() if is_hotel else datetime.fromisoformat(start) > self.now())
        return {
            "id": row["id"], "status": row["status"], "created_at": row["created_at"], "seeded": bool(row["seeded"]),
            "kind": row["kind"], "from": row["from_city"], "to": row["to_city"], "city": row["city"],
            "date": row["date"], "nights": row["nights"], "check_out": check_out,
            "offer_id": row["offer_id"], "hotel_id": row["hotel_id"], "number": row["number"],
            "hotel_name": row["hotel_name"], "seat_class": row["seat_class"],
            "departure_at": row["departure_at"], "arrival_at": row["arrival_at"],
            "price": money(int(row["price_fen"])), "currency": CURRENCY,
            "passenger": row["passenger_name"], "passenger_id_number": row["passenger_id_number"],
            "passenger_id_type": row["passenger_id_type"], "contact_phone": row["contact_phone"],
            "customer_id": row["customer_id"], "payment_method": row["payment_method"],
            "reference": row["reference"], "seat": row["seat"], "upcoming": upcoming,
            **(operation or {"departure_status": None, "delay_minutes": None, "status_note": None}),
            "cancellation": self._terms(row, status_row).view(int(row["price_fen"]))
            if row["status"] == "confirmed" else None,
            "cancellation_fee": money(row["fee_fen"]) if row["fee_fen"] is not None else None,
            "refund": money(row["refund_fen"]) if row["refund_fen"] is not None else None,
            "cancelled_at": row["cancelled_at"], "cancel_reason": row["cancel_reason"],
        }

    def _person(self, req: BookingRequest) -> dict[str, str]:
        number = req.passenger_id_number
        if re.fullmatch(r"\d{17}[\dX]", number):
            if not valid_national_id(number):
                raise bad_request("invalid_id_number", f"passenger_id_number {number!r} fails the national ID "
                                  "check digit (GB 11643); please re-check the number",
                                  {"field": "passenger_id_number"})
            id_type = "national_id"
        elif PASSPORT.fullmatch(number):
            id_type = "passport"
        else:
            raise bad_request("invalid_id_number", f"passenger_id_number {number!r} is neither an 18-character "
                              "national ID nor a passport number", {"field": "passenger_id_number"})
        return {"passenger_name": req.passenger_name.strip(), "passenger_id_number": number,
                "passenger_id_type": id_type, "contact_phone": req.contact_phone,
                "customer_id": req.customer_id}

    def _create_booking(self, conn: sqlite3.Connection, req: BookingRequest) -> dict[str, Any]:
        wrong = (["hotel_id", "check_in", "nights"] if req.kind != "hotel" else ["offer_id", "seat_class"])
        given = [f for f in wrong if getattr(req, f) is not None]
        if given:
            raise bad_request("field_not_applicable", f"{', '.join(given)} do(es) not apply to a {req.kind} "
                              "booking", {"fields": given})
        person = self._person(req)
        fields = self._book_hotel(conn, req, person) if req.kind == "hotel" else self._book_departure(conn, req, person)
        if fields["price_fen"] > to_fen(req.max_price):
            raise conflict("price_changed", f"the price is now {money(fields['price_fen'])} CNY, above your "
                           f"max_price {money(to_fen(req.max_price))} CNY; search again or raise max_price",
                           {"price": money(fields["price_fen"]), "max_price": money(to_fen(req.max_price)),
                            "currency": CURRENCY})
        booking_id = self._insert_booking(conn, {**fields, "status": "confirmed", "seeded": 0,
                                                 "created_at": self.now().isoformat()})
        return self._booking_views(conn, [self._booking(conn, booking_id)])[0]

    def _book_departure(self, conn: sqlite3.Connection, req: BookingRequest,
                        person: dict[str, str]) -> dict[str, Any]:
        if req.offer_id is None or req.seat_class is None:
            raise bad_request("missing_field", f"a {req.kind} booking needs offer_id and seat_class",
                              {"fields": ["offer_id", "seat_class"]})
        seat_class = self._seat_class(req.kind, req.seat_class)
        assert seat_class is not None
        match = OFFER_ID.match(req.offer_id.strip().upper())
        if match and match.group(1) != KIND_PREFIX[req.kind]:
            raise bad_request("offer_kind_mismatch", f"offer {req.offer_id} is not a {req.kind}; "
                              f"{req.kind} offers start with {KIND_PREFIX[req.kind]}-")
        if match:
            try:
                self._check_future(date.fromisoformat(match.group(3)))
            except ValueError:
                raise not_found("offer", req.offer_id) from None
        s, day = self._offer(req.offer_id)
        offer_id = s.offer_id(day)
        if not s.capacity(seat_class):
            raise bad_request("invalid_seat_class", f"{s.number} ({s.equipment.name}) has no {seat_class} "
                              f"class; it offers {', '.join(s.seat_classes())}",
                              {"field": "seat_class", "allowed": list(s.seat_classes())})
        inventory = self._inventory(conn, [offer_id])
        operation = self._operation(s, day, inventory.statuses.get(offer_id))
        if operation["status"] == "cancelled":
            raise conflict("departure_cancelled", f"{s.number} on {day.isoformat()} has been cancelled by the "
                           "operator; choose another departure")
        if operation["status"] == "departed":
            raise conflict("departed", f"{s.number} on {day.isoformat()} has already departed")
        price, left = self._classes(s, day, inventory)[seat_class]
        if left <= 0:
            raise conflict("sold_out", f"{seat_class} class on {s.number} {day.isoformat()} is sold out",
                           {"offer_id": offer_id, "seat_class": seat_class})
        duplicate = conn.execute("SELECT id FROM bookings WHERE offer_id=? AND passenger_id_number=? "
                                 "AND status='confirmed'", (offer_id, person["passenger_id_number"])).fetchone()
        if duplicate:
            raise conflict("duplicate_booking", f"this passenger already holds booking {duplicate['id']} on "
                           f"{s.number} {day.isoformat()}", {"booking_id": duplicate["id"]})
        return self._departure_row(s, day, seat_class, req.payment_method, person, price)

    def _book_hotel(self, conn: sqlite3.Connection, req: BookingRequest,
                    person: dict[str, str]) -> dict[str, Any]:
        if req.hotel_id is None or req.check_in is None or req.nights is None:
            raise bad_request("missing_field", "a hotel booking needs hotel_id, check_in and nights",
                              {"fields": ["hotel_id", "check_in", "nights"]})
        self._check_stay(req.check_in, req.nights)
        hotel = self._hotel(conn, req.hotel_id)
        stay = self._stay(conn, hotel, req.check_in, req.nights)
        full = [n["date"] for n in stay["nightly"] if n["rooms_left"] <= 0]
        if full:
            raise conflict("sold_out", f"{hotel['name_en']} has no rooms left on {', '.join(full)}",
                           {"hotel_id": hotel["id"], "nights": full})
        row = self._hotel_row(hotel, req.check_in, req.nights, req.payment_method, person)
        nightly = [n["price_fen"] for n in stay["nightly"]]
        return {**row, "nightly_fen": json.dumps(nightly), "price_fen": sum(nightly)}

    def _cancel(self, conn: sqlite3.Connection, booking_id: str, req: CancelRequest) -> dict[str, Any]:
        row = self._booking(conn, booking_id)
        status_row = conn.execute("SELECT * FROM departure_status WHERE id=?", (row["offer_id"] or "",)).fetchone()
        terms = self._terms(row, status_row)
        if not terms.allowed:
            raise conflict(terms.refusal or "not_cancellable", f"booking {row['id']} cannot be cancelled: {terms.rule}")
        if req.max_fee is not None and terms.fee_fen > to_fen(req.max_fee):
            raise conflict("fee_changed", f"the cancellation fee is {money(terms.fee_fen)} CNY, above your "
                           f"max_fee {money(to_fen(req.max_fee))} CNY",
                           {"fee": money(terms.fee_fen), "max_fee": money(to_fen(req.max_fee)), "currency": CURRENCY})
        conn.execute("UPDATE bookings SET status='cancelled', fee_fen=?, refund_fen=?, cancelled_at=?, "
                     "cancel_reason=? WHERE id=?",
                     (terms.fee_fen, int(row["price_fen"]) - terms.fee_fen, self.now().isoformat(),
                      req.reason, row["id"]))
        view = self._booking_views(conn, [self._booking(conn, row["id"])])[0]
        return {**view, "cancellation_rule": terms.rule}

    # -- routes ----------------------------------------------------------------------------

    def routes(self, router: APIRouter) -> None:
        @router.get("/cities", tags=["reference"])
        def cities() -> dict[str, Any]:
            """The twelve cities served, with airports and railway stations."""
            with self.read() as conn:
                counts = dict(conn.execute("SELECT city, COUNT(*) FROM hotels GROUP BY city").fetchall())
            return {"count": len(CITIES),
                    "cities": [{**c.view(), "hotel_count": counts.get(c.name, 0)} for c in CITIES]}

        def departures(kind: Kind) -> Any:
            def search(origin: FromQ, destination: ToQ, day: Annotated[date, Query(alias="date")],
                       seat_class: ClassQ = None, sort: SortQ = "price", max_price: PriceQ = None,
                       depart_after: TimeQ = None, depart_before: TimeQ = None) -> dict[str, Any]:
                return self._search(kind, origin, destination, day, seat_class, sort, max_price,
                                    depart_after, depart_before)
            return search

        router.add_api_route("/flights", departures("flight"), methods=["GET"], tags=["search"],
                             summary="Direct flights on one day, cheapest bookable first by default")
        router.add_api_route("/trains", departures("train"), methods=["GET"], tags=["search"],
                             summary="High-speed (G/D) trains on one day, cheapest bookable first by default")

        @router.get("/offers/{offer_id}", tags=["search"])
        def offer(offer_id: str) -> dict[str, Any]:
            """One departure: every class with price and seats left, and its operational status."""
            s, day = self._offer(offer_id)
            with self.read() as conn:
                inventory = self._inventory(conn, [s.offer_id(day)])
            return self._offer_view(s, day, inventory)

        @router.post("/admin/departures/{offer_id}/status", tags=["admin"])
        def set_status(offer_id: str, body: StatusRequest, key: KeyH = None) -> dict[str, Any]:
            """Operator event (not a tool): delay, cancel or restore one departure."""
            s, day = self._offer(offer_id)
            if body.status == "delayed" and body.delay_minutes <= 0:
                raise bad_request("invalid_delay", "status delayed needs delay_minutes > 0",
                                  {"field": "delay_minutes"})
            delay = body.delay_minutes if body.status == "delayed" else 0

            def apply(conn: sqlite3.Connection) -> dict[str, Any]:
                conn.execute("INSERT OR REPLACE INTO departure_status VALUES (?, ?, ?, ?, ?)",
                             (s.offer_id(day), body.status, delay, body.note, self.now().isoformat()))
                return self._offer_view(s, day, self._inventory(conn, [s.offer_id(day)]))

            return self.idempotent(key, f"set_status:{s.offer_id(day)}", body.model_dump(mode="json"), apply)

        @router.get("/hotels", tags=["hotels"])
        def hotels(city: Annotated[str, Query(description="English, 中文 or IATA code")],
                   check_in: date | None = None, nights: Annotated[int, Query(ge=1, le=30)] = 1,
                   max_price_per_night: PriceQ = None, min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
                   min_stars: Annotated[int | None, Query(ge=1, le=5)] = None,
                   sort: Annotated[Literal["price", "rating"], Query()] = "price") -> dict[str, Any]:
            """Hotels in a city; with check_in, priced and checked for rooms for that stay."""
            place = self._city(city, "city")
            if check_in is not None:
                self._check_stay(check_in, nights)
            with self.read() as conn:
                rows = conn.execute("SELECT * FROM hotels WHERE city=? ORDER BY id", (place.name,)).fetchall()
                found = [self._hotel_view(r, self._stay(conn, r, check_in, nights) if check_in else None,
                                          detail=False) for r in rows]
            found = [h for h in found
                     if (min_rating is None or h["rating"] >= min_rating)
                     and (min_stars is None or h["stars"] >= min_stars)
                     and (max_price_per_night is None
                          or Decimal(h.get("price_per_night", h["typical_price_per_night"])) <= max_price_per_night)]
            if sort == "price":
                found.sort(key=lambda h: (not h.get("available", True),
                                          Decimal(h.get("price_per_night", h["typical_price_per_night"])), h["id"]))
            else:
                found.sort(key=lambda h: (-h["rating"], -h["stars"], h["id"]))
            return {"city": place.name, "check_in": check_in.isoformat() if check_in else None,
                    "nights": nights if check_in else None, "count": len(found), "hotels": found}

        @router.get("/hotels/{hotel_id}", tags=["hotels"])
        def hotel(hotel_id: str, check_in: date | None = None,
                  nights: Annotated[int, Query(ge=1, le=30)] = 1) -> dict[str, Any]:
            """One hotel with its description, reviews and (with check_in) per-night prices."""
            if check_in is not None:
                self._check_stay(check_in, nights)
            with self.read() as conn:
                row = self._hotel(conn, hotel_id)
                stay = self._stay(conn, row, check_in, nights) if check_in else None
                reviews = conn.execute("SELECT * FROM hotel_reviews WHERE hotel_id=? ORDER BY stay_date DESC, id",
                                       (row["id"],)).fetchall()
            return {**self._hotel_view(row, stay, detail=True),
                    "reviews": [{"id": r["id"], "author": r["author"], "rating": r["rating"],
                                 "stay_date": r["stay_date"], "language": r["language"], "text": r["text"]}
                                for r in reviews]}

        @router.post("/bookings", tags=["bookings"])
        def create_booking(body: BookingRequest, key: KeyH = None) -> dict[str, Any]:
            """Book and pay: a seat on a flight/train or a room for a stay."""
            return self.idempotent(key, "create_booking", body.model_dump(mode="json"),
                                   lambda conn: self._create_booking(conn, body))

        @router.get("/bookings", tags=["bookings"])
        def list_bookings(customer_id: str | None = None, passenger_id_number: str | None = None,
                          status: Literal["confirmed", "cancelled"] | None = None,
                          kind: Literal["flight", "train", "hotel"] | None = None) -> dict[str, Any]:
            """Bookings, filtered by customer, passenger ID number, status and kind."""
            clauses, params = [], []
            for column, value in (("customer_id", customer_id), ("status", status), ("kind", kind),
                                  ("passenger_id_number", passenger_id_number.strip().upper()
                                   if passenger_id_number else None)):
                if value is not None:
                    clauses.append(f"{column}=?")
                    params.append(value)
            where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
            with self.read() as conn:
                rows = conn.execute(f"SELECT * FROM bookings {where} ORDER BY date, id", params).fetchall()
                views = self._booking_views(conn, rows)
            return {"count": len(views), "bookings": views}

        @router.get("/bookings/{booking_id}", tags=["bookings"])
        def get_booking(booking_id: str) -> dict[str, Any]:
            """One booking, with the current cancellation quote (fee and refund) while it is confirmed."""
            with self.read() as conn:
                return self._booking_views(conn, [self._booking(conn, booking_id)])[0]

        @router.post("/bookings/{booking_id}/cancel", tags=["bookings"])
        def cancel_booking(booking_id: Annotated[str, Path()], key: KeyH = None,
                           body: Annotated[CancelRequest | None, Body()] = None) -> dict[str, Any]:
            """Cancel and refund the price minus the fee the cancellation rules set."""
            body = body or CancelRequest()
            return self.idempotent(key, f"cancel_booking:{booking_id.strip().upper()}",
                                   body.model_dump(mode="json"), lambda conn: self._cancel(conn, booking_id, body))

    def state(self) -> dict[str, list[dict[str, Any]]]:
        with self.read() as conn:
            rows = conn.execute("SELECT * FROM bookings ORDER BY id").fetchall()
            return {"bookings": self._booking_views(conn, rows)}


_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _not_operating(offer_id: str, s: Scheduled, day: date) -> SandboxError:
    """The 404 for a real flight number on a day it does not fly (some flights fly a weekly pattern)."""
    days = [_WEEKDAYS[d] for d in sorted(s.weekdays)]
    return SandboxError(404, "offer_not_found", f"{s.number} does not operate on {day.isoformat()} "
                        f"({_WEEKDAYS[day.weekday()]}); it flies on {', '.join(days)}", {"operates_on": days})


def _minutes(value: str | None, field: str) -> int | None:
    if value is None:
        return None
    match = HHMM.match(value.strip())
    if not match:
        raise bad_request("invalid_time", f"{field} must be HH:MM (24-hour), got {value!r}", {"field": field})
    return int(match.group(1)) * 60 + int(match.group(2))


def _json_list(text: str | None) -> list[Any]:
    try:
        value = json.loads(text or "[]")
    except ValueError:
        return []
    return value if isinstance(value, list) else []
