"""Reading a life-event request without a model: which bundle, and the details it states.

**Which bundle.** Every bundle is a set of phrases — its names, the government catalogue's
names and keywords of its life event (plus the understanding's own life-event phrases),
and its ``cues`` — weighted by how rare each word is among bundles and matched the way the
understanding matches services (English by stems and near spellings, Chinese by words;
:meth:`agents.understanding.catalogue.Catalogue.rank`). The best bundle wins when it is
strong enough and clearly ahead; otherwise the close ones are offered in a question. The
catalogue's life events that no bundle covers are ranked too, so the weights of words do not
depend on how many bundles are installed, and a request about such an event ("I bought a
car") is not taken for a weaker bundle.

**Which details.** The request's typed values are found once (cities with the role their
words give them, dates with theirs, nights, a number of people, money:
:func:`agents.understanding.mentions.find_mentions`), and each slot takes, in the order of
its ``from`` list, the first value of that kind no earlier slot took — so "from Chengdu to
Hangzhou on Jan 10" fills origin, destination and date whatever the word order or language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from agents.concierge.loader import BundleSet
from agents.concierge.model import Bundle, BundleSlot, Language
from agents.understanding import parse_slot
from agents.understanding.catalogue import Phrase, catalogue
from agents.understanding.lexicon import LIFE_EVENT_WORDS
from agents.understanding.mentions import Mentions, find_mentions
from agents.understanding.places import canonical_city
from agents.understanding.text import language_of

DETECT_MIN = 1.5  # as strong as the understanding needs a life event to be (reader.EVENT_MIN)
DETECT_MARGIN = 1.25  # the best bundle must score this many times the next to be chosen unasked
MAX_CANDIDATES = 3
_BACKGROUND = "~"  # owners that are life events without a bundle: they weigh words, never win


# -- which bundle ------------------------------------------------------------------------------

class Detector:
    """Ranks bundles for a text (see the module docstring)."""

    def __init__(self, bundles: BundleSet) -> None:
        from tools.sandbox.gov_data import LIFE_EVENTS

        events = {e.id: e for e in LIFE_EVENTS}

        def said(event_id: str) -> tuple[str, ...]:
            event = events[event_id]
            return (event.name_en, event.name_zh, *event.keywords, *LIFE_EVENT_WORDS.get(event_id, ()))

        owners: list[tuple[str, tuple[str, str], tuple[str, ...]]] = []
        for bundle in bundles:
            words: tuple[str, ...] = (*bundle.cues.en, *bundle.cues.zh)
            if bundle.life_event in events:
                words = (*said(bundle.life_event), *words)
            owners.append((bundle.id, (bundle.name.en, bundle.name.zh), words))
        # the catalogue's other life events weigh the words too (and can win, then nothing is
        # chosen): scores do not depend on how many bundles happen to be installed
        covered = {b.life_event for b in bundles}
        owners += [(f"{_BACKGROUND}{e}", (events[e].name_en, events[e].name_zh), said(e)[2:])
                   for e in events if e not in covered]
        self.phrases: list[Phrase] = catalogue().phrases(owners)

    def rank(self, text: str) -> list[tuple[str, float]]:
        """Bundles by how much of their phrases the text says (best first); a life event no bundle
        covers keeps its place, so a request about it is not taken for a weaker bundle."""
        return catalogue().rank(self.phrases, text)

    def detect(self, text: str) -> tuple[str | None, list[str]]:
        """The bundle the text is clearly about (or None), and the bundles that could fit."""
        ranked = [(b, s) for b, s in self.rank(text) if s >= DETECT_MIN]
        candidates = [b for b, _ in ranked if not b.startswith(_BACKGROUND)][:MAX_CANDIDATES]
        clear = ranked and (len(ranked) == 1 or ranked[0][1] >= DETECT_MARGIN * ranked[1][1])
        if clear and not ranked[0][0].startswith(_BACKGROUND):
            return ranked[0][0], candidates
        return None, candidates


_DETECTORS: dict[tuple[tuple[str, ...], ...], Detector] = {}


def detector(bundles: BundleSet) -> Detector:
    """The detector for this set of bundles (built again only when their names or cues change)."""
    key = tuple(sorted((b.id, b.life_event or "", b.name.en, b.name.zh, *b.cues.en, *b.cues.zh) for b in bundles))
    if key not in _DETECTORS:
        _DETECTORS.clear()  # one set is in use at a time; a changed set replaces it
        _DETECTORS[key] = Detector(bundles)
    return _DETECTORS[key]


# -- which details -----------------------------------------------------------------------------

@dataclass
class _Values:
    """The request's typed values, each taken by at most one slot."""

    mentions: Mentions
    used: set[tuple[str, int]]

    def take(self, source: str) -> Any:
        m = self.mentions
        kind, _, role = source.partition(".")
        if kind == "city":
            for n, city in enumerate(m.cities):
                if ("city", n) not in self.used and (not role or city.role == role):
                    self.used.add(("city", n))
                    return city.city
            return None
        if kind == "date":
            dates = m.dates.dates if m.dates else ()
            for n, found in enumerate(dates):
                if ("date", n) not in self.used and (not role or found.role == role):
                    self.used.add(("date", n))
                    return found.value.isoformat()
            return None
        if kind == "nights":
            return m.dates.nights.nights if m.dates and m.dates.nights else None
        if kind == "quantity":
            return m.quantity.value if m.quantity else None
        if kind == "money":
            return m.money[0].value if m.money else None
        raise ValueError(f"unknown source {source!r}")


def slots_from_text(bundle: Bundle, text: str, today: date) -> dict[str, Any]:
    """The values ``text`` states for the bundle's slots (normalised; absent ones left out)."""
    values = _Values(find_mentions(text, today), set())
    found: dict[str, Any] = {}
    for name, slot in bundle.slots.items():
        if slot.type == "choice":
            value = choice_in_text(slot, text)
        else:
            value = next((v for source in slot.from_ if (v := values.take(source)) is not None), None)
        value = normalise(slot, value)
        if value is not None:
            found[name] = value
    return found


def _says(word: str, text: str) -> bool:
    if re.search(r"[\u4e00-\u9fff]", word):
        return word in text
    return re.search(rf"(?<![a-z]){re.escape(word.lower())}(?![a-z])", text) is not None


def choice_in_text(slot: BundleSlot, text: str) -> str | None:
    """The one choice whose name, labels or words the text says; None when none or several."""
    low = text.lower()
    found = {name for name, choice in slot.choices.items()
             if any(_says(w, low) for w in [name, choice.label.en, choice.label.zh or "", *choice.words] if w)}
    return found.pop() if len(found) == 1 else None


_ANSWER_SLOT = {"city": "city", "date": "date", "money": "max_price"}


def parse_answer(slot: BundleSlot, answer: str, today: date) -> Any:
    """Read a person's answer to the question about ``slot``; None when it gives no value."""
    if slot.type == "choice":
        return choice_in_text(slot, answer)
    if slot.type == "text":
        return normalise(slot, answer)
    if slot.type == "count":
        kinds = [s for s in slot.from_ if s in ("nights", "quantity")] or ["quantity"]
        value = next((v for k in kinds if (v := parse_slot(k, answer, today=today)) is not None), None)
    else:
        value = parse_slot(_ANSWER_SLOT[slot.type], answer, today=today)
    return normalise(slot, value)


def normalise(slot: BundleSlot, value: Any) -> Any:
    """``value`` in the slot's normal form, or None when it does not fit the type."""
    if value is None or value == "":
        return None
    kind = slot.type
    if kind == "city":
        return canonical_city(str(value))
    if kind == "date":
        try:
            return date.fromisoformat(str(value)[:10]).isoformat()
        except ValueError:
            return None
    if kind in ("count", "money"):
        try:
            number = Decimal(str(value))
        except InvalidOperation:
            return None
        if kind == "count":
            return int(number) if number >= 1 and number == int(number) else None
        return format(number.normalize(), "f") if number > 0 else None
    text = str(value).strip()
    if kind == "choice":
        return text if text in slot.choices else None
    return text or None


# -- how the person's language says the values -------------------------------------------------

@lru_cache(maxsize=1)
def _city_names_zh() -> dict[str, str]:
    from tools.sandbox import gov_data, travel_data

    names = {c.name_en: c.name_zh for c in gov_data.CITIES}
    names.update({c.name: c.name_zh for c in travel_data.CITIES})
    return names


def localised(bundle: Bundle, slots: dict[str, Any], lang: Language) -> dict[str, Any]:
    """The slots as the person's language says them (``local.*`` in templates): cities by their
    Chinese names and dates as 2027年1月10日 in Chinese, choices by their labels."""
    out: dict[str, Any] = {}
    for name, value in slots.items():
        slot = bundle.slots.get(name)
        if value is None or slot is None:
            out[name] = value
        elif slot.type == "city" and lang == "zh":
            out[name] = _city_names_zh().get(value, value)
        elif slot.type == "date" and lang == "zh":
            day = date.fromisoformat(value)
            out[name] = f"{day.year}年{day.month}月{day.day}日"
        elif slot.type == "choice":
            out[name] = slot.choices[value].label.get(lang)
        else:
            out[name] = value
    return out


def request_language(text: str, user: dict[str, Any]) -> Language:
    """The request's language; the profile's when the request has no words to tell."""
    if re.search(r"[A-Za-z\u4e00-\u9fff]", text):
        return language_of(text)
    preferred = (user.get("preferences") or {}).get("language")
    return "zh" if preferred == "zh" else "en"


__all__ = ["DETECT_MARGIN", "DETECT_MIN", "Detector", "choice_in_text", "detector", "localised", "normalise",
           "parse_answer", "request_language", "slots_from_text"]
