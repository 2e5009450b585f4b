"""Request understanding for the offline brain: intent and typed slots, English and Chinese.

``understand(text, today=...)`` reads a request; ``parse_slot(slot, text, today=...)`` reads
the answer to a question about one slot. Both work without a model or network: rules over
the sandbox catalogues (fuzzy, via rapidfuzz and jieba), resolved against a clock the caller
fixes. The contract they fill is :mod:`agents.understanding.model`.
"""

from agents.understanding.model import INTENTS, SLOT_TYPES, Understanding, intent_domain, normalise_slot_value
from agents.understanding.reader import parse_slot, understand

__all__ = ["INTENTS", "SLOT_TYPES", "Understanding", "intent_domain", "normalise_slot_value", "parse_slot",
           "understand"]
