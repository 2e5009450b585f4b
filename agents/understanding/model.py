"""What the offline brain understands of a request: an intent and typed slots.

This is the contract between request understanding (``agents.understanding``) and
the playbooks that plan from it (``agents.playbooks``). Slot values are normalised so
that playbooks never parse text:

=================  ==========================================================
slot               normalised value
=================  ==========================================================
origin, destination, city   canonical English city name of the travel sandbox
                   ("Beijing", "Xi'an"); for gov also any city name given
date, return_date, check_in   ISO date string "YYYY-MM-DD"
nights, quantity   int >= 1
max_price          decimal string ("500", "1299.50"), CNY; per unit/ticket/night
                   as the request means it (max_price_per_night for hotels)
max_price_per_night  decimal string
min_rating         decimal string ("4.5")
max_delivery_days  int
seat_class         "economy" | "business" | "first" | "second"
preference         "cheapest" | "earliest" | "latest" | "fastest" | "best_rated"
                   | "preferred_merchant" | "fastest_delivery"
product_query      the product phrase as a search string ("wireless earbuds")
category           a shop category id
product_id         "P0001" when one catalogue product is clearly meant
merchant_id        "M001" when a merchant is named
order_ref          an order id ("ORD-000003") or a product phrase naming a past order
booking_ref        a booking id ("BK-000002") or a phrase ("my hotel in Shanghai")
life_event         a gov life-event id ("having-a-baby")
service_id         a gov service id ("GS-0012") when one service is clearly meant
service_query      the service phrase when no single service is certain
application_ref    an application id or reference number
ordinal            int (1 = first) when the request picks "the second one"
booking_kind       "flight" | "train" | "hotel": which kind of travel booking a round
                   trip, a cancellation or a listing is about
min_stars          int 1..5, a hotel's star class ("4-star", "五星级")
=================  ==========================================================

When a travel booking is described rather than given by id ("cancel my hotel in
Shanghai"), ``booking_ref`` is absent and booking_kind plus city / origin / destination /
date describe it; the playbook lists the bookings and picks the one that fits. An order
described by its product ("return the headphones I bought") has that product phrase as
``order_ref``.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import BaseModel, Field

INTENTS: dict[str, str] = {
    # travel
    "travel.book_flight": "find and book a flight",
    "travel.book_train": "find and book a high-speed train",
    "travel.book_hotel": "find and book a hotel for N nights",
    "travel.round_trip": "book an outbound and a return journey",
    "travel.cancel_booking": "cancel a travel booking",
    "travel.list_bookings": "list the person's travel bookings",
    # shop
    "shop.search_products": "find products under constraints, without buying",
    "shop.buy": "buy a product",
    "shop.cancel_order": "cancel an order",
    "shop.return_item": "return an item from a past order",
    "shop.order_status": "where is / what is the status of an order",
    # gov
    "gov.life_event": "which government services a life event needs",
    "gov.service_info": "requirements, documents, fees, processing time of a service",
    "gov.check_eligibility": "check whether the person is eligible for a service",
    "gov.book_appointment": "book an office appointment for a service",
    "gov.submit_application": "submit an application for a service",
    "gov.application_status": "check an application's status",
    # neither
    "out_of_scope": "not something errand's agents can do",
}

Domain = Literal["gov", "shop", "travel"]

# The type of every slot's normalised value (see the table above).
SlotType = Literal["city", "date", "int", "decimal", "enum", "text", "id"]
SLOT_TYPES: dict[str, SlotType] = {
    "origin": "city", "destination": "city", "city": "city",
    "date": "date", "return_date": "date", "check_in": "date",
    "nights": "int", "quantity": "int", "max_delivery_days": "int", "ordinal": "int", "min_stars": "int",
    "max_price": "decimal", "max_price_per_night": "decimal", "min_rating": "decimal",
    "seat_class": "enum", "preference": "enum", "booking_kind": "enum",
    "product_query": "text", "service_query": "text", "order_ref": "text", "booking_ref": "text",
    "application_ref": "text",
    "category": "id", "product_id": "id", "merchant_id": "id", "life_event": "id", "service_id": "id",
}
SLOT_ENUMS: dict[str, tuple[str, ...]] = {
    "seat_class": ("economy", "business", "first", "second"),
    "preference": ("cheapest", "earliest", "latest", "fastest", "best_rated", "preferred_merchant",
                   "fastest_delivery"),
    "booking_kind": ("flight", "train", "hotel"),
}


def normalise_slot_value(slot: str, value: Any) -> Any:
    """A slot value in its contract form (ISO date string, int, decimal string, text).

    Raises ValueError naming the slot when the slot is unknown or the value does not fit.
    """
    kind = SLOT_TYPES.get(slot)
    if kind is None:
        raise ValueError(f"unknown slot {slot!r}; known slots: {', '.join(sorted(SLOT_TYPES))}")
    if kind == "date":
        if isinstance(value, date):
            return value.isoformat()
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError as exc:
            raise ValueError(f"slot {slot!r}: {value!r} is not a YYYY-MM-DD date") from exc
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise ValueError(f"slot {slot!r}: {value!r} is not a whole number")
        return value
    if kind == "decimal":
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError(f"slot {slot!r}: {value!r} is not a decimal number") from exc
        text = format(number.normalize(), "f")
        return text.rstrip("0").rstrip(".") if "." in text else text
    if kind == "enum" and value not in SLOT_ENUMS[slot]:
        raise ValueError(f"slot {slot!r}: {value!r} is not one of {', '.join(SLOT_ENUMS[slot])}")
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"slot {slot!r}: {value!r} is not a non-empty string")
    return value


def intent_domain(intent: str | None) -> Domain | None:
    if not intent or "." not in intent:
        return None
    domain = intent.split(".", 1)[0]
    return domain if domain in ("gov", "shop", "travel") else None  # type: ignore[return-value]


class Understanding(BaseModel):
    """The reading of one request (or of a request plus the person's answers)."""

    text: str
    language: Literal["en", "zh"]
    intent: str | None = Field(description="A key of INTENTS, or None when no intent is clear")
    confidence: float = Field(ge=0, le=1)
    slots: dict[str, Any] = Field(default_factory=dict)
    alternatives: list[str] = Field(default_factory=list, description="Other plausible intents, best first")
    notes: list[str] = Field(default_factory=list, description="Ambiguities worth a question")

    @property
    def domain(self) -> Domain | None:
        return intent_domain(self.intent)
