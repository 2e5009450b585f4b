"""The government-services sandbox: a catalogue of service items, life-event bundles,
offices with appointment slots, a citizens registry, appointments and applications.

Shapes follow China's 政务服务事项 element set and the 一件事一次办 bundles (see
:mod:`tools.sandbox.gov_data`). Catalogue rows are seeded; appointment slots are computed
on the fly from a seeded hash (only bookings are stored); an application's status is
computed at read time from its submission time and the service's processing days, unless
an officer (the admin endpoint) or a withdrawal has taken over.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Iterable, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.profile import national_id_checksum, valid_national_id
from tools.sandbox import gov_data as data
from tools.sandbox.base import (
    CHINA_TZ,
    SandboxError,
    SandboxService,
    bad_request,
    conflict,
    not_found,
)

BOOKING_WINDOW_DAYS = 60
SLOT_MINUTES = 30
# Slot start times: mornings 09:00-11:30, afternoons 13:30-16:30 (offices open 09:00-12:00, 13:30-17:00).
SLOT_TIMES: tuple[str, ...] = tuple(
    f"{m // 60:02d}:{m % 60:02d}"
    for start, end in ((9 * 60, 11 * 60 + 30), (13 * 60 + 30, 16 * 60 + 30))
    for m in range(start, end + 1, SLOT_MINUTES)
)
OPENING_HOURS = ("周一至周五 09:00-12:00，13:30-17:00（法定节假日除外）; "
                 "Monday to Friday 09:00-12:00 and 13:30-17:00, closed on public holidays")

APPLICATION_STATUSES = ("submitted", "accepted", "in_review", "needs_documents", "approved", "rejected", "withdrawn")
APPOINTMENT_STATUSES = ("booked", "cancelled", "completed")
OPEN_STATUSES = frozenset({"submitted", "accepted", "in_review", "needs_documents"})
MARITAL_STATUSES = ("single", "married", "divorced", "widowed")

_NEXT_STEP = {
    "submitted": "The office has received the application and will accept it shortly.",
    "accepted": "The application has been accepted (受理); review starts on the next working day.",
    "in_review": "The application is being reviewed; a decision is expected by the expected decision date.",
    "needs_documents": "The office needs more documents (补正材料); see the latest note in the history.",
    "approved": "Approved (办结). The result is issued as described in the service record.",
    "rejected": "Rejected; see the note in the history for the reason. You may apply again.",
    "withdrawn": "Withdrawn at the applicant's request; nothing further will happen.",
}

SCHEMA = """
CREATE TABLE departments (id TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL);
CREATE TABLE documents (id TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, description TEXT);
CREATE TABLE life_events (
    id TEXT PRIMARY KEY, position INTEGER DEFAULT 0, name_zh TEXT NOT NULL, name_en TEXT NOT NULL,
    description TEXT, keywords TEXT DEFAULT '[]'
);
CREATE TABLE services (
    id TEXT PRIMARY KEY, name_zh TEXT NOT NULL, name_en TEXT NOT NULL, department TEXT NOT NULL,
    description TEXT, keywords TEXT DEFAULT '[]', life_events TEXT DEFAULT '[]', eligibility TEXT DEFAULT '[]',
    documents TEXT DEFAULT '[]', fee_fen INTEGER DEFAULT 0, fee_note TEXT DEFAULT '',
    processing_days INTEGER DEFAULT 0, online_possible INTEGER DEFAULT 0, appointment_required INTEGER DEFAULT 0,
    office_types TEXT DEFAULT '[]', cities TEXT DEFAULT '[]', result TEXT DEFAULT ''
);
CREATE TABLE offices (
    id TEXT PRIMARY KEY, city TEXT NOT NULL, office_type TEXT NOT NULL, name_zh TEXT NOT NULL,
    name_en TEXT NOT NULL, district TEXT, address TEXT, phone TEXT, opening_hours TEXT, notice TEXT
);
CREATE INDEX offices_city ON offices (city, office_type);
CREATE TABLE citizens (
    id TEXT PRIMARY KEY, name TEXT NOT NULL, name_en TEXT, gender TEXT, date_of_birth TEXT,
    nationality TEXT DEFAULT 'CN', hukou_city TEXT, residence_city TEXT, marital_status TEXT,
    children TEXT DEFAULT '[]', business_owner INTEGER DEFAULT 0, social_insurance_city TEXT,
    id_card_expiry TEXT, passport_number TEXT, passport_expiry TEXT, driving_licence_expiry TEXT,
    phone TEXT, address TEXT, notes TEXT DEFAULT ''
);
CREATE TABLE appointments (
    id TEXT PRIMARY KEY, status TEXT NOT NULL, created_at TEXT NOT NULL, seeded INTEGER DEFAULT 0,
    service_id TEXT NOT NULL, office_id TEXT NOT NULL, citizen_id TEXT NOT NULL, name TEXT, phone TEXT,
    slot TEXT NOT NULL, cancelled_at TEXT, cancel_reason TEXT
);
CREATE INDEX appointments_slot ON appointments (office_id, slot, status);
CREATE INDEX appointments_citizen ON appointments (citizen_id);
CREATE TABLE applications (
    id TEXT PRIMARY KEY, reference TEXT UNIQUE NOT NULL, created_at TEXT NOT NULL, seeded INTEGER DEFAULT 0,
    service_id TEXT NOT NULL, citizen_id TEXT NOT NULL, name TEXT, phone TEXT, address TEXT, city TEXT NOT NULL,
    documents TEXT DEFAULT '[]', fee_fen INTEGER DEFAULT 0, processing_days INTEGER DEFAULT 0,
    events TEXT DEFAULT '[]'
);
CREATE INDEX applications_citizen ON applications (citizen_id)
"""


# -- small helpers ---------------------------------------------------------------------------

def money(fen: int) -> str:
    """Fen to the API's decimal string with two places ("380.00")."""
    return str((Decimal(int(fen)) / 100).quantize(Decimal("0.01")))


def parse_money(value: Any, field: str) -> Decimal:
    """A JSON number or decimal string to a non-negative Decimal with two places (never via float maths)."""
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise ValueError(f"{field} must be a decimal amount in CNY, e.g. \"380.00\"") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{field} must be a finite, non-negative amount in CNY")
    return amount.quantize(Decimal("0.01"))


def _loads(text: str | None, default: Any) -> Any:
    if text in (None, ""):
        return default
    return json.loads(text)


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def add_working_days(start: datetime, days: int) -> datetime:
    """``start`` plus ``days`` working days (Mon-Fri), keeping the time of day."""
    moment = start
    while days > 0:
        moment += timedelta(days=1)
        if moment.weekday() < 5:
            days -= 1
    return moment


_CITY_BY_KEY = {key.lower(): c for c in data.CITIES for key in (c.name_en, c.name_zh, c.name_zh + "市", c.code)}
_CITY_BY_KEY.update({c.name_en.lower().replace("'", ""): c for c in data.CITIES})
CITY_NAMES = [c.name_en for c in data.CITIES]


def resolve_city(value: str, field: str = "city") -> data.City:
    """Accept "Beijing", "beijing", "北京", "北京市" or "BJ"; 400 naming the cities otherwise."""
    city = _CITY_BY_KEY.get(value.strip().lower())
    if city is None:
        raise bad_request("unknown_city", f"{field} {value!r} is not served by this sandbox; "
                                          f"cities are {', '.join(CITY_NAMES)}", {"allowed": CITY_NAMES})
    return city


def normalise_national_id(value: str) -> str:
    """Upper-case and check a national ID number; 400 ``invalid_national_id`` when malformed."""
    ident = value.strip().upper()
    if not valid_national_id(ident):
        raise bad_request("invalid_national_id",
                          f"{value!r} is not a valid 18-character national ID number (format or check digit)")
    return ident


# -- search ------------------------------------------------------------------------------------

_STOPWORDS = frozenset("a an the my our i me we to for of in on at and or how do does can get want need is are "
                       "with from by it please apply".split())
_SUFFIXES = (("ies", "y"), ("ing", ""), ("ed", ""), ("al", ""), ("er", ""), ("es", ""), ("s", ""))


def _stem(word: str) -> str:
    for suffix, replacement in _SUFFIXES:
        if len(word) > 4 and word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: len(word) - len(suffix)] + replacement
    return word


def search_tokens(query: str) -> list[str]:
    """English words (stemmed, stop words dropped) and Chinese character bigrams of ``query``."""
    tokens: list[str] = []
    for part in re.findall(r"[a-z0-9']+|[\u3400-\u9fff]+", query.lower()):
        if re.match(r"[\u3400-\u9fff]", part):
            tokens += [part] if len(part) <= 2 else [part[i:i + 2] for i in range(len(part) - 1)]
        elif part not in _STOPWORDS and len(part) > 1:
            tokens.append(_stem(part.replace("'", "")))
    return list(dict.fromkeys(tokens))


def search_score(query: str, fields: Iterable[tuple[float, str]]) -> float:
    """Relevance of ``query`` to weighted text fields: each token scores its best-weighted hit,
    plus a bonus when the whole query appears in the top-weighted field (a name)."""
    fields = [(weight, text.lower().replace("'", "")) for weight, text in fields]
    score = 0.0
    for token in search_tokens(query):
        score += max((weight for weight, text in fields if token in text), default=0.0)
    whole = query.strip().lower()
    if whole and fields and any(whole in text for weight, text in fields if weight >= 3):
        score += 5
    return score


# -- eligibility rules ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Applicant:
    """The facts rules look at: a citizen's registry record, the date, and the city applied in."""

    record: dict[str, Any]
    today: date
    city: str

    @property
    def age(self) -> int:
        return _age(date.fromisoformat(self.record["date_of_birth"]), self.today)

    @property
    def gender(self) -> str:
        return self.record["gender"]


def _days_left(value: str | None, today: date) -> int | None:
    return None if not value else (date.fromisoformat(value) - today).days


def _by_gender(value: dict[str, int], gender: str) -> int:
    return int(value.get(gender, max(value.values())))


def _rule_min_age(a: Applicant, v: int) -> tuple[bool, str]:
    ok = a.age >= v
    return ok, (f"You are {a.age}; applicants must be at least {v}." if ok
                else f"You are {a.age}; this service is for applicants aged {v} or over.")


def _rule_max_age(a: Applicant, v: int) -> tuple[bool, str]:
    ok = a.age <= v
    return ok, (f"You are {a.age}; the age limit is {v}." if ok
                else f"You are {a.age}; this service is only for applicants aged {v} or under.")


def _rule_gender_age(kind: str) -> Callable[[Applicant, dict[str, int]], tuple[bool, str]]:
    def check(a: Applicant, v: dict[str, int]) -> tuple[bool, str]:
        needed = _by_gender(v, a.gender)
        ok = a.age >= needed
        return ok, (f"You are {a.age}; the {kind} for a {a.gender} applicant is {needed}, which you have reached."
                    if ok else f"You are {a.age}; the {kind} for a {a.gender} applicant is {needed}.")
    return check


def _rule_hukou_in_city(a: Applicant, _: Any) -> tuple[bool, str]:
    hukou = a.record["hukou_city"]
    ok = hukou == a.city
    return ok, (f"Your household registration (hukou) is in {hukou}, where you are applying." if ok
                else f"This service needs a household registration (hukou) in {a.city}; yours is in {hukou}.")


def _rule_hukou_not_in_city(a: Applicant, _: Any) -> tuple[bool, str]:
    hukou = a.record["hukou_city"]
    ok = hukou != a.city
    return ok, (f"Your household registration is in {hukou}, not {a.city}, as this service requires." if ok
                else f"Your household registration is already in {a.city}; this service is for people "
                     f"registered elsewhere.")


def _rule_social_insurance_in_city(a: Applicant, _: Any) -> tuple[bool, str]:
    insured = a.record["social_insurance_city"]
    ok = insured == a.city
    return ok, (f"You pay social insurance in {a.city}." if ok
                else f"This service needs social insurance contributions in {a.city}; "
                     + (f"yours are paid in {insured}." if insured else "you have no social insurance record."))


def _rule_resident_of_city(a: Applicant, _: Any) -> tuple[bool, str]:
    ok = a.city in (a.record["hukou_city"], a.record["social_insurance_city"])
    return ok, (f"You are registered or insured in {a.city}." if ok
                else f"This service needs a household registration or social insurance in {a.city}.")


def _rule_marital_status(a: Applicant, v: list[str]) -> tuple[bool, str]:
    status = a.record["marital_status"]
    ok = status in v
    return ok, (f"Your marital status is {status}, which is allowed." if ok
                else f"Your marital status is {status}; this service requires: {', '.join(v)}.")


def _rule_has_child_under_days(a: Applicant, v: int) -> tuple[bool, str]:
    ages = [(a.today - date.fromisoformat(c["date_of_birth"])).days for c in a.record["children"]]
    young = [d for d in ages if 0 <= d <= v]
    if young:
        return True, f"You have a child born {min(young)} days ago (the limit is {v} days)."
    return False, f"This service is for parents of a child born within the last {v} days; the registry shows none."


def _rule_business_owner(a: Applicant, v: bool) -> tuple[bool, str]:
    owner = bool(a.record["business_owner"])
    ok = owner == bool(v)
    if v:
        return ok, ("You are registered as a business owner." if ok
                    else "This service is for registered businesses; you have no business registered. "
                         "Register the business first.")
    return ok, "You have no business registered." if ok else "This service is not for business owners."


def _rule_nationality(a: Applicant, v: list[str]) -> tuple[bool, str]:
    nationality = a.record["nationality"]
    ok = nationality in v
    return ok, (f"Your nationality ({nationality}) is accepted." if ok
                else f"This service is for citizens of {', '.join(v)}; your nationality is {nationality}.")


def _rule_has_passport(a: Applicant, v: bool) -> tuple[bool, str]:
    has = bool(a.record["passport_number"])
    ok = has == bool(v)
    if v:
        return ok, "You hold a passport." if ok else "You hold no passport; apply for a first passport instead."
    return ok, ("You hold no passport yet." if ok
                else "You already hold a passport; use passport renewal instead.")


def _expiry_rule(label: str, column: str) -> Callable[[Applicant, int], tuple[bool, str]]:
    def check(a: Applicant, v: int) -> tuple[bool, str]:
        left = _days_left(a.record[column], a.today)
        if left is None:
            return False, f"The registry shows no {label}."
        expiry = a.record[column]
        if left < 0:
            return True, f"Your {label} expired on {expiry}."
        ok = left <= v
        return ok, (f"Your {label} expires on {expiry}, within {v} days." if ok
                    else f"Your {label} is valid until {expiry}; it can be renewed only within {v} days "
                         f"of expiry ({left} days left).")
    return check


def _rule_has_driving_licence(a: Applicant, v: bool) -> tuple[bool, str]:
    has = bool(a.record["driving_licence_expiry"])
    ok = has == bool(v)
    if v:
        return ok, "You hold a driving licence." if ok else "The registry shows no driving licence."
    return ok, "You hold no driving licence yet." if ok else "You already hold a driving licence."


Rule = Callable[[Applicant, Any], tuple[bool, str]]
RULES: dict[str, Rule] = {
    "min_age": _rule_min_age,
    "max_age": _rule_max_age,
    "legal_marriage_age": _rule_gender_age("legal marriage age"),
    "retirement_age": _rule_gender_age("statutory retirement age"),
    "hukou_in_city": _rule_hukou_in_city,
    "hukou_not_in_city": _rule_hukou_not_in_city,
    "social_insurance_in_city": _rule_social_insurance_in_city,
    "resident_of_city": _rule_resident_of_city,
    "marital_status": _rule_marital_status,
    "has_child_under_days": _rule_has_child_under_days,
    "business_owner": _rule_business_owner,
    "nationality": _rule_nationality,
    "has_passport": _rule_has_passport,
    "passport_expires_within_days": _expiry_rule("passport", "passport_expiry"),
    "id_card_expires_within_days": _expiry_rule("ID card", "id_card_expiry"),
    "has_driving_licence": _rule_has_driving_licence,
    "driving_licence_expires_within_days": _expiry_rule("driving licence", "driving_licence_expiry"),
}


def describe_rule(rule: dict[str, Any]) -> str:
    """The plain-language condition a rule states, for the service record."""
    kind, v = rule["rule"], rule.get("value")
    texts: dict[str, Callable[[], str]] = {
        "min_age": lambda: f"Applicant must be at least {v} years old.",
        "max_age": lambda: f"Applicant must be {v} years old or younger.",
        "legal_marriage_age": lambda: f"Men must be at least {v['male']} and women at least {v['female']}.",
        "retirement_age": lambda: (f"Statutory retirement age reached: {v['male']} for men, "
                                   f"{v['female']} for women."),
        "hukou_in_city": lambda: "Household registration (hukou) in the city where you apply.",
        "hukou_not_in_city": lambda: "Household registration (hukou) outside the city where you apply.",
        "social_insurance_in_city": lambda: "Social insurance contributions in the city where you apply.",
        "resident_of_city": lambda: "Household registration or social insurance in the city where you apply.",
        "marital_status": lambda: f"Marital status is one of: {', '.join(v)}.",
        "has_child_under_days": lambda: f"Parent of a child born within the last {v} days.",
        "business_owner": lambda: ("Applicant owns a registered business." if v
                                   else "Applicant does not own a business."),
        "nationality": lambda: f"Nationality: {', '.join(v)}.",
        "has_passport": lambda: "Applicant already holds a passport." if v else "Applicant holds no passport yet.",
        "passport_expires_within_days": lambda: f"Passport expires within {v} days or has expired.",
        "id_card_expires_within_days": lambda: f"ID card expires within {v} days or has expired.",
        "has_driving_licence": lambda: ("Applicant holds a driving licence." if v
                                        else "Applicant holds no driving licence yet."),
        "driving_licence_expires_within_days": lambda: f"Driving licence expires within {v} days or has expired.",
    }
    return texts[kind]() if kind in texts else f"Rule {kind} ({v})."


def evaluate(rules: list[dict[str, Any]], applicant: Applicant, cities: list[str]) -> list[dict[str, Any]]:
    """Every rule's outcome in order, each with a plain-language message; availability first."""
    offered = not cities or applicant.city in cities
    reasons = [{"rule": "offered_in_city", "passed": offered,
                "message": (f"The service is offered in {applicant.city}." if offered else
                            f"The service is not offered in {applicant.city}; it is offered in "
                            f"{', '.join(cities)}.")}]
    for rule in rules:
        check = RULES.get(rule["rule"])
        passed, message = (check(applicant, rule.get("value")) if check
                           else (False, f"The sandbox cannot check rule {rule['rule']!r}."))
        reasons.append({"rule": rule["rule"], "passed": passed, "message": message})
    return reasons


# -- request models ------------------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


PHONE_PATTERN = r"^\+?\d[\d -]{6,}$"


class EligibilityRequest(_Body):
    citizen_id: str = Field(description="18-character national ID number of the applicant")
    city: str | None = Field(default=None, description="City where the applicant would apply; default: "
                                                       "where they live")
    documents: list[str] | None = Field(default=None, description="Document codes the applicant has ready")


class AppointmentRequest(_Body):
    service_id: str
    office_id: str
    slot: str = Field(description="Slot id (<office_id>@YYYY-MM-DDTHH:MM) or ISO date-time")
    citizen_id: str
    name: str = Field(min_length=1, max_length=80)
    phone: str = Field(pattern=PHONE_PATTERN)


class ReasonRequest(_Body):
    reason: str | None = Field(default=None, max_length=500)


class ApplicationRequest(_Body):
    service_id: str
    citizen_id: str
    name: str = Field(min_length=1, max_length=80)
    phone: str = Field(pattern=PHONE_PATTERN)
    address: str = Field(min_length=4, max_length=300)
    documents: list[str] = Field(default_factory=list)
    city: str
    max_fee: Decimal = Field(description="Highest fee in CNY the applicant agreed to pay")

    @field_validator("max_fee", mode="before")
    @classmethod
    def _money(cls, value: Any) -> Decimal:
        return parse_money(value, "max_fee")


class AdminStatusRequest(_Body):
    status: Literal["submitted", "accepted", "in_review", "needs_documents", "approved", "rejected", "withdrawn"]
    note: str = Field(default="", max_length=1000)


# -- the service -----------------------------------------------------------------------------------

class GovService(SandboxService):
    """Government services of twelve Chinese cities (政务服务): search, eligibility, appointments,
    applications."""

    name = "gov"
    title = "government services (政务服务)"
    schema = SCHEMA

    # -- seeding -----------------------------------------------------------------------------

    def seed_world(self, conn: sqlite3.Connection) -> None:
        rng = random.Random(self.seed)
        conn.executemany("INSERT INTO departments VALUES (?, ?, ?)", data.DEPARTMENTS)
        conn.executemany("INSERT INTO documents VALUES (?, ?, ?, ?)", data.DOCUMENTS)
        conn.executemany(
            "INSERT INTO life_events VALUES (?, ?, ?, ?, ?, ?)",
            [(e.id, i, e.name_zh, e.name_en, e.description, _dumps(list(e.keywords)))
             for i, e in enumerate(data.LIFE_EVENTS)])
        conn.executemany(
            "INSERT INTO services VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(s.id, s.name_zh, s.name_en, s.department, s.description, _dumps(list(s.keywords)),
              _dumps(list(s.life_events)), _dumps(list(s.eligibility)), _dumps(list(s.documents)), s.fee_fen,
              s.fee_note, s.processing_days, int(s.online_possible), int(s.appointment_required),
              _dumps(list(s.office_types)), _dumps(list(s.cities)), s.result) for s in data.SERVICES])
        self._seed_offices(conn, rng)
        self._seed_citizens(conn, rng)
        self._seed_records(conn)

    def _seed_offices(self, conn: sqlite3.Connection, rng: random.Random) -> None:
        rows = []
        for city in data.CITIES:
            for t_index, (kind, tag, zh, en, count) in enumerate(data.OFFICE_TYPES):
                for n in range(1, count + 1):
                    d_zh, d_en = city.districts[(t_index + n - 1) % len(city.districts)]
                    road_zh, road_en = rng.choice(city.roads)
                    number = rng.randint(1, 399)
                    address = (f"{city.province_zh}{city.name_zh}市{d_zh}{road_zh}{number}号"
                               f" ({number} {road_en}, {d_en}, {city.name_en})")
                    rows.append((
                        f"{city.code}-{tag}-{n:02d}", city.name_en, kind,
                        zh.format(c=city.name_zh, d=d_zh), en.format(ce=city.name_en, de=d_en), d_en, address,
                        f"{city.phone_area}-{rng.randint(5000_0000, 8999_9999)}", OPENING_HOURS,
                        rng.choice(data.OFFICE_NOTICES[kind])))
        conn.executemany("INSERT INTO offices VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)

    def _seed_citizens(self, conn: sqlite3.Connection, rng: random.Random) -> None:
        today = date(2026, 11, 28)  # the registry is a fixed snapshot, independent of the clock
        rows = [self._named_row(c) for c in data.NAMED_CITIZENS]
        taken = {r[0] for r in rows}
        while len(rows) < len(data.NAMED_CITIZENS) + 150:
            row = self._random_citizen(rng, today)
            if row[0] not in taken:
                taken.add(row[0])
                rows.append(row)
        conn.executemany(f"INSERT INTO citizens VALUES ({', '.join('?' * 19)})", rows)

    @staticmethod
    def _named_row(c: data.NamedCitizen) -> tuple[Any, ...]:
        gender = "male" if int(c.national_id[16]) % 2 else "female"
        born = f"{c.national_id[6:10]}-{c.national_id[10:12]}-{c.national_id[12:14]}"
        children = [{"name": n, "gender": g, "date_of_birth": d} for n, g, d in c.children]
        return (c.national_id, c.name, c.name_en, gender, born, c.nationality, c.hukou_city, c.residence_city,
                c.marital_status, _dumps(children), int(c.business_owner), c.social_insurance_city,
                c.id_card_expiry, c.passport_number, c.passport_expiry, c.driving_licence_expiry, c.phone,
                c.address, c.notes)

    @staticmethod
    def _random_citizen(rng: random.Random, today: date) -> tuple[Any, ...]:
        gender = rng.choice(("male", "female"))
        age = rng.choice((rng.randint(16, 24), rng.randint(22, 45), rng.randint(25, 60), rng.randint(50, 85)))
        born = today - timedelta(days=age * 365 + rng.randint(0, 364))
        if rng.random() < 0.8:
            home = rng.choice(data.CITIES)
            hukou, area = home.name_en, rng.choice(home.area_codes)
            residence = home if rng.random() < 0.85 else rng.choice(data.CITIES)
        else:
            hukou, area = rng.choice(data.OTHER_HUKOU)
            residence = rng.choice(data.CITIES)
        seq = rng.randrange(0, 999, 2) + (1 if gender == "male" else 0)
        first17 = f"{area}{born:%Y%m%d}{seq:03d}"
        ident = first17 + national_id_checksum(first17)
        surname = rng.choice(data.SURNAMES)
        pool = data.GIVEN_MALE if gender == "male" else data.GIVEN_FEMALE
        given = [rng.choice(pool) for _ in range(rng.choice((1, 2)))]
        name = surname[0] + "".join(g[0] for g in given)
        name_en = f"{surname[1]} {''.join(g[1] for g in given).capitalize()}"
        age_now = _age(born, today)
        marital = ("single" if age_now < 24 else
                   rng.choices(MARITAL_STATUSES, weights=(2, 6, 1, 1 if age_now > 55 else 0))[0])
        children = []
        if marital != "single" and rng.random() < 0.7:
            for _ in range(rng.choice((1, 1, 2))):
                newest = rng.random() < 0.12 and age_now < 45
                child_born = (today - timedelta(days=rng.randint(3, 330)) if newest
                              else born + timedelta(days=365 * rng.randint(23, max(24, min(age_now, 40)))))
                if child_born <= today:
                    child_gender = rng.choice(("male", "female"))
                    child_given = rng.choice(data.GIVEN_MALE if child_gender == "male" else data.GIVEN_FEMALE)
                    children.append({"name": surname[0] + child_given[0], "gender": child_gender,
                                     "date_of_birth": child_born.isoformat()})
        retired = age_now >= (60 if gender == "male" else 55)
        insured = residence.name_en if (22 <= age_now and (retired or rng.random() < 0.85)) else None
        validity = 10 if age_now < 26 else 20 if age_now < 46 else None
        if validity is None:
            id_expiry = "2099-12-31"  # long-term card (长期)
        elif rng.random() < 0.06:
            id_expiry = (today + timedelta(days=rng.randint(-30, 85))).isoformat()
        else:
            id_expiry = (today + timedelta(days=rng.randint(90, validity * 365))).isoformat()
        passport = rng.random() < 0.45
        passport_no = f"E{rng.randint(10_000_000, 99_999_999)}" if passport else None
        passport_expiry = (today + timedelta(days=rng.randint(-200, 3650))).isoformat() if passport else None
        licence = age_now >= 18 and rng.random() < 0.5
        licence_expiry = (today + timedelta(days=rng.randint(-60, 3650))).isoformat() if licence else None
        business = age_now >= 20 and rng.random() < 0.12
        d_zh, _ = rng.choice(residence.districts)
        road_zh, _ = rng.choice(residence.roads)
        address = (f"{residence.province_zh}{residence.name_zh}市{d_zh}{road_zh}{rng.randint(1, 300)}号 "
                   f"{rng.randint(1, 20)}栋{rng.randint(1, 30):02d}{rng.randint(1, 8):02d}室")
        phone = f"1{rng.choice('3456789')}{rng.randint(0, 9)}{rng.randint(0, 99_999_999):08d}"
        return (ident, name, name_en, gender, born.isoformat(), "CN", hukou, residence.name_en, marital,
                _dumps(children), int(business), insured, id_expiry, passport_no, passport_expiry,
                licence_expiry, phone, address, "")

    def _seed_records(self, conn: sqlite3.Connection) -> None:
        """Existing appointments and applications, placed relative to the clock at seeding so that
        'upcoming' stays upcoming and 'in review' stays in review whenever the world is created."""
        anchor = datetime.combine(self.today(), time(0, 0), CHINA_TZ)

        def weekday_on_or_after(days: int) -> date:
            day = (anchor + timedelta(days=days)).date()
            while day.weekday() >= 5:
                day += timedelta(days=1)
            return day

        def weekday_on_or_before(days: int) -> date:
            day = (anchor + timedelta(days=days)).date()
            while day.weekday() >= 5:
                day -= timedelta(days=1)
            return day

        li_ming, zhou_qiang, wu_min = "11010519900307451X", "430102198811303019", "330106199409277023"
        appointments = [
            ("booked", "GS-0038", "BJ-VEH-01", li_ming, "李明", "13800138000", weekday_on_or_after(7), "10:00", -5),
            ("completed", "GS-0022", "BJ-PSB-01", li_ming, "李明", "13800138000", weekday_on_or_before(-60),
             "14:00", -70),
            ("booked", "GS-0009", "SZ-PSB-01", zhou_qiang, "周强", "13926552655", weekday_on_or_after(3), "09:30", -2),
            ("cancelled", "GS-0030", "HZ-PSB-01", wu_min, "吴敏", "13857185718", weekday_on_or_after(5), "15:00", -4),
        ]
        for status, service, office, citizen, name, phone, day, at, created in appointments:
            created_at = (anchor + timedelta(days=created, hours=20, minutes=15)).isoformat()
            conn.execute(
                "INSERT INTO appointments VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.next_id(conn, "APT"), status, created_at, service, office, citizen, name, phone,
                 f"{day.isoformat()}T{at}", created_at if status == "cancelled" else None,
                 "Plans changed" if status == "cancelled" else None))
        applications = [
            ("GS-0046", li_ming, "Beijing", -40, []),
            ("GS-0047", li_ming, "Beijing", -3, []),
            ("GS-0023", "420106196508156612", "Wuhan", -10, []),
            ("GS-0014", zhou_qiang, "Shenzhen", -30, []),
            ("GS-0023", "440106197003082820", "Guangzhou", -8,
             [("needs_documents", 2, "请补充提交本人银行卡信息 (please add the bank card for pension payments).")]),
        ]
        for service_id, citizen_id, city, days, events in applications:
            service = conn.execute("SELECT * FROM services WHERE id=?", (service_id,)).fetchone()
            citizen = conn.execute("SELECT * FROM citizens WHERE id=?", (citizen_id,)).fetchone()
            submitted = anchor + timedelta(days=days, hours=14, minutes=20)
            manual = [{"status": s, "at": (submitted + timedelta(days=after)).isoformat(), "note": note,
                       "by": "officer"} for s, after, note in events]
            self._insert_application(conn, service, citizen, city, submitted, citizen["name"], citizen["phone"],
                                     citizen["address"], _loads(service["documents"], []), manual, seeded=True)

    def _insert_application(self, conn: sqlite3.Connection, service: sqlite3.Row, citizen: sqlite3.Row,
                            city: str, submitted: datetime, name: str, phone: str, address: str,
                            documents: list[str], events: list[dict[str, Any]], *, seeded: bool) -> str:
        app_id = self.next_id(conn, "APP")
        code = resolve_city(city).code
        reference = f"{code}-{submitted:%Y%m%d}-{int(app_id.split('-')[1]):05d}"
        conn.execute(
            "INSERT INTO applications VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (app_id, reference, submitted.isoformat(), int(seeded), service["id"], citizen["id"], name, phone,
             address, city, _dumps(documents), service["fee_fen"], service["processing_days"], _dumps(events)))
        return app_id

    # -- reading the catalogue -------------------------------------------------------------------

    def _service_row(self, conn: sqlite3.Connection, service_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM services WHERE id=?", (service_id.strip().upper(),)).fetchone()
        if row is None:
            raise not_found("service", service_id)
        return row

    def _citizen_row(self, conn: sqlite3.Connection, citizen_id: str) -> sqlite3.Row:
        ident = normalise_national_id(citizen_id)
        row = conn.execute("SELECT * FROM citizens WHERE id=?", (ident,)).fetchone()
        if row is None:
            raise not_found("citizen", ident)
        return row

    def _office_row(self, conn: sqlite3.Connection, office_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM offices WHERE id=?", (office_id.strip().upper(),)).fetchone()
        if row is None:
            raise not_found("office", office_id)
        return row

    @staticmethod
    def _departments(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
        return {r["id"]: dict(r) for r in conn.execute("SELECT * FROM departments")}

    @staticmethod
    def _documents(conn: sqlite3.Connection) -> dict[str, dict[str, str]]:
        return {r["id"]: {"code": r["id"], "name_zh": r["name_zh"], "name_en": r["name_en"],
                          "description": r["description"]} for r in conn.execute("SELECT * FROM documents")}

    @staticmethod
    def _life_events(conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
        return {r["id"]: r for r in conn.execute("SELECT * FROM life_events ORDER BY position, id")}

    def _service_summary(self, row: sqlite3.Row, departments: dict[str, dict[str, str]]) -> dict[str, Any]:
        return {
            "id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"],
            "department": departments.get(row["department"], {"id": row["department"]}),
            "life_events": _loads(row["life_events"], []),
            "fee": money(row["fee_fen"]), "currency": "CNY", "processing_days": row["processing_days"],
            "online_possible": bool(row["online_possible"]), "appointment_required": bool(row["appointment_required"]),
            "cities": _loads(row["cities"], []) or CITY_NAMES,
        }

    def _service_search_text(self, row: sqlite3.Row, departments: dict[str, dict[str, str]],
                             events: dict[str, sqlite3.Row]) -> list[tuple[float, str]]:
        dept = departments.get(row["department"], {})
        event_text = " ".join(f"{events[e]['name_zh']} {events[e]['name_en']} "
                              f"{' '.join(_loads(events[e]['keywords'], []))}"
                              for e in _loads(row["life_events"], []) if e in events)
        return [(3, f"{row['name_zh']} {row['name_en']}"), (2, " ".join(_loads(row["keywords"], []))),
                (1.5, event_text), (1, f"{row['description']} {dept.get('name_zh', '')} {dept.get('name_en', '')}")]

    def _offices_for(self, conn: sqlite3.Connection, service: sqlite3.Row,
                     city: data.City | None = None) -> list[sqlite3.Row]:
        types = _loads(service["office_types"], [])
        cities = _loads(service["cities"], []) or CITY_NAMES
        if city is not None:
            cities = [c for c in cities if c == city.name_en]
        if not types or not cities:
            return []
        sql = (f"SELECT * FROM offices WHERE office_type IN ({', '.join('?' * len(types))}) "
               f"AND city IN ({', '.join('?' * len(cities))}) ORDER BY id")
        return conn.execute(sql, (*types, *cities)).fetchall()

    @staticmethod
    def _handles(office: sqlite3.Row, service: sqlite3.Row) -> bool:
        cities = _loads(service["cities"], []) or CITY_NAMES
        return office["office_type"] in _loads(service["office_types"], []) and office["city"] in cities

    @staticmethod
    def _office_record(row: sqlite3.Row) -> dict[str, Any]:
        return {"id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"], "city": row["city"],
                "district": row["district"], "office_type": row["office_type"], "address": row["address"],
                "phone": row["phone"], "opening_hours": row["opening_hours"], "notice": row["notice"]}

    def _service_record(self, conn: sqlite3.Connection, row: sqlite3.Row, city: data.City | None) -> dict[str, Any]:
        departments, documents = self._departments(conn), self._documents(conn)
        record = self._service_summary(row, departments)
        offices: dict[str, list[dict[str, Any]]] = {}
        for office in self._offices_for(conn, row, city):
            offices.setdefault(office["city"], []).append(
                {k: office[k] for k in ("id", "name_zh", "name_en", "office_type", "address")})
        rules = _loads(row["eligibility"], [])
        record.update({
            "description": row["description"], "keywords": _loads(row["keywords"], []),
            "eligibility": [{**r, "description": describe_rule(r)} for r in rules],
            "documents": [documents.get(c, {"code": c}) for c in _loads(row["documents"], [])],
            "fee_note": row["fee_note"], "office_types": _loads(row["office_types"], []),
            "result": row["result"], "offices": offices,
            "how_to_apply": ("online application or at an office" if row["online_possible"]
                             else "in person at an office; book an appointment first"
                             if row["appointment_required"] else "in person at an office"),
        })
        return record

    @staticmethod
    def _citizen_record(row: sqlite3.Row, today: date) -> dict[str, Any]:
        children = [{**c, "age_days": (today - date.fromisoformat(c["date_of_birth"])).days}
                    for c in _loads(row["children"], [])]
        passport = ({"number": row["passport_number"], "expiry": row["passport_expiry"]}
                    if row["passport_number"] else None)
        return {
            "id": row["id"], "national_id": row["id"], "name": row["name"], "name_en": row["name_en"],
            "gender": row["gender"], "date_of_birth": row["date_of_birth"],
            "age": _age(date.fromisoformat(row["date_of_birth"]), today), "nationality": row["nationality"],
            "hukou_city": row["hukou_city"], "residence_city": row["residence_city"],
            "marital_status": row["marital_status"], "children": children,
            "business_owner": bool(row["business_owner"]), "social_insurance_city": row["social_insurance_city"],
            "id_card_expiry": row["id_card_expiry"], "passport": passport,
            "driving_licence_expiry": row["driving_licence_expiry"], "phone": row["phone"], "address": row["address"],
        }

    def _applicant(self, citizen: sqlite3.Row, city: str) -> Applicant:
        record = dict(citizen) | {"children": _loads(citizen["children"], [])}
        return Applicant(record=record, today=self.today(), city=city)

    def _default_city(self, citizen: sqlite3.Row) -> str:
        return citizen["residence_city"] if citizen["residence_city"] in CITY_NAMES else CITY_NAMES[0]

    def _check_eligibility(self, conn: sqlite3.Connection, service: sqlite3.Row, citizen: sqlite3.Row,
                           city: str) -> tuple[bool, list[dict[str, Any]]]:
        reasons = evaluate(_loads(service["eligibility"], []), self._applicant(citizen, city),
                           _loads(service["cities"], []))
        return all(r["passed"] for r in reasons), reasons

    @staticmethod
    def _check_document_codes(codes: list[str], known: dict[str, dict[str, str]]) -> list[str]:
        normalised = [c.strip().lower() for c in codes]
        unknown = [c for c in normalised if c not in known]
        if unknown:
            raise bad_request("unknown_document", f"unknown document code(s): {', '.join(unknown)}",
                              {"unknown": unknown, "known": sorted(known)})
        return list(dict.fromkeys(normalised))

    # -- slots ----------------------------------------------------------------------------------

    def capacity(self, office_id: str, day: date, at: str) -> int:
        """How many people a slot takes: 0-3, a stable hash of (seed, office, slot)."""
        byte = hashlib.sha256(f"{self.seed}|{office_id}|{day.isoformat()}T{at}".encode()).digest()[0]
        return 0 if byte < 40 else 1 if byte < 110 else 2 if byte < 185 else 3

    def _window(self) -> tuple[date, date]:
        today = self.today()
        return today + timedelta(days=1), today + timedelta(days=BOOKING_WINDOW_DAYS)

    def _parse_slot(self, office_id: str, slot: str) -> tuple[date, str]:
        """Validate a slot id or ISO date-time against the office's timetable; (date, "HH:MM")."""
        text = slot.strip()
        if "@" in text:
            slot_office, _, text = text.partition("@")
            if slot_office.strip().upper() != office_id:
                raise bad_request("slot_office_mismatch",
                                  f"slot {slot!r} belongs to office {slot_office!r}, not {office_id}")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise bad_request("invalid_slot", f"slot {slot!r} is neither a slot id "
                                              f"(<office_id>@YYYY-MM-DDTHH:MM) nor an ISO date-time") from None
        if moment.tzinfo:
            moment = moment.astimezone(CHINA_TZ)
        day, at = moment.date(), f"{moment:%H:%M}"
        first, last = self._window()
        if day < self.today():
            raise bad_request("date_in_past", f"{day.isoformat()} is in the past (today is {self.today()})")
        if day < first:
            raise bad_request("too_soon", f"appointments can be booked from tomorrow ({first}) onwards")
        if day > last:
            raise bad_request("outside_booking_window",
                              f"appointments can be booked up to {BOOKING_WINDOW_DAYS} days ahead (until {last})")
        if day.weekday() >= 5:
            raise bad_request("office_closed", f"{day.isoformat()} is a {day:%A}; offices take appointments "
                                               f"Monday to Friday")
        if at not in SLOT_TIMES or moment.second or moment.microsecond:
            raise bad_request("not_a_slot", f"{at} is not an appointment time; slots start at "
                                            f"{', '.join(SLOT_TIMES)}", {"slot_times": list(SLOT_TIMES)})
        return day, at

    @staticmethod
    def _booked(conn: sqlite3.Connection, office_id: str, first: date, last: date) -> dict[str, int]:
        rows = conn.execute(
            "SELECT slot, COUNT(*) AS n FROM appointments WHERE office_id=? AND status='booked' "
            "AND slot >= ? AND slot < ? GROUP BY slot",
            (office_id, first.isoformat(), (last + timedelta(days=1)).isoformat()))
        return {r["slot"]: r["n"] for r in rows}

    # -- records ----------------------------------------------------------------------------------

    def _appointment_record(self, conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        service = conn.execute("SELECT * FROM services WHERE id=?", (row["service_id"],)).fetchone()
        office = conn.execute("SELECT * FROM offices WHERE id=?", (row["office_id"],)).fetchone()
        documents = self._documents(conn)
        day, _, at = row["slot"].partition("T")
        return {
            "id": row["id"], "status": row["status"], "created_at": row["created_at"], "seeded": bool(row["seeded"]),
            "service_id": row["service_id"], "service_name_zh": service["name_zh"] if service else None,
            "service_name_en": service["name_en"] if service else None,
            "office_id": row["office_id"], "office_name_zh": office["name_zh"] if office else None,
            "office_name_en": office["name_en"] if office else None,
            "office_address": office["address"] if office else None,
            "citizen_id": row["citizen_id"], "name": row["name"], "phone": row["phone"],
            "slot": row["slot"], "slot_id": f"{row['office_id']}@{row['slot']}", "date": day, "time": at,
            "start": datetime.combine(date.fromisoformat(day), time.fromisoformat(at), CHINA_TZ).isoformat(),
            "documents_to_bring": [documents.get(c, {"code": c})
                                   for c in (_loads(service["documents"], []) if service else [])],
            "cancelled_at": row["cancelled_at"], "cancel_reason": row["cancel_reason"],
        }

    def history(self, row: sqlite3.Row) -> list[dict[str, Any]]:
        """The application's status history as of now.

        Automatic steps follow the clock: accepted 30 minutes after submission, in review a day
        later, approved after the service's processing days (working days). Once an officer sets a
        status or the applicant withdraws, those manual events take over from that moment.
        """
        t0 = datetime.fromisoformat(row["created_at"])
        days = row["processing_days"]
        accepted = t0 + timedelta(minutes=30)
        auto = [("submitted", t0, "Application submitted (申请已提交)."),
                ("accepted", accepted, "Accepted by the handling department (已受理).")]
        if days <= 0:
            auto.append(("approved", accepted, "Completed on the spot (即办件, 已办结)."))
        else:
            decision = add_working_days(t0, days)
            auto += [("in_review", min(t0 + timedelta(days=1), decision), "Under review (审查中)."),
                     ("approved", decision, "Approved (审批通过, 已办结).")]
        now = self.now()
        manual = [e for e in _loads(row["events"], []) if datetime.fromisoformat(e["at"]) <= now]
        cut = datetime.fromisoformat(manual[0]["at"]) if manual else now
        events = [{"status": s, "at": at.isoformat(), "note": note, "by": "system"}
                  for s, at, note in auto if at <= cut]
        return events + [{"status": e["status"], "at": e["at"], "note": e.get("note", ""), "by": e.get("by", "officer")}
                         for e in manual]

    def _application_status(self, row: sqlite3.Row) -> str:
        events = self.history(row)
        return events[-1]["status"] if events else "submitted"

    def _application_record(self, conn: sqlite3.Connection, row: sqlite3.Row) -> dict[str, Any]:
        service = conn.execute("SELECT * FROM services WHERE id=?", (row["service_id"],)).fetchone()
        events = self.history(row)
        status = events[-1]["status"] if events else "submitted"
        t0 = datetime.fromisoformat(row["created_at"])
        expected = add_working_days(t0, max(row["processing_days"], 0)).date().isoformat()
        documents = self._documents(conn)
        return {
            "id": row["id"], "reference": row["reference"], "status": status, "created_at": row["created_at"],
            "submitted_at": row["created_at"], "updated_at": events[-1]["at"] if events else row["created_at"],
            "seeded": bool(row["seeded"]), "service_id": row["service_id"],
            "service_name_zh": service["name_zh"] if service else None,
            "service_name_en": service["name_en"] if service else None,
            "citizen_id": row["citizen_id"], "name": row["name"], "phone": row["phone"], "address": row["address"],
            "city": row["city"], "documents": [documents.get(c, {"code": c}) for c in _loads(row["documents"], [])],
            "fee": money(row["fee_fen"]), "currency": "CNY", "processing_days": row["processing_days"],
            "expected_decision_date": expected if status in OPEN_STATUSES else None,
            "history": events, "next_step": _NEXT_STEP[status] if status in _NEXT_STEP else "",
        }

    def _application_row(self, conn: sqlite3.Connection, ident: str) -> sqlite3.Row:
        key = ident.strip().upper()
        row = conn.execute("SELECT * FROM applications WHERE id=? OR reference=?", (key, key)).fetchone()
        if row is None:
            raise not_found("application", ident)
        return row

    def _add_event(self, conn: sqlite3.Connection, row: sqlite3.Row, status: str, note: str, by: str) -> None:
        events = _loads(row["events"], [])
        events.append({"status": status, "at": self.now().isoformat(), "note": note, "by": by})
        conn.execute("UPDATE applications SET events=? WHERE id=?", (_dumps(events), row["id"]))

    # -- state ------------------------------------------------------------------------------------

    def state(self) -> dict[str, list[dict[str, Any]]]:
        with self.read() as conn:
            appointments = [
                {"id": r["id"], "status": r["status"], "created_at": r["created_at"], "seeded": bool(r["seeded"]),
                 "service_id": r["service_id"], "office_id": r["office_id"], "citizen_id": r["citizen_id"],
                 "slot": r["slot"], "date": r["slot"].partition("T")[0]}
                for r in conn.execute("SELECT * FROM appointments ORDER BY id")]
            applications = [
                {"id": r["id"], "status": self._application_status(r), "created_at": r["created_at"],
                 "seeded": bool(r["seeded"]), "service_id": r["service_id"], "citizen_id": r["citizen_id"],
                 "reference": r["reference"], "fee": money(r["fee_fen"]), "currency": "CNY", "city": r["city"]}
                for r in conn.execute("SELECT * FROM applications ORDER BY id")]
        return {"appointments": appointments, "applications": applications}

    # -- routes -------------------------------------------------------------------------------------

    def routes(self, router: APIRouter) -> None:  # noqa: C901 - one closure per endpoint, by design
        @router.get("/cities", tags=["catalogue"])
        def list_cities() -> dict[str, Any]:
            """The twelve cities served, with the names and codes accepted as ``city``."""
            return {"cities": [{"name_en": c.name_en, "name_zh": c.name_zh, "code": c.code} for c in data.CITIES]}

        @router.get("/departments", tags=["catalogue"])
        def list_departments() -> dict[str, Any]:
            with self.read() as conn:
                return {"departments": list(self._departments(conn).values())}

        @router.get("/life-events", tags=["catalogue"])
        def list_life_events(q: str | None = Query(None, description="words in English or Chinese")) -> dict[str, Any]:
            """Life events (一件事) such as having a baby or starting a business; ``q`` filters and ranks."""
            with self.read() as conn:
                events = self._life_events(conn)
                members: dict[str, list[str]] = {e: [] for e in events}
                for row in conn.execute("SELECT id, life_events FROM services ORDER BY id"):
                    for e in _loads(row["life_events"], []):
                        members.setdefault(e, []).append(row["id"])
                ranked = []
                for position, (eid, row) in enumerate(events.items()):
                    score = search_score(q, [(3, f"{row['name_zh']} {row['name_en']} {eid}"),
                                             (2, " ".join(_loads(row["keywords"], []))),
                                             (1, row["description"] or "")]) if q else 0
                    if q and score <= 0:
                        continue
                    ranked.append((-score, position, {
                        "id": eid, "name_zh": row["name_zh"], "name_en": row["name_en"],
                        "description": row["description"], "keywords": _loads(row["keywords"], []),
                        "service_ids": members.get(eid, [])}))
            ranked.sort(key=lambda item: item[:2])
            return {"count": len(ranked), "life_events": [item[2] for item in ranked]}

        @router.get("/life-events/{event_id}", tags=["catalogue"])
        def get_life_event(event_id: str) -> dict[str, Any]:
            """A life event with its services in order and the merged list of documents they need."""
            with self.read() as conn:
                events = self._life_events(conn)
                row = events.get(event_id.strip().lower())
                if row is None:
                    raise not_found("life_event", event_id)
                departments, documents = self._departments(conn), self._documents(conn)
                services, needed, total = [], {}, 0
                for s in conn.execute("SELECT * FROM services ORDER BY id"):
                    if row["id"] in _loads(s["life_events"], []):
                        services.append(self._service_summary(s, departments))
                        total += s["fee_fen"]
                        for code in _loads(s["documents"], []):
                            needed.setdefault(code, {**documents.get(code, {"code": code}), "needed_for": []})
                            needed[code]["needed_for"].append(s["id"])
            return {"id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                    "description": row["description"], "keywords": _loads(row["keywords"], []),
                    "services": services, "documents": list(needed.values()),
                    "total_fees": money(total), "currency": "CNY"}

        @router.get("/services", tags=["catalogue"])
        def search_services(q: str | None = None, life_event: str | None = None, city: str | None = None,
                            department: str | None = None,
                            limit: int = Query(20, ge=1, le=100)) -> dict[str, Any]:
            """Search services by words (Chinese or English), life event, city and department."""
            with self.read() as conn:
                departments, events = self._departments(conn), self._life_events(conn)
                if life_event and life_event.strip().lower() not in events:
                    raise not_found("life_event", life_event)
                wanted_city = resolve_city(city).name_en if city else None
                dept_ids = None
                if department:
                    needle = department.strip().lower()
                    dept_ids = {d for d, r in departments.items()
                                if needle in d or needle in r["name_zh"].lower() or needle in r["name_en"].lower()}
                    if not dept_ids:
                        raise bad_request("unknown_department", f"no department matches {department!r}; "
                                          f"departments are {', '.join(departments)}",
                                          {"allowed": list(departments)})
                results = []
                for row in conn.execute("SELECT * FROM services ORDER BY id"):
                    summary = self._service_summary(row, departments)
                    if life_event and life_event.strip().lower() not in summary["life_events"]:
                        continue
                    if wanted_city and wanted_city not in summary["cities"]:
                        continue
                    if dept_ids is not None and row["department"] not in dept_ids:
                        continue
                    score = search_score(q, self._service_search_text(row, departments, events)) if q else 0
                    if q and score <= 0:
                        continue
                    results.append((-score, row["id"], summary | {"description": row["description"]}))
            results.sort(key=lambda item: item[:2])
            return {"count": len(results), "services": [item[2] for item in results[:limit]]}

        @router.get("/services/{service_id}", tags=["catalogue"])
        def get_service(service_id: str, city: str | None = None) -> dict[str, Any]:
            """The full service record: rules, documents, fee, time limit, and offices per city."""
            with self.read() as conn:
                return self._service_record(conn, self._service_row(conn, service_id),
                                            resolve_city(city) if city else None)

        @router.get("/services/{service_id}/documents", tags=["catalogue"])
        def service_documents(service_id: str) -> dict[str, Any]:
            with self.read() as conn:
                row = self._service_row(conn, service_id)
                documents = self._documents(conn)
                return {"service_id": row["id"], "name_zh": row["name_zh"], "name_en": row["name_en"],
                        "documents": [documents.get(c, {"code": c}) for c in _loads(row["documents"], [])]}

        @router.post("/services/{service_id}/eligibility", tags=["catalogue"])
        def check_eligibility(service_id: str, body: EligibilityRequest) -> dict[str, Any]:
            """Check a citizen against the service's rules (a read: nothing is stored)."""
            with self.read() as conn:
                service = self._service_row(conn, service_id)
                citizen = self._citizen_row(conn, body.citizen_id)
                city = resolve_city(body.city).name_en if body.city else self._default_city(citizen)
                eligible, reasons = self._check_eligibility(conn, service, citizen, city)
                documents = self._documents(conn)
                required = _loads(service["documents"], [])
                result: dict[str, Any] = {
                    "service_id": service["id"], "name_zh": service["name_zh"], "name_en": service["name_en"],
                    "citizen_id": citizen["id"], "city": city, "eligible": eligible, "reasons": reasons,
                    "required_documents": [documents.get(c, {"code": c}) for c in required],
                    "fee": money(service["fee_fen"]), "currency": "CNY",
                    "online_possible": bool(service["online_possible"]),
                    "appointment_required": bool(service["appointment_required"]),
                }
                if body.documents is not None:
                    have = self._check_document_codes(body.documents, documents)
                    result["missing_documents"] = [documents[c] for c in required if c not in have]
            return result

        @router.get("/citizens/{citizen_id}", tags=["registry"])
        def get_citizen(citizen_id: str) -> dict[str, Any]:
            """The population registry record of a citizen (by national ID number)."""
            with self.read() as conn:
                return self._citizen_record(self._citizen_row(conn, citizen_id), self.today())

        @router.get("/offices", tags=["offices"])
        def list_offices(city: str | None = None, service_id: str | None = None,
                         office_type: str | None = None) -> dict[str, Any]:
            """Offices, optionally only in ``city`` and only those that handle ``service_id``."""
            with self.read() as conn:
                wanted = resolve_city(city) if city else None
                if service_id:
                    rows = self._offices_for(conn, self._service_row(conn, service_id), wanted)
                else:
                    rows = conn.execute("SELECT * FROM offices WHERE (? IS NULL OR city=?) ORDER BY id",
                                        (wanted and wanted.name_en,) * 2).fetchall()
                types = [t[0] for t in data.OFFICE_TYPES]
                if office_type and office_type not in types:
                    raise bad_request("unknown_office_type", f"office_type must be one of {', '.join(types)}",
                                      {"allowed": types})
                offices = [self._office_record(r) for r in rows if not office_type or r["office_type"] == office_type]
            return {"count": len(offices), "offices": offices}

        @router.get("/offices/{office_id}", tags=["offices"])
        def get_office(office_id: str) -> dict[str, Any]:
            with self.read() as conn:
                office = self._office_row(conn, office_id)
                handled = [{"id": s["id"], "name_zh": s["name_zh"], "name_en": s["name_en"]}
                           for s in conn.execute("SELECT * FROM services ORDER BY id") if self._handles(office, s)]
            return self._office_record(office) | {"services": handled, "slot_times": list(SLOT_TIMES)}

        @router.get("/offices/{office_id}/slots", tags=["offices"])
        def list_slots(office_id: str, service_id: str | None = None, date_from: date | None = None,
                       date_to: date | None = None) -> dict[str, Any]:
            """Bookable slots with remaining capacity (working days, tomorrow to 60 days ahead)."""
            first, last = self._window()
            if date_from and date_from < self.today():
                raise bad_request("date_in_past", f"date_from {date_from} is in the past (today is {self.today()})")
            start = max(date_from or first, first)
            end = min(date_to or start + timedelta(days=13), last)
            if date_to and date_from and date_to < date_from:
                raise bad_request("invalid_date_range", "date_to must not be before date_from")
            if start > last:
                raise bad_request("outside_booking_window",
                                  f"appointments can be booked up to {BOOKING_WINDOW_DAYS} days ahead (until {last})")
            with self.read() as conn:
                office = self._office_row(conn, office_id)
                service = self._service_row(conn, service_id) if service_id else None
                if service is not None and not self._handles(office, service):
                    raise bad_request("office_does_not_handle_service",
                                      f"{office['id']} does not handle {service['id']} ({service['name_en']})")
                booked = self._booked(conn, office["id"], start, end)
            slots, full = [], 0
            day = start
            while day <= end:
                if day.weekday() < 5:
                    for at in SLOT_TIMES:
                        key = f"{day.isoformat()}T{at}"
                        capacity = self.capacity(office["id"], day, at)
                        remaining = max(capacity - booked.get(key, 0), 0)
                        if remaining:
                            slots.append({"slot_id": f"{office['id']}@{key}", "date": day.isoformat(), "time": at,
                                          "start": datetime.combine(day, time.fromisoformat(at), CHINA_TZ).isoformat(),
                                          "capacity": capacity, "remaining": remaining})
                        else:
                            full += 1
                day += timedelta(days=1)
            return {"office_id": office["id"], "service_id": service["id"] if service is not None else None,
                    "date_from": start.isoformat(), "date_to": end.isoformat(), "slots": slots,
                    "full_slots": full}

        @router.post("/appointments", tags=["appointments"], status_code=201)
        def book_appointment(body: AppointmentRequest,
                             idempotency_key: str | None = Header(None, alias="Idempotency-Key")) -> dict[str, Any]:
            """Book an appointment slot at an office for a service (409 when the slot is full)."""
            def create(conn: sqlite3.Connection) -> dict[str, Any]:
                service = self._service_row(conn, body.service_id)
                office = self._office_row(conn, body.office_id)
                citizen = self._citizen_row(conn, body.citizen_id)
                if not self._handles(office, service):
                    raise bad_request("office_does_not_handle_service",
                                      f"{office['id']} ({office['name_en']}) does not handle {service['id']} "
                                      f"({service['name_en']}); list offices with service_id={service['id']}")
                self._check_name(body.name, citizen)
                day, at = self._parse_slot(office["id"], body.slot)
                slot = f"{day.isoformat()}T{at}"
                capacity = self.capacity(office["id"], day, at)
                taken = self._booked(conn, office["id"], day, day).get(slot, 0)
                if conn.execute("SELECT 1 FROM appointments WHERE citizen_id=? AND slot=? AND status='booked'",
                                (citizen["id"], slot)).fetchone():
                    raise conflict("already_booked", f"you already have an appointment at {slot}")
                if taken >= capacity:
                    raise conflict("slot_full", f"the slot {office['id']}@{slot} is fully booked; choose another",
                                   {"capacity": capacity, "booked": taken})
                ident = self.next_id(conn, "APT")
                conn.execute("INSERT INTO appointments VALUES (?, 'booked', ?, 0, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                             (ident, self.now().isoformat(), service["id"], office["id"], citizen["id"],
                              body.name, body.phone, slot))
                return self._appointment_record(conn, conn.execute("SELECT * FROM appointments WHERE id=?",
                                                                   (ident,)).fetchone())
            return self.idempotent(idempotency_key, "book_appointment", body.model_dump(mode="json"), create)

        @router.get("/appointments", tags=["appointments"])
        def list_appointments(citizen_id: str | None = None, status: str | None = None) -> dict[str, Any]:
            if status and status not in APPOINTMENT_STATUSES:
                raise bad_request("invalid_status", f"status must be one of {', '.join(APPOINTMENT_STATUSES)}")
            with self.read() as conn:
                ident = self._citizen_row(conn, citizen_id)["id"] if citizen_id else None
                rows = conn.execute("SELECT * FROM appointments WHERE (? IS NULL OR citizen_id=?) "
                                    "AND (? IS NULL OR status=?) ORDER BY slot, id", (ident, ident, status, status))
                records = [self._appointment_record(conn, r) for r in rows.fetchall()]
            return {"count": len(records), "appointments": records}

        @router.get("/appointments/{appointment_id}", tags=["appointments"])
        def get_appointment(appointment_id: str) -> dict[str, Any]:
            with self.read() as conn:
                return self._appointment_record(conn, self._appointment_row(conn, appointment_id))

        @router.post("/appointments/{appointment_id}/cancel", tags=["appointments"])
        def cancel_appointment(appointment_id: str, body: ReasonRequest | None = None,
                               idempotency_key: str | None = Header(None, alias="Idempotency-Key")) -> dict[str, Any]:
            body = body or ReasonRequest()

            def create(conn: sqlite3.Connection) -> dict[str, Any]:
                row = self._appointment_row(conn, appointment_id)
                if row["status"] == "cancelled":
                    raise conflict("already_cancelled", f"appointment {row['id']} was already cancelled "
                                                        f"at {row['cancelled_at']}")
                if row["status"] != "booked" or row["slot"] < self.now().strftime("%Y-%m-%dT%H:%M"):
                    raise conflict("appointment_in_past", f"appointment {row['id']} ({row['slot']}) has "
                                                          f"already taken place")
                conn.execute("UPDATE appointments SET status='cancelled', cancelled_at=?, cancel_reason=? WHERE id=?",
                             (self.now().isoformat(), body.reason, row["id"]))
                return self._appointment_record(conn, self._appointment_row(conn, row["id"]))
            return self.idempotent(idempotency_key, "cancel_appointment",
                                   {"appointment_id": appointment_id.strip().upper(), **body.model_dump()}, create)

        @router.post("/applications", tags=["applications"], status_code=201)
        def submit_application(body: ApplicationRequest,
                               idempotency_key: str | None = Header(None, alias="Idempotency-Key")) -> dict[str, Any]:
            """Submit an application online (irreversible): documents, eligibility and fee are checked."""
            def create(conn: sqlite3.Connection) -> dict[str, Any]:
                service = self._service_row(conn, body.service_id)
                citizen = self._citizen_row(conn, body.citizen_id)
                city = resolve_city(body.city).name_en
                self._check_name(body.name, citizen)
                documents = self._documents(conn)
                given = self._check_document_codes(body.documents, documents)
                if not service["online_possible"]:
                    raise bad_request("in_person_only",
                                      f"{service['id']} ({service['name_en']}) cannot be applied for online; "
                                      f"book an appointment at an office that handles it")
                eligible, reasons = self._check_eligibility(conn, service, citizen, city)
                if not eligible:
                    failed = [r["message"] for r in reasons if not r["passed"]]
                    raise SandboxError(422, "not_eligible", "not eligible: " + " ".join(failed),
                                       {"reasons": reasons})
                missing = [c for c in _loads(service["documents"], []) if c not in given]
                if missing:
                    raise bad_request("missing_documents",
                                      "missing required document(s): " + ", ".join(
                                          f"{c} ({documents[c]['name_en']})" for c in missing),
                                      {"missing": [documents[c] for c in missing]})
                fee = Decimal(service["fee_fen"]) / 100
                if fee > body.max_fee:
                    raise conflict("price_changed", f"the fee is {money(service['fee_fen'])} CNY, more than the "
                                                    f"max_fee of {body.max_fee} CNY you agreed to",
                                   {"fee": money(service["fee_fen"]), "max_fee": str(body.max_fee),
                                    "currency": "CNY"})
                for other in conn.execute("SELECT * FROM applications WHERE citizen_id=? AND service_id=?",
                                          (citizen["id"], service["id"])).fetchall():
                    if self._application_status(other) in OPEN_STATUSES:
                        raise conflict("application_in_progress",
                                       f"application {other['reference']} for this service is still open",
                                       {"application_id": other["id"], "reference": other["reference"]})
                ident = self._insert_application(conn, service, citizen, city, self.now(), body.name, body.phone,
                                                 body.address, given, [], seeded=False)
                return self._application_record(conn, self._application_row(conn, ident))
            return self.idempotent(idempotency_key, "submit_application", body.model_dump(mode="json"), create)

        @router.get("/applications", tags=["applications"])
        def list_applications(citizen_id: str | None = None, status: str | None = None) -> dict[str, Any]:
            if status and status not in APPLICATION_STATUSES:
                raise bad_request("invalid_status", f"status must be one of {', '.join(APPLICATION_STATUSES)}")
            with self.read() as conn:
                ident = self._citizen_row(conn, citizen_id)["id"] if citizen_id else None
                rows = conn.execute("SELECT * FROM applications WHERE (? IS NULL OR citizen_id=?) "
                                    "ORDER BY created_at DESC, id DESC", (ident, ident)).fetchall()
                records = [self._application_record(conn, r) for r in rows]
            records = [r for r in records if not status or r["status"] == status]
            return {"count": len(records), "applications": records}

        @router.get("/applications/{application_id}", tags=["applications"])
        def get_application(application_id: str) -> dict[str, Any]:
            """Status and history of an application, by id (APP-…) or reference number."""
            with self.read() as conn:
                return self._application_record(conn, self._application_row(conn, application_id))

        @router.post("/applications/{application_id}/withdraw", tags=["applications"])
        def withdraw_application(application_id: str, body: ReasonRequest | None = None,
                                 idempotency_key: str | None = Header(None, alias="Idempotency-Key")
                                 ) -> dict[str, Any]:
            body = body or ReasonRequest()

            def create(conn: sqlite3.Connection) -> dict[str, Any]:
                row = self._application_row(conn, application_id)
                status = self._application_status(row)
                if status == "withdrawn":
                    raise conflict("already_withdrawn", f"application {row['reference']} was already withdrawn")
                if status not in OPEN_STATUSES:
                    raise conflict("application_closed", f"application {row['reference']} is {status} and can no "
                                                         f"longer be withdrawn")
                self._add_event(conn, row, "withdrawn", body.reason or "Withdrawn by the applicant (申请人撤回).",
                                "applicant")
                return self._application_record(conn, self._application_row(conn, row["id"]))
            return self.idempotent(idempotency_key, "withdraw_application",
                                   {"application_id": application_id.strip().upper(), **body.model_dump()}, create)

        @router.post("/admin/applications/{application_id}/status", tags=["admin"])
        def set_application_status(application_id: str, body: AdminStatusRequest,
                                   idempotency_key: str | None = Header(None, alias="Idempotency-Key")
                                   ) -> dict[str, Any]:
            """An officer sets the status (for tests and scripted events); automatic steps stop here."""
            def create(conn: sqlite3.Connection) -> dict[str, Any]:
                row = self._application_row(conn, application_id)
                self._add_event(conn, row, body.status, body.note, "officer")
                return self._application_record(conn, self._application_row(conn, row["id"]))
            return self.idempotent(idempotency_key, "set_application_status",
                                   {"application_id": application_id.strip().upper(), **body.model_dump()}, create)

    # -- checks used by several endpoints --------------------------------------------------------

    def _appointment_row(self, conn: sqlite3.Connection, appointment_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM appointments WHERE id=?", (appointment_id.strip().upper(),)).fetchone()
        if row is None:
            raise not_found("appointment", appointment_id)
        return row

    @staticmethod
    def _check_name(given: str, citizen: sqlite3.Row) -> None:
        """Real-name check (实名核验): the name must contain the registered Chinese or pinyin name."""
        def squash(text: str) -> str:
            return re.sub(r"[\s·.\-]", "", text.lower())
        name = squash(given)
        english = (citizen["name_en"] or "").split()
        candidates = {squash(citizen["name"]), squash(" ".join(english)), squash(" ".join(reversed(english)))}
        if not any(c and c in name for c in candidates):
            raise bad_request("identity_mismatch",
                              "the name given does not match the name registered for this national ID number")
