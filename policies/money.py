"""Money as the policy engine sees it: a :class:`~decimal.Decimal` amount with an ISO currency.

Never floats: a float cannot say 0.10 exactly, and a cap that is off by a fen is a cap
that can be walked past. Amounts are parsed from the forms people write in policy files
("1000 CNY", "CNY 1000", "¥1,000.00", "1000") and shown the way people read them
("¥1,299.00"). Comparing different currencies is an error, not a guess: errand has no
exchange rates, so a cap in CNY says nothing about a payment in USD.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import BeforeValidator, PlainSerializer

DEFAULT_CURRENCY = "CNY"

# symbols people type, and how each currency is shown; currencies without a symbol show their code
_SYMBOL_TO_CODE = {"¥": "CNY", "￥": "CNY", "元": "CNY", "$": "USD", "US$": "USD", "€": "EUR", "£": "GBP",
                   "HK$": "HKD", "JP¥": "JPY"}
_CODE_TO_SYMBOL = {"CNY": "¥", "USD": "$", "EUR": "€", "GBP": "£", "HKD": "HK$", "JPY": "JP¥"}
_ZERO_DECIMAL = {"JPY", "KRW"}
_TEXT = re.compile(r"^\s*(?P<pre>[A-Za-z]{3}|US\$|HK\$|JP¥|[¥￥$€£])?\s*(?P<num>[-+]?[\d,]*\.?\d+)\s*"
                   r"(?P<post>[A-Za-z]{3}|元)?\s*$")


class CurrencyMismatch(ValueError):
    """Two amounts in different currencies were compared or added."""


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount of one currency."""

    amount: Decimal
    currency: str = DEFAULT_CURRENCY

    @classmethod
    def parse(cls, value: Any, default_currency: str = DEFAULT_CURRENCY) -> "Money":
        """Read "1000 CNY", "CNY 1000", "¥1,000.00", 1000, Decimal("1000") or {amount, currency}."""
        if isinstance(value, Money):
            return value
        if isinstance(value, float):
            raise ValueError(f"{value!r} is a float; write money as a string such as '{value} "
                             f"{default_currency}' so it stays exact")
        if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
            return cls(Decimal(value), default_currency)
        if isinstance(value, dict) and "amount" in value:
            return cls.parse(str(value["amount"]), str(value.get("currency") or default_currency))
        if isinstance(value, str):
            match = _TEXT.match(value)
            if match:
                pre, post = match["pre"], match["post"]
                if pre and post:
                    raise ValueError(f"{value!r} names a currency twice")
                code = (_SYMBOL_TO_CODE.get(pre or post or "") or (pre or post or default_currency)).upper()
                try:
                    return cls(Decimal(match["num"].replace(",", "")), code)
                except InvalidOperation:
                    pass
        raise ValueError(f"{value!r} is not an amount of money (write e.g. '1000 CNY' or '¥1,000.00')")

    def _same(self, other: "Money") -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"cannot compare {self} with {other}: different currencies")

    def __add__(self, other: "Money") -> "Money":
        self._same(other)
        return Money(self.amount + other.amount, self.currency)

    def __lt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount < other.amount

    def __le__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount <= other.amount

    def __gt__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount > other.amount

    def __ge__(self, other: "Money") -> bool:
        self._same(other)
        return self.amount >= other.amount

    def scaled(self, factor: Decimal) -> "Money":
        return Money(self.amount * factor, self.currency)

    def __str__(self) -> str:
        """As people read it: ¥1,299.00, $12.50, 40.00 CHF."""
        places = 0 if self.currency in _ZERO_DECIMAL else 2
        quantum = Decimal(1).scaleb(-places)
        text = f"{self.amount.quantize(quantum):,}"
        sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
        symbol = _CODE_TO_SYMBOL.get(self.currency)
        return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {self.currency}"

    def canonical(self) -> str:
        """The stable machine form, e.g. "1299.00 CNY" (what audit records and YAML dumps hold)."""
        return f"{self.amount} {self.currency}"


def _parse(value: Any) -> Money:
    return Money.parse(value)


MoneyField = Annotated[Money, BeforeValidator(_parse), PlainSerializer(lambda m: m.canonical(), return_type=str)]
"""A pydantic field type: parsed from any accepted form, serialised as "1299.00 CNY"."""
