"""The concierge: one request about a life event, carried out as one plan across domains.

"We're moving from Chengdu to Hangzhou on Jan 10" becomes a plan — a residence permit and
a pension transfer (gov), a train and a hotel for the first nights (travel), packing
supplies (shop) — that the person sees whole and approves item by item or together.

- :mod:`agents.concierge.model` — what a life-event **bundle** and a **plan** are;
- :mod:`agents.concierge.loader` — bundles as validated data (``bundles/*.yaml``, the
  ``errand.bundles`` entry points, ``$ERRAND_HOME/bundles``), errors with file and line;
- :mod:`agents.concierge.reading`, :mod:`agents.concierge.planner` — which bundle a request
  is about and the details it states (offline, or with a chat model);
- :mod:`agents.concierge.planning` — answers, defaults, questions, the rendered plan;
- :mod:`agents.concierge.graph` — the concierge's own LangGraph graph (plan, ask);
- :mod:`agents.concierge.agent` — :class:`ConciergeAgent`: every item runs as a linked
  child run of its domain agent, and the plan is carried on as decisions arrive;
- :mod:`agents.concierge.progress` — the whole-plan view and the report, derived from the
  child runs.
"""

import re
from datetime import date

from agents.concierge.agent import ConciergeAgent
from agents.concierge.loader import BundleError, BundleSet, load_bundle_file, load_bundles, parse_bundles
from agents.concierge.model import Bundle, BundleItem, BundleSlot, ConciergePlan, ItemView, PlanItem, PlanView
from agents.concierge.reading import detector


def is_life_event(text: str, *, bundles: BundleSet | None = None) -> bool:
    """Whether ``text`` is clearly about one of the installed life events."""
    return detector(bundles if bundles is not None else load_bundles()).detect(text)[0] is not None


_QUESTION = re.compile(r"[?？]\s*$|^\s*(?:what|which|how|do i|do we|should i|should we|is there|are there)\b"
                       r"|哪些|什么|怎么|如何|吗\s*$", re.IGNORECASE)


def routes_to_concierge(text: str, *, today: date | None = None, bundles: BundleSet | None = None) -> bool:
    """Whether a request that names no agent is for the concierge: it states a life event (a
    bundle is clearly meant), it is not another errand ("buy moving boxes" is shopping), and it
    does not ask what the event involves (the gov agent answers that, without doing anything)."""
    from agents.understanding import understand
    from tools.sandbox.base import system_clock

    if _QUESTION.search(text):
        return False
    reading = understand(text, today=today or system_clock().date())
    if reading.intent not in (None, "out_of_scope", "gov.life_event"):
        return False
    return is_life_event(text, bundles=bundles)


__all__ = [
    "Bundle", "BundleError", "BundleItem", "BundleSet", "BundleSlot", "ConciergeAgent", "ConciergePlan", "ItemView",
    "PlanItem", "PlanView", "is_life_event", "load_bundle_file", "load_bundles", "parse_bundles", "routes_to_concierge",
]
