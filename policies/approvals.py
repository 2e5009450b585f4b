"""Remembered approvals: "always allow this", stored as a narrow, typed, expiring rule.

When a person approves an action and asks errand to remember it, the engine writes one
entry to their policy file ``ERRAND_HOME/policies/<user id>.yaml``::

    remembered:
      - id: rem-3f2a9c1d7e
        tool: shop_place_order
        user: li-ming
        args: {product_id: P0007, merchant_id: M004, quantity: 2, payment_method: alipay-main, ...}
        amount_arg: max_total
        amount_up_to: 176.00 CNY
        created: 2026-11-28T02:00:00+00:00
        expires: 2026-12-28T02:00:00+00:00
        approved_by: terminal

It covers exactly that tool, that user and those argument values, for at most that amount,
until it expires — never "allow this tool". It can only turn an *ask* into an allow (never
a deny), is never offered or applied when any argument came from tool output or the
session read planted instructions, and only for effects up to the policy's
``remember.max_effect``. The file is validated like any policy file; writing it keeps
every other entry and drops expired ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import threading
from datetime import datetime, timedelta
from pathlib import Path

import yaml

from policies.model import PolicyFile, Remembered
from policies.observe import Observation
from tools.home import errand_home

_LOCK = threading.Lock()
_HEADER = ("# errand: your own policy additions. Approvals you asked errand to remember are listed under\n"
           "# 'remembered' (each is one tool, exact arguments, an amount ceiling and an expiry).\n"
           "# You may delete entries or add rules and caps; errand validates this file before using it.\n")


def user_policy_path(user_id: str) -> Path:
    """``ERRAND_HOME/policies/<user id>.yaml`` (the id is checked to be a plain file name)."""
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", user_id) or user_id in (".", ".."):
        raise ValueError(f"user id {user_id!r} cannot name a policy file")
    return errand_home() / "policies" / f"{user_id}.yaml"


def build_remembered(observation: Observation, *, days: int, approved_by: str | None, run_id: str,
                     action_id: str, now: datetime) -> Remembered:
    """The narrowest rule that covers this exact action again."""
    args = {k: v for k, v in observation.args.items() if k != observation.money_arg}
    digest = hashlib.sha256(json.dumps([observation.tool, observation.user_id, args,
                                        observation.amount.canonical() if observation.amount else None],
                                       sort_keys=True, ensure_ascii=False, default=str).encode()).hexdigest()
    return Remembered(id=f"rem-{digest[:10]}", tool=observation.tool, user=observation.user_id or "",
                      args=args, amount_arg=observation.money_arg if observation.amount else None,
                      amount_up_to=observation.amount, created=now, expires=now + timedelta(days=days),
                      approved_by=approved_by, source={"run": run_id, "action": action_id})


def append_remembered(entry: Remembered) -> Path:
    """Add ``entry`` to the user's file (replacing an identical earlier one), atomically."""
    from policies.loader import load_policy_file

    path = user_policy_path(entry.user)
    with _LOCK:
        if path.exists():
            current = load_policy_file(path)
        else:
            current = PolicyFile(policy=f"user {entry.user}")
        kept = [r for r in current.remembered if r.id != entry.id and r.expires > entry.created]
        updated = current.model_copy(update={"remembered": [*kept, entry]})
        data = updated.model_dump(mode="json", exclude_defaults=True)
        data["policy"] = updated.policy
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".yaml.{os.getpid()}.tmp")
        tmp.write_text(_HEADER + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        os.replace(tmp, path)
    return path
