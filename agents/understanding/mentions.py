"""Every typed value a request states, found once with its span: the raw material of a reading.

Extractors run in a fixed order and each marks the spans it used, so a number read as a
date is not read again as money, and a price is not read as a quantity. What no extractor
used and no function word covers is left as content: the product or service phrase.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import lru_cache

from agents.understanding.catalogue import Catalogue, catalogue
from agents.understanding.dates import DateFindings, find_dates
from agents.understanding.lexicon import (
    CORRECTION_MARKERS_EN,
    CORRECTION_MARKERS_ZH,
    MEASURE_WORDS_EN,
    MEASURE_WORDS_ZH,
    PREFERENCE_PATTERNS,
    SEAT_CLASS_PATTERNS,
    STOP_EN,
    STOP_ZH,
)
from agents.understanding.places import CityMention, find_cities
from agents.understanding.text import (
    CN_NUM_CHARS,
    EN_NUMBER,
    NUM,
    Language,
    Token,
    decimal_string,
    language_of,
    normalise,
    number_value,
)

Span = tuple[int, int]


@dataclass(frozen=True)
class Found:
    """A value found in the text."""

    start: int
    end: int
    value: object


@dataclass
class Mentions:
    """All that a request states, by kind, before any decision about its intent."""

    text: str
    language: Language
    order_ids: list[Found] = field(default_factory=list)
    booking_ids: list[Found] = field(default_factory=list)
    application_refs: list[Found] = field(default_factory=list)
    cities: list[CityMention] = field(default_factory=list)
    dates: DateFindings | None = None
    money: list[Found] = field(default_factory=list)
    rating: Found | None = None
    stars: Found | None = None
    quantity: Found | None = None
    ordinal: Found | None = None
    delivery_days: Found | None = None
    seat_classes: list[Found] = field(default_factory=list)
    preferences: list[Found] = field(default_factory=list)
    merchants: list[Found] = field(default_factory=list)
    categories: list[Found] = field(default_factory=list)
    booking_kinds: list[Found] = field(default_factory=list)
    correction_at: int | None = None
    runs: list[list[Token]] = field(default_factory=list)  # leftover content phrases
    used: list[Span] = field(default_factory=list)

    def taken(self, start: int, end: int) -> bool:
        return any(s < end and start < e for s, e in self.used)

    def use(self, start: int, end: int) -> None:
        self.used.append((start, end))


# Ids sit inside Chinese text without spaces ("取消BK-000004这个"), so they are delimited by
# "no Latin letter or digit next to it" rather than by word boundaries.
_ORDER = re.compile(r"(?<![A-Za-z0-9])ORD[-_ ]?(\d{3,})(?![0-9])", re.IGNORECASE)
_BOOKING = re.compile(r"(?<![A-Za-z0-9])BK[-_ ]?(\d{3,})(?![0-9])", re.IGNORECASE)
_APPLICATION = re.compile(r"(?<![A-Za-z0-9])APP[-_ ]?(\d{3,})(?![0-9])", re.IGNORECASE)
_NUMK = r"(?P<n>\d+(?:,\d{3})*(?:\.\d+)?|[" + CN_NUM_CHARS + r"]+)\s*(?P<k>k|千|万|w)?"
_NOT_MONEY_UNIT = r"(?!\s*(?:days?|nights?|stars?|hours?|hrs?|km|kg|g\b|ml|people|persons|tickets?|rooms?|%|years?|" \
                  r"pcs|pieces|x\b|天|晚|星|分|小时|个|张|人|间|号|日|月|年|%|岁|点))"
_MONEY = [
    re.compile(r"(?:¥|￥|rmb|cny)\s*" + _NUMK),
    re.compile(_NUMK + r"\s*(?:yuan|rmb|cny|kuai|bucks|元|块钱|块|圆)"),
    re.compile(r"(?:under|below|less than|cheaper than|no more than|not more than|not over|at most|max(?:imum)?|"
               r"up to|within|budget(?:\s+(?:is|of))?|around|about|<=?|≤)\s*:?\s*" + _NUMK + r"\b" + _NOT_MONEY_UNIT),
    re.compile(r"(?:不超过|不要超过|别超过|不高于|低于|少于|最多|预算|控制在|价格|票价|价位|一晚|每晚)\s*(?:是|在|为)?\s*"
               + _NUMK + _NOT_MONEY_UNIT),
    re.compile(_NUMK + r"\s*(?:元|块钱?)?\s*(?:以内|以下|之内|左右|上下|内)"),
]
_RATING = [
    re.compile(r"(?:rated|rating|ratings|reviews?|score)\s*(?:of\s+)?(?:at least|above|over|>=?|≥|of|min(?:imum)?)?"
               r"\s*(?P<v>\d(?:\.\d)?)(?!\d)"),
    re.compile(r"(?P<v>\d\.\d)\s*(?:stars?)?\s*(?:\+|or (?:higher|more|above|better)|and (?:up|above)|plus)"),
    re.compile(r"(?:评分|评价|好评|分数)\s*(?:在)?\s*(?P<v>\d(?:\.\d)?)\s*分?"),
    re.compile(r"(?P<v>\d(?:\.\d)?)\s*分\s*(?:以上|及以上|起|或以上)"),
]
_STARS = [
    re.compile(r"\b(?:at least\s+|minimum\s+)?(?P<v>\d|one|two|three|four|five)[- ]?stars?\b"),
    re.compile(r"(?P<v>[二三四五两\d])\s*星(?:级)?"),
]
_QUANTITY = [
    re.compile(rf"\b(?P<n>{EN_NUMBER})\s+(?:x\s+)?(?:[a-z\-]+\s+){{0,2}}?(?:tickets?|seats?|people|persons|adults|passengers|"
               r"travell?ers|guests|rooms?|of us)\b"),
    re.compile(rf"\b(?P<n>{EN_NUMBER})\s+(?:{'|'.join(sorted(MEASURE_WORDS_EN))})\s+of\b"),
    re.compile(rf"\b(?:for|party of)\s+(?P<n>{EN_NUMBER})\s+(?=people|persons|adults|passengers|guests)"),
    re.compile(rf"\b(?P<n>{EN_NUMBER})\s+(?:{'|'.join(sorted(MEASURE_WORDS_EN))})\b(?!\s+of)(?=\s*(?:[,.;!?]|$|please|pls))"),
    re.compile(rf"\b(?:buy|order|get|purchase|need|want|add|book)\s+(?:me\s+)?(?P<n>{EN_NUMBER})\s+(?=[a-z])"),
    re.compile(r"\b(?P<n>a couple of|a pair of)\b"),
    re.compile(rf"(?<!第)(?P<n>{NUM})\s*(?:个人|个|[{MEASURE_WORDS_ZH}])(?!晚|月|星期|礼拜|小时|工作日|天|等|号)"),
]
_ORDINAL_WORDS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "1st": 1, "2nd": 2,
                  "3rd": 3, "4th": 4, "5th": 5, "6th": 6}
_ORDINAL = [
    re.compile(r"\b(?:the\s+)?(?P<n>first|second|third|fourth|fifth|sixth|1st|2nd|3rd|4th|5th|6th)\s+"
               r"(?:one|option|item|result|choice|offer|in the list|on the list|from the list)\b"),
    re.compile(r"第\s*(?P<n>" + NUM + r")\s*(?:个|款|家|项|条|趟|班|种|件|行|间)?"),
]
_DELIVERY = [
    re.compile(rf"(?:deliver(?:ed|y)?|arriv(?:e|es|ing)|ship(?:ped|ping|s)?|get (?:it|them)|there)\s+"
               rf"(?:with)?in\s+(?P<n>{EN_NUMBER})\s+days?"),
    re.compile(rf"(?:with)?in\s+(?P<n>{EN_NUMBER})\s+days?\s+(?:delivery|shipping)"),
    re.compile(r"(?P<one>next[- ]day (?:delivery|shipping)|(?:by|before) tomorrow)"),
    re.compile(rf"(?P<n>{NUM})\s*天\s*(?:之内|以内|内)\s*(?:能|可以)?\s*(?:送到|到货|送达|到|发货)?"),
    re.compile(r"(?P<one>明天(?:就)?(?:能)?(?:送到|到货|送达)|次日达)"),
]
_KINDS = {
    "flight": re.compile(r"\b(?:flights?|plane|fly|flying|air ?tickets?|airline|airfare)\b|机票|航班|飞机|舱"),
    "train": re.compile(r"\b(?:trains?|rail|railway|high[- ]speed|bullet train)\b|高铁|动车|火车|列车|车票|座"),
    "hotel": re.compile(r"\b(?:hotels?|rooms?|accommodation)\b|酒店|宾馆|住宿|房间"),
}

@lru_cache(maxsize=1)
def _application_ref() -> re.Pattern[str]:
    from tools.sandbox.gov_data import CITIES

    codes = "|".join(sorted((c.code for c in CITIES), key=len, reverse=True))
    return re.compile(rf"(?<![A-Za-z0-9])(?:{codes})-\d{{8}}-\d{{5}}(?![0-9])", re.IGNORECASE)


def _first(patterns: list[re.Pattern[str]], low: str, m: Mentions) -> re.Match[str] | None:
    hits = [hit for p in patterns for hit in p.finditer(low) if not m.taken(hit.start(), hit.end())]
    return min(hits, key=lambda h: h.start()) if hits else None


def _correction(low: str) -> int | None:
    positions = [x.end() for p in CORRECTION_MARKERS_EN for x in re.finditer(p, low)]
    positions += [i + len(marker) for marker in CORRECTION_MARKERS_ZH for i in _find_all(low, marker)]
    return max(positions) if positions else None


def _find_all(text: str, needle: str) -> list[int]:
    out, i = [], text.find(needle)
    while i >= 0:
        out.append(i)
        i = text.find(needle, i + 1)
    return out


def find_mentions(text: str, today: date) -> Mentions:
    """Read every typed value in ``text``; the caller decides what they mean for an intent."""
    text = normalise(text)
    low = text.lower()
    cat = catalogue()
    m = Mentions(text=text, language=language_of(text), correction_at=_correction(low))
    _ids(m, low)
    _delivery(m, low)
    m.dates = find_dates(text, today)
    for d in m.dates.dates:
        m.use(d.start, d.end)
    if m.dates.nights:
        m.use(m.dates.nights.start, m.dates.nights.end)
    m.cities = [c for c in find_cities(text) if not m.taken(c.start, c.end)]
    for c in m.cities:
        m.use(c.start, c.end)
    _numbers(m, low, cat)
    _words(m, low, cat)
    m.runs = _content_runs(m, cat)
    return m


def _ids(m: Mentions, low: str) -> None:
    for pattern, bucket, prefix in ((_ORDER, m.order_ids, "ORD"), (_BOOKING, m.booking_ids, "BK"),
                                    (_APPLICATION, m.application_refs, "APP")):
        for hit in pattern.finditer(m.text):
            bucket.append(Found(hit.start(), hit.end(), f"{prefix}-{hit.group(1)}"))
            m.use(hit.start(), hit.end())
    for hit in _application_ref().finditer(m.text):
        m.application_refs.append(Found(hit.start(), hit.end(), hit.group(0).upper()))
        m.use(hit.start(), hit.end())


def _amount(hit: re.Match[str]) -> Decimal | None:
    value = number_value(hit["n"])
    if value is None:
        return None
    unit = (hit["k"] or "").lower()
    return value * {"k": 1000, "千": 1000, "万": 10000, "w": 10000}.get(unit, 1)


def _delivery(m: Mentions, low: str) -> None:
    """Delivery windows first: "by tomorrow" in a shopping request is a delivery time, not a date."""
    hit = _first(_DELIVERY, low, m)
    if hit:
        days = 1 if hit.groupdict().get("one") else number_value(hit["n"])
        if days:
            m.delivery_days = Found(hit.start(), hit.end(), int(days))
            m.use(hit.start(), hit.end())


def _numbers(m: Mentions, low: str, cat: Catalogue) -> None:
    hit = _first(_RATING, low, m)
    if hit:
        m.rating = Found(hit.start(), hit.end(), decimal_string(Decimal(hit["v"])))
        m.use(hit.start(), hit.end())
    hit = _first(_STARS, low, m)
    if hit:
        value = number_value(hit["v"])
        if value and 1 <= value <= 5:
            m.stars = Found(hit.start(), hit.end(), int(value))
            m.use(hit.start(), hit.end())
    for pattern in _MONEY:
        for hit in pattern.finditer(low):
            if m.taken(hit.start("n"), hit.end("n")):
                continue
            amount = _amount(hit)
            if amount is not None and amount > 0:
                m.money.append(Found(hit.start(), hit.end(), amount))
                m.use(hit.start(), hit.end())
    m.money.sort(key=lambda f: f.start)
    hit = _first(_ORDINAL, low, m)
    if hit:
        value = _ORDINAL_WORDS.get(hit["n"]) or number_value(hit["n"])
        if value:
            m.ordinal = Found(hit.start(), hit.end(), int(value))
            m.use(hit.start(), hit.end())
    hit = _first(_QUANTITY, low, m)
    if hit and not cat.in_product_name(m.text[hit.start():hit.end() + 1]):
        value = number_value(hit["n"])
        if value and 1 <= value <= 99:
            m.quantity = Found(hit.start(), hit.end(), int(value))
            m.use(hit.start(), hit.end())


def _words(m: Mentions, low: str, cat: Catalogue) -> None:
    def collect(table: dict[str, tuple[str, ...]]) -> list[Found]:
        found: list[Found] = []
        for value, patterns in table.items():
            for pattern in patterns:
                for hit in re.finditer(pattern, low):
                    if not m.taken(hit.start(), hit.end()) and not any(
                            f.start < hit.end() and hit.start() < f.end for f in found):
                        found.append(Found(hit.start(), hit.end(), value))
        return sorted(found, key=lambda f: f.start)

    m.seat_classes = collect(SEAT_CLASS_PATTERNS)
    for f in m.seat_classes:
        m.use(f.start, f.end)
    m.preferences = collect(PREFERENCE_PATTERNS)
    for f in m.preferences:
        m.use(f.start, f.end)
    m.merchants = [Found(s, e, v) for s, e, v in cat.find_merchants(m.text) if not m.taken(s, e)]
    for f in m.merchants:
        m.use(f.start, f.end)
    m.categories = [Found(s, e, v) for s, e, v in cat.find_categories(m.text) if not m.taken(s, e)]
    for f in m.categories:
        m.use(f.start, f.end)
    m.booking_kinds = sorted((Found(hit.start(), hit.end(), kind) for kind, pattern in _KINDS.items()
                              for hit in pattern.finditer(low)), key=lambda f: f.start)


def _content_runs(m: Mentions, cat: Catalogue) -> list[list[Token]]:
    """Maximal runs of adjacent words that no extractor used and that are not function words."""
    runs: list[list[Token]] = []
    current: list[Token] = []
    tokens = cat.tokens(m.text)
    for i, token in enumerate(tokens):
        if (token.text == "的" and current and i + 1 < len(tokens) and current[-1].is_cjk
                and tokens[i + 1].is_cjk and cat.weight(current[-1].text) > 0 and cat.weight(tokens[i + 1].text) > 0):
            continue  # "耐克的鞋": a brand and its product, one phrase
        gap = m.text[current[-1].end:token.start] if current else ""
        content = (not m.taken(token.start, token.end) and token.text not in STOP_EN and token.text not in STOP_ZH
                   and not (token.is_cjk and all(ch in STOP_ZH for ch in token.text)))
        if content and current and gap.strip() in ("", "的"):
            current.append(token)
            continue
        if current:
            runs.append(current)
        current = [token] if content else []
    if current:
        runs.append(current)
    return runs
