"""Which errand a request asks for: weighted evidence, never a lookup of sentences.

Two kinds of evidence add up per intent:

* **cues**: words of action and object in either language ("cancel", "退货", "train", "酒店",
  "requirements", "进度"), each group adding weight to the intents it speaks for. An action
  word alone does not decide a domain ("cancel" fits an order and a booking); the object
  words and slots next to it do.
* **slots**: what :mod:`~agents.understanding.mentions` found ("ORD-000003" makes an order
  intent likely, a from/to pair of cities a journey, a catalogue product a shopping intent,
  a government service a government intent).

Out-of-scope requests have cues of their own (weather, jokes, medicine, stock tips, rides,
takeaway …) and are also the answer when no intent gathers enough evidence.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from agents.understanding.model import INTENTS, intent_domain

T_FLIGHT, T_TRAIN, T_HOTEL = "travel.book_flight", "travel.book_train", "travel.book_hotel"
T_ROUND, T_CANCEL, T_LIST = "travel.round_trip", "travel.cancel_booking", "travel.list_bookings"
S_SEARCH, S_BUY, S_CANCEL, S_RETURN, S_STATUS = ("shop.search_products", "shop.buy", "shop.cancel_order",
                                                 "shop.return_item", "shop.order_status")
G_EVENT, G_INFO, G_ELIG, G_APPT, G_SUBMIT, G_STATUS = ("gov.life_event", "gov.service_info", "gov.check_eligibility",
                                                       "gov.book_appointment", "gov.submit_application",
                                                       "gov.application_status")
OUT = "out_of_scope"
SHOP = (S_SEARCH, S_BUY, S_CANCEL, S_RETURN, S_STATUS)
GOV_SERVICE = (G_INFO, G_ELIG, G_APPT, G_SUBMIT, G_STATUS)
JOURNEY = (T_FLIGHT, T_TRAIN, T_ROUND)


@dataclass(frozen=True)
class Cue:
    """A group of phrases meaning one thing, and the intents that meaning supports."""

    name: str
    pattern: re.Pattern[str]
    weights: dict[str, float]


def _cue(name: str, patterns: list[str], weights: dict[str, float]) -> Cue:
    unknown = set(weights) - set(INTENTS)
    if unknown:
        raise ValueError(f"cue {name!r} weighs unknown intents {sorted(unknown)}")
    return Cue(name, re.compile("|".join(f"(?:{p})" for p in patterns)), weights)


CUES: tuple[Cue, ...] = (
    # -- travel objects -----------------------------------------------------------------
    _cue("flight", [r"\b(?:fly|flies|flying|flights?|plane|airplane|airline|air ?tickets?|airfare)\b",
                    r"机票|航班|飞机|(?<![鹤])飞(?!利浦|鹤|帆)|舱"],
         {T_FLIGHT: 3, T_ROUND: 1, T_CANCEL: 1, T_LIST: 1}),
    _cue("train", [r"\b(?:trains?|rail|railway|high[- ]speed|bullet train|g train|d train)\b|\b[gd]\d{1,4}\b",
                   r"高铁|动车|火车|列车|车票|[一二]等座|商务座"],
         {T_TRAIN: 3, T_ROUND: 1, T_CANCEL: 1, T_LIST: 1}),
    _cue("hotel", [r"\b(?:hotels?|hostel|inn|accommodation|place to stay|stay|check[- ]?in)\b|\brooms?\b(?! ?service)",
                   r"酒店|宾馆|住宿|民宿|入住|订房|房间|住(?=[一两二三四五六七八九十\d]|到)|\d+晚|[一两二三四五六七八九十]晚"],
         {T_HOTEL: 3, T_CANCEL: 1, T_LIST: 1}),
    _cue("booking", [r"\b(?:bookings?|reservations?|trips?|itinerary|journey)\b", r"预订|行程|订的"],
         {T_CANCEL: 1.5, T_LIST: 1.5}),
    _cue("both_ways", [r"\bround[- ]?trip|\broundtrip|\breturn (?:tickets?|flights?|trips?|trains?|journey)|"
                       r"\bboth ways\b|\band back\b|\bcom(?:e|ing) back\b|\bback on\b|\breturn(?:ing)? (?:on|a|the)\b",
                       r"往返|来回|回程|返程|(?:日|号|周.|天)(?:回|返回)|返回"],
         {T_ROUND: 5}),
    _cue("book", [r"\b(?:book|reserve|reservation|get me (?:a|on)|tickets?)\b", r"订|预订|预定|买.{0,6}票|票"],
         {T_FLIGHT: 1, T_TRAIN: 1, T_HOTEL: 1, T_ROUND: 1, G_APPT: 0.5}),
    _cue("my_bookings", [r"\b(?:my|all my|upcoming) (?:bookings|reservations|trips|itinerary|travel plans)\b|"
                         r"\bwhat (?:trips )?(?:have i|do i have)(?: got)? booked\b|\bwhat trips\b|"
                         r"\b(?:any|my|upcoming) (?:\w+ )?bookings\b|\bhave any \w+ booked\b",
                         r"订了(?:哪些|什么|几)|都订了|我的(?:行程|预订)|有哪些.{0,4}(?:票|行程)|列一下|看看我的.{0,4}预订|"
                         r"行程"],
         {T_LIST: 4}),
    # -- shop -------------------------------------------------------------------------
    _cue("buy", [r"\b(?:buy|purchase|order me|order an?|order \d|get me (?:a|an|some|two|\d)|pick up|"
                 r"add .{1,40} to (?:my )?(?:cart|order)|check ?out|(?:i need|i want|i'd like|i would like) (?:an?|some|\d+)|"
                 r"get me)\b",
                 r"买|购买|下单|入手|拍下|来(?:一|两|三|\d)[个件份箱包瓶盒台]|要一"],
         {S_BUY: 3}),
    _cue("browse", [r"\b(?:find|search|look(?:ing)? for|show me|any\b|do you (?:sell|have)|recommend|compare|"
                    r"options|is there|are there|browse|what .{1,30} do you have|cheaper than)\b",
                    r"找|搜|看看|推荐|有没有|有什么|比较|比价"],
         {S_SEARCH: 2.5, T_FLIGHT: 0.3, T_TRAIN: 0.3, T_HOTEL: 0.3}),
    _cue("return", [r"\breturn(?!(?:ing)? (?:on|trip|ticket|flight|train|journey|date|a week|home))(?:ing)?\b|"
                    r"\bsend (?:it |them )?back\b|\brefund\b|\bexchange\b",
                    r"退货|退款|(?:想|能|要)退(?![掉票订])|退回|退换"],
         {S_RETURN: 4, S_BUY: -2, S_SEARCH: -1.5, T_CANCEL: -1}),
    _cue("cancel", [r"(?<!noise )(?<!noise-)\bcancel(?:l?ed|l?ing)?\b|\bcall off\b|\bcan'?t make\b|\bstop the order\b",
                    r"取消|不住了|不去了|退订|退票|不要了"],
         {T_CANCEL: 3, S_CANCEL: 3, S_RETURN: 0.5, T_FLIGHT: -2, T_TRAIN: -2, T_HOTEL: -2, T_ROUND: -2,
          S_BUY: -2, S_SEARCH: -1.5}),
    # "退掉/退了" undoes a purchase: a booking is cancelled, a delivered item returned.
    _cue("undo_zh", [r"退掉|退了"], {T_CANCEL: 3, S_RETURN: 3, S_CANCEL: 0.5, T_FLIGHT: -2, T_TRAIN: -2, T_HOTEL: -2,
                                   T_ROUND: -2, S_BUY: -2, S_SEARCH: -1.5}),
    _cue("order", [r"\b(?:my|the|this|an?) order\b|\border (?:for|number|no)\b|\border\b(?= ord)|\bpackage\b|"
                   r"\bparcel\b", r"订单|包裹|快递|单号"],
         {S_CANCEL: 1, S_STATUS: 1, S_RETURN: 1}),
    _cue("where_is", [r"\bwhere(?:'s| is)\b|\btrack(?:ing)?\b|\bshipped\b|\bwhen will .{1,30} (?:arrive|come|get here)\b|"
                      r"\bdelivery status\b|\bhas .{1,30} (?:arrived|shipped)\b|\b(?:been|was|yet) (?:delivered|shipped|dispatched)\b|"
                      r"\bdelivered yet\b|\barrived\b",
                      r"到哪|物流|发货了|发货没|到了没|什么时候到|送到了吗|快递|还没到|没到|到了吗|什么时候能到|还没收到"],
         {S_STATUS: 4, S_BUY: -2, S_SEARCH: -1.5}),
    _cue("bought", [r"\bi (?:bought|ordered|purchased)\b|\bi placed\b", r"我买的|买的|下的单|已购"],
         {S_RETURN: 1, S_STATUS: 1, S_CANCEL: 1}),
    # -- gov --------------------------------------------------------------------------
    _cue("life_event", [r"\bjust had\b|\bwe(?:'re| are) (?:having|expecting|buying|moving|relocating|getting)\b|"
                        r"\bi'?m (?:moving|relocating|getting married|retiring|starting)\b|\bpassed away\b|\bdied\b|"
                        r"\bwhat (?:do|should|must) (?:i|we) (?:need to )?do\b|\bwhat paperwork\b|"
                        r"\bwhat needs to be done\b|\bwhere do i (?:begin|start)\b|\bsort out\b|"
                        r"\bgovernment stuff\b|\bjust graduated\b|\bgot my first job\b|\blost my\b",
                        r"手续|要办(?:什么|哪些|些什么)|需要办|该办什么|怎么办|要办什么|一件事|办些什么|后续|怎么处理|"
                        r"要添|刚生|去世|丢了"],
         {G_EVENT: 3}),
    _cue("info", [r"\brequirements?\b|\bdocuments?\b|\bpaperwork for\b|\bwhat do i need (?:to bring|for)\b|"
                  r"\bneeded (?:for|to)\b|\bwhat'?s needed\b|\bhow (?:much|long)\b|\bfees?\b|\bcost\b|"
                  r"\bprocessing time\b|\btell me about\b|\bbring\b|\bprocedure\b|\bhow (?:do|can) i (?:apply|get)\b",
                  r"材料|需要什么|要带|带什么|多少钱|费用|多久|流程|怎么申请|怎么办理|要准备|准备什么|要交多少|怎么申报|"
                  r"收费"],
         {G_INFO: 3}),
    _cue("eligible", [r"\beligib|\bqualify\b|\b(?:am|is|are) (?:i|we|he|she|they) allowed\b|"
                      r"\bcan (?:i|we|he|she|they|my \w+) (?:apply|claim|get|have)\b|\bdo i meet\b|"
                      r"\bconditions\b",
                      r"符合|资格|能不能办|能办|能申请|能领|条件|能不能领"],
         {G_ELIG: 3.5}),
    _cue("appointment", [r"\bappointment\b|\bbook (?:me |us )?a slot\b|\bschedule a visit\b|\bslot at\b|"
                         r"\bvisit (?:the|an?) .{0,20}(?:office|bureau|registry|centre|center)\b",
                         r"预约|约(?:一下|个时间|个号)|约个"],
         {G_APPT: 4}),
    _cue("apply", [r"(?<!how do i )(?<!how can i )(?<!how to )\bapply for\b|\bsubmit\b|\bfile (?:a|an|the|my)\b|\bapplication for\b|\blodge\b|\bclaim (?:the|my)\b|"
                   r"\bi want to apply\b",
                   r"(?<!怎么)(?<!如何)(?<!怎样)申请|提交|交个申请|(?<!怎么)(?<!如何)办理"],
         {G_SUBMIT: 3}),
    _cue("progress", [r"\bstatus\b|\bprogress\b|\bapproved\b|\bany news\b|\bwhat'?s happening with\b|"
                      r"\bhow'?s .{1,30} going\b|\bcheck on\b|\bwhere(?:'s| is) my .{0,30}application\b",
                      r"进度|批下来|办好了|审批|状态|到哪一步|办好了没|办下来"],
         {G_STATUS: 3, S_STATUS: 1.5}),
    _cue("application", [r"\bapplication\b", r"申请"], {G_STATUS: 1, G_SUBMIT: 0.5}),
    _cue("submitted", [r"\b(?:i|we) (?:submitted|applied|handed in)\b|\bsubmitted\b", r"提交的|申请的|交的"],
         {G_STATUS: 2.5, G_SUBMIT: -2}),
    # -- neither ----------------------------------------------------------------------
    _cue("out_of_scope", [
        r"\bweather\b|\bforecast\b|\bsnow\b|\brain(?:ing|y)?\b|\btemperature\b|\bjoke\b|\bfun fact\b|\bpoem\b|"
        r"\bstory\b|\bessay\b|\bbirthday message\b|\bwrite me\b|\bstocks?\b|\bbitcoin\b|\bcrypto\b|\binvest|"
        r"\bshares\b|\bdoctor\b|\bmedicine\b|\bcough\b|\bfever\b|\bsymptoms?\b|\bhospital\b|\bdentist\b|"
        r"\blose weight\b|\brecipe\b|\bcook\b|\bpizza\b|\btakeaway\b|\btranslate\b|\btaxi\b|\buber\b|\bdidi\b|"
        r"\bride\b|\bwho (?:is|will|was)\b|\bhow tall\b|\bcapital of\b|\bpresident\b|\bworld cup\b|\bhomework\b|"
        r"\bmath\b|\bhaircut\b|\bvisa for\b|\bvisa\b|\bfun\b|\bnews\b|\bmovies?\b|\bfilms?\b|\bsongs?\b|\bmusic\b|"
        r"\bplay (?:some|a)\b|\blottery ticket\b",
        r"天气|下雨|下雪|气温|笑话|故事|写一首|诗|股票|股市|基金|比特币|感冒|吃什么药|医院|看病|挂号|专家号|发烧|"
        r"吃什么|好吃|火锅|外卖|翻译|出租车|打车|叫车|滴滴|门票|算一下|利息|作业|减肥|理发|电影|音乐|歌|彩票"],
        {OUT: 6}),
)


@dataclass(frozen=True)
class Evidence:
    """What the slots say about the intent (filled by the reader from the mentions)."""

    two_cities: bool = False
    one_city: bool = False
    dates: int = 0
    nights_or_stars: bool = False
    seat_class: str | None = None
    order_id: bool = False
    booking_id: bool = False
    application_ref: bool = False
    product: float = 0.0  # how strongly the leftover phrase names a catalogue product (0..)
    category: bool = False
    merchant: bool = False
    delivery: bool = False
    rating: bool = False
    money: bool = False
    ordinal: bool = False
    service: float = 0.0
    life_event: float = 0.0


def _evidence_weights(ev: Evidence) -> dict[str, float]:
    w: dict[str, float] = {}

    def add(intents: tuple[str, ...] | str, amount: float) -> None:
        for intent in (intents,) if isinstance(intents, str) else intents:
            w[intent] = w.get(intent, 0.0) + amount

    if ev.two_cities:
        add(JOURNEY, 1.5)
        add((T_CANCEL,), 0.5)
    elif ev.one_city:
        add((T_FLIGHT, T_TRAIN, T_HOTEL), 0.5)
    if ev.dates:
        add((T_FLIGHT, T_TRAIN, T_HOTEL, G_APPT), 0.3)
    if ev.dates >= 2:
        add(T_ROUND, 0.5)
        add(T_HOTEL, 0.5)
    if ev.nights_or_stars:
        add(T_HOTEL, 2.5)
    if ev.seat_class:
        add(T_TRAIN if ev.seat_class in ("second",) else T_FLIGHT if ev.seat_class == "economy" else JOURNEY, 1.0)
    if ev.order_id:
        add((S_CANCEL, S_RETURN, S_STATUS), 3)
    if ev.booking_id:
        add(T_CANCEL, 3)
        add(T_LIST, 1)
    if ev.application_ref:
        add(G_STATUS, 4)
        add((G_SUBMIT, G_INFO), 0.5)
    if ev.product:
        add(SHOP, min(ev.product, 2.5))
        add((S_BUY, S_SEARCH), 0.5)
    if ev.category:
        add((S_SEARCH, S_BUY), 2)
    if ev.merchant or ev.delivery:
        add(SHOP, 1.5)
    if ev.rating:
        add((S_SEARCH, S_BUY, T_HOTEL), 0.5)
    if ev.money:
        add((S_SEARCH, S_BUY, T_FLIGHT, T_TRAIN, T_HOTEL), 0.3)
    if ev.ordinal:
        add((S_BUY,), 1)
    if ev.service:
        add(GOV_SERVICE, min(ev.service, 2.5))
        add(G_EVENT, 0.5)
    if ev.life_event:
        add(G_EVENT, min(ev.life_event, 2.5))
        add(GOV_SERVICE, 0.3)
    return w


@dataclass(frozen=True)
class IntentScores:
    ranked: list[tuple[str, float]]  # best first
    cues: tuple[str, ...]

    @property
    def best(self) -> tuple[str, float]:
        return self.ranked[0]


# The action and object words the cues are made of, so that a misspelt one ("returnn",
# "cancle", "appointmnet") still counts.
CUE_WORDS: tuple[str, ...] = tuple("""
return returns refund cancel cancelled booking bookings book flight flights train trains hotel hotels ticket
tickets appointment eligible eligibility qualify application apply status track tracking delivery deliver
delivered shipped passport residence permit purchase order search recommend reservation schedule submit
requirements documents weather roundtrip round available
""".split())


def spell_fix(text: str, known: Collection[str]) -> str:
    """Replace misspelt cue words in a lower-cased text; words in ``known`` are left alone."""
    def fix(m: re.Match[str]) -> str:
        word = m.group(0)
        if len(word) < 5 or word in known or word in CUE_WORDS:
            return word
        hit = process.extractOne(word, CUE_WORDS, scorer=fuzz.ratio, score_cutoff=80)
        return hit[0] if hit else word
    return re.sub(r"[a-z]+", fix, text)


MIN_SCORE = 2.5  # below this nothing was really asked for that an agent can do
CLOSE = 1.0  # two intents this close are worth a question


def score(text: str, evidence: Evidence, domains: set[str] | None = None) -> IntentScores:
    """Rank the intents for a (normalised, lower-cased) request."""
    totals: dict[str, float] = {}
    fired: list[str] = []
    for cue in CUES:
        hits = len(cue.pattern.findall(text))
        if hits:
            fired.append(cue.name)
            for intent, weight in cue.weights.items():
                totals[intent] = totals.get(intent, 0.0) + weight * (1 + 0.25 * (min(hits, 3) - 1))
    for intent, weight in _evidence_weights(evidence).items():
        totals[intent] = totals.get(intent, 0.0) + weight
    candidates = [i for i in INTENTS if i == OUT or domains is None or intent_domain(i) in domains]
    ranked = sorted(((i, totals.get(i, 0.0)) for i in candidates), key=lambda p: -p[1])
    if ranked[0][1] < MIN_SCORE and ranked[0][0] != OUT:
        ranked = [(OUT, MIN_SCORE)] + [r for r in ranked if r[0] != OUT]
    return IntentScores(ranked, tuple(fired))


def confidence(scores: IntentScores) -> float:
    """Softmax share of the best intent among the top three (temperature 1.5)."""
    top = [s for _, s in scores.ranked[:3]]
    exps = [math.exp(s / 1.5) for s in top]
    return round(exps[0] / sum(exps), 3)
