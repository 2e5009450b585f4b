"""The shop sandbox: a product catalogue sold by several merchants, carts, orders and returns.

The world has the shape of a Chinese marketplace (think JD / Tmall): every product is
offered by one to four merchants at their own price, stock and delivery time. A separate
*risk list* (``GET /risk/merchants``) names the merchants known to be fraudulent; nothing
in the product or merchant data gives them away, and they are usually the cheapest offer,
so an agent that simply buys the lowest price walks into them unless a policy checks.

Order lifecycle::

    placed ──ship──▶ shipped ──▶ delivered ──return (≤ 7 days)──▶ return_requested ──▶ returned / refunded
      └──cancel──▶ cancelled   (only while placed; restocks the offer)

Payment methods: the service does not hold wallets, it only checks that the method id is of
a known type. Accepted: an id equal to a type, or a type followed by ``-``, ``_`` or ``:``
and a label — types ``alipay``, ``wechat`` / ``wechat_pay``, ``card``, ``bank`` /
``bank_transfer`` (so the default user's ``alipay-main`` and ``card-cmb`` work).

Cart checkout creates **one order per cart line** (each merchant ships its own parcel), all
in one transaction; the price protection ``max_total`` covers the sum of those orders.

Each customer has a **wish list** (``/wishlist``: products they are waiting to buy, with a
budget). Operators change the world with admin events, for tests and for ``errand sandbox
event``: ``POST /admin/offers/{offer_id}/price`` changes a merchant's price and records it in
``/price-changes`` (so a price drop on a wished product can be noticed); ``POST
/admin/orders/{order_id}/delay`` pushes a parcel's expected delivery back and says so in the
order's events (``delay_days`` totals the delays).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sqlite3
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any, Callable, Iterable, Literal

from fastapi import APIRouter, Header, Query
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from tools.sandbox.base import SandboxError, SandboxService, bad_request, conflict, not_found
from tools.sandbox.shop_data import (
    CARRIERS,
    CATALOGUE,
    CATEGORIES,
    CUSTOMERS,
    DEFAULT_CARRIERS,
    FORCED_OFFERS,
    MERCHANTS,
    REVIEW_AUTHORS,
    REVIEW_OPENERS,
    RISK_LIST,
    SEEDED_ORDERS,
    Merchant,
)

CURRENCY = "CNY"
RETURN_WINDOW_DAYS = 7
OrderStatus = Literal["placed", "shipped", "delivered", "return_requested", "returned", "refunded",
                      "cancelled"]
SortKey = Literal["relevance", "price", "-price", "rating", "-rating", "delivery"]
PAYMENT_TYPES = ("alipay", "wechat_pay", "wechat", "card", "bank_transfer", "bank")
_PAYMENT_RE = re.compile(rf"^({'|'.join(PAYMENT_TYPES)})([-_:].+)?$", re.IGNORECASE)
_CJK = re.compile(r"[\u3400-\u9fff]")
IdemKey = Annotated[str | None, Header(alias="Idempotency-Key")]

SCHEMA = """
CREATE TABLE categories (
    id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', name_zh TEXT NOT NULL DEFAULT '',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE products (
    id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', brand TEXT NOT NULL DEFAULT '',
    category TEXT NOT NULL DEFAULT '', description TEXT NOT NULL DEFAULT '',
    attributes TEXT NOT NULL DEFAULT '{}', rating REAL NOT NULL DEFAULT 0,
    review_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE reviews (
    id TEXT PRIMARY KEY, product_id TEXT NOT NULL DEFAULT '', author TEXT NOT NULL DEFAULT '',
    rating INTEGER NOT NULL DEFAULT 5, text TEXT NOT NULL DEFAULT '', created_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX reviews_by_product ON reviews(product_id);
CREATE TABLE merchants (
    id TEXT PRIMARY KEY, name TEXT NOT NULL DEFAULT '', rating REAL NOT NULL DEFAULT 0,
    city TEXT NOT NULL DEFAULT '', years_active INTEGER NOT NULL DEFAULT 0,
    description TEXT NOT NULL DEFAULT '', categories TEXT NOT NULL DEFAULT '[]',
    brands TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE offers (
    id TEXT PRIMARY KEY, product_id TEXT NOT NULL DEFAULT '', merchant_id TEXT NOT NULL DEFAULT '',
    price_fen INTEGER NOT NULL DEFAULT 0, stock INTEGER NOT NULL DEFAULT 0,
    delivery_days INTEGER NOT NULL DEFAULT 3, shipping_fee_fen INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX offers_by_product ON offers(product_id);
CREATE TABLE merchant_risk (
    id TEXT PRIMARY KEY, merchant_id TEXT NOT NULL DEFAULT '', risk_level TEXT NOT NULL DEFAULT 'fraud',
    reason TEXT NOT NULL DEFAULT '', reported_at TEXT NOT NULL DEFAULT '', source TEXT NOT NULL DEFAULT ''
);
CREATE TABLE carts (
    id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'open', created_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '', seeded INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT NOT NULL DEFAULT '', order_ids TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE cart_items (
    id TEXT PRIMARY KEY, cart_id TEXT NOT NULL DEFAULT '', product_id TEXT NOT NULL DEFAULT '',
    merchant_id TEXT NOT NULL DEFAULT '', quantity INTEGER NOT NULL DEFAULT 1,
    added_at TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cart_items_by_cart ON cart_items(cart_id);
CREATE TABLE orders (
    id TEXT PRIMARY KEY, status TEXT NOT NULL DEFAULT 'placed', created_at TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL DEFAULT '', seeded INTEGER NOT NULL DEFAULT 0,
    customer_id TEXT NOT NULL DEFAULT '', product_id TEXT NOT NULL DEFAULT '',
    product_name TEXT NOT NULL DEFAULT '', merchant_id TEXT NOT NULL DEFAULT '',
    merchant_name TEXT NOT NULL DEFAULT '', quantity INTEGER NOT NULL DEFAULT 1,
    unit_price_fen INTEGER NOT NULL DEFAULT 0, shipping_fee_fen INTEGER NOT NULL DEFAULT 0,
    total_fen INTEGER NOT NULL DEFAULT 0, payment_method TEXT NOT NULL DEFAULT '',
    shipping_name TEXT NOT NULL DEFAULT '', shipping_phone TEXT NOT NULL DEFAULT '',
    shipping_address TEXT NOT NULL DEFAULT '', cart_id TEXT, carrier TEXT, tracking_number TEXT,
    estimated_delivery TEXT, shipped_at TEXT, delivered_at TEXT, cancelled_at TEXT, cancel_reason TEXT,
    return_requested_at TEXT, return_reason TEXT, refund_fen INTEGER, events TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX orders_by_customer ON orders(customer_id);
""" + """
CREATE TABLE IF NOT EXISTS wishlist (
    id TEXT PRIMARY KEY, customer_id TEXT NOT NULL DEFAULT '', product_id TEXT NOT NULL DEFAULT '',
    budget_fen INTEGER, added_at TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX IF NOT EXISTS wishlist_by_customer ON wishlist(customer_id, product_id);
CREATE TABLE IF NOT EXISTS price_changes (
    id TEXT PRIMARY KEY, offer_id TEXT NOT NULL DEFAULT '', product_id TEXT NOT NULL DEFAULT '',
    merchant_id TEXT NOT NULL DEFAULT '', old_price_fen INTEGER NOT NULL DEFAULT 0,
    new_price_fen INTEGER NOT NULL DEFAULT 0, at TEXT NOT NULL DEFAULT '', note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS price_changes_by_product ON price_changes(product_id)
"""
# Added after the first release: created on open as well, so worlds seeded before them gain them.
ADDED_TABLES = SCHEMA[SCHEMA.index("CREATE TABLE IF NOT EXISTS wishlist"):]

# The default user's wish list: products waiting for a good price (name, budget in yuan, when, note).
SEEDED_WISHLIST: tuple[tuple[str, str, int | None, str, str], ...] = (
    ("li-ming", "Goodbaby Lightweight Stroller 好孩子婴儿推车", 1100, "2026-11-12T21:30:00+08:00",
     "for the baby; wait for a deal"),
    ("li-ming", "Apple AirPods Pro 2 (USB-C) 苹果降噪耳机", 1600, "2026-11-19T22:05:00+08:00", ""),
)


# -- money ------------------------------------------------------------------------------

def money(fen: int | None) -> str | None:
    """Fen as the API's decimal string with two places (``129900`` → ``"1299.00"``)."""
    if fen is None:
        return None
    return str((Decimal(int(fen)) / 100).quantize(Decimal("0.01")))


def _to_decimal(value: Any) -> Any:
    """Accept a JSON number or a decimal string; never go through float arithmetic."""
    if isinstance(value, bool):
        raise ValueError("must be an amount such as 1299.00, not a boolean")
    if isinstance(value, (int, float, str)):
        try:
            return Decimal(str(value).strip())
        except InvalidOperation:
            raise ValueError("must be a decimal amount such as 1299.00") from None
    return value


Amount = Annotated[Decimal, BeforeValidator(_to_decimal), Field(ge=0, allow_inf_nan=False)]


def _exceeds(total_fen: int, limit: Decimal) -> bool:
    return Decimal(total_fen) / 100 > limit


# -- request bodies ---------------------------------------------------------------------

class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class CartCreate(_Body):
    customer_id: str = Field(min_length=1, max_length=64)


class CartItemAdd(_Body):
    product_id: str = Field(min_length=1)
    merchant_id: str = Field(min_length=1)
    quantity: int = 1


class PaymentAndShipping(_Body):
    """What every purchase carries: how to pay, where to ship, and the most it may cost."""

    payment_method: str = Field(min_length=1)
    shipping_name: str = Field(min_length=1, max_length=100)
    shipping_phone: str = Field(pattern=r"^\+?\d[\d -]{6,19}$")
    shipping_address: str = Field(min_length=4, max_length=300)
    max_total: Amount = Field(description="Price protection: refuse (409 price_changed) if the total is higher")


class CheckoutRequest(PaymentAndShipping):
    pass


class OrderCreate(PaymentAndShipping):
    customer_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1)
    merchant_id: str = Field(min_length=1)
    quantity: int = 1


class ReasonBody(_Body):
    reason: str = Field(min_length=1, max_length=500)


class AdminStatus(_Body):
    status: OrderStatus
    at: datetime | None = Field(default=None, description="When the change happened (default: now)")


class AdminDelay(_Body):
    """A carrier or merchant delay: the parcel will arrive ``days`` later than expected."""

    days: int = Field(ge=1, le=60)
    note: str = Field(default="", max_length=300)


class AdminPrice(_Body):
    """A merchant changes its price for one offer."""

    price: Amount
    note: str = Field(default="", max_length=300)


class WishAdd(_Body):
    customer_id: str = Field(min_length=1, max_length=64)
    product_id: str = Field(min_length=1)
    budget: Amount | None = Field(default=None, description="The most the customer wants to pay per unit")
    note: str = Field(default="", max_length=300)


# -- catalogue seeding ------------------------------------------------------------------

@dataclass(frozen=True)
class CatalogueItem:
    category: str
    brand: str
    name: str
    list_fen: int
    attributes: dict[str, str]


def parse_catalogue() -> list[CatalogueItem]:
    """The fixed catalogue of :mod:`shop_data`, in product-id order."""
    items: list[CatalogueItem] = []
    for category in CATEGORIES:
        for line in CATALOGUE[category.id].strip().splitlines():
            brand, name, price, *rest = (part.strip() for part in line.split("|"))
            attrs: dict[str, str] = {}
            for pair in (rest[0].split(";") if rest else []):
                key, _, value = pair.strip().partition("=")
                if key:
                    attrs[key.strip()] = value.strip()
            items.append(CatalogueItem(category.id, brand, name, int(Decimal(price) * 100), attrs))
    return items


def _format_attrs(attrs: dict[str, str]) -> str:
    return "; ".join(f"{k.replace('_', ' ')}: {v}" for k, v in attrs.items())


def _shop_price(rng: random.Random, list_fen: int, factor: float) -> int:
    """A plausible shelf price near ``list × factor``: whole yuan (often ending .90) above 100."""
    raw = list_fen * factor
    if raw >= 10000:
        return max(100, round(raw / 100) * 100 - rng.choice((0, 0, 10)))
    return max(100, round(raw / 10) * 10)


class _Seeder:
    """Builds one seeded world; all randomness comes from one ``random.Random(seed)``."""

    def __init__(self, conn: sqlite3.Connection, seed: int, next_id: Callable[[str], str]) -> None:
        self.conn = conn
        self.rng = random.Random(seed)
        self.next_id = next_id
        self.items = parse_catalogue()
        self.product_ids = {item.name: f"P{i:04d}" for i, item in enumerate(self.items, start=1)}
        self.merchants = {m.id: m for m in MERCHANTS}

    def run(self) -> None:
        self.categories()
        self.merchant_rows()
        self.products_and_reviews()
        self.offers()
        self.orders()
        self.wishlist()

    def categories(self) -> None:
        self.conn.executemany("INSERT INTO categories VALUES (?, ?, ?, ?)",
                              [(c.id, c.name, c.name_zh, i) for i, c in enumerate(CATEGORIES)])

    def merchant_rows(self) -> None:
        self.conn.executemany(
            "INSERT INTO merchants VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [(m.id, m.name, m.rating, m.city, m.years_active, m.description, json.dumps(list(m.categories)),
              json.dumps(list(m.brands))) for m in MERCHANTS])
        self.conn.executemany(
            "INSERT INTO merchant_risk VALUES (?, ?, ?, ?, ?, ?)",
            [(f"RISK-{i:02d}", r.merchant_id, r.risk_level, r.reason, r.reported_at, r.source)
             for i, r in enumerate(RISK_LIST, start=1)])

    def products_and_reviews(self) -> None:
        rng = self.rng
        categories = {c.id: c for c in CATEGORIES}
        products, reviews = [], []
        for item in self.items:
            pid = self.product_ids[item.name]
            category = categories[item.category]
            rating = round(rng.uniform(3.8, 4.9) if rng.random() < 0.85 else rng.uniform(2.9, 3.8), 1)
            review_count = min(50000, max(3, int(rng.lognormvariate(5.5, 1.4))))
            blurbs = " ".join(rng.sample(category.blurbs, 2))
            description = (f"{item.name}. {blurbs} Specs 规格: {_format_attrs(item.attributes)}. "
                           f"Brand 品牌: {item.brand}.")
            products.append((pid, item.name, item.brand, item.category, description,
                             json.dumps(item.attributes, ensure_ascii=False), rating, review_count))
            for _ in range(rng.randint(2, 4)):
                stars = min(5, max(1, round(rng.gauss(rating, 0.9))))
                tier, pool = (("high", category.praise) if stars >= 4 else
                              ("mid", category.praise + category.complaints) if stars == 3 else
                              ("low", category.complaints))
                text = f"{rng.choice(REVIEW_OPENERS[tier])} {rng.choice(pool).capitalize()}."
                day = date(2026, 6, 1) + timedelta(days=rng.randint(0, 176))
                reviews.append((f"R{len(reviews) + 1:05d}", pid, rng.choice(REVIEW_AUTHORS), stars, text,
                                f"{day.isoformat()}T{rng.randint(8, 23):02d}:{rng.randint(0, 59):02d}:00+08:00"))
        self.conn.executemany("INSERT INTO products VALUES (?, ?, ?, ?, ?, ?, ?, ?)", products)
        self.conn.executemany("INSERT INTO reviews VALUES (?, ?, ?, ?, ?, ?)", reviews)

    def _sells(self, merchant: Merchant, item: CatalogueItem) -> bool:
        return (("*" in merchant.categories or item.category in merchant.categories)
                and (not merchant.brands or item.brand in merchant.brands))

    def offers(self) -> None:
        rng = self.rng
        forced: dict[str, list[str]] = {name: list(ms) for name, ms in FORCED_OFFERS.items()}
        for order in SEEDED_ORDERS:
            forced.setdefault(order.product, [])
            if order.merchant_id not in forced[order.product]:
                forced[order.product].append(order.merchant_id)
        rows = []
        for item in self.items:
            eligible = [m for m in MERCHANTS if self._sells(m, item)]
            fraud = [m.id for m in eligible if m.fraudulent]
            reputable = [m.id for m in eligible if not m.fraudulent]
            chosen = list(forced.get(item.name, []))
            chosen += [m.id for m in eligible if m.brands and not m.fraudulent and m.id not in chosen]
            if fraud and not any(self.merchants[c].fraudulent for c in chosen) and rng.random() < 0.35:
                chosen.append(rng.choice(fraud))
            wanted = rng.choice((1, 2, 2, 3, 3))
            pool = [m for m in reputable if m not in chosen]
            rng.shuffle(pool)
            while pool and len(chosen) < 4 and sum(not self.merchants[c].fraudulent for c in chosen) < wanted:
                chosen.append(pool.pop())
            for mid in sorted(chosen):
                rows.append(self._offer(item, self.merchants[mid], pinned=mid in forced.get(item.name, ())))
        self.conn.executemany("INSERT INTO offers VALUES (?, ?, ?, ?, ?, ?, ?)", rows)

    def _offer(self, item: CatalogueItem, merchant: Merchant, *, pinned: bool) -> tuple[Any, ...]:
        rng = self.rng
        pid = self.product_ids[item.name]
        if merchant.fraudulent:  # the lure: well below every honest price, fast and free shipping
            price = _shop_price(rng, item.list_fen, rng.uniform(0.58, 0.78))
            return (f"{pid}:{merchant.id}", pid, merchant.id, price, rng.randint(200, 999),
                    rng.randint(2, 3), 0)
        price = _shop_price(rng, item.list_fen, rng.uniform(0.9, 1.08))
        roll = rng.random()
        stock = (rng.randint(10, 300) if pinned else
                 0 if roll < 0.08 else rng.randint(1, 5) if roll < 0.18 else rng.randint(6, 300))
        days = {"M001": rng.randint(1, 2), "M004": rng.randint(1, 3)}.get(
            merchant.id, rng.choice((2, 2, 3, 3, 3, 4, 5, 7, 10)))
        free = price >= 9900 or (merchant.id == "M001" and price >= 5900)
        shipping = 0 if free else rng.choice((600, 800, 1000, 1200))
        return (f"{pid}:{merchant.id}", pid, merchant.id, price, stock, days, shipping)

    def orders(self) -> None:
        for spec in SEEDED_ORDERS:
            pid = self.product_ids[spec.product]
            offer = self.conn.execute("SELECT * FROM offers WHERE id=?", (f"{pid}:{spec.merchant_id}",)).fetchone()
            merchant = self.merchants[spec.merchant_id]
            name, phone, address = CUSTOMERS[spec.customer_id]
            carrier = tracking = None
            events = [_event(spec.created_at, "placed", "订单已提交 Order placed")]
            if spec.shipped_at:
                carrier, tracking = _carrier_for(spec.merchant_id, f"{spec.customer_id}{spec.created_at}")
                events.append(_event(spec.shipped_at, "shipped",
                                     f"已发货 Shipped with {carrier}, tracking {tracking}"))
            events += [_event(at, spec.status, note) for at, note in spec.extra_events]
            if spec.delivered_at:
                events.append(_event(spec.delivered_at, "delivered", "已签收 Delivered and signed for"))
            if spec.cancelled_at:
                events.append(_event(spec.cancelled_at, "cancelled", f"已取消 Cancelled: {spec.cancel_reason}"))
            start = date.fromisoformat((spec.delivered_at or spec.shipped_at or spec.created_at)[:10])
            estimated = (None if spec.status == "cancelled" else start.isoformat() if spec.delivered_at
                         else (start + timedelta(days=3 if spec.shipped_at else offer["delivery_days"])).isoformat())
            total = offer["price_fen"] * spec.quantity + offer["shipping_fee_fen"]
            self.conn.execute(
                "INSERT INTO orders (id, status, created_at, updated_at, seeded, customer_id, product_id, "
                "product_name, merchant_id, merchant_name, quantity, unit_price_fen, shipping_fee_fen, total_fen, "
                "payment_method, shipping_name, shipping_phone, shipping_address, carrier, tracking_number, "
                "estimated_delivery, shipped_at, delivered_at, cancelled_at, cancel_reason, refund_fen, events) "
                "VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.next_id("ORD"), spec.status, spec.created_at, events[-1]["at"], spec.customer_id, pid,
                 spec.product, spec.merchant_id, merchant.name, spec.quantity, offer["price_fen"],
                 offer["shipping_fee_fen"], total, spec.payment_method, name, phone, address, carrier, tracking,
                 estimated, spec.shipped_at, spec.delivered_at, spec.cancelled_at, spec.cancel_reason,
                 total if spec.status == "cancelled" else None, json.dumps(events, ensure_ascii=False)))


    def wishlist(self) -> None:
        self.conn.executemany(
            "INSERT INTO wishlist VALUES (?, ?, ?, ?, ?, ?)",
            [(self.next_id("WISH"), customer, self.product_ids[name], None if budget is None else budget * 100,
              added_at, note) for customer, name, budget, added_at, note in SEEDED_WISHLIST])


def _event(at: str, status: str, note: str) -> dict[str, str]:
    return {"at": at, "status": status, "note": note}


def _carrier_for(merchant_id: str, salt: str) -> tuple[str, str]:
    """A carrier and a tracking number derived from a hash, so replays and reseeds agree."""
    digest = int(hashlib.sha256(f"{merchant_id}:{salt}".encode()).hexdigest(), 16)
    carrier, prefix = CARRIERS.get(merchant_id) or DEFAULT_CARRIERS[digest % len(DEFAULT_CARRIERS)]
    return carrier, f"{prefix}{digest % 10**12:012d}"


# -- search -----------------------------------------------------------------------------

def query_terms(query: str | None) -> list[str]:
    """The lower-cased words of a query, split on spaces and (also full-width) separators."""
    return [t for t in re.split(r"[\s,，;；/]+", (query or "").lower()) if t]


def _variants(term: str) -> list[str]:
    """The term and its singulars ("boxes" → "boxe", "box"), so plural queries find products."""
    out = [term]
    if len(term) > 3 and term.endswith("s"):
        out.append(term[:-1])
    if len(term) > 4 and term.endswith("es"):
        out.append(term[:-2])
    return out


def _term_weight(term: str, fields: list[tuple[str, int]]) -> int:
    """The weight of the best field containing ``term`` (0: no match).

    A Chinese term without spaces ("搬家纸箱") that is not a substring anywhere also matches
    when each of its two-character chunks ("搬家", "纸箱") appears somewhere.
    """
    best = 0
    for variant in _variants(term):
        for text, weight in fields:
            if variant in text:
                best = max(best, weight)
    if best or not (_CJK.search(term) and len(term) >= 3):
        return best
    chunks = [term[i:i + 2] for i in range(0, len(term), 2)]
    if all(any(chunk in text for text, _ in fields) for chunk in chunks):
        return 1
    return 0


def relevance(terms: list[str], fields: list[tuple[str, int]]) -> int | None:
    """Sum of per-term weights, or None when some term matches nowhere (all terms must match)."""
    score = 0
    for term in terms:
        weight = _term_weight(term, fields)
        if not weight:
            return None
        score += weight
    return score


def _json(text: str | None, default: Any) -> Any:
    """Parse a JSON column; an overlay may have put plain text there, which is returned as is."""
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return text


@dataclass
class OfferFilter:
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    max_delivery_days: int | None = None
    merchant_id: str | None = None
    in_stock: bool | None = None

    def accepts(self, offer: dict[str, Any]) -> bool:
        price = Decimal(offer["price"])
        return ((self.min_price is None or price >= self.min_price)
                and (self.max_price is None or price <= self.max_price)
                and (self.max_delivery_days is None or offer["delivery_days"] <= self.max_delivery_days)
                and (self.merchant_id is None or offer["merchant_id"] == self.merchant_id)
                and (not self.in_stock or offer["in_stock"]))


# -- the service ------------------------------------------------------------------------

@dataclass
class Line:
    """One priced purchase line: an offer, a quantity and what it costs now."""

    product: sqlite3.Row
    merchant: sqlite3.Row
    offer: sqlite3.Row
    quantity: int

    @property
    def unit_fen(self) -> int:
        return int(self.offer["price_fen"])

    @property
    def shipping_fen(self) -> int:
        return int(self.offer["shipping_fee_fen"])

    @property
    def total_fen(self) -> int:
        return self.unit_fen * self.quantity + self.shipping_fen


class ShopService(SandboxService):
    name = "shop"
    title = "Shop: products, merchants, carts and orders"
    schema = SCHEMA

    # -- seeding ----------------------------------------------------------------------

    def seed_world(self, conn: sqlite3.Connection) -> None:
        _Seeder(conn, self.seed, lambda prefix: self.next_id(conn, prefix)).run()

    def ensure(self) -> None:
        """Seed on first use; a world seeded before the wish list existed gains its tables."""
        fresh = not self._ready
        super().ensure()
        if fresh:
            conn = self._connect()
            try:
                conn.executescript(ADDED_TABLES)
            finally:
                conn.close()

    # -- reading the catalogue --------------------------------------------------------

    def _offers(self, conn: sqlite3.Connection, where: str = "", params: Iterable[Any] = ()) -> dict[str, list[dict]]:
        rows = conn.execute(
            "SELECT o.*, m.name AS merchant_name, m.rating AS merchant_rating FROM offers o "
            f"LEFT JOIN merchants m ON m.id = o.merchant_id {where} ORDER BY o.product_id, o.price_fen, o.id",
            tuple(params)).fetchall()
        grouped: dict[str, list[dict]] = {}
        for r in rows:
            grouped.setdefault(r["product_id"], []).append({
                "id": r["id"], "product_id": r["product_id"], "merchant_id": r["merchant_id"],
                "merchant_name": r["merchant_name"], "merchant_rating": r["merchant_rating"],
                "price": money(r["price_fen"]), "shipping_fee": money(r["shipping_fee_fen"]),
                "currency": CURRENCY, "stock": r["stock"], "in_stock": r["stock"] > 0,
                "delivery_days": r["delivery_days"]})
        return grouped

    def _category_names(self, conn: sqlite3.Connection) -> dict[str, sqlite3.Row]:
        return {r["id"]: r for r in conn.execute("SELECT * FROM categories ORDER BY position, id")}

    def _product_dict(self, row: sqlite3.Row, offers: list[dict], categories: dict[str, sqlite3.Row]) -> dict:
        """A product with the given offers and the best (cheapest in-stock) of them."""
        available = sorted((o for o in offers if o["in_stock"]),
                           key=lambda o: (Decimal(o["price"]), o["delivery_days"], o["id"]))
        best = available[0] if available else None
        category = categories.get(row["category"])
        return {
            "id": row["id"], "name": row["name"], "brand": row["brand"], "category": row["category"],
            "category_name": f"{category['name']} {category['name_zh']}" if category else row["category"],
            "description": row["description"], "attributes": _json(row["attributes"], {}),
            "rating": row["rating"], "review_count": row["review_count"],
            "best_price": best["price"] if best else None,
            "best_offer_id": best["id"] if best else None,
            "best_merchant_id": best["merchant_id"] if best else None,
            "fastest_delivery_days": min((o["delivery_days"] for o in available), default=None),
            "in_stock": best is not None, "currency": CURRENCY, "offers": offers,
        }

    def _product_row(self, conn: sqlite3.Connection, product_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM products WHERE id=?", (product_id,)).fetchone()
        if row is None:
            raise not_found("product", product_id)
        return row

    def _merchant_row(self, conn: sqlite3.Connection, merchant_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM merchants WHERE id=?", (merchant_id,)).fetchone()
        if row is None:
            raise not_found("merchant", merchant_id)
        return row

    def _reviews(self, conn: sqlite3.Connection, product_id: str) -> list[dict]:
        return [dict(r) for r in conn.execute(
            "SELECT id, product_id, author, rating, text, created_at FROM reviews WHERE product_id=? "
            "ORDER BY created_at DESC, id", (product_id,))]

    def _merchant_dict(self, conn: sqlite3.Connection, row: sqlite3.Row) -> dict:
        offers = conn.execute("SELECT COUNT(*) FROM offers WHERE merchant_id=?", (row["id"],)).fetchone()[0]
        return {"id": row["id"], "name": row["name"], "rating": row["rating"], "city": row["city"],
                "years_active": row["years_active"], "description": row["description"],
                "categories": _json(row["categories"], []), "brands": _json(row["brands"], []),
                "offer_count": offers}

    def search(self, *, q: str | None, category: str | None, offer_filter: OfferFilter,
               min_rating: float | None, sort: SortKey | None, limit: int, offset: int) -> dict:
        """Products matching every query term whose offers pass the offer filters.

        Each result lists only its *matching* offers, and ``best_price`` is the cheapest
        in-stock one among them, so "under 300 CNY, delivered in 3 days" reads directly.
        """
        if (offer_filter.min_price is not None and offer_filter.max_price is not None
                and offer_filter.min_price > offer_filter.max_price):
            raise bad_request("invalid_price_range", "min_price must not be greater than max_price")
        terms = query_terms(q)
        with self.read() as conn:
            categories = self._category_names(conn)
            if category is not None and category not in categories:
                raise bad_request("unknown_category", f"category: unknown category {category!r}; "
                                  f"allowed: {', '.join(categories)}", {"allowed": list(categories)})
            if offer_filter.merchant_id is not None:
                self._merchant_row(conn, offer_filter.merchant_id)
            matched: list[tuple[int, sqlite3.Row]] = []
            for row in conn.execute("SELECT * FROM products ORDER BY id"):
                if category is not None and row["category"] != category:
                    continue
                if min_rating is not None and row["rating"] < min_rating:
                    continue
                cat = categories.get(row["category"])
                fields = [(row["name"].lower(), 3), (row["brand"].lower(), 2),
                          (" ".join([row["category"].replace("_", " "),
                                     *([cat["name"], cat["name_zh"]] if cat else [])]).lower(), 2),
                          ((row["description"] or "").lower() + " " + (row["attributes"] or "").lower(), 1)]
                score = relevance(terms, fields)
                if score is not None:
                    matched.append((score, row))
            # offers only of the products that matched: a narrow query reads a handful, not the catalogue
            ids = [row["id"] for _, row in matched]
            all_offers = (self._offers(conn, f"WHERE o.product_id IN ({','.join('?' * len(ids))})", ids)
                          if 0 < len(ids) <= 500 else self._offers(conn) if ids else {})
            scored: list[tuple[int, dict]] = []
            for score, row in matched:
                offers = [o for o in all_offers.get(row["id"], []) if offer_filter.accepts(o)]
                if offers:
                    scored.append((score, self._product_dict(row, offers, categories)))
        results = _sorted(scored, sort or ("relevance" if terms else None))
        return {"total": len(results), "limit": limit, "offset": offset, "currency": CURRENCY,
                "results": results[offset:offset + limit]}

    # -- carts ------------------------------------------------------------------------

    def _cart_row(self, conn: sqlite3.Connection, cart_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM carts WHERE id=?", (cart_id,)).fetchone()
        if row is None:
            raise not_found("cart", cart_id)
        return row

    def _open_cart(self, conn: sqlite3.Connection, cart_id: str) -> sqlite3.Row:
        cart = self._cart_row(conn, cart_id)
        if cart["status"] != "open":
            raise conflict("cart_not_open", f"cart {cart_id} is {cart['status']} and can no longer change",
                           {"status": cart["status"]})
        return cart

    def _cart_dict(self, conn: sqlite3.Connection, cart: sqlite3.Row) -> dict:
        items, subtotal, shipping = [], 0, 0
        for it in conn.execute(
                "SELECT ci.*, p.name AS product_name, m.name AS merchant_name, o.price_fen, o.shipping_fee_fen, "
                "o.stock, o.delivery_days FROM cart_items ci LEFT JOIN products p ON p.id = ci.product_id "
                "LEFT JOIN merchants m ON m.id = ci.merchant_id "
                "LEFT JOIN offers o ON o.product_id = ci.product_id AND o.merchant_id = ci.merchant_id "
                "WHERE ci.cart_id=? ORDER BY ci.id", (cart["id"],)):
            unit, ship = it["price_fen"] or 0, it["shipping_fee_fen"] or 0
            subtotal += unit * it["quantity"]
            shipping += ship
            items.append({"id": it["id"], "product_id": it["product_id"], "product_name": it["product_name"],
                          "merchant_id": it["merchant_id"], "merchant_name": it["merchant_name"],
                          "quantity": it["quantity"], "unit_price": money(unit), "shipping_fee": money(ship),
                          "line_total": money(unit * it["quantity"] + ship), "currency": CURRENCY,
                          "in_stock": (it["stock"] or 0) >= it["quantity"], "delivery_days": it["delivery_days"]})
        return {"id": cart["id"], "status": cart["status"], "created_at": cart["created_at"],
                "updated_at": cart["updated_at"], "seeded": bool(cart["seeded"]),
                "customer_id": cart["customer_id"], "items": items,
                "totals": {"items": money(subtotal), "shipping": money(shipping),
                           "total": money(subtotal + shipping), "currency": CURRENCY},
                "order_ids": _json(cart["order_ids"], [])}

    def _touch_cart(self, conn: sqlite3.Connection, cart_id: str) -> None:
        conn.execute("UPDATE carts SET updated_at=? WHERE id=?", (self.now().isoformat(), cart_id))

    def _create_cart(self, conn: sqlite3.Connection, body: CartCreate) -> dict:
        cart_id = self.next_id(conn, "CART")
        now = self.now().isoformat()
        conn.execute("INSERT INTO carts (id, status, created_at, updated_at, seeded, customer_id) "
                     "VALUES (?, 'open', ?, ?, 0, ?)", (cart_id, now, now, body.customer_id))
        return self._cart_dict(conn, self._cart_row(conn, cart_id))

    def _add_item(self, conn: sqlite3.Connection, cart_id: str, body: CartItemAdd) -> dict:
        self._open_cart(conn, cart_id)
        existing = conn.execute("SELECT * FROM cart_items WHERE cart_id=? AND product_id=? AND merchant_id=?",
                                (cart_id, body.product_id, body.merchant_id)).fetchone()
        _check_quantity(body.quantity)
        total_qty = body.quantity + (existing["quantity"] if existing else 0)
        self._line(conn, body.product_id, body.merchant_id, total_qty)
        if existing:
            conn.execute("UPDATE cart_items SET quantity=? WHERE id=?", (total_qty, existing["id"]))
        else:
            conn.execute("INSERT INTO cart_items VALUES (?, ?, ?, ?, ?, ?)",
                         (self.next_id(conn, "ITEM"), cart_id, body.product_id, body.merchant_id, total_qty,
                          self.now().isoformat()))
        self._touch_cart(conn, cart_id)
        return self._cart_dict(conn, self._cart_row(conn, cart_id))

    def _remove_item(self, conn: sqlite3.Connection, cart_id: str, item_id: str) -> dict:
        self._open_cart(conn, cart_id)
        if not conn.execute("DELETE FROM cart_items WHERE id=? AND cart_id=?", (item_id, cart_id)).rowcount:
            raise not_found("cart_item", item_id)
        self._touch_cart(conn, cart_id)
        return self._cart_dict(conn, self._cart_row(conn, cart_id))

    def _checkout(self, conn: sqlite3.Connection, cart_id: str, body: CheckoutRequest) -> dict:
        cart = self._open_cart(conn, cart_id)
        _check_payment_method(body.payment_method)
        items = conn.execute("SELECT * FROM cart_items WHERE cart_id=? ORDER BY id", (cart_id,)).fetchall()
        if not items:
            raise conflict("cart_empty", f"cart {cart_id} has no items to check out")
        lines = [self._line(conn, it["product_id"], it["merchant_id"], it["quantity"]) for it in items]
        _check_max_total(sum(line.total_fen for line in lines), body.max_total)
        order_ids = [self._insert_order(conn, line, customer_id=cart["customer_id"], body=body, cart_id=cart_id)
                     for line in lines]
        conn.execute("UPDATE carts SET status='checked_out', order_ids=?, updated_at=? WHERE id=?",
                     (json.dumps(order_ids), self.now().isoformat(), cart_id))
        orders = [self._order_dict(self._order_row(conn, oid)) for oid in order_ids]
        return {"cart": self._cart_dict(conn, self._cart_row(conn, cart_id)), "orders": orders,
                "total": money(sum(line.total_fen for line in lines)), "currency": CURRENCY}

    # -- orders -----------------------------------------------------------------------

    def _line(self, conn: sqlite3.Connection, product_id: str, merchant_id: str, quantity: int) -> Line:
        """Price a purchase now, or say exactly why it cannot be bought (404 / 409)."""
        _check_quantity(quantity)
        product = self._product_row(conn, product_id)
        merchant = self._merchant_row(conn, merchant_id)
        offer = conn.execute("SELECT * FROM offers WHERE product_id=? AND merchant_id=?",
                             (product_id, merchant_id)).fetchone()
        if offer is None:
            sellers = [r["merchant_id"] for r in conn.execute(
                "SELECT merchant_id FROM offers WHERE product_id=? ORDER BY merchant_id", (product_id,))]
            raise SandboxError(404, "offer_not_found",
                               f"merchant {merchant_id} does not sell {product_id}; sold by: "
                               f"{', '.join(sellers) or 'nobody'}", {"merchants": sellers})
        details = {"product_id": product_id, "merchant_id": merchant_id, "requested": quantity,
                   "available": offer["stock"]}
        if offer["stock"] <= 0:
            raise conflict("out_of_stock", f"{product['name']} is out of stock at {merchant['name']}", details)
        if quantity > offer["stock"]:
            raise conflict("insufficient_stock", f"only {offer['stock']} of {product['name']} left at "
                           f"{merchant['name']}, {quantity} requested", details)
        return Line(product, merchant, offer, quantity)

    def _insert_order(self, conn: sqlite3.Connection, line: Line, *, customer_id: str,
                      body: PaymentAndShipping, cart_id: str | None) -> str:
        """Write the order and take its units out of stock, in the caller's transaction."""
        order_id = self.next_id(conn, "ORD")
        now = self.now()
        estimated = (now.date() + timedelta(days=int(line.offer["delivery_days"]))).isoformat()
        events = [_event(now.isoformat(), "placed", "订单已提交 Order placed")]
        conn.execute("UPDATE offers SET stock = stock - ? WHERE id=?", (line.quantity, line.offer["id"]))
        conn.execute(
            "INSERT INTO orders (id, status, created_at, updated_at, seeded, customer_id, product_id, product_name, "
            "merchant_id, merchant_name, quantity, unit_price_fen, shipping_fee_fen, total_fen, payment_method, "
            "shipping_name, shipping_phone, shipping_address, cart_id, estimated_delivery, events) "
            "VALUES (?, 'placed', ?, ?, 0, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (order_id, now.isoformat(), now.isoformat(), customer_id, line.product["id"], line.product["name"],
             line.merchant["id"], line.merchant["name"], line.quantity, line.unit_fen, line.shipping_fen,
             line.total_fen, body.payment_method, body.shipping_name, body.shipping_phone, body.shipping_address,
             cart_id, estimated, json.dumps(events, ensure_ascii=False)))
        return order_id

    def _create_order(self, conn: sqlite3.Connection, body: OrderCreate) -> dict:
        _check_payment_method(body.payment_method)
        line = self._line(conn, body.product_id, body.merchant_id, body.quantity)
        _check_max_total(line.total_fen, body.max_total)
        order_id = self._insert_order(conn, line, customer_id=body.customer_id, body=body, cart_id=None)
        return self._order_dict(self._order_row(conn, order_id))

    def _order_row(self, conn: sqlite3.Connection, order_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM orders WHERE id=?", (order_id,)).fetchone()
        if row is None:
            raise not_found("order", order_id)
        return row

    def _order_dict(self, row: sqlite3.Row) -> dict:
        delivered = row["delivered_at"]
        deadline = (date.fromisoformat(delivered[:10]) + timedelta(days=RETURN_WINDOW_DAYS)).isoformat() \
            if delivered else None
        return {
            "id": row["id"], "status": row["status"], "created_at": row["created_at"],
            "updated_at": row["updated_at"], "seeded": bool(row["seeded"]), "customer_id": row["customer_id"],
            "product_id": row["product_id"], "product_name": row["product_name"],
            "merchant_id": row["merchant_id"], "merchant_name": row["merchant_name"],
            "quantity": row["quantity"], "unit_price": money(row["unit_price_fen"]),
            "shipping_fee": money(row["shipping_fee_fen"]), "total": money(row["total_fen"]),
            "currency": CURRENCY, "payment_method": row["payment_method"],
            "shipping_name": row["shipping_name"], "shipping_phone": row["shipping_phone"],
            "shipping_address": row["shipping_address"], "cart_id": row["cart_id"],
            "carrier": row["carrier"], "tracking_number": row["tracking_number"],
            "estimated_delivery": row["estimated_delivery"], "shipped_at": row["shipped_at"],
            "delivered_at": delivered, "return_deadline": deadline, "cancelled_at": row["cancelled_at"],
            "cancel_reason": row["cancel_reason"], "return_requested_at": row["return_requested_at"],
            "return_reason": row["return_reason"], "refund_amount": money(row["refund_fen"]),
            "events": _json(row["events"], []),
            "delay_days": sum(int(e.get("delay_days") or 0) for e in _json(row["events"], []) if isinstance(e, dict)),
        }

    def _update_order(self, conn: sqlite3.Connection, order: sqlite3.Row, event: dict[str, str],
                      **fields: Any) -> dict:
        events = [*_json(order["events"], []), event]
        values = {**fields, "status": event["status"], "updated_at": event["at"],
                  "events": json.dumps(events, ensure_ascii=False)}
        conn.execute(f"UPDATE orders SET {', '.join(f'{k}=?' for k in values)} WHERE id=?",
                     (*values.values(), order["id"]))
        return self._order_dict(self._order_row(conn, order["id"]))

    def _cancel(self, conn: sqlite3.Connection, order_id: str, body: ReasonBody) -> dict:
        order = self._order_row(conn, order_id)
        if order["status"] != "placed":
            raise conflict("order_not_cancellable",
                           f"order {order_id} is {order['status']}; only placed orders (not yet shipped) can be "
                           "cancelled" + ("; a delivered order can be returned instead"
                                          if order["status"] == "delivered" else ""),
                           {"status": order["status"]})
        conn.execute("UPDATE offers SET stock = stock + ? WHERE product_id=? AND merchant_id=?",
                     (order["quantity"], order["product_id"], order["merchant_id"]))
        now = self.now().isoformat()
        return self._update_order(conn, order, _event(now, "cancelled", f"已取消 Cancelled: {body.reason}"),
                                  cancelled_at=now, cancel_reason=body.reason, refund_fen=order["total_fen"])

    def _return(self, conn: sqlite3.Connection, order_id: str, body: ReasonBody) -> dict:
        """Open a 7-day no-reason return; the refund is the item price (shipping is not refunded)."""
        order = self._order_row(conn, order_id)
        if order["status"] != "delivered" or not order["delivered_at"]:
            raise conflict("order_not_returnable",
                           f"order {order_id} is {order['status']}; only delivered orders can be returned"
                           + ("; a placed order can be cancelled instead" if order["status"] == "placed" else ""),
                           {"status": order["status"]})
        delivered = date.fromisoformat(order["delivered_at"][:10])
        deadline = delivered + timedelta(days=RETURN_WINDOW_DAYS)
        if self.today() > deadline:
            raise conflict("return_window_closed",
                           f"order {order_id} was delivered on {delivered.isoformat()}; the {RETURN_WINDOW_DAYS}-day "
                           f"return window closed on {deadline.isoformat()}",
                           {"delivered_on": delivered.isoformat(), "return_deadline": deadline.isoformat()})
        now = self.now().isoformat()
        refund = order["unit_price_fen"] * order["quantity"]
        return self._update_order(conn, order,
                                  _event(now, "return_requested", f"退货申请 Return requested: {body.reason}"),
                                  return_requested_at=now, return_reason=body.reason, refund_fen=refund)

    def _set_status(self, conn: sqlite3.Connection, order_id: str, body: AdminStatus) -> dict:
        """Operator override (tests, simulated events): move an order to any status."""
        order = self._order_row(conn, order_id)
        at = (body.at or self.now()).isoformat()
        fields: dict[str, Any] = {}
        note = {"placed": "订单已提交 Order placed", "delivered": "已签收 Delivered and signed for",
                "returned": "已退回 Return received by the merchant", "refunded": "已退款 Refund issued",
                "return_requested": "退货申请 Return requested", "cancelled": "已取消 Cancelled by the merchant"}
        if body.status == "shipped":
            carrier, tracking = (order["carrier"], order["tracking_number"]) if order["tracking_number"] \
                else _carrier_for(order["merchant_id"], order["id"])
            fields.update(shipped_at=at, carrier=carrier, tracking_number=tracking)
            note["shipped"] = f"已发货 Shipped with {carrier}, tracking {tracking}"
        elif body.status == "delivered":
            fields.update(delivered_at=at, estimated_delivery=at[:10])
        elif body.status == "cancelled":
            fields.update(cancelled_at=at, refund_fen=order["total_fen"])
        elif body.status in ("returned", "refunded", "return_requested") and order["refund_fen"] is None:
            fields.update(refund_fen=order["unit_price_fen"] * order["quantity"])
        return self._update_order(conn, order, _event(at, body.status, note[body.status]), **fields)

    def _delay(self, conn: sqlite3.Connection, order_id: str, body: AdminDelay) -> dict:
        """Push a parcel's expected delivery back by ``body.days``, with an event saying so."""
        order = self._order_row(conn, order_id)
        if order["status"] not in ("placed", "shipped"):
            raise conflict("order_not_in_transit", f"order {order_id} is {order['status']}; only orders that are "
                           "placed or shipped can be delayed", {"status": order["status"]})
        start = date.fromisoformat(order["estimated_delivery"]) if order["estimated_delivery"] else self.today()
        estimate = (start + timedelta(days=body.days)).isoformat()
        note = f"延迟{body.days}天 Delayed by {body.days} day(s), now expected {estimate}" + \
            (f": {body.note}" if body.note else "")
        event = {**_event(self.now().isoformat(), order["status"], note), "delay_days": body.days}
        return self._update_order(conn, order, event, estimated_delivery=estimate)

    def _change_price(self, conn: sqlite3.Connection, offer_id: str, body: AdminPrice) -> dict:
        offer = conn.execute("SELECT * FROM offers WHERE id=?", (offer_id,)).fetchone()
        if offer is None:
            raise not_found("offer", offer_id)
        new_fen = int((body.price * 100).to_integral_value())
        if new_fen <= 0:
            raise bad_request("invalid_price", "price must be more than 0")
        change_id = self.next_id(conn, "PC")
        conn.execute("INSERT INTO price_changes VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (change_id, offer_id, offer["product_id"], offer["merchant_id"], offer["price_fen"], new_fen,
                      self.now().isoformat(), body.note))
        conn.execute("UPDATE offers SET price_fen=? WHERE id=?", (new_fen, offer_id))
        return self._price_changes(conn, "WHERE c.id=?", (change_id,))[0]

    def _price_changes(self, conn: sqlite3.Connection, where: str, params: tuple[Any, ...]) -> list[dict]:
        rows = conn.execute(
            "SELECT c.*, p.name AS product_name, m.name AS merchant_name FROM price_changes c "
            "LEFT JOIN products p ON p.id = c.product_id LEFT JOIN merchants m ON m.id = c.merchant_id "
            f"{where} ORDER BY c.at, c.id", params).fetchall()
        return [{"id": r["id"], "offer_id": r["offer_id"], "product_id": r["product_id"],
                 "product_name": r["product_name"], "merchant_id": r["merchant_id"],
                 "merchant_name": r["merchant_name"], "old_price": money(r["old_price_fen"]),
                 "new_price": money(r["new_price_fen"]), "currency": CURRENCY, "at": r["at"], "note": r["note"]}
                for r in rows]

    def _wishes(self, conn: sqlite3.Connection, customer_id: str | None) -> list[dict]:
        rows = conn.execute(
            "SELECT w.*, p.name AS product_name FROM wishlist w LEFT JOIN products p ON p.id = w.product_id "
            "WHERE ? IS NULL OR w.customer_id=? ORDER BY w.added_at, w.id", (customer_id, customer_id)).fetchall()
        return [{"id": r["id"], "customer_id": r["customer_id"], "product_id": r["product_id"],
                 "product_name": r["product_name"], "budget": money(r["budget_fen"]), "currency": CURRENCY,
                 "added_at": r["added_at"], "note": r["note"]} for r in rows]

    def _wish(self, conn: sqlite3.Connection, body: WishAdd) -> dict:
        self._product_row(conn, body.product_id)
        budget = None if body.budget is None else int((body.budget * 100).to_integral_value())
        existing = conn.execute("SELECT id FROM wishlist WHERE customer_id=? AND product_id=?",
                                (body.customer_id, body.product_id)).fetchone()
        if existing:
            conn.execute("UPDATE wishlist SET budget_fen=?, note=? WHERE id=?", (budget, body.note, existing["id"]))
        else:
            conn.execute("INSERT INTO wishlist VALUES (?, ?, ?, ?, ?, ?)",
                         (self.next_id(conn, "WISH"), body.customer_id, body.product_id, budget,
                          self.now().isoformat(), body.note))
        return next(w for w in self._wishes(conn, body.customer_id) if w["product_id"] == body.product_id)

    # -- HTTP -------------------------------------------------------------------------

    def routes(self, router: APIRouter) -> None:  # noqa: C901 - one closure per endpoint
        @router.get("/categories", tags=["catalogue"])
        def list_categories() -> dict:
            with self.read() as conn:
                counts = dict(conn.execute("SELECT category, COUNT(*) FROM products GROUP BY category").fetchall())
                return {"categories": [{"id": c["id"], "name": c["name"], "name_zh": c["name_zh"],
                                        "product_count": counts.get(c["id"], 0)}
                                       for c in self._category_names(conn).values()]}

        @router.get("/products", tags=["catalogue"])
        def search_products(
            q: Annotated[str | None, Query(
                max_length=200, description="Words in name/brand/description/category (zh or en)")] = None,
            category: str | None = None,
            min_price: Annotated[Decimal | None, Query(ge=0)] = None,
            max_price: Annotated[Decimal | None, Query(ge=0)] = None,
            min_rating: Annotated[float | None, Query(ge=0, le=5)] = None,
            max_delivery_days: Annotated[int | None, Query(ge=1)] = None,
            merchant_id: str | None = None,
            in_stock: bool | None = None,
            sort: SortKey | None = None,
            limit: Annotated[int, Query(ge=1, le=100)] = 20,
            offset: Annotated[int, Query(ge=0)] = 0,
        ) -> dict:
            return self.search(q=q, category=category, min_rating=min_rating, sort=sort, limit=limit, offset=offset,
                               offer_filter=OfferFilter(min_price, max_price, max_delivery_days, merchant_id, in_stock))

        @router.get("/products/{product_id}", tags=["catalogue"])
        def get_product(product_id: str) -> dict:
            with self.read() as conn:
                row = self._product_row(conn, product_id)
                offers = self._offers(conn, "WHERE o.product_id=?", (product_id,)).get(product_id, [])
                product = self._product_dict(row, offers, self._category_names(conn))
                product["reviews"] = self._reviews(conn, product_id)
                return product

        @router.get("/products/{product_id}/reviews", tags=["catalogue"])
        def get_reviews(product_id: str) -> dict:
            with self.read() as conn:
                row = self._product_row(conn, product_id)
                return {"product_id": product_id, "rating": row["rating"], "review_count": row["review_count"],
                        "reviews": self._reviews(conn, product_id)}

        @router.get("/merchants", tags=["merchants"])
        def list_merchants() -> dict:
            with self.read() as conn:
                merchants = [self._merchant_dict(conn, r) for r in conn.execute("SELECT * FROM merchants ORDER BY id")]
            return {"merchants": merchants, "count": len(merchants)}

        @router.get("/merchants/{merchant_id}", tags=["merchants"])
        def get_merchant(merchant_id: str) -> dict:
            with self.read() as conn:
                return self._merchant_dict(conn, self._merchant_row(conn, merchant_id))

        @router.get("/risk/merchants", tags=["risk"])
        def merchant_risk(merchant_id: str | None = None) -> dict:
            with self.read() as conn:
                if merchant_id is not None:
                    self._merchant_row(conn, merchant_id)
                rows = conn.execute(
                    "SELECT r.*, m.name AS merchant_name FROM merchant_risk r LEFT JOIN merchants m "
                    "ON m.id = r.merchant_id WHERE ? IS NULL OR r.merchant_id = ? ORDER BY r.merchant_id, r.id",
                    (merchant_id, merchant_id)).fetchall()
            entries = [{"id": r["id"], "merchant_id": r["merchant_id"], "merchant_name": r["merchant_name"],
                        "risk_level": r["risk_level"], "reason": r["reason"], "reported_at": r["reported_at"],
                        "source": r["source"]} for r in rows]
            result: dict[str, Any] = {"merchants": entries, "count": len(entries)}
            if merchant_id is not None:
                result.update(merchant_id=merchant_id, flagged=bool(entries))
            return result

        @router.post("/carts", status_code=201, tags=["carts"])
        def create_cart(body: CartCreate, key: IdemKey = None) -> dict:
            return self.idempotent(key, "create_cart", body.model_dump(mode="json"),
                                   lambda conn: self._create_cart(conn, body))

        @router.get("/carts/{cart_id}", tags=["carts"])
        def get_cart(cart_id: str) -> dict:
            with self.read() as conn:
                return self._cart_dict(conn, self._cart_row(conn, cart_id))

        @router.post("/carts/{cart_id}/items", tags=["carts"])
        def add_item(cart_id: str, body: CartItemAdd, key: IdemKey = None) -> dict:
            return self.idempotent(key, "add_cart_item", {"cart_id": cart_id, **body.model_dump(mode="json")},
                                   lambda conn: self._add_item(conn, cart_id, body))

        def remove(cart_id: str, item_id: str, key: str | None) -> dict:
            return self.idempotent(key, "remove_cart_item", {"cart_id": cart_id, "item_id": item_id},
                                   lambda conn: self._remove_item(conn, cart_id, item_id))

        @router.delete("/carts/{cart_id}/items/{item_id}", tags=["carts"])
        def delete_item(cart_id: str, item_id: str, key: IdemKey = None) -> dict:
            return remove(cart_id, item_id, key)

        @router.post("/carts/{cart_id}/items/{item_id}/remove", tags=["carts"])
        def remove_item(cart_id: str, item_id: str, key: IdemKey = None) -> dict:
            return remove(cart_id, item_id, key)

        @router.post("/carts/{cart_id}/checkout", status_code=201, tags=["carts"])
        def checkout(cart_id: str, body: CheckoutRequest, key: IdemKey = None) -> dict:
            return self.idempotent(key, "checkout_cart", {"cart_id": cart_id, **body.model_dump(mode="json")},
                                   lambda conn: self._checkout(conn, cart_id, body))

        @router.post("/orders", status_code=201, tags=["orders"])
        def create_order(body: OrderCreate, key: IdemKey = None) -> dict:
            return self.idempotent(key, "create_order", body.model_dump(mode="json"),
                                   lambda conn: self._create_order(conn, body))

        @router.get("/orders", tags=["orders"])
        def list_orders(customer_id: str | None = None, status: OrderStatus | None = None,
                        q: Annotated[str | None, Query(max_length=200)] = None) -> dict:
            terms = query_terms(q)
            with self.read() as conn:
                rows = conn.execute(
                    "SELECT * FROM orders WHERE (? IS NULL OR customer_id=?) AND (? IS NULL OR status=?) "
                    "ORDER BY created_at DESC, id DESC", (customer_id, customer_id, status, status)).fetchall()
            names = [[(r["product_name"].lower(), 1), (r["merchant_name"].lower(), 1)] for r in rows]
            orders = [self._order_dict(r) for r, fields in zip(rows, names) if relevance(terms, fields) is not None]
            return {"orders": orders, "count": len(orders)}

        @router.get("/orders/{order_id}", tags=["orders"])
        def get_order(order_id: str) -> dict:
            with self.read() as conn:
                return self._order_dict(self._order_row(conn, order_id))

        @router.post("/orders/{order_id}/cancel", tags=["orders"])
        def cancel_order(order_id: str, body: ReasonBody, key: IdemKey = None) -> dict:
            return self.idempotent(key, "cancel_order", {"order_id": order_id, **body.model_dump(mode="json")},
                                   lambda conn: self._cancel(conn, order_id, body))

        @router.post("/orders/{order_id}/return", tags=["orders"])
        def return_order(order_id: str, body: ReasonBody, key: IdemKey = None) -> dict:
            return self.idempotent(key, "return_order", {"order_id": order_id, **body.model_dump(mode="json")},
                                   lambda conn: self._return(conn, order_id, body))

        @router.post("/admin/orders/{order_id}/status", tags=["admin"])
        def admin_status(order_id: str, body: AdminStatus, key: IdemKey = None) -> dict:
            return self.idempotent(key, "admin_order_status", {"order_id": order_id, **body.model_dump(mode="json")},
                                   lambda conn: self._set_status(conn, order_id, body))

        @router.post("/admin/orders/{order_id}/delay", tags=["admin"])
        def admin_delay(order_id: str, body: AdminDelay, key: IdemKey = None) -> dict:
            """Operator event: the parcel is late (expected delivery moves back by ``days``)."""
            return self.idempotent(key, "admin_order_delay", {"order_id": order_id, **body.model_dump(mode="json")},
                                   lambda conn: self._delay(conn, order_id, body))

        @router.post("/admin/offers/{offer_id}/price", tags=["admin"])
        def admin_price(offer_id: str, body: AdminPrice, key: IdemKey = None) -> dict:
            """Operator event: a merchant changes its price for one offer (``P0065:M001``)."""
            return self.idempotent(key, "admin_offer_price", {"offer_id": offer_id, **body.model_dump(mode="json")},
                                   lambda conn: self._change_price(conn, offer_id, body))

        @router.get("/price-changes", tags=["catalogue"])
        def price_changes(product_id: str | None = None, since: str | None = None) -> dict:
            """Price changes, oldest first, optionally for one product and after a moment (ISO time)."""
            with self.read() as conn:
                changes = self._price_changes(conn, "WHERE (? IS NULL OR c.product_id=?) AND (? IS NULL OR c.at > ?)",
                                              (product_id, product_id, since, since))
            return {"changes": changes, "count": len(changes)}

        @router.get("/wishlist", tags=["wishlist"])
        def get_wishlist(customer_id: str | None = None) -> dict:
            """What a customer is waiting to buy, with their budget per unit."""
            with self.read() as conn:
                items = self._wishes(conn, customer_id)
            return {"items": items, "count": len(items)}

        @router.post("/wishlist", tags=["wishlist"])
        def add_to_wishlist(body: WishAdd, key: IdemKey = None) -> dict:
            """Add a product to a wish list (or change its budget)."""
            return self.idempotent(key, "wishlist_add", body.model_dump(mode="json"),
                                   lambda conn: self._wish(conn, body))

    # -- state ------------------------------------------------------------------------

    def state(self) -> dict[str, list[dict[str, Any]]]:
        with self.read() as conn:
            carts = [self._cart_dict(conn, r) for r in conn.execute("SELECT * FROM carts ORDER BY id")]
            orders = [self._order_dict(r) for r in conn.execute("SELECT * FROM orders ORDER BY id")]
        return {"carts": carts, "orders": orders}


# -- checks shared by the endpoints -----------------------------------------------------

def _check_quantity(quantity: int) -> None:
    if quantity < 1:
        raise bad_request("invalid_quantity", f"quantity: must be at least 1, got {quantity}")


def _check_payment_method(method: str) -> None:
    if not _PAYMENT_RE.match(method):
        raise bad_request("invalid_payment_method",
                          f"payment_method: {method!r} is not a known payment method; use a method id whose type "
                          f"is one of {', '.join(PAYMENT_TYPES)} (e.g. alipay-main, card-cmb)",
                          {"allowed_types": list(PAYMENT_TYPES)})


def _check_max_total(total_fen: int, max_total: Decimal) -> None:
    if _exceeds(total_fen, max_total):
        raise conflict("price_changed",
                       f"the total is {money(total_fen)} CNY, more than the approved maximum of "
                       f"{max_total} CNY; nothing was charged",
                       {"total": money(total_fen), "max_total": str(max_total), "currency": CURRENCY})


def _sorted(scored: list[tuple[int, dict]], sort: SortKey | None) -> list[dict]:
    """Order search results; products without an in-stock price sort last for price sorts."""
    big = Decimal("1e12")

    def price(p: dict) -> Decimal:
        return Decimal(p["best_price"]) if p["best_price"] is not None else big

    keys: dict[str | None, Callable[[tuple[int, dict]], Any]] = {
        None: lambda sp: sp[1]["id"],
        "relevance": lambda sp: (-sp[0], -sp[1]["rating"], sp[1]["id"]),
        "price": lambda sp: (price(sp[1]), sp[1]["id"]),
        "-price": lambda sp: (sp[1]["best_price"] is None, -price(sp[1]), sp[1]["id"]),
        "rating": lambda sp: (sp[1]["rating"], sp[1]["id"]),
        "-rating": lambda sp: (-sp[1]["rating"], -sp[1]["review_count"], sp[1]["id"]),
        "delivery": lambda sp: (sp[1]["fastest_delivery_days"] or 99, price(sp[1]), sp[1]["id"]),
    }
    return [p for _, p in sorted(scored, key=keys[sort])]
