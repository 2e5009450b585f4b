"""Cities in requests and the part each plays: where a journey starts, where it goes, where one stays.

Names come from the sandboxes (``travel_data.CITIES`` with their Chinese names, airport and
station names and codes; ``gov_data`` for household-registration cities outside the travel
network) plus the nicknames in :mod:`agents.understanding.lexicon`. English names match
with or without the spaces and apostrophes of pinyin ("Xian", "Xi'an", "xi an"), and a
misspelt name ("Shangai", "Beijng") still matches when it is one small edit away. Airport
and station codes match only in capitals, so that "can" never becomes Guangzhou (CAN).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from rapidfuzz import fuzz, process

from agents.understanding.lexicon import CITY_NICKNAMES, STOP_EN
from agents.understanding.text import CJK, latin_tokens

CityRole = Literal["origin", "destination", "place"]


@dataclass(frozen=True)
class CityMention:
    start: int
    end: int
    city: str  # canonical English name
    role: CityRole | None  # what the words around it say; None when nothing does


@dataclass(frozen=True)
class _Lexicon:
    latin: re.Pattern[str]  # case-insensitive names
    codes: re.Pattern[str]  # case-sensitive codes
    cjk: re.Pattern[str]
    by_key: dict[str, str]  # normalised spelling → canonical name
    travel_cities: frozenset[str]
    fuzzy_names: dict[str, str]  # lower-case English name → canonical


_SYLLABLE = re.compile(r"(?:zh|ch|sh|[bpmfdtnlgkhjqxrzcsyw])?(?:iang|iong|uang|ang|eng|ing|ong|ian|iao|uai|uan|"
                       r"ai|ei|ao|ou|an|en|in|un|ia|ie|iu|ua|uo|ui|ue|er|a|e|i|o|u|v)(?![aeiou])")


def _key(name: str) -> str:
    """Lower-case without spaces, apostrophes or hyphens: "Xi'an" and "xi an" share a key."""
    return re.sub(r"[\s'’`\-_.]", "", name.lower())


def _flexible(name: str) -> str:
    """A regex for an English name that tolerates separators between pinyin syllables.

    "Xi'an" becomes ``xi[sep]?an`` and "Chongqing" ``chong[sep]?qing``, so "xian", "xi an" and
    "chong qing" all match; words that are not pinyin ("airport", "south") match as written.
    """
    sep = r"[\s'’\-]?"
    pieces: list[str] = []
    for word in re.split(r"[\s'’`\-_.]+", name.lower()):
        syllables: list[str] = []
        pos = 0
        while pos < len(word):
            m = _SYLLABLE.match(word, pos)
            if not m or m.end() == pos:
                syllables = [re.escape(word)]
                break
            syllables.append(re.escape(m.group(0)))
            pos = m.end()
        pieces.extend(syllables)
    return sep.join(p for p in pieces if p)


@lru_cache(maxsize=1)
def _lexicon() -> _Lexicon:
    from tools.sandbox import gov_data, travel_data

    latin: dict[str, str] = {}
    codes: dict[str, str] = {}
    cjk: dict[str, str] = {}
    for city in travel_data.CITIES:
        latin[city.name] = city.name
        cjk[city.name_zh] = city.name
        codes.update({code: city.name for code in (city.iata, city.city_telecode)})
        for point in (*city.airports, *city.stations):
            codes[point.code] = city.name
            if point in city.stations:
                cjk[point.name_zh] = city.name
                latin[point.name_en] = city.name
            else:
                short_zh = point.name_zh.removeprefix(city.name_zh).removesuffix("国际机场")
                short_en = point.name_en.removeprefix(city.name + " ").removesuffix(" International Airport")
                cjk[f"{short_zh}机场"] = city.name
                latin[f"{short_en} airport"] = city.name
    for gov_city in gov_data.CITIES:
        latin.setdefault(gov_city.name_en, gov_city.name_en)
        cjk.setdefault(gov_city.name_zh, gov_city.name_en)
    for name, _area in gov_data.OTHER_HUKOU:
        latin.setdefault(name, name)
    for nickname, city_name in CITY_NICKNAMES.items():
        (cjk if re.match(f"[{CJK}]", nickname) else latin)[nickname] = city_name

    def alternation(names: list[str], to_regex) -> str:  # type: ignore[no-untyped-def]
        return "|".join(to_regex(n) for n in sorted(names, key=len, reverse=True))

    by_key = {_key(n): c for n, c in {**latin, **cjk, **codes}.items()}
    travel_cities = frozenset(c.name for c in travel_data.CITIES)
    fuzzy = {c.name.lower().replace("'", ""): c.name for c in travel_data.CITIES}
    return _Lexicon(
        latin=re.compile(rf"(?<![a-z0-9])(?:{alternation(list(latin), _flexible)})(?![a-z0-9])", re.IGNORECASE),
        codes=re.compile(rf"\b(?:{alternation(list(codes), re.escape)})\b"),
        cjk=re.compile(rf"(?:{alternation(list(cjk), re.escape)})(?:市|站)?"),
        by_key=by_key, travel_cities=travel_cities, fuzzy_names=fuzzy)


def canonical_city(value: str) -> str | None:
    """The canonical name of a city written any accepted way ("西安", "xian", "XIY", "魔都"), or None."""
    lex = _lexicon()
    key = _key(value).removesuffix("市").removesuffix("站")
    if key in lex.by_key:
        return lex.by_key[key]
    found = find_cities(value.strip())
    return found[0].city if len(found) == 1 else None


def is_travel_city(name: str) -> bool:
    return name in _lexicon().travel_cities


_ORIGIN_BEFORE = re.compile(r"(?:\bfrom|\bleaving(?:\s+from)?|\bleave|\bdepart(?:ing)?(?:\s+from)?|\bout\s+of|"
                            r"\bbetween|从|由|自)\s*$")
_DEST_BEFORE = re.compile(r"(?:\bto|\binto|\btowards?|\bfor|\barriv(?:e|ing)\s+in|->|→|=>|—|–|-|"
                          r"到|去|飞|至|往|前往|飞往|抵达|回|来|直达)\s*$")
_PLACE_BEFORE = re.compile(r"(?:\bin|\bat|\bnear|\bstay\s+in|在|住在)\s*$")
_ORIGIN_AFTER = re.compile(r"^\s*(?:出发|始发|发车|起飞|走)")
_PLACE_AFTER = re.compile(r"^\s*(?:的)?(?:酒店|宾馆|住|hotel)")


def _role(text: str, start: int, end: int, previous: CityMention | None) -> CityRole | None:
    before = text[max(0, start - 14):start].lower()
    after = text[end:end + 6].lower()
    if _ORIGIN_BEFORE.search(before) or _ORIGIN_AFTER.search(after):
        return "origin"
    if previous is not None and re.search(r"\band\s*$", before) and previous.role == "origin":
        return "destination"
    if _DEST_BEFORE.search(before):
        return "destination"
    if _PLACE_BEFORE.search(before) or _PLACE_AFTER.search(after):
        return "place"
    return None


def find_cities(text: str) -> list[CityMention]:
    """Every city named in ``text`` (normalised), in order, with the role its context gives it."""
    lex = _lexicon()
    spans: list[tuple[int, int, str]] = []
    for pattern, lower in ((lex.cjk, False), (lex.latin, True), (lex.codes, False)):
        for m in pattern.finditer(text):
            if any(s < m.end() and m.start() < e for s, e, _ in spans):
                continue
            name = lex.by_key.get(_key(m.group(0)).removesuffix("市").removesuffix("站"))
            if name is None and lower:
                name = lex.by_key.get(_key(m.group(0)))
            if name:
                spans.append((m.start(), m.end(), name))
    for token in latin_tokens(text):
        if len(token.text) < 5 or token.text in STOP_EN or any(s <= token.start < e for s, e, _ in spans):
            continue
        hit = process.extractOne(token.text.replace("'", ""), list(lex.fuzzy_names), scorer=fuzz.ratio,
                                 score_cutoff=85)
        if hit:
            spans.append((token.start, token.end, lex.fuzzy_names[hit[0]]))
    spans.sort()
    mentions: list[CityMention] = []
    for start, end, name in spans:
        mentions.append(CityMention(start, end, name, _role(text, start, end, mentions[-1] if mentions else None)))
    return mentions
