"""Text in tool output that reads like instructions to the agent (prompt injection), English and Chinese.

Tool output is data written by third parties (sellers, reviewers, hotel owners). Text in it
that tries to steer the agent is *flagged*, never obeyed: the flag becomes a signal the
rules can use and the approval shows. The detector looks for the moves injections make:

- **strong** kinds, each enough on its own: overriding the agent's instructions
  ("ignore previous instructions", "忽略之前的指令"), addressing the assistant with orders,
  directing money somewhere ("transfer 500 yuan to account …", "请立即转账到…"), and asking
  for codes or passwords;
- **weak** kinds, flagged only together (two different weak kinds in one text): urgency
  pressure ("act now or your account will be frozen", "立即…否则冻结"), links to domains the
  policy does not know, and talk of the assistant.

Legitimate service text uses some of the same words ("transfer your household
registration", "instructions were unclear"); the patterns need the *shape* of an
instruction — a verb aimed at the agent's rules, money aimed at an account — so that
ordinary catalogue text is not flagged (the test suite scans every sandbox text).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Iterable, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel

Strength = Literal["strong", "weak"]


class Finding(BaseModel):
    """One suspicious passage: what kind, how strong, where, and the words themselves."""

    kind: str
    strength: Strength
    lang: Literal["en", "zh"]
    excerpt: str
    source: str = ""
    domain: str | None = None


@dataclass(frozen=True)
class _Pattern:
    kind: str
    strength: Strength
    lang: Literal["en", "zh"]
    regex: re.Pattern[str]


def _en(kind: str, strength: Strength, pattern: str) -> _Pattern:
    return _Pattern(kind, strength, "en", re.compile(pattern, re.IGNORECASE))


def _zh(kind: str, strength: Strength, pattern: str) -> _Pattern:
    return _Pattern(kind, strength, "zh", re.compile(pattern))


_RULES_WORDS = r"(instructions?|prompts?|rules|directions|guidelines|directives|system message|polic(y|ies))"
_MONEY_WORDS = r"(money|funds|payments?|deposits?|fees?|balance|\$|¥|￥|usd|cny|rmb|yuan|dollars|\d[\d,.]*)"
_ACCOUNT_WORDS = r"(account|wallet|card|iban|alipay|wechat|bank|merchant|seller|this|the following|us\b|me\b)"
_ZH_ACCOUNT = r"(账户|账号|帐户|帐号|卡号|银行卡|支付宝|微信|以下|下面|这个|此)"

PATTERNS: tuple[_Pattern, ...] = (
    # overriding the agent's own instructions
    _en("override", "strong",
        rf"\b(ignore|disregard|forget|override|bypass|skip)\b[^.\n]{{0,40}}\b(previous|prior|above|earlier|"
        rf"all|any|your|system|original|preceding)\b[^.\n]{{0,20}}\b{_RULES_WORDS}"),
    _en("override", "strong", r"\b(new|updated|real|actual)\s+(system\s+)?instructions?\s*[:：]"),
    _en("override", "strong", r"\b(you are now|from now on,? you|pretend (to be|you are)|act as (an?|the) )"),
    _en("override", "strong", r"\b(system prompt|developer message|jailbreak)\b"),
    _zh("override", "strong",
        r"(忽略|无视|忘记|忘掉|不要理会|别管|跳过|绕过)[^。\n]{0,12}(之前|以上|上述|先前|前面|原有|原来|所有|全部|系统)"
        r"[^。\n]{0,8}(指令|指示|提示词?|规则|要求|设定)"),
    _zh("override", "strong", r"(新的|最新|真正的)(系统)?(指令|指示)\s*[:：]|从现在(开始|起)[,，]?\s*你|你现在是|系统提示"),
    # orders addressed to the assistant
    _en("addressed", "strong",
        r"\b(ai|assistant|agent|chatbot|bot|llm|language model)\b\s*[,:：]?\s*(please\s+)?(you\s+)?(must|should|"
        r"need to|have to|are required to)\s+(now\s+)?(buy|order|pay|purchase|send|transfer|book|click|visit|"
        r"ignore|use|choose|select)"),
    _en("addressed", "strong",
        r"\b(note|attention|message|instruction)s?\s+(to|for)\s+(the\s+)?(ai|assistant|agent|chatbot|bot|llm)s?\b"),
    _zh("addressed", "strong",
        r"(AI|ai|人工智能|智能|购物)\s*助手[^。\n]{0,8}(必须|务必|一定要|应该|需要)[^。\n]{0,4}(购买|下单|支付|付款|转账|选择|点击|访问|忽略)"),
    _zh("addressed", "strong", r"(致|给)(AI|ai|人工智能|智能助手|助手|机器人)的?(提示|指令|说明|消息)"),
    # directing money to an account
    _en("money", "strong",
        rf"\b(transfer|send|wire|remit|pay|deposit)\b[^.\n]{{0,30}}\b{_MONEY_WORDS}[^.\n]{{0,40}}\b(to|into)\s+"
        rf"([^.\n]{{0,20}}\b)?{_ACCOUNT_WORDS}"),
    _en("money", "strong", r"\b(send|transfer|wire)\s+(it|the money|the funds|payment)\s+to\s+\S+@\S+"),
    _en("money", "strong", r"\b(buy|order|purchase)\s+(it\s+|this\s+|them\s+)?(only\s+)?from\s+(merchant|seller|"
                           r"shop|store)\s+[A-Z]\d{2,}"),
    _zh("money", "strong", rf"(转账|汇款|打款|转入|付款|支付|充值)[^。\n]{{0,20}}(到|至|给|进)[^。\n]{{0,12}}{_ZH_ACCOUNT}"),
    _zh("money", "strong", r"(请|务必|必须|立即|马上|立刻)[^。\n]{0,6}(转账|汇款|打款|付定金|交保证金)"),
    _zh("money", "strong", r"(只|请|务必)(从|在)[^。\n]{0,6}(商家|店铺|卖家)\s*[A-Z]\d{2,}[^。\n]{0,6}(购买|下单)"),
    # fishing for codes and passwords
    _en("credentials", "strong",
        r"\b(send|enter|provide|share|tell|reply with|give|type)\b[^.\n]{0,30}\b(password|passcode|verification "
        r"code|one[- ]time (pass)?code|otp|pin( code)?|cvv|security code|sms code)\b"),
    _zh("credentials", "strong", r"(发送|提供|告诉|输入|回复|填写|报)[^。\n]{0,10}(验证码|支付密码|登录密码|密码|CVV|安全码)"),
    # pressure (weak)
    _en("urgency", "weak",
        r"\b(urgent(ly)?|immediately|right now|act now|asap|last chance|final (notice|warning)|within \d+ "
        r"(minutes?|hours?)|expires? (today|tonight|soon)|(account|order|card) (will be|has been) (suspended|"
        r"frozen|locked|closed|cancelled))\b"),
    _zh("urgency", "weak", r"(紧急|十万火急|立即|立刻|马上|火速|最后机会|否则[^。\n]{0,10}(冻结|封号|关闭|注销|作废|取消)|"
                           r"(账户|账号)[^。\n]{0,6}(冻结|异常|封禁))"),
    # talk of the assistant (weak)
    _en("assistant", "weak", r"\b(ai assistant|language model|chatgpt|as an ai|dear (ai|assistant|agent)|"
                             r"shopping (assistant|agent))\b"),
    _zh("assistant", "weak", r"(AI助手|智能助手|人工智能助手|大模型|语言模型|购物助手)"),
)

_URL = re.compile(r"(?:https?://|www\.)[^\s'\"<>()（）【】\[\]，。]+", re.IGNORECASE)
_EXCERPT = 40


def _excerpt(text: str, start: int, end: int) -> str:
    left, right = max(0, start - _EXCERPT), min(len(text), end + _EXCERPT)
    return ("…" if left else "") + text[left:right].replace("\n", " ") + ("…" if right < len(text) else "")


def _domain(url: str) -> str:
    url = url if "://" in url else "http://" + url
    return (urlsplit(url).hostname or "").lower().rstrip(".")


def known_domain(domain: str, known: Iterable[str]) -> bool:
    """``shop.example.cn`` is known if ``example.cn`` (or itself) is listed."""
    return any(domain == k or domain.endswith("." + k) for k in known)


@lru_cache(maxsize=4096)
def _scan_cached(text: str) -> tuple[Finding, ...]:
    found: list[Finding] = []
    seen: set[tuple[str, int]] = set()
    for pattern in PATTERNS:
        for match in pattern.regex.finditer(text):
            key = (pattern.kind, match.start())
            if key in seen:
                continue
            seen.add(key)
            found.append(Finding(kind=pattern.kind, strength=pattern.strength, lang=pattern.lang,
                                 excerpt=_excerpt(text, match.start(), match.end())))
    for match in _URL.finditer(text):
        found.append(Finding(kind="url", strength="weak", lang="en", domain=_domain(match.group()),
                             excerpt=_excerpt(text, match.start(), match.end())))
    return tuple(found)


def scan(text: str, source: str = "") -> list[Finding]:
    """Every suspicious passage in ``text`` (raw: links are judged against known domains later)."""
    if len(text) < 8:
        return []
    return [f.model_copy(update={"source": source}) for f in _scan_cached(text)]


def flagged(findings: Iterable[Finding], known_domains: Iterable[str] = ()) -> list[Finding]:
    """The findings that amount to an injection flag, per text source.

    A source is flagged by any strong finding, or by two different weak kinds (a link to an
    unknown domain plus urgency is the classic phishing shape). Links to known domains are
    not findings at all.
    """
    known = tuple(known_domains)
    by_source: dict[str, list[Finding]] = {}
    for f in findings:
        if f.kind == "url" and f.domain and known_domain(f.domain, known):
            continue
        by_source.setdefault(f.source, []).append(f)
    out: list[Finding] = []
    for items in by_source.values():
        strong = [f for f in items if f.strength == "strong"]
        weak_kinds = {f.kind for f in items if f.strength == "weak"}
        if strong:
            out.extend(strong)
            out.extend(f for f in items if f.strength == "weak")
        elif len(weak_kinds) >= 2:
            out.extend(items)
    return out
