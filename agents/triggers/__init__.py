"""Triggers: errand notices what the person will need and prepares it, for their approval.

    from agents.triggers import Watcher, load_triggers, dismiss
    report = Watcher().evaluate()           # one pass: new events become proposals in the inbox
    for p in report.proposals:
        print(p.trigger, p.status, p.items, p.text)

A trigger (:mod:`agents.triggers.model`) watches a source (:mod:`agents.triggers.sources`) and,
for each new event where its condition holds, starts a prepared run that parks in the inbox as
a proposal (:mod:`agents.triggers.proposals`). The ledger (:mod:`agents.triggers.ledger`) makes
sure an event is proposed once, ever; a dismissed proposal stays dismissed. The watcher
(:mod:`agents.triggers.watcher`) runs the passes; ``errand watch`` runs the watcher.
"""

from __future__ import annotations

from agents.triggers.ledger import Ledger, LedgerRow, proposal_run_id
from agents.triggers.loader import TriggerError, TriggerSet, check_trigger, load_trigger_file, load_triggers, \
    parse_triggers
from agents.triggers.model import ErrandSpec, Trigger
from agents.triggers.proposals import Proposal, dismiss, start_proposal
from agents.triggers.sources import Event, Params, Source, SourceContext, register_source, sources
from agents.triggers.watcher import PassReport, Watcher

__all__ = ["ErrandSpec", "Event", "Ledger", "LedgerRow", "Params", "PassReport", "Proposal", "Source",
           "SourceContext", "Trigger", "TriggerError", "TriggerSet", "Watcher", "check_trigger", "dismiss",
           "load_trigger_file", "load_triggers", "parse_triggers", "proposal_run_id", "register_source",
           "sources", "start_proposal"]
