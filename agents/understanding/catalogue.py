"""The sandbox catalogues as vocabularies to match requests against, fuzzily and in both languages.

Everything here is built once, on first use, from ``tools.sandbox.shop_data`` (products,
categories, merchants) and ``tools.sandbox.gov_data`` (services, life events): nothing is
copied, so a catalogue change is picked up without touching this module.

Matching works on words. English words are compared by stem and, for typos, by edit
similarity (rapidfuzz); Chinese is segmented with jieba, whose dictionary is taught the
catalogue's own terms, and Chinese words match as substrings of the catalogue's Chinese
names. A generic noun lexicon bridges the two languages, so "Huawei phone" finds the
product whose name says "华为手机".
"""

from __future__ import annotations

import logging
import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Iterable

import jieba
from rapidfuzz import fuzz, process

from agents.understanding.lexicon import (
    AUDIENCE_WORDS,
    CATEGORY_ALIASES,
    CATEGORY_FILLERS,
    LIFE_EVENT_WORDS,
    MERCHANT_ALIASES,
    PRODUCT_NOUNS,
    STOP_EN,
    STOP_ZH,
)
from agents.understanding.text import CJK, CJK_RE, Token, latin_tokens

_SUFFIXES = ("ments", "ment", "ations", "ation", "ings", "ing", "ers", "er", "als", "al", "ies", "es", "s", "ed", "e")


def stem(word: str) -> str:
    """A crude English stem, enough to equate "renewal"/"renew", "boxes"/"box", "registry"/"register"."""
    word = word.lower().strip("'’")
    for suffix in _SUFFIXES:
        if len(word) - len(suffix) >= 3 and word.endswith(suffix):
            word = word[: -len(suffix)]
            break
    return word.rstrip("y") if len(word) > 4 else word


def same_word(a: str, b: str) -> bool:
    """Whether two English words are the same word, allowing inflection and a typo."""
    if a == b:
        return True
    if a.isdigit() or b.isdigit():
        return False
    sa, sb = stem(a), stem(b)
    if sa == sb or (min(len(sa), len(sb)) >= 5 and sa[:5] == sb[:5]):
        return True
    return min(len(a), len(b)) >= 5 and fuzz.ratio(a, b) >= 88


@dataclass(frozen=True)
class Product:
    id: str
    category: str
    brand: str
    name: str
    words: frozenset[str]  # English words of the name and brand, plus English names of its Chinese nouns
    zh: str  # the Chinese part of the name plus Chinese names of its English nouns


@dataclass(frozen=True)
class Phrase:
    """A name or keyword of a service or life event, as the words that must be found."""

    owner: str
    words: tuple[str, ...]  # English stems or Chinese words
    weight: float


class Catalogue:
    """Lazily built vocabularies and matchers over the sandbox catalogues."""

    def __init__(self) -> None:
        from tools.sandbox import gov_data, shop_data
        from tools.sandbox.shop import parse_catalogue

        self.products = [self._product(f"P{i:04d}", item.category, item.brand, item.name)
                         for i, item in enumerate(parse_catalogue(), start=1)]
        self.noun_zh = {zh for zhs in PRODUCT_NOUNS.values() for zh in zhs} | {
            w for w in AUDIENCE_WORDS if CJK_RE.search(w)}
        self.brand_words = {w for p in self.products for w in _words(p.brand)}
        self.line_words = {t.lower() for p in self.products for t in re.findall(r"[A-Za-z0-9][\w\-]*", p.name)
                           if re.search(r"\d", t) or re.search(r"[a-z][A-Z]|^[A-Z]{2,}", t)}
        self.df = Counter(w for p in self.products for w in p.words)
        self._word_products: dict[str, list[str]] = {}
        self._by_stem: dict[str, list[str]] = {}
        self._by_prefix: dict[str, list[str]] = {}
        for product in self.products:
            for w in product.words:
                self._word_products.setdefault(w, []).append(product.id)
        for w in self.df:
            if w.isalpha():
                self._by_stem.setdefault(stem(w), []).append(w)
                if len(stem(w)) >= 5:
                    self._by_prefix.setdefault(stem(w)[:5], []).append(w)
        self._long_words = [w for w in self.df if w.isalpha() and len(w) >= 5]
        self.vocab: set[str] = {w for w in self.df if w.isalpha() and len(w) >= 3}
        self.vocab |= {w for noun in PRODUCT_NOUNS for w in noun.split()}
        self.vocab |= {w for aliases in CATEGORY_ALIASES.values() for a in aliases for w in a.split() if w.isascii()}
        self._vocab_list = sorted(self.vocab)
        self._vocab_stems = {stem(w) for w in self.vocab}
        self.known_words = frozenset(self.vocab | STOP_EN)  # words a spelling fix must leave alone
        self.categories = {c.id for c in shop_data.CATEGORIES}
        self.category_alias = {a: cid for cid, aliases in CATEGORY_ALIASES.items() for a in aliases}
        for category in shop_data.CATEGORIES:
            self.category_alias.setdefault(category.name.lower(), category.id)
            self.category_alias.setdefault(category.name_zh, category.id)
        unknown = set(CATEGORY_ALIASES) - self.categories
        if unknown:
            raise ValueError(f"lexicon.CATEGORY_ALIASES names unknown categories: {sorted(unknown)}")
        self.merchants = self._merchant_aliases(shop_data.MERCHANTS)
        self.services = {s.id: s for s in gov_data.SERVICES}
        self.life_events = {e.id: e for e in gov_data.LIFE_EVENTS}
        self.tokenizer = self._tokenizer()
        self.service_phrases = self._phrases([(s.id, (s.name_en, s.name_zh), s.keywords) for s in gov_data.SERVICES])
        unknown_events = set(LIFE_EVENT_WORDS) - set(self.life_events)
        if unknown_events:
            raise ValueError(f"lexicon.LIFE_EVENT_WORDS names unknown life events: {sorted(unknown_events)}")
        self.event_phrases = self._phrases([
            (e.id, (e.name_en, e.name_zh), (*e.keywords, *LIFE_EVENT_WORDS.get(e.id, ()))) for e in gov_data.LIFE_EVENTS])
        self.service_idf = self._idf(self.service_phrases)

    # -- building -----------------------------------------------------------------------

    @staticmethod
    def _product(pid: str, category: str, brand: str, name: str) -> Product:
        zh = "".join(re.findall(f"[{CJK}][{CJK}0-9]*", name))
        en = " ".join(re.findall(r"[A-Za-z0-9][A-Za-z0-9'\-.+]*", name)).lower()
        words = set(_words(en)) | set(_words(brand))
        extra_zh = []
        for noun, zhs in PRODUCT_NOUNS.items():
            if any(z in zh for z in zhs):
                words.update(noun.split())
            if re.search(rf"\b{re.escape(noun)}\b", en):
                extra_zh.extend(zhs)
        return Product(pid, category, brand, name, frozenset(words), zh + " " + " ".join(extra_zh))

    def _merchant_aliases(self, merchants: tuple[Any, ...]) -> list[tuple[str, str]]:
        known = {m.id for m in merchants}
        unknown = set(MERCHANT_ALIASES) - known
        if unknown:
            raise ValueError(f"lexicon.MERCHANT_ALIASES names unknown merchants: {sorted(unknown)}")
        pairs: list[tuple[str, str]] = []
        for merchant in merchants:
            zh = "".join(re.findall(f"[{CJK}]+", merchant.name))
            en = re.sub(f"[{CJK}]+", "", merchant.name).strip().lower()
            for alias in (zh, en, *MERCHANT_ALIASES.get(merchant.id, ())):
                if alias:
                    pairs.append((alias.lower(), merchant.id))
        return sorted(pairs, key=lambda p: -len(p[0]))

    def _tokenizer(self) -> jieba.Tokenizer:
        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        terms = set(self.noun_zh) | {a for a in self.category_alias if CJK_RE.search(a)}
        terms |= {w for w in STOP_ZH if len(w) > 1}
        terms |= {alias for alias, _ in self.merchants if CJK_RE.search(alias)}
        for product in self.products:
            terms.update(re.findall(f"[{CJK}]{{2,}}", product.zh.split(" ")[0]))
        for holder in (*self.services.values(), *self.life_events.values()):
            terms.update(k for k in holder.keywords if CJK_RE.search(k))
        terms.update(w for words in LIFE_EVENT_WORDS.values() for w in words if CJK_RE.search(w))
        for term in terms:
            tokenizer.add_word(term, freq=2000)
        return tokenizer

    def _phrases(self, owners: list[tuple[str, tuple[str, str], tuple[str, ...]]]) -> list[Phrase]:
        """Names and keywords as word lists, each word weighted by how rare it is among owners."""
        raw: list[tuple[str, tuple[str, ...], float]] = []
        for owner, names, keywords in owners:
            for text in (*names, *keywords):
                qualifier = re.findall(r"[(（]([^)）]*)[)）]", text)
                for part in re.split(r"[()（）,，、]| and ", text):
                    variants = {self.phrase_words(part), self.phrase_words(part, split=True)}
                    for words in list(variants):
                        if CJK_RE.search(part) and len(words) >= 3:
                            # Long Chinese names are said in part: "护照换发" of "普通护照换发".
                            variants |= {words[i:i + 2] for i in range(len(words) - 1)}
                    # Keywords are what people say; a bracketed qualifier ("（新生儿）") only narrows a name.
                    factor = 1.2 if text in keywords else 0.6 if part in qualifier else 1.0
                    for words in variants:
                        if words:
                            raw.append((owner, words, factor))
        df = Counter(w for owner in {o for o, _, _ in raw}
                     for w in {w for o, ws, _ in raw if o == owner for w in ws})
        total = len({o for o, _, _ in raw})
        # A Chinese word counts for about one English word per two characters ("换驾照" > "驾照").
        idf = {w: math.log(1 + total / n) * (max(1.0, len(w) / 2) if CJK_RE.search(w) else 1.0)
               for w, n in df.items()}
        return [Phrase(owner, words, sum(idf[w] for w in words) * factor) for owner, words, factor in raw]

    def phrases(self, owners: Iterable[tuple[str, tuple[str, str], tuple[str, ...]]]) -> list[Phrase]:
        """Weighted phrases for other owners — ``(id, (name_en, name_zh), keywords)``, such as the
        concierge's life-event bundles — to rank a text against with :meth:`rank`, weighted
        among those owners exactly as the catalogue's own services and life events are."""
        return self._phrases(list(owners))

    @staticmethod
    def _idf(phrases: list[Phrase]) -> dict[str, float]:
        """How rare each word is among the owners of the phrases (1/number of owners using it)."""
        owners: dict[str, set[str]] = {}
        for phrase in phrases:
            for word in phrase.words:
                owners.setdefault(word, set()).add(phrase.owner)
        return {w: 1 / len(o) for w, o in owners.items()}

    def phrase_words(self, text: str, split: bool = False) -> tuple[str, ...]:
        """Content words of a name: English stems without function words; Chinese words (≥2 chars).

        With ``split`` a Chinese term is cut with jieba's own dictionary ("登记结婚" → 登记, 结婚), so
        that it also matches when a request says its parts in another order ("结婚登记").
        """
        out: list[str] = []
        tokens = self.tokens(text) if not split else [
            Token(w, s, e) for w, s, e in jieba.dt.tokenize(text)] if CJK_RE.search(text) else []
        for token in tokens:
            if token.is_cjk:
                if len(token.text) >= 2 and token.text not in STOP_ZH:
                    out.append(token.text)
            elif token.text not in _NAME_STOP and not token.text.isdigit():
                out.append(stem(token.text))
        return tuple(out)

    # -- tokens -------------------------------------------------------------------------

    def tokens(self, text: str) -> list[Token]:
        """Words of ``text``: jieba words for Chinese runs, Latin words and numbers otherwise."""
        out: list[Token] = []
        for m in re.finditer(f"[{CJK}]+|[^{CJK}]+", text):
            if CJK_RE.match(m.group(0)):
                out.extend(Token(w, m.start() + s, m.start() + e) for w, s, e in self.tokenizer.tokenize(m.group(0)))
            else:
                out.extend(latin_tokens(m.group(0), m.start()))
        return out

    # -- shop ---------------------------------------------------------------------------

    def correct(self, word: str) -> str:
        """A misspelt English word replaced by the catalogue word it most resembles ("headphnes")."""
        if len(word) < 4 or not word.isalpha() or word in self.vocab or word in STOP_EN:
            return word
        if stem(word) in self._vocab_stems:
            return word
        hit = process.extractOne(word, self._vocab_list, scorer=fuzz.ratio, score_cutoff=82)
        # A typo drops, doubles or swaps letters; a shorter "correction" of a short word is
        # usually another word ("flight" is not a misspelt "light").
        if hit and (len(hit[0]) >= len(word) or (len(word) >= 7 and len(word) - len(hit[0]) == 1)):
            return hit[0]
        return word

    def weight(self, word: str) -> float:
        """How strongly a word speaks of a product: 2 for product nouns and brands, 1 for name words."""
        if word in AUDIENCE_WORDS:
            return 0.5
        if CJK_RE.search(word):
            if word in self.noun_zh or any(word in z for z in self.noun_zh if len(word) >= 2):
                return 2.0
            return 1.0 if len(word) >= 2 and any(word in p.zh for p in self.products) else 0.0
        if word in PRODUCT_NOUNS or word in self.brand_words or word in self.line_words:
            return 2.0
        if stem(word) in {stem(n) for n in PRODUCT_NOUNS if " " not in n}:
            return 2.0
        return 1.0 if word in self.df else 0.0

    def in_product_name(self, text: str) -> bool:
        """Whether a Chinese snippet is part of a product name ("三只松鼠" is a brand, not 3 squirrels)."""
        return bool(CJK_RE.search(text)) and any(text in p.zh for p in self.products)

    def _holders(self, word: str) -> frozenset[str]:
        """Ids of the products whose name has ``word`` (inflected or misspelt)."""
        if CJK_RE.search(word):
            return frozenset(p.id for p in self.products if word in p.zh)
        if word.isdigit() or not word.isalpha():
            same = {word} if word in self.df else set()
        else:
            base = stem(word)
            same = set(self._by_stem.get(base, ())) | (set(self._by_prefix.get(base[:5], ())) if len(base) >= 5 else set())
            if len(word) >= 5:
                same |= {hit[0] for hit in process.extract(word, self._long_words, scorer=fuzz.ratio,
                                                            score_cutoff=88, limit=None)}
        return frozenset(pid for w in same for pid in self._word_products.get(w, ()))

    def match_product(self, words: list[str]) -> str | None:
        """The one product a phrase names by brand or model ("xiaomi mi band 9", "飞鹤奶粉"), or None."""
        words = [w for w in words if w not in CATEGORY_FILLERS]
        if not words:
            return None
        ids = frozenset.intersection(*(self._holders(w) for w in words))
        candidates = [p for p in self.products if p.id in ids]
        if not candidates or not self._distinctive(words, candidates):
            return None
        if len(candidates) == 1:
            return candidates[0].id
        extra = {p.id: len({w for w in p.words if not any(same_word(w, x) for x in words)} - self.brand_words)
                 for p in candidates}
        best = min(extra.values())
        winners = [pid for pid, n in extra.items() if n == best]
        return winners[0] if len(winners) == 1 else None

    def _distinctive(self, words: list[str], candidates: list[Product]) -> bool:
        """Whether the phrase names a brand or a model, not just a kind of product."""
        for word in words:
            if not CJK_RE.search(word) and (word in self.brand_words or word in self.line_words):
                return True
        zh = "".join(w for w in words if CJK_RE.search(w))
        for size in range(min(4, len(zh)), 1, -1):
            prefix = zh[:size]
            if any(n.startswith(prefix) or prefix.startswith(n) for n in self.noun_zh):
                break
            brands = {p.brand for p in self.products if p.zh.startswith(prefix)}
            if len(brands) == 1:
                return True
        return False

    def category(self, words: list[str]) -> str | None:
        """The category a phrase names when it is only a category name ("electronics", "母婴用品")."""
        core = [w for w in words if w not in CATEGORY_FILLERS]
        for joiner in (" ", ""):
            hit = self.category_alias.get(joiner.join(core))
            if hit:
                return hit
        return None

    def find_categories(self, text: str) -> list[tuple[int, int, str]]:
        """Category names said in the text, with spans (longest names first)."""
        low = text.lower()
        found: list[tuple[int, int, str]] = []
        tokens = self.tokens(low)
        starts, ends = {t.start for t in tokens}, {t.end for t in tokens}
        for alias in sorted(self.category_alias, key=len, reverse=True):
            pattern = re.escape(alias) if CJK_RE.search(alias) else rf"\b{re.escape(alias)}\b"
            for m in re.finditer(pattern, low):
                # A category name inside a word is not that category: "电器" in "充电器".
                if m.start() not in starts or m.end() not in ends:
                    continue
                if not any(s < m.end() and m.start() < e for s, e, _ in found):
                    found.append((m.start(), m.end(), self.category_alias[alias]))
        return sorted(found)

    def find_merchants(self, text: str) -> list[tuple[int, int, str]]:
        """Merchants named in the text. A name that starts a brand ("京东京造") is not the merchant."""
        low = text.lower()
        found: list[tuple[int, int, str]] = []
        brands = [b.lower() for b in {p.brand for p in self.products}] + [p.zh.split(" ")[0] for p in self.products]
        for alias, merchant_id in self.merchants:
            pattern = re.escape(alias) if CJK_RE.search(alias) else rf"(?<![a-z0-9]){re.escape(alias)}(?![a-z0-9])"
            for m in re.finditer(pattern, low):
                if any(s < m.end() and m.start() < e for s, e, _ in found):
                    continue
                if any(len(b) > len(alias) and b.startswith(alias) and low.startswith(b[: len(alias) + 2], m.start())
                       for b in brands):
                    continue
                found.append((m.start(), m.end(), merchant_id))
        return sorted(found)

    # -- gov ----------------------------------------------------------------------------

    def rank(self, phrases: list[Phrase], text: str) -> list[tuple[str, float]]:
        """Owners (services or life events) ranked by how much of their names the text says."""
        low = text.lower()
        words = [t.text for t in self.tokens(low) if not t.is_cjk]
        stems = {stem(w) for w in words}
        prefixes = {s[:5] for s in stems if len(s) >= 5}
        long_words = [w for w in words if len(w) >= 5]
        memo: dict[str, bool] = {}

        def said(word: str) -> bool:
            if word not in memo:
                if CJK_RE.search(word):
                    memo[word] = word in low
                else:
                    memo[word] = (word in stems or (len(word) >= 5 and word[:5] in prefixes)
                                  or (len(word) >= 5 and bool(long_words) and
                                      process.extractOne(word, long_words, scorer=fuzz.ratio, score_cutoff=88)
                                      is not None))
            return memo[word]

        scores: dict[str, list[float]] = {}
        for phrase in phrases:
            found = sum(1 for w in phrase.words if said(w))
            if not found:
                continue
            if found == len(phrase.words):
                score = phrase.weight
            elif len(phrase.words) >= 3 and found * 2 >= len(phrase.words):
                score = phrase.weight * found / len(phrase.words) * 0.5
            else:
                continue
            scores.setdefault(phrase.owner, []).append(score)
        ranked = [(owner, max(s) + 0.25 * (sum(s) - max(s))) for owner, s in scores.items()]
        return sorted(ranked, key=lambda r: -r[1])


_NAME_STOP = frozenset("a an the of for to in on and or with by from your my new first".split()) - {"new", "first"}


def _words(text: str) -> list[str]:
    return [t.text for t in latin_tokens(text)]


@lru_cache(maxsize=1)
def catalogue() -> Catalogue:
    """The shared catalogue, built on first use (about a second: jieba and the vocabularies)."""
    return Catalogue()
