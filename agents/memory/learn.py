"""Learning preferences from the person's decisions — the one place memory is written.

:func:`learn` reads the **run timelines** (each run's checkpointed state: the actions, the
person's decisions on them and their reasons, and what the tools returned) of every run in the
run index that changed since the last pass, turns decisions into observations, and recomputes
the entries. It runs at the start of every ``errand watch`` cycle, in ``errand memory list``,
and after each errand finishes in the command line, so memory is current whenever a planner or
a trigger reads it. It reads only this machine's files and writes only ``memory.sqlite``.

What counts as evidence (the thresholds are the constants below):

- a **departure** the person rejected or approved-and-booked, by the part of the day it leaves
  in (:data:`agents.memory.model.BANDS`). Two rejections in one band, more than approvals there,
  make "avoid departures in that band"; one rejection whose reason says so is enough on its
  own — "too late" / "no red-eye" / "太晚了" about a 21:05 departure turns down the late evening
  and, later still, the night; "too early" about a 06:40 one the early morning and the night;
- a **merchant**: orders the person approved and that were placed, in at least two runs, make
  "prefers merchant M"; a rejection whose reason is about the seller rather than the price
  ("not from this shop", "不要这家") makes "does not buy from M", until an approved order there;
- a **dismissed proposal**: two dismissals of one trigger's proposals make "no more proposals
  from that trigger" (the watcher skips muted triggers).

A departure's time comes from the offer the action named (in the output of the search the run
made) or from the booking it created; an action whose departure cannot be found teaches nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from typing import Any, Iterable

from pydantic import BaseModel

from agents.memory.model import BANDS, Evidence, Kind, Statement, band_of
from agents.memory.store import MemoryStore, Observation
from agents.models import RunStatus
from agents.store import RunIndex, RunRecord, open_checkpointer

BAND_REJECTIONS = 2  # rejected departures in one band (and more than approved ones) → avoid the band
MERCHANT_RUNS = 2  # runs with an approved, placed order at one merchant → prefers the merchant
DISMISSALS = 2  # dismissed proposals of one trigger → mute the trigger

NIGHT_WORDS = ("red-eye", "red eye", "redeye", "overnight", "night flight", "night train", "at night",
               "middle of the night", "midnight", "红眼", "夜里", "半夜", "深夜", "凌晨", "夜间")
LATE_WORDS = ("too late", "so late", "leaves late", "late departure", "太晚", "晚了", "这么晚")
EARLY_WORDS = ("too early", "so early", "early morning", "太早", "早了", "这么早", "清早")
SELLER_WORDS = ("seller", "merchant", "shop", "store", "vendor", "商家", "卖家", "这家", "店铺", "店")
PRICE_WORDS = ("cheap", "expensive", "price", "cost", "budget", "贵", "便宜", "价格", "价钱", "预算")


class LearnReport(BaseModel):
    runs_read: int
    new_observations: int
    entries: int


def learn(*, index: RunIndex | None = None, store: MemoryStore | None = None) -> LearnReport:
    """Read the runs that changed since the last pass and recompute the memory entries."""
    own_index, own_store = index is None, store is None
    index = index or RunIndex()
    store = store or MemoryStore()
    saver: Any = None
    read = added = 0
    try:
        seen = store.versions()
        for record in index.list():
            version = f"{record.updated_at}|{record.status.value}"
            if record.status is RunStatus.RUNNING or seen.get(record.run_id) == version:
                continue  # a running run is read once it pauses or ends
            if saver is None:
                saver = open_checkpointer()
            snapshot = saver.get_tuple({"configurable": {"thread_id": record.run_id, "checkpoint_ns": ""}})
            state = dict(snapshot.checkpoint.get("channel_values") or {}) if snapshot else {}
            added += store.record(record.run_id, version, list(observations_of(record, state)))
            read += 1
        entries = derive(store.observations())
        store.replace_entries(entries)
    finally:
        if saver is not None and hasattr(saver, "conn"):
            saver.conn.close()
        if own_index:
            index.close()
        if own_store:
            store.close()
    return LearnReport(runs_read=read, new_observations=added, entries=len(entries))


# -- decisions → observations ---------------------------------------------------------------

def observations_of(record: RunRecord, state: dict[str, Any]) -> Iterable[Observation]:
    """What one run's decided actions say about the person's preferences."""
    actions: list[dict[str, Any]] = list(state.get("actions") or [])
    outputs = [(a.get("result") or {}).get("output") for a in actions if (a.get("result") or {}).get("ok")]
    proposal = record.spec.get("proposal") or {}
    at = record.updated_at
    for action in actions:
        human = action.get("human") or {}
        if human.get("type") == "reject":
            decision = "dismissed" if human.get("dismiss") else "rejected"
        elif human.get("type") == "approve" and action.get("status") == "executed":
            decision = "approved"
        else:
            continue
        reason = str(human.get("reason") or "").strip()
        base = {"run_id": record.run_id, "action_id": action.get("id"), "decision": decision, "reason": reason,
                "at": at}
        if decision == "dismissed":
            if proposal.get("trigger"):
                yield Observation(id=f"{record.run_id}:dismissal", kind="dismissal", subject=proposal["trigger"],
                                  polarity=-1, detail=str(proposal.get("title") or proposal["trigger"]), **base)
            continue
        args = action.get("args") or {}
        output = (action.get("result") or {}).get("output")
        departure = _departure(args, output, outputs)
        if departure is not None:
            number, hhmm = departure
            band = band_of(hhmm)
            said = _stated_bands(reason, band) if decision == "rejected" else []
            for subject in said or ([band] if band else []):
                yield Observation(id=f"{record.run_id}:{action.get('id')}:departure:{subject}", kind="departure",
                                  subject=subject, polarity=1 if decision == "approved" else -1,
                                  stated=bool(said), detail=f"{number} departing {hhmm}", **base)
        merchant = args.get("merchant_id")
        if isinstance(merchant, str) and merchant:
            name = (output or {}).get("merchant_name") if isinstance(output, dict) else None
            detail = f"{merchant} {name}".strip() if name else merchant
            if decision == "approved":
                yield Observation(id=f"{record.run_id}:{action.get('id')}:merchant", kind="merchant",
                                  subject=merchant, polarity=1, detail=detail, **base)
            elif _about_seller(reason, merchant):
                yield Observation(id=f"{record.run_id}:{action.get('id')}:merchant", kind="merchant",
                                  subject=merchant, polarity=-1, stated=True, detail=detail, **base)


def _departure(args: dict[str, Any], output: Any, outputs: list[Any]) -> tuple[str, str] | None:
    """(number, HH:MM) of the departure an action booked or would have booked, if it can be found."""
    if isinstance(output, dict) and output.get("departure_at"):
        return str(output.get("number") or output.get("offer_id") or ""), _hhmm(output["departure_at"])
    offer_id = args.get("offer_id")
    if not isinstance(offer_id, str):
        return None
    offer = next((o for o in _dicts(outputs) if o.get("id") == offer_id and o.get("departure")), None)
    if offer is None:
        return None
    return str(offer.get("number") or offer_id), _hhmm(offer.get("estimated_departure") or offer["departure"])


def _dicts(value: Any) -> Iterable[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for child in value.values():
            yield from _dicts(child)
    elif isinstance(value, list):
        for child in value:
            yield from _dicts(child)


def _hhmm(moment: str) -> str:
    match = re.search(r"T(\d{2}:\d{2})", str(moment))
    return match.group(1) if match else str(moment)[:5]


def _has(text: str, words: Iterable[str]) -> bool:
    lowered = text.lower()
    for word in words:
        if re.search(r"[\u4e00-\u9fff]", word):
            if word in lowered:
                return True
        elif re.search(rf"(?<![a-z]){re.escape(word)}(?![a-z])", lowered):
            return True
    return False


def _stated_bands(reason: str, band: str | None) -> list[str]:
    """The parts of the day a rejection reason turns down: the rejected departure's own band
    and, when it was too late (early), the later (earlier) night too."""
    if not reason:
        return []
    night, late, early = _has(reason, NIGHT_WORDS), _has(reason, LATE_WORDS), _has(reason, EARLY_WORDS)
    if (night or late) and band == "evening" or early and band == "early":
        return [band, "night"]
    if (night or late or early) and band == "night" or night:
        return ["night"]
    return []


def _about_seller(reason: str, merchant_id: str) -> bool:
    """A rejection reason about who sells it (not about the price)."""
    if not reason or _has(reason, PRICE_WORDS):
        return False
    return _has(reason, SELLER_WORDS) or merchant_id.lower() in reason.lower()


# -- observations → entries -----------------------------------------------------------------

EntryRow = tuple[str, Kind, str, Statement, dict[str, Any], list[Evidence]]


def derive(observations: list[Observation]) -> list[EntryRow]:
    """The entries the observations support (see the module docstring for the rules)."""
    groups: dict[tuple[str, str], list[Observation]] = defaultdict(list)
    for o in observations:
        groups[(o.kind, o.subject)].append(o)
    entries: list[EntryRow] = []
    for (kind, subject), group in sorted(groups.items()):
        against = [o for o in group if o.polarity < 0]
        support = [o for o in group if o.polarity > 0]
        if kind == "departure" and subject in BANDS:
            if any(o.stated for o in against) or (len(against) >= BAND_REJECTIONS and len(against) > len(support)):
                window = BANDS[subject]
                entries.append((f"avoid-departures-{subject}", "avoid_departures", subject,
                                Statement(en=f"Avoid departures {window.label_en}",
                                          zh=f"避免{window.label_zh}出发"),
                                {"start": window.start, "end": window.end},
                                [o.evidence() for o in against]))
        elif kind == "merchant":
            name = next((o.detail for o in reversed(group) if o.detail != subject), subject)
            last_against = max((o.at for o in against), default=None)
            if last_against is not None and not any(o.at > last_against for o in support):
                entries.append((f"avoid-merchant-{subject}", "avoid_merchant", subject,
                                Statement(en=f"Does not buy from merchant {name}", zh=f"不在商家 {name} 购买"),
                                {"merchant_id": subject}, [o.evidence() for o in against]))
            elif len({o.run_id for o in support}) >= MERCHANT_RUNS:
                entries.append((f"prefer-merchant-{subject}", "prefer_merchant", subject,
                                Statement(en=f"Prefers merchant {name}", zh=f"偏好商家 {name}"),
                                {"merchant_id": subject}, [o.evidence() for o in support]))
        elif kind == "dismissal" and len({o.run_id for o in against}) >= DISMISSALS:
            title = against[-1].detail or subject
            entries.append((f"mute-trigger-{subject}", "mute_trigger", subject,
                            Statement(en=f"No more proposals from “{title}”", zh=f"不再接收“{title}”的提议"),
                            {"trigger": subject}, [o.evidence() for o in against]))
    return entries


__all__ = ["LearnReport", "derive", "learn", "observations_of"]
