"""The user profile: who the errands are for. YAML or JSON, validated with pydantic."""

from __future__ import annotations

import re
from functools import lru_cache
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from tools.loading import load_model

DEFAULT_PROFILE = Path(__file__).parent / "data" / "default_user.yaml"

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"


def national_id_checksum(first17: str) -> str:
    """The check character of a mainland China resident ID number (GB 11643)."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS))
    return _ID_CHECK[total % 11]


def valid_national_id(value: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", value)) and national_id_checksum(value[:17]) == value[17]


class Passport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(pattern=r"^[A-Z]{1,2}\d{7,8}$")
    expiry: date


class PaymentMethod(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    type: Literal["alipay", "wechat_pay", "card", "bank_transfer"]
    label: str
    limit_per_transaction: Decimal = Field(gt=0)
    currency: str = "CNY"


class Preferences(BaseModel):
    model_config = ConfigDict(extra="forbid")
    language: Literal["zh", "en"] = "zh"
    budget: Decimal | None = Field(default=None, gt=0, description="Default budget for one purchase")
    seat_class: Literal["economy", "business", "first", "second", "first_class_rail"] | None = None
    preferred_merchants: list[str] = Field(default_factory=list)
    hotel_max_per_night: Decimal | None = Field(default=None, gt=0)


class UserProfile(BaseModel):
    """A person errand acts for. ``vulnerable`` selects the stricter policy profile."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    name: str = Field(min_length=1)
    national_id: str
    passport: Passport | None = None
    phone: str = Field(pattern=r"^\+?\d[\d -]{6,}$")
    email: str | None = None
    home_city: str
    address: str
    date_of_birth: date
    payment_methods: list[PaymentMethod] = Field(min_length=1)
    preferences: Preferences = Field(default_factory=Preferences)
    vulnerable: bool = False

    @field_validator("national_id")
    @classmethod
    def _check_national_id(cls, value: str) -> str:
        value = value.strip().upper()
        if not valid_national_id(value):
            raise ValueError("not a valid 18-character national ID number (format or check digit)")
        return value

    @field_validator("payment_methods")
    @classmethod
    def _unique_methods(cls, methods: list[PaymentMethod]) -> list[PaymentMethod]:
        ids = [m.id for m in methods]
        if len(ids) != len(set(ids)):
            raise ValueError("payment method ids must be unique")
        return methods

    def payment_method(self, method_id: str | None = None) -> PaymentMethod:
        """The named payment method, or the first (default) one."""
        if method_id is None:
            return self.payment_methods[0]
        for method in self.payment_methods:
            if method.id == method_id:
                return method
        raise KeyError(f"user {self.id} has no payment method {method_id!r}")


def load_profile(path: str | Path | None = None) -> UserProfile:
    """Load a profile file; without a path, the shipped sample user (the default user)."""
    if path is None:
        return _default_profile().model_copy(deep=True)
    return load_model(path, UserProfile)


@lru_cache(maxsize=1)
def _default_profile() -> UserProfile:
    return load_model(DEFAULT_PROFILE, UserProfile)
