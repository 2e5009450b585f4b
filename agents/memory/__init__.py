"""Memory of the person: preferences learned from their decisions, explicit and deletable.

    from agents.memory import learn, MemoryStore
    learn()                                  # read the runs that changed, recompute the entries
    for entry in MemoryStore().entries():    # what errand believes, and the decisions behind it
        print(entry.id, entry.statement.en, [e.run_id for e in entry.evidence])
    MemoryStore().forget("avoid-departures-night")

Privacy: memory lives in ``ERRAND_HOME/memory.sqlite`` and never leaves the machine except as
the arguments of actions the person approves. The offline brain reads it (a snapshot taken at
a run's first step, kept in the run so a resumed run plans the same way); triggers read it
(muted triggers, avoided merchants). The LLM brain is not given it: a remote model would
receive the person's habits. :func:`may_share_with_model` says when a model runs on this
machine, where it could be given :func:`preferences_text` as the person's preferences.
"""

from __future__ import annotations

from urllib.parse import urlparse

from agents.memory.learn import LearnReport, learn
from agents.memory.model import BANDS, MEMORY_FIELDS, Evidence, MemoryEntry, PlannerView, Window, empty_view
from agents.memory.store import ForgetError, MemoryStore

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})


def planner_view() -> PlannerView:
    """What planners and triggers act on now (no learning pass; see :func:`learn`)."""
    store = MemoryStore()
    try:
        return store.view()
    finally:
        store.close()


def preferences_text(lang: str = "en") -> list[str]:
    """The entries as plain sentences, for a prompt that stays on this machine."""
    store = MemoryStore()
    try:
        return [e.statement.get(lang) for e in store.entries()]
    finally:
        store.close()


def may_share_with_model(spec: str | None, base_url: str | None = None) -> bool:
    """True only for a model that runs on this machine (``ollama:…``, or a server on loopback)."""
    if not spec:
        return False
    if spec.startswith("ollama:"):
        return True
    host = urlparse(base_url).hostname if base_url else None
    return host in LOCAL_HOSTS


__all__ = ["BANDS", "MEMORY_FIELDS", "Evidence", "ForgetError", "LearnReport", "MemoryEntry",
           "MemoryStore", "PlannerView", "Window", "empty_view", "learn", "may_share_with_model", "planner_view",
           "preferences_text"]
