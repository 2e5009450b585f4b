"""Dates in requests, English and Chinese, resolved against a clock the caller fixes.

One grammar serves both languages: absolute dates ("Dec 5", "5 December", "12/5", "12月5日",
"十二月五号"), relative days ("tomorrow", "后天", "in 3 days", "3天后"), weekdays with their
week ("this Friday", "next Friday", "下周五"), days of the month ("the 5th", "5号"), ranges
("Dec 18 to Dec 20", "12月18日到20日") and stays ("for 3 nights", "住两晚").

Why rules rather than dateparser: dateparser resolves a date phrase well once it is cut out,
but finding the phrases inside a request is where the work is (``search_dates`` missed the
start of "from Dec 18 to Dec 20", read "on the 5th" as May and knows no "下周五" or "12月5日").
These rules find the spans and know each mention's role in a trip (start, end, return), which
no parser reports. Each rule resolves its own match, so there is no second parse.

Conventions (the labelled set states them too): a bare weekday is its next occurrence after
today; "this X" the first on or after today; "next X"/"下周X" the X of the next calendar week
(weeks start on Monday); a month-day without a year its next occurrence on or after today.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date, timedelta
from typing import Literal

from agents.understanding.text import CN_NUM_CHARS, EN_NUMBER, NUM, cn_number, number_value

Role = Literal["start", "end", "return"]

_MONTHS = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
           "oct": 10, "nov": 11, "dec": 12}
MONTH = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|"
         r"jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)")
_ORD = r"(?:st|nd|rd|th)?"
_EN_WEEKDAYS = {"mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}
WEEKDAY = r"(?:monday|tuesday|tues|wednesday|thursday|thurs|friday|saturday|sunday)"
_ZH_WEEKDAYS = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6}
_RANGE_JOIN = re.compile(r"^\s*(?:-|–|—|~|～|to|until|till|through|thru|到|至|住到)\s*$")


@dataclass(frozen=True)
class DateMention:
    """A date said in the request; ``role`` says what it is in a trip when the wording tells."""

    start: int
    end: int
    value: date
    role: Role | None = None
    day_only: bool = False  # "the 20th", "20号": its month follows an earlier mention's month
    relative_to_previous: int | None = None  # "a week later": days after the previous mention
    weekday: bool = False  # said as a weekday: an end before its start means the week after


@dataclass(frozen=True)
class NightsMention:
    start: int
    end: int
    nights: int


@dataclass(frozen=True)
class DateFindings:
    dates: tuple[DateMention, ...]
    nights: NightsMention | None


def _month(word: str) -> int:
    return _MONTHS[word[:3]]


def month_day(month: int, day: int, today: date, year: int | None = None) -> date | None:
    """The date of month/day: in ``year`` if given, else its next occurrence on or after today."""
    try:
        if year is not None:
            return date(year if year > 100 else 2000 + year, month, day)
        candidate = date(today.year, month, day)
        return candidate if candidate >= today else date(today.year + 1, month, day)
    except ValueError:
        return None


def day_of_month(day: int, today: date) -> date | None:
    """The next ``day``-th of a month on or after today."""
    if not 1 <= day <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(13):
        try:
            candidate = date(year, month, day)
            if candidate >= today:
                return candidate
        except ValueError:
            pass
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def weekday_date(weekday: int, today: date, week: str | None) -> date:
    """Resolve a weekday: ``week`` is None (bare), "this", "next" or "after_next"."""
    monday = today - timedelta(days=today.weekday())
    if week in ("next", "after_next"):
        return monday + timedelta(days=7 * (2 if week == "after_next" else 1) + weekday)
    if week == "last":
        return monday - timedelta(days=7) + timedelta(days=weekday)
    ahead = (weekday - today.weekday()) % 7
    if ahead == 0 and week != "this":
        ahead = 7
    return today + timedelta(days=ahead)


def _en_week(modifier: str | None) -> str | None:
    if not modifier:
        return None
    modifier = modifier.strip()
    if modifier in ("next", "next week", "following", "week after"):
        return "next"
    if modifier in ("this", "coming", "this coming", "this week"):
        return "this"
    return "last" if modifier in ("last", "last week") else None


def _zh_week(prefix: str | None) -> str | None:
    if not prefix:
        return None
    if prefix.startswith("下下"):
        return "after_next"
    if prefix.startswith("下"):
        return "next"
    if prefix.startswith("上"):
        return "last"
    return "this"


Rule = Callable[[re.Match[str], date], Iterator[DateMention]]


def _single(m: re.Match[str], value: date | None, **kw: object) -> Iterator[DateMention]:
    if value is not None:
        yield DateMention(m.start(), m.end(), value, **kw)  # type: ignore[arg-type]


def _rules() -> list[tuple[re.Pattern[str], Rule]]:
    def zh_num(text: str | None) -> int | None:
        return None if text is None else cn_number(text) if not text.isdigit() else int(text)

    def iso(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield from _single(m, month_day(int(m["m"]), int(m["d"]), today, int(m["y"])))

    def en_md_range(m: re.Match[str], today: date) -> Iterator[DateMention]:
        first = month_day(_month(m["m1"]), int(m["d1"]), today)
        if first is None:
            return
        second = (month_day(_month(m["m2"]), int(m["d2"]), first) if m["m2"]
                  else month_day(first.month, int(m["d2"]), first))
        if second is None:
            return
        yield DateMention(m.start(), m.start("join"), first, "start")
        yield DateMention(m.end("join"), m.end(), second, "end")

    def en_dm_range(m: re.Match[str], today: date) -> Iterator[DateMention]:
        month = _month(m["m"])
        first = month_day(month, int(m["d1"]), today)
        second = month_day(month, int(m["d2"]), first) if first else None
        if first and second:
            yield DateMention(m.start(), m.start("join"), first, "start")
            yield DateMention(m.end("join"), m.end(), second, "end")

    def en_md(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield from _single(m, month_day(_month(m["m"]), int(m["d"]), today, int(m["y"]) if m["y"] else None))

    def slash(m: re.Match[str], today: date) -> Iterator[DateMention]:
        month, day = int(m["m"]), int(m["d"])
        if 1 <= month <= 12:
            yield from _single(m, month_day(month, day, today, int(m["y"]) if m["y"] else None))

    def en_day(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield from _single(m, day_of_month(int(m["d"]), today), day_only=True)

    def en_weekday(m: re.Match[str], today: date) -> Iterator[DateMention]:
        week = _en_week(m["mod"]) or _en_week(m.groupdict().get("post"))
        yield DateMention(m.start(), m.end(), weekday_date(_EN_WEEKDAYS[m["wd"][:3]], today, week), weekday=True)

    def en_weekend(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield DateMention(m.start(), m.end(), weekday_date(5, today, "next" if m["mod"] == "next" else "this"))

    def offset(days: int) -> Rule:
        def rule(m: re.Match[str], today: date) -> Iterator[DateMention]:
            yield DateMention(m.start(), m.end(), today + timedelta(days=days))
        return rule

    def en_in_n(m: re.Match[str], today: date) -> Iterator[DateMention]:
        n = number_value(m["n"]) or 1
        days = int(n) * (7 if m["unit"].startswith("week") else 1)
        yield DateMention(m.start(), m.end(), today + timedelta(days=days))

    def later(m: re.Match[str], today: date) -> Iterator[DateMention]:
        n = number_value(m["n"]) or 1
        days = int(n) * (7 if m["unit"] in ("week", "weeks", "周", "星期", "个星期", "个礼拜", "礼拜") else 1)
        yield DateMention(m.start(), m.end(), today + timedelta(days=days), relative_to_previous=days)

    def zh_md(m: re.Match[str], today: date) -> Iterator[DateMention]:
        month, day = zh_num(m["m"]), zh_num(m["d"])
        if month and day and 1 <= month <= 12:
            yield from _single(m, month_day(month, day, today, int(m["y"]) if m["y"] else None))

    def zh_day(m: re.Match[str], today: date) -> Iterator[DateMention]:
        day = zh_num(m["d"])
        if day:
            yield from _single(m, day_of_month(day, today), day_only=True)

    def zh_next_month_day(m: re.Match[str], today: date) -> Iterator[DateMention]:
        day = zh_num(m["d"])
        first = date(today.year + (today.month == 12), today.month % 12 + 1, 1)
        if day:
            yield from _single(m, day_of_month(day, first))

    def zh_in_n(m: re.Match[str], today: date) -> Iterator[DateMention]:
        n = zh_num(m["n"]) or 1
        days = n * (7 if m["unit"] != "天" else 1)
        yield DateMention(m.start(), m.end(), today + timedelta(days=days))

    def zh_weekday(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield DateMention(m.start(), m.end(), weekday_date(_ZH_WEEKDAYS[m["wd"]], today, _zh_week(m["pre"])),
                          weekday=True)

    def zh_weekend(m: re.Match[str], today: date) -> Iterator[DateMention]:
        yield DateMention(m.start(), m.end(), weekday_date(5, today, _zh_week(m["pre"]) or "this"))

    n_zh = rf"(?:\d{{1,2}}|[{CN_NUM_CHARS}]{{1,3}})"
    join = r"(?P<join>\s*(?:-|–|—|~|to|until|till|through|thru)\s*)"
    rules: list[tuple[str, Rule]] = [
        (r"(?P<y>20\d{2})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*[日号]?", iso),
        (rf"\b(?P<m1>{MONTH})\.?\s+(?:the\s+)?(?P<d1>\d{{1,2}}){_ORD}\b{join}(?:(?P<m2>{MONTH})\.?\s+)?"
         rf"(?:the\s+)?(?P<d2>\d{{1,2}}){_ORD}\b(?!\s*(?:yuan|rmb|元|nights?|days?|people|:))", en_md_range),
        (rf"\b(?P<d1>\d{{1,2}}){_ORD}{join}(?P<d2>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m>{MONTH})\b\.?", en_dm_range),
        (rf"\b(?P<m>{MONTH})\.?\s+(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}\b(?!:)(?:,?\s*(?P<y>20\d{{2}}))?", en_md),
        (rf"\b(?:the\s+)?(?P<d>\d{{1,2}}){_ORD}\s+(?:of\s+)?(?P<m>{MONTH})\b\.?(?:,?\s*(?P<y>20\d{{2}}))?", en_md),
        (r"(?<![\d/])(?P<m>\d{1,2})/(?P<d>\d{1,2})(?:/(?P<y>\d{2,4}))?(?![\d/])", slash),
        (r"\b(?:(?:on|the|starting|from|by|until|till|before|after)\s+)+(?P<d>\d{1,2})(?:st|nd|rd|th)\b"
         r"(?!\s+(?:one|option|item|result|choice|class|floor|edition|ed\b))", en_day),
        (rf"\b(?:(?P<mod>this coming|this|next|coming|following|last|next week|this week|last week)\s+)?"
         rf"(?P<wd>{WEEKDAY})\b(?:\s+(?P<post>next week|this week|last week))?", en_weekday),
        (r"\b(?P<mod>this coming|this|next|coming)\s+(?P<wd>mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\b\.?",
         en_weekday),
        (r"\b(?:(?P<mod>this|next)\s+)?weekend\b", en_weekend),
        (r"\b(?:the\s+)?day after tomorrow\b", offset(2)),
        (r"\b(?:today|tonight|this (?:morning|afternoon|evening))\b", offset(0)),
        (r"\b(?:tomorrow|tmrw|tmr|tomorow|tommorow|tommorrow)\b", offset(1)),
        (rf"\bin\s+(?P<n>{EN_NUMBER}|a|one)\s+(?P<unit>days?|weeks?)\b", en_in_n),
        (rf"\b(?P<n>{EN_NUMBER})\s+(?P<unit>days?|weeks?)\s+from\s+now\b", en_in_n),
        (rf"\b(?P<n>{EN_NUMBER}|a|one)\s+(?P<unit>days?|weeks?)\s+(?:later|after(?:wards)?)\b", later),
        (rf"(?:(?P<y>20\d{{2}})年)?(?P<m>{n_zh})月(?P<d>{n_zh})(?:日|号|號)?", zh_md),
        (rf"下个?月(?P<d>{n_zh})(?:日|号)", zh_next_month_day),
        (rf"(?<![月\d{CN_NUM_CHARS}第])(?P<d>{n_zh})(?:日|号|號)(?!线|楼|房|机|位)", zh_day),
        (r"大后天", offset(3)),
        (r"(?<!大)后天", offset(2)),
        (r"明天|明日|明早|明晚|明儿", offset(1)),
        (r"今天|今日|今晚|今早|今儿|今夜", offset(0)),
        (rf"(?P<n>{NUM})\s*(?P<unit>天|个星期|个礼拜|周|星期)(?:后|以后|之后)", zh_in_n),
        (rf"过(?P<n>{NUM})(?P<unit>天)", zh_in_n),
        (r"(?P<pre>下下个?|下个?|这个?|本|上个?)?(?:周|星期|礼拜)(?P<wd>[一二三四五六日天])", zh_weekday),
        (r"(?P<pre>下个?|这个?|本)?周末", zh_weekend),
    ]
    return [(re.compile(pattern), rule) for pattern, rule in rules]


_RULES = _rules()
_NIGHTS = [
    re.compile(rf"\b(?P<n>{EN_NUMBER}|a|one)\s+nights?\b"),
    re.compile(rf"(?P<n>{NUM})\s*(?:个)?(?:晚上|晚|夜)(?!饭|餐)"),
]
_RATE_BEFORE = re.compile(r"(?:\d|yuan|rmb|cny|kuai|bucks|元|块)\s*(?:per|each|/)?\s*$")
_START_BEFORE = re.compile(r"(?:\bfrom|\bstarting|\bcheck(?:ing)?[- ]?in(?:\s+on)?|\bleav(?:e|ing)(?:\s+on)?|"
                           r"\bdepart(?:ing)?(?:\s+on)?|\bout(?:\s+on)?|\bgo(?:ing)?(?:\s+on)?|\barriv(?:e|ing)(?:\s+on)?)"
                           r"\s+(?:the\s+)?$")
_END_BEFORE = re.compile(r"(?:\bcheck(?:ing)?[- ]?out(?:\s+on)?|\buntil|\btill|\bby|退房)\s*(?:the\s+)?$")
_RETURN_BEFORE = re.compile(r"(?:\bback|\breturn(?:ing)?|\bcom(?:e|ing) back|返程|回程|返回|回来)\s*(?:on\s+)?(?:the\s+)?$")
_START_AFTER = re.compile(r"^\s*(?:的)?(?:去|走|出发|入住|住|飞|出门)")
_END_AFTER = re.compile(r"^\s*(?:的)?(?:退房|离店)")
_RETURN_AFTER = re.compile(r"^\s*(?:的)?(?:回|返回|返程)")


def _roles(text: str, mentions: list[DateMention]) -> list[DateMention]:
    """Give each mention the trip role its surrounding words say, and link ranges."""
    out: list[DateMention] = []
    for i, mention in enumerate(mentions):
        before = text[max(0, mention.start - 24):mention.start].lower()
        after = text[mention.end:mention.end + 6]
        role = mention.role
        if role is None:
            if _RETURN_BEFORE.search(before) or _RETURN_AFTER.search(after):
                role = "return"
            elif _END_BEFORE.search(before) or _END_AFTER.search(after):
                role = "end"
            elif i and _RANGE_JOIN.match(text[mentions[i - 1].end:mention.start].lower()):
                role = "end"
                if out[-1].role is None:
                    out[-1] = replace(out[-1], role="start")
            elif _START_BEFORE.search(before) or _START_AFTER.search(after):
                role = "start"
        mention = replace(mention, role=role)
        if role in ("end", "return") and mention.weekday and out:
            # "this Friday to next Monday" said on a Saturday: the Monday after that Friday.
            while mention.value < out[-1].value:
                mention = replace(mention, value=mention.value + timedelta(days=7))
        out.append(mention)
    return out


def _anchor(mentions: list[DateMention], today: date) -> list[DateMention]:
    """Resolve day-of-month and "N days later" against the mention before them."""
    out: list[DateMention] = []
    for mention in mentions:
        previous = out[-1].value if out else None
        if previous is not None and mention.relative_to_previous is not None:
            mention = replace(mention, value=previous + timedelta(days=mention.relative_to_previous))
        elif previous is not None and mention.day_only:
            anchored = day_of_month(mention.value.day, date(previous.year, previous.month, 1))
            mention = replace(mention, value=anchored or mention.value)
        out.append(mention)
    return out


def find_dates(text: str, today: date) -> DateFindings:
    """Every date and the length of stay said in ``text`` (normalised), resolved against ``today``."""
    low = text.lower()
    candidates = [mention for pattern, rule in _RULES for m in pattern.finditer(low) for mention in rule(m, today)]
    candidates.sort(key=lambda c: (c.start, -(c.end - c.start)))
    chosen: list[DateMention] = []
    for candidate in candidates:
        if chosen and candidate.start < chosen[-1].end:
            continue
        chosen.append(candidate)
    nights = None
    for pattern in _NIGHTS:
        for m in pattern.finditer(low):
            if _RATE_BEFORE.search(low[max(0, m.start() - 16):m.start()]):
                continue  # "400 a night", "每晚500": a nightly price, not the length of a stay
            value = number_value(m["n"])
            if value and value >= 1 and not any(c.start <= m.start() < c.end for c in chosen):
                nights = NightsMention(m.start(), m.end(), int(value))
                break
        if nights:
            break
    return DateFindings(tuple(_roles(text, _anchor(chosen, today))), nights)
