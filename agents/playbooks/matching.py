"""Matching what a person calls something ("my hotel in Shanghai", "那双跑鞋", "BK-000002",
"the second one") against records from a service (bookings, orders, applications) and
against the options of a question.

Ids are matched exactly against every text field of a record. Words are matched against
all of a record's text: English words as whole words (with a little typo tolerance),
Chinese by character pairs, so "跑鞋" finds "李宁赤兔7跑鞋" without a word segmenter. A
caller may add canonical terms for a phrase (the city "Shanghai" for "上海", the kind
"hotel" for "酒店") through ``expand``; terms found that way replace the Chinese run they
came from, because records often carry only the English form.
"""

from __future__ import annotations

import re
from typing import Any, Callable, Iterable, Sequence

from rapidfuzz import fuzz

ID_LIKE = re.compile(r"^[A-Za-z]{1,6}[-_]?[A-Za-z0-9]*\d[A-Za-z0-9-]*$")
WORD = re.compile(r"[a-z0-9][a-z0-9'+.-]*")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]+")
STOP_WORDS = frozenset("""
a an the my our your me i we it its this that these those one ones to for of in on at from with by and or
please order orders booking bookings reservation reservations ticket tickets application applications
appointment item items thing things which what where is are was were be status cancel return check show
bought booked ordered made placed last latest recent new old mine get got want need can could would
""".split())
CJK_STOP = frozenset("我的了那这个把帮订买要想请吗呢一下")
KIND_WORDS = {"酒店": "hotel", "宾馆": "hotel", "住宿": "hotel", "火车": "train", "高铁": "train",
              "动车": "train", "车票": "train", "机票": "flight", "航班": "flight", "飞机": "flight"}

Expand = Callable[[str], Iterable[str]]


def _leaves(value: Any, depth: int = 0) -> Iterable[str]:
    if depth > 4:
        return
    if isinstance(value, dict):
        for v in value.values():
            yield from _leaves(v, depth + 1)
    elif isinstance(value, list):
        for v in value:
            yield from _leaves(v, depth + 1)
    elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
        yield str(value)


def _terms(ref: str, expand: Expand | None) -> list[str]:
    """The words of a reference worth matching, lower-case."""
    text = ref.lower()
    terms = [w for w in WORD.findall(text) if w not in STOP_WORDS and len(w) > 1]
    extra = [t.lower() for t in (expand(ref) if expand else [])]
    extra += [kind for word, kind in KIND_WORDS.items() if word in ref]
    if not extra:  # canonical terms stand in for the Chinese they came from
        terms += CJK_RUN.findall(ref)
    return list(dict.fromkeys(terms + extra))


def _found(term: str, blob: str) -> bool:
    if CJK_RUN.fullmatch(term):
        pairs = {term[i:i + 2] for i in range(len(term) - 1)} or {term}
        return any(p in blob for p in pairs if not set(p) <= CJK_STOP)
    if re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", blob):
        return True
    return len(term) >= 5 and fuzz.partial_ratio(term, blob) >= 88


class ReferenceMatcher:
    """Scores how well a reference names a record: 1.0 for an id or every word found, 0 for none."""

    def __init__(self, expand: Expand | None = None) -> None:
        self.expand = expand

    def __call__(self, record: Any, ref: Any) -> float:
        text = str(ref).strip()
        if not text:
            return 1.0
        leaves = list(_leaves(record))
        if ID_LIKE.match(text):
            return 1.0 if any(leaf.lower() == text.lower() for leaf in leaves) else 0.0
        terms = _terms(text, self.expand)
        if not terms:
            return 1.0  # "my last order": nothing that tells records apart
        blob = " ".join(leaves).lower()
        score = sum(_found(t, blob) for t in terms) / len(terms)
        return score if score >= 0.5 else 0.0


def match_option(answer: str, options: Sequence[tuple[str, str]], ordinal: int | None = None) -> str | None:
    """The value of the option ``answer`` picks: by value ("BK-000002"), by position
    (``ordinal``, or a bare number), or by the label it resembles most (unambiguously)."""
    text = answer.strip()
    lowered = text.lower()
    if not text or not options:
        return None
    by_value = [v for _, v in options if re.search(rf"(?<![\w-]){re.escape(v.lower())}(?![\w-])", lowered)]
    if len(by_value) == 1:
        return by_value[0]
    if ordinal is None and re.fullmatch(r"\d{1,2}", text):
        ordinal = int(text)
    if ordinal is not None and 1 <= ordinal <= len(options):
        return options[ordinal - 1][1]
    scores = sorted(((fuzz.WRatio(lowered, label.lower()), value) for label, value in options), reverse=True)
    best = scores[0]
    runner_up = scores[1][0] if len(scores) > 1 else 0
    if best[0] >= 70 and best[0] - runner_up >= 8:
        return best[1]
    return None
