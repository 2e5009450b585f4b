"""Reading a request: mentions → intent → the slots that intent takes, merged with earlier turns.

:func:`understand` reads a whole request (or a follow-up that corrects or adds to an earlier
reading); :func:`parse_slot` reads a short answer to a question about one slot.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from agents.understanding.catalogue import catalogue, stem
from agents.understanding.dates import DateMention
from agents.understanding.intents import (
    CLOSE,
    G_APPT,
    G_ELIG,
    G_EVENT,
    G_INFO,
    G_STATUS,
    G_SUBMIT,
    MIN_SCORE,
    OUT,
    S_BUY,
    S_CANCEL,
    S_RETURN,
    S_SEARCH,
    S_STATUS,
    T_CANCEL,
    T_FLIGHT,
    T_HOTEL,
    T_LIST,
    T_ROUND,
    T_TRAIN,
    Evidence,
    IntentScores,
    confidence,
    score,
    spell_fix,
)
from agents.understanding.mentions import Found, Mentions, find_mentions
from agents.understanding.model import INTENTS, SLOT_TYPES, Understanding, intent_domain
from agents.understanding.places import CityMention, canonical_city
from agents.understanding.text import CN_NUM_CHARS, Token, decimal_string, join_tokens, number_value

JOURNEYS = (T_FLIGHT, T_TRAIN, T_ROUND)
SHOP_FIND = (S_SEARCH, S_BUY)
SHOP_ORDER = (S_CANCEL, S_RETURN, S_STATUS)
GOV_SERVICE = (G_INFO, G_ELIG, G_APPT, G_SUBMIT, G_STATUS)
SERVICE_MIN, SERVICE_MARGIN = 2.0, 1.25  # a service is "clearly meant" above MIN and MARGIN× the next
EVENT_MIN = 1.5


def _after_correction(items: list[Any], at: int | None) -> list[Any]:
    """Values said after the person corrected themselves replace those said before."""
    if at is None:
        return items
    later = [item for item in items if item.start >= at]
    return later or items


# -- phrases --------------------------------------------------------------------------------


def _best_run(runs: list[list[Token]], weigh) -> tuple[list[Token], float]:  # type: ignore[no-untyped-def]
    """The run that speaks most of the catalogue, trimmed of words that speak of nothing.

    Numbers weigh nothing on their own but stay after a named thing ("mi band 9"). Ties go
    to the longer phrase: "安全座椅" over "宝宝".
    """
    best: list[Token] = []
    best_key = (0.0, 0)
    for run in runs:
        weights = [0.0 if t.text.isdigit() else weigh(t.text) for t in run]
        while run and weights[0] == 0:
            run, weights = run[1:], weights[1:]
        while run and weights[-1] == 0 and not (run[-1].text.isdigit() and len(run) > 1):
            run, weights = run[:-1], weights[:-1]
        key = (sum(weights), sum(len(t.text) for t in run))
        if key[0] > 0 and key > best_key:
            best, best_key = run, key
    return best, best_key[0]


def product_phrase(m: Mentions) -> tuple[list[str], float]:
    """The product phrase of a request as corrected words, and how strongly it names products."""
    cat = catalogue()
    corrected = [[Token(cat.correct(t.text), t.start, t.end) for t in run] for run in m.runs]
    run, weight = _best_run(corrected, cat.weight)
    return [t.text for t in run], weight


def service_phrase(m: Mentions) -> str | None:
    cat = catalogue()
    # Words shared by many services ("application", "card", "登记") belong to a service
    # phrase but do not name a service on their own.
    shares = cat.service_idf

    def weigh(word: str) -> float:
        if word.isascii():
            share = shares.get(stem(word))
        else:
            share = max((s for w, s in shares.items()
                         if not w.isascii() and len(word) >= 2 and (word in w or w in word)), default=None)
        return 0.0 if share is None else 1.0 if share > 1 / 3 else 0.3

    run, weight = _best_run(m.runs, weigh)
    return join_tokens([t.text for t in run]) if weight >= 1 else None


# -- slots ----------------------------------------------------------------------------------


def _cities(m: Mentions, intent: str, follow_up: dict[str, Any] | None = None) -> dict[str, str]:
    mentions: list[CityMention] = _after_correction(m.cities, m.correction_at)
    if not mentions:
        return {}
    if intent in (T_HOTEL,) or intent.startswith("gov."):
        # Where one stays, or where one moves to: "moving from Beijing to Shenzhen" is about Shenzhen.
        order = ("place", "destination") if intent == T_HOTEL else ("destination", "place")
        places = [c for role in order for c in mentions if c.role == role] or mentions
        return {"city": places[0].city}
    if intent == T_CANCEL and _kind(m) == "hotel":
        return {"city": mentions[0].city}
    origin = next((c.city for c in mentions if c.role == "origin"), None)
    destination = next((c.city for c in mentions if c.role == "destination"), None)
    loose = [c.city for c in mentions if c.role in (None, "place") and c.city not in (origin, destination)]
    if follow_up is not None and not origin and not destination and len(loose) == 1:
        key = "origin" if follow_up.get("destination") and not follow_up.get("origin") else "destination"
        return {key: loose[0]}
    if origin is None and destination is None and len(loose) >= 2:
        origin, destination = loose[0], loose[1]
    elif origin is None and destination is not None and loose:
        origin = loose[0]
    elif destination is None and loose:
        destination = loose[0]
    return {k: v for k, v in (("origin", origin), ("destination", destination)) if v}


def _dates(m: Mentions, intent: str) -> dict[str, Any]:
    assert m.dates is not None
    mentions: list[DateMention] = _after_correction(list(m.dates.dates), m.correction_at)
    out: dict[str, Any] = {}
    nights = m.dates.nights.nights if m.dates.nights else None
    if intent == T_HOTEL:
        start = next((d for d in mentions if d.role in (None, "start")), None)
        end = next((d for d in mentions if d.role == "end" and (start is None or d.value > start.value)), None)
        if start:
            out["check_in"] = start.value.isoformat()
            if nights is None and end is not None:
                nights = (end.value - start.value).days
        if nights:
            out["nights"] = nights
        return out
    if not mentions:
        return out
    outbound = next((d for d in mentions if d.role not in ("end", "return")), None)
    if outbound is None and intent != T_ROUND:
        outbound = mentions[0]
    if outbound is not None:
        out["date"] = outbound.value.isoformat()
    if intent == T_ROUND:
        back = (next((d for d in mentions if d.role == "return"), None)
                or next((d for d in mentions if d.role == "end"), None)
                or next((d for d in mentions if d is not outbound), None))
        if back is not None and (outbound is None or back.value >= outbound.value):
            out["return_date"] = back.value.isoformat()
    return out


def _kind(m: Mentions) -> str | None:
    kinds = _after_correction(m.booking_kinds, m.correction_at)
    return kinds[0].value if kinds else None  # type: ignore[return-value]


def _first_value(items: list[Found], at: int | None) -> Any:
    items = _after_correction(items, at)
    return items[0].value if items else None


def _preference(m: Mentions, intent: str) -> str | None:
    value = _first_value(m.preferences, m.correction_at)
    if intent.startswith("shop.") and value == "fastest":
        return "fastest_delivery"
    if not intent.startswith("shop.") and value in ("fastest_delivery", "preferred_merchant"):
        return "fastest" if value == "fastest_delivery" else None
    return value


def _money(m: Mentions) -> str | None:
    value = _first_value(m.money, m.correction_at)
    return decimal_string(value) if isinstance(value, Decimal) else None


def assemble(m: Mentions, intent: str, follow_up: dict[str, Any] | None = None) -> tuple[dict[str, Any], list[str]]:
    """The slots ``intent`` takes, read from the mentions; plus notes on what stayed uncertain."""
    cat = catalogue()
    slots: dict[str, Any] = {}
    notes: list[str] = []
    quantity = m.quantity.value if m.quantity and int(m.quantity.value) > 1 else None  # type: ignore[call-overload]
    if intent in JOURNEYS or intent == T_HOTEL:
        slots.update(_cities(m, intent, follow_up))
        slots.update(_dates(m, intent))
        seat = _first_value(m.seat_classes, m.correction_at)
        if intent != T_HOTEL and seat:
            slots["seat_class"] = seat
        if intent == T_ROUND and _kind(m) in ("flight", "train"):
            slots["booking_kind"] = _kind(m)
        money = _money(m)
        if money:
            slots["max_price_per_night" if intent == T_HOTEL else "max_price"] = money
        if intent == T_HOTEL:
            if m.rating:
                slots["min_rating"] = m.rating.value
            if m.stars:
                slots["min_stars"] = m.stars.value
        slots["preference"] = _preference(m, intent)
        slots["quantity"] = quantity
    elif intent == T_CANCEL:
        if m.booking_ids:
            slots["booking_ref"] = m.booking_ids[0].value
        else:
            slots["booking_kind"] = _kind(m)
            slots.update(_cities(m, intent))
            slots.update(_dates(m, intent))
    elif intent == T_LIST:
        slots["booking_kind"] = _kind(m)
    elif intent in SHOP_FIND:
        words, _weight = product_phrase(m)
        category = _first_value(m.categories, None) or (cat.category(words) if words else None)
        if words and cat.category(words) is None:
            slots["product_query"] = join_tokens(words)
            slots["product_id"] = cat.match_product(words)
        slots["category"] = category
        slots["merchant_id"] = _first_value(m.merchants, None)
        slots["quantity"] = quantity
        slots["max_price"] = _money(m)
        rating = m.rating.value if m.rating else (decimal_string(Decimal(m.stars.value)) if m.stars else None)
        slots["min_rating"] = rating
        slots["max_delivery_days"] = m.delivery_days.value if m.delivery_days else None
        slots["preference"] = _preference(m, intent)
        slots["ordinal"] = m.ordinal.value if m.ordinal else None
    elif intent in SHOP_ORDER:
        if m.order_ids:
            slots["order_ref"] = m.order_ids[0].value
        else:
            words, _weight = product_phrase(m)
            slots["order_ref"] = join_tokens(words) if words else None
    elif intent == G_EVENT:
        ranked = cat.rank(cat.event_phrases, m.text)
        if ranked and ranked[0][1] >= EVENT_MIN:
            slots["life_event"] = ranked[0][0]
        slots.update(_cities(m, intent))
    elif intent in GOV_SERVICE:
        if intent == G_STATUS and m.application_refs:
            slots["application_ref"] = m.application_refs[0].value
        else:
            slots.update(_service(m, notes))
        if intent != G_STATUS:
            slots.update(_cities(m, intent))
        if intent == G_APPT:
            slots.update(_dates(m, intent))
    return {k: v for k, v in slots.items() if v is not None}, notes


def _service(m: Mentions, notes: list[str]) -> dict[str, str]:
    cat = catalogue()
    ranked = cat.rank(cat.service_phrases, m.text)
    clear = len(ranked) == 1 or (len(ranked) > 1 and ranked[0][1] >= SERVICE_MARGIN * ranked[1][1])
    if ranked and ranked[0][1] >= SERVICE_MIN and clear:
        return {"service_id": ranked[0][0]}
    close = [sid for sid, s in ranked if ranked and s >= ranked[0][1] / SERVICE_MARGIN][:4]
    if len(close) > 1:
        notes.append(f"several services fit: {', '.join(close)}")
    phrase = service_phrase(m)
    return {"service_query": phrase} if phrase else {}


# -- intent ---------------------------------------------------------------------------------


def _evidence(m: Mentions) -> Evidence:
    cat = catalogue()
    _words, product_weight = product_phrase(m)
    services = cat.rank(cat.service_phrases, m.text)
    events = cat.rank(cat.event_phrases, m.text)
    seat = _first_value(m.seat_classes, m.correction_at)
    assert m.dates is not None
    return Evidence(
        two_cities=len({c.city for c in m.cities}) >= 2 or (len(m.cities) >= 2 and m.correction_at is not None),
        one_city=bool(m.cities), dates=len(m.dates.dates),
        nights_or_stars=bool(m.dates.nights or m.stars), seat_class=seat,
        order_id=bool(m.order_ids), booking_id=bool(m.booking_ids), application_ref=bool(m.application_refs),
        product=product_weight, category=bool(m.categories), merchant=bool(m.merchants),
        delivery=bool(m.delivery_days), rating=bool(m.rating), money=bool(m.money), ordinal=bool(m.ordinal),
        service=services[0][1] / 3 if services else 0.0, life_event=events[0][1] / 2 if events else 0.0)


def _read(text: str, today: date, domains: set[str] | None) -> tuple[Mentions, IntentScores]:
    m = find_mentions(text, today)
    cat = catalogue()
    return m, score(spell_fix(m.text.lower(), cat.known_words), _evidence(m), domains)


def _understanding(m: Mentions, scores: IntentScores, intent: str, slots: dict[str, Any],
                   notes: list[str], text: str | None = None) -> Understanding:
    best = scores.best[1]
    alternatives = [i for i, s in scores.ranked[1:] if s >= MIN_SCORE and best - s < CLOSE and i != intent][:2]
    if alternatives and intent != OUT:
        notes = [f"could be {intent} or {', '.join(alternatives)}", *notes]
    return Understanding(text=text or m.text, language=m.language, intent=intent,
                         confidence=confidence(scores) if intent == scores.best[0] else 0.5,
                         slots={} if intent == OUT else slots, alternatives=alternatives, notes=notes)


def understand(text: str, *, today: date, domains: Iterable[str] | None = None,
               context: Understanding | None = None) -> Understanding:
    """Read a request: its intent, its slots (normalised, see :mod:`agents.understanding.model`).

    ``domains`` restricts the intents to those of the given domains (a domain agent);
    requests that fit none of them are out of scope. ``context`` is the earlier reading when
    ``text`` answers, adds to or corrects it ("make it Friday instead", "改成下周五"): its
    intent carries over unless the new text clearly asks for something else, and the new
    values replace the old ones slot by slot.
    """
    allowed = set(domains) if domains is not None else None
    if allowed is not None and not allowed <= {"gov", "shop", "travel"}:
        raise ValueError(f"unknown domains {sorted(allowed - {'gov', 'shop', 'travel'})}; use gov, shop, travel")
    m, scores = _read(text, today, allowed)
    intent, best = scores.best
    if context is None or context.intent in (None, OUT):
        slots, notes = assemble(m, intent, None)
        return _understanding(m, scores, intent, slots, notes, text)
    return _follow_up(m, scores, context, text)


_OBJECT_CUES = {"flight": T_FLIGHT, "train": T_TRAIN, "hotel": T_HOTEL, "both_ways": T_ROUND}


def _follow_up(m: Mentions, scores: IntentScores, context: Understanding, text: str) -> Understanding:
    """Merge a follow-up into an earlier reading, or treat it as a new request when it is one."""
    intent, best = scores.best
    earlier = context.intent or OUT
    new_request = ((intent == OUT and "out_of_scope" in scores.cues) or
                   (intent != OUT and best >= 2 * MIN_SCORE and intent_domain(intent) != intent_domain(earlier)
                    and confidence(scores) >= 0.6))
    if new_request:
        slots, notes = assemble(m, intent, None)
        return _understanding(m, scores, intent, slots, notes, text)
    merged_intent = earlier
    switched = [_OBJECT_CUES[c] for c in scores.cues if c in _OBJECT_CUES]
    if intent_domain(intent) == intent_domain(earlier) and intent != earlier and best >= MIN_SCORE and (
            switched or intent_domain(intent) != "travel"):
        merged_intent = intent
    slots, notes = assemble(m, merged_intent, dict(context.slots))
    carried = {k: v for k, v in context.slots.items() if k in _slots_of(merged_intent)}
    return Understanding(text=f"{context.text}\n{text}", language=m.language, intent=merged_intent,
                         confidence=context.confidence, slots={**carried, **slots},
                         alternatives=[], notes=notes)


def _slots_of(intent: str) -> set[str]:
    """Slot names an intent can carry over from an earlier reading."""
    journey = {"origin", "destination", "date", "seat_class", "preference", "quantity", "max_price"}
    table = {
        T_FLIGHT: journey, T_TRAIN: journey, T_ROUND: journey | {"return_date", "booking_kind"},
        T_HOTEL: {"city", "check_in", "nights", "max_price_per_night", "min_rating", "min_stars", "preference",
                  "quantity"},
        T_CANCEL: {"booking_ref", "booking_kind", "city", "origin", "destination", "date"},
        T_LIST: {"booking_kind"},
        S_SEARCH: {"product_query", "category", "product_id", "merchant_id", "quantity", "max_price", "min_rating",
                   "max_delivery_days", "preference", "ordinal"},
        S_CANCEL: {"order_ref"}, S_RETURN: {"order_ref"}, S_STATUS: {"order_ref"},
        G_EVENT: {"life_event", "city"}, G_STATUS: {"application_ref", "service_id", "service_query"},
    }
    table[S_BUY] = table[S_SEARCH]
    for gov in (G_INFO, G_ELIG, G_SUBMIT):
        table[gov] = {"service_id", "service_query", "city"}
    table[G_APPT] = table[G_INFO] | {"date"}
    return table.get(intent, set())


# -- answers to one question ------------------------------------------------------------------

_CLASS_WORDS = {"economy": "economy", "经济": "economy", "business": "business", "商务": "business", "公务": "business",
                "first": "first", "头等": "first", "一等": "first", "second": "second", "二等": "second"}
_KIND_WORDS = {"flight": "flight", "plane": "flight", "fly": "flight", "飞机": "flight", "机票": "flight",
               "train": "train", "rail": "train", "高铁": "train", "火车": "train", "动车": "train",
               "hotel": "hotel", "酒店": "hotel", "宾馆": "hotel"}


def _bare_number(text: str) -> Decimal | None:
    """The first number in a short answer, in any script ("3", "两", "two", "2k")."""
    hit = re.search(rf"\d+(?:\.\d+)?|[{CN_NUM_CHARS}]+|\b(?:one|two|three|four|five|six|seven|eight|nine|ten|"
                    r"eleven|twelve|a couple|a dozen)\b", text.lower())
    if not hit:
        return None
    value = number_value(hit.group(0))
    if value is not None and re.match(r"\s*[kK千]", text[hit.end():]):
        value *= 1000
    return value


def parse_slot(slot: str, text: str, *, today: date) -> Any:
    """Read the answer to a question about one slot ("next Friday", "two", "上海", "经济舱").

    Returns the slot's normalised value, or None when the answer does not give one. Raises
    ValueError for a slot name the contract does not know.
    """
    if slot not in SLOT_TYPES:
        raise ValueError(f"unknown slot {slot!r}; known slots: {', '.join(sorted(SLOT_TYPES))}")
    m = find_mentions(text, today)
    cat = catalogue()
    kind = SLOT_TYPES[slot]
    if kind == "city":
        cities = _after_correction(m.cities, m.correction_at)
        return cities[0].city if cities else canonical_city(text)
    if kind == "date":
        assert m.dates is not None
        dates = _after_correction(list(m.dates.dates), m.correction_at)
        return dates[0].value.isoformat() if dates else None
    if slot in ("max_price", "max_price_per_night"):
        money = _money(m)
        bare = _bare_number(text) if money is None else None
        return money or (decimal_string(bare) if bare and bare > 0 else None)
    if slot == "min_rating":
        if m.rating:
            return m.rating.value
        bare = _bare_number(text)
        return decimal_string(bare) if bare is not None and 0 < bare <= 5 else None
    if kind == "int":
        found = {"nights": m.dates.nights.nights if m.dates and m.dates.nights else None,
                 "quantity": m.quantity.value if m.quantity else None,
                 "ordinal": m.ordinal.value if m.ordinal else None,
                 "min_stars": m.stars.value if m.stars else None,
                 "max_delivery_days": m.delivery_days.value if m.delivery_days else None}[slot]
        if found is None:
            bare = _bare_number(text)
            found = int(bare) if bare is not None and bare == int(bare) and bare > 0 else None
        return found
    if slot == "seat_class":
        value = _first_value(m.seat_classes, m.correction_at)
        return value or next((v for w, v in _CLASS_WORDS.items() if w in text.lower()), None)
    if slot == "preference":
        return _first_value(m.preferences, m.correction_at)
    if slot == "booking_kind":
        return _kind(m) or next((v for w, v in _KIND_WORDS.items() if w in text.lower()), None)
    if slot == "booking_ref":
        return m.booking_ids[0].value if m.booking_ids else None
    if slot == "application_ref":
        return m.application_refs[0].value if m.application_refs else None
    if slot in ("product_query", "order_ref"):
        if slot == "order_ref" and m.order_ids:
            return m.order_ids[0].value
        words, _weight = product_phrase(m)
        return join_tokens(words) if words else None
    if slot == "product_id":
        words, _weight = product_phrase(m)
        return cat.match_product(words) if words else None
    if slot == "category":
        words, _weight = product_phrase(m)
        return _first_value(m.categories, None) or (cat.category(words) if words else None)
    if slot == "merchant_id":
        return _first_value(m.merchants, None)
    if slot == "life_event":
        ranked = cat.rank(cat.event_phrases, m.text)
        return ranked[0][0] if ranked and ranked[0][1] >= EVENT_MIN else None
    if slot == "service_id":
        return _service(m, []).get("service_id")
    return service_phrase(m)  # service_query


__all__ = ["INTENTS", "parse_slot", "understand"]
