"""Text primitives shared by every extractor: normalisation, language, numerals, tokens.

Requests arrive in English, Simplified Chinese or a mix of both, typed on phones with
full-width punctuation and digits. Everything downstream works on one normalised form
(NFKC: full-width "１２" and "，" become "12" and ","), so that one pattern serves both
keyboards. Spans reported by extractors always index into this normalised text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Literal

CJK = "\u4e00-\u9fff"
CJK_RE = re.compile(f"[{CJK}]")
LATIN_WORD_RE = re.compile(r"[A-Za-z]+")

# Chinese numerals as people type them: 两/俩/仨 are everyday forms of 2/3.
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "俩": 2, "三": 3, "仨": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000, "万": 10000}
CN_NUM_CHARS = "".join(_CN_DIGITS) + "".join(_CN_UNITS)
# A number as written in either language: 12, 1.5, 十二, 两千 (a unit suffix k/千/万 is read by callers).
NUM = rf"(?:\d+(?:\.\d+)?|[{CN_NUM_CHARS}]+)"

EN_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "single": 1, "two": 2, "couple": 2, "pair": 2, "three": 3, "four": 4,
    "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12,
    "dozen": 12, "fifteen": 15, "twenty": 20, "thirty": 30,
}
EN_NUMBER = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a couple of|a dozen)"

Language = Literal["en", "zh"]


def normalise(text: str) -> str:
    """NFKC-fold the text (full-width digits, letters and punctuation to ASCII) and trim it.

    A space is put between Chinese characters and Latin letters ("帮我book一张" → "帮我 book 一张")
    so that English words in mixed requests have the word boundaries English patterns expect.
    """
    text = unicodedata.normalize("NFKC", text).strip()
    return re.sub(f"(?<=[{CJK}])(?=[A-Za-z])|(?<=[A-Za-z])(?=[{CJK}])", " ", text)


def language_of(text: str) -> Language:
    """"zh" when Chinese characters outweigh Latin words, else "en".

    Counting characters against words weighs a mixed request the way a reader would:
    "帮我book一张去上海的train" is Chinese, "book a train to 上海" is English.
    """
    cjk = len(CJK_RE.findall(text))
    words = len(LATIN_WORD_RE.findall(text))
    return "zh" if cjk and cjk >= words else "en"


def cn_number(token: str) -> int | None:
    """Value of a Chinese numeral ("十二" → 12, "两千" → 2000, "一万五" → 15000), or None.

    Arabic digits pass through, so callers need not care which script a number used.
    """
    token = token.strip()
    if not token:
        return None
    if token.isdigit():
        return int(token)
    total, section, digit = 0, 0, None
    last_unit = 1
    for ch in token:
        if ch in _CN_DIGITS:
            digit = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            unit = _CN_UNITS[ch]
            if unit == 10000:
                total += (section + (digit or 0)) * unit
                section, digit = 0, None
            else:
                section += (1 if digit is None else digit) * unit
                digit = None
            last_unit = unit
        else:
            return None
    if digit is not None:
        # "一万五" and "两千五" mean 15000 and 2500: a trailing digit counts in tenths of the last unit.
        trailing = digit * (last_unit // 10) if last_unit >= 100 and len(token) > 1 and token[-2] in _CN_UNITS else digit
        section += trailing
    return total + section


def number_value(token: str) -> Decimal | None:
    """A number in any script as a Decimal ("1.5" → 1.5, "十二" → 12, "two" → 2)."""
    token = token.strip().lower().replace(",", "")
    if not token:
        return None
    if token in EN_NUMBER_WORDS:
        return Decimal(EN_NUMBER_WORDS[token])
    if token.startswith("a couple"):
        return Decimal(2)
    if token.startswith("a dozen"):
        return Decimal(12)
    try:
        return Decimal(token)
    except InvalidOperation:
        value = cn_number(token)
        return None if value is None else Decimal(value)


def decimal_string(value: Decimal) -> str:
    """The contract's decimal form: no exponent, no trailing zeros ("500", "1299.5", "4.5")."""
    text = format(value.normalize(), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


@dataclass(frozen=True)
class Token:
    """A word of the request with its span in the normalised text."""

    text: str
    start: int
    end: int

    @property
    def is_cjk(self) -> bool:
        return bool(CJK_RE.match(self.text))


_LATIN_TOKEN = re.compile(r"[a-z0-9][a-z0-9'’\-]*[a-z0-9]|[a-z0-9]", re.IGNORECASE)


def latin_tokens(text: str, offset: int = 0) -> list[Token]:
    """Latin words and numbers ("wh-1000xm5", "xi'an", "9") with their spans."""
    return [Token(m.group(0).lower(), m.start() + offset, m.end() + offset) for m in _LATIN_TOKEN.finditer(text)]


def join_tokens(words: list[str]) -> str:
    """Join words the way each script writes them: spaces between Latin words, none around Chinese."""
    out = ""
    for word in words:
        if out and not CJK_RE.match(word[0]) and not CJK_RE.match(out[-1]):
            out += " "
        out += word
    return out
