"""Which of the person's profile data an action's arguments actually carry.

Tools *declare* the profile fields they need (``ToolMeta.personal_data``); this module
finds the fields an action *carries*, by comparing argument values with the profile's
values. Declarations can be wrong or a model can put an ID number into a free-text field;
comparing values catches both. A ``$user.<field>`` reference the runtime did not resolve
(because the policy withheld that field) counts as a request for the field.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, Iterable

PROFILE_FIELDS = ("name", "national_id", "passport", "phone", "email", "address", "date_of_birth",
                  "payment_methods")
"""The profile fields errand protects (the names tools use in ``personal_data``)."""

FIELD_WORDS = {"name": "name", "national_id": "national ID number", "passport": "passport number",
               "phone": "phone number", "email": "email address", "address": "home address",
               "date_of_birth": "date of birth", "payment_methods": "payment details"}
"""How each field reads in a sentence ("your national ID number")."""

USER_REF = "$user."
_MIN_SUBSTRING = 4  # shorter fingerprints (a two-character Chinese name) must equal the whole value
_SPACES = re.compile(r"\s+")


def _norm(text: str) -> str:
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch in "xX").upper()


def leaves(value: Any, path: str = "") -> Iterable[tuple[str, Any]]:
    """Every scalar in a nested structure with its path (``a.b[0].c``)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            yield from leaves(item, f"{path}[{i}]")
    else:
        yield path, value


def fingerprints(user: dict[str, Any]) -> dict[str, tuple[set[str], set[str]]]:
    """Per protected field: (text fingerprints, digit fingerprints) of the person's values.

    Only identifying values count: a payment method's id and label, not its type or limit
    (``"CNY"`` or ``5000`` appear in countless arguments that reveal nothing).
    """
    texts: dict[str, set[str]] = {f: set() for f in PROFILE_FIELDS}
    digits: dict[str, set[str]] = {f: set() for f in PROFILE_FIELDS}
    name = str(user.get("name") or "")
    if name:
        texts["name"].add(_norm(name))
        # "李明 (Li Ming)": each spelling alone is the name too
        texts["name"].update(_norm(p) for p in re.split(r"[()（）/,，]", name) if p.strip())
    if user.get("national_id"):
        digits["national_id"].add(_digits(str(user["national_id"])))
    passport = user.get("passport") or {}
    if isinstance(passport, dict) and passport.get("number"):
        texts["passport"].add(_norm(str(passport["number"])))
    if user.get("phone"):
        number = _digits(str(user["phone"]))
        digits["phone"].add(number)
        if number.startswith("86") and len(number) > 11:
            digits["phone"].add(number[2:])
    if user.get("email"):
        texts["email"].add(_norm(str(user["email"])))
    if user.get("address"):
        texts["address"].add(_norm(str(user["address"])))
    born = str(user.get("date_of_birth") or "")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", born):
        y, m, d = born.split("-")
        texts["date_of_birth"].update({born, f"{y}/{m}/{d}", f"{y}年{int(m)}月{int(d)}日", f"{y}年{m}月{d}日"})
    for method in user.get("payment_methods") or []:
        if isinstance(method, dict):
            texts["payment_methods"].update(_norm(str(method[k])) for k in ("id", "label") if method.get(k))
    return {f: (texts[f], digits[f]) for f in PROFILE_FIELDS if texts[f] or digits[f]}


def carried_fields(args: dict[str, Any], user: dict[str, Any],
                   prints: dict[str, tuple[set[str], set[str]]] | None = None) -> dict[str, list[str]]:
    """The protected fields whose values appear in ``args``: {field: [argument paths]}.
    ``prints`` (from :func:`fingerprints`) saves recomputing them for many actions of one user."""
    prints = prints if prints is not None else fingerprints(user)
    found: dict[str, list[str]] = {}
    for path, value in leaves(args):
        if value is None or isinstance(value, bool):
            continue
        text = str(value)
        if text.startswith(USER_REF):
            continue  # an unresolved reference carries no value; see unresolved_refs
        norm, digits = _norm(text), _digits(text)
        for field, (texts, numbers) in prints.items():
            hit = any(norm == fp or (len(fp) >= _MIN_SUBSTRING and fp in norm) for fp in texts)
            # digit fingerprints (ID, phone) are long enough to be specific inside other text
            hit = hit or any(len(fp) >= 7 and fp in digits for fp in numbers)
            if hit:
                found.setdefault(field, []).append(path)
    return found


def unresolved_refs(args: dict[str, Any]) -> dict[str, str]:
    """``$user.<field>`` references left in the args: {argument path: field}."""
    return {path: value[len(USER_REF):].split(".")[0] for path, value in leaves(args)
            if isinstance(value, str) and value.startswith(USER_REF)}


def describe_fields(fields: Iterable[str]) -> str:
    """'your name, phone number and home address'."""
    words = [FIELD_WORDS.get(f, f.replace("_", " ")) for f in fields]
    if not words:
        return "none of your personal data"
    joined = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
    return f"your {joined}"
