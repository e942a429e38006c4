"""The synthetic shop's schema, in one place: the writers' DDL and truth.json both read it.

The interaction family gives each customer a home category (see :mod:`relpool.synth.interaction`), the
affinity families a taste and each product a style (:mod:`relpool.synth.affinity`), the level family each
checkout its basket value (:mod:`relpool.synth.affinity_level`); otherwise the families share every table.
"""

from __future__ import annotations

import pyarrow as pa

TIME = pa.timestamp("s")
SCHEMAS = {
    "customers": pa.schema(
        [
            ("customer_id", pa.int64()),
            ("signup_time", TIME),
            ("region", pa.string()),
            ("age", pa.int64()),
            ("loyalty_score", pa.float64()),
        ]
    ),
    "products": pa.schema(
        [("product_id", pa.int64()), ("category", pa.string()), ("price", pa.float64()), ("name", pa.string())]
    ),
    "transactions": pa.schema(
        [
            ("transaction_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("product_id", pa.int64()),
            ("purchased_at", TIME),
            ("amount", pa.float64()),
            ("quantity", pa.int64()),
            ("channel", pa.string()),
        ]
    ),
    "sessions": pa.schema(
        [
            ("session_id", pa.int64()),
            ("customer_id", pa.int64()),
            ("started_at", TIME),
            ("kind", pa.string()),
            ("duration_s", pa.float64()),
            ("device", pa.string()),
        ]
    ),
}
HOME = pa.field("home_category", pa.string())
BASKET = pa.field("basket_value", pa.float64())  # the level family's checkouts: what the basket came to
PRIMARY_KEYS = {
    "customers": "customer_id",
    "products": "product_id",
    "transactions": "transaction_id",
    "sessions": "session_id",
}
TIME_COLUMNS = {"customers": "signup_time", "products": None, "transactions": "purchased_at", "sessions": "started_at"}
FOREIGN_KEYS = {
    "transactions": {"customer_id": "customers", "product_id": "products"},
    "sessions": {"customer_id": "customers"},
}


TASTE = [pa.field("taste_x", pa.float64()), pa.field("taste_y", pa.float64())]
STYLE = [pa.field("style_x", pa.float64()), pa.field("style_y", pa.float64())]


def schemas(family: str) -> dict[str, pa.Schema]:
    if family == "interaction":
        return {**SCHEMAS, "customers": SCHEMAS["customers"].append(HOME)}
    if family.startswith("affinity"):
        customers, products = SCHEMAS["customers"], SCHEMAS["products"]
        for field in TASTE:
            customers = customers.append(field)
        for field in STYLE:
            products = products.append(field)
        sessions = SCHEMAS["sessions"].append(BASKET) if family == "affinity_level" else SCHEMAS["sessions"]
        return {**SCHEMAS, "customers": customers, "products": products, "sessions": sessions}
    return SCHEMAS


def describe(family: str) -> dict:
    """Keys, time columns and columns of every table, as truth.json states them."""
    return {
        name: {
            "primary_key": PRIMARY_KEYS[name],
            "time_column": TIME_COLUMNS[name],
            "foreign_keys": {c: f"{t}.{PRIMARY_KEYS[t]}" for c, t in FOREIGN_KEYS.get(name, {}).items()},
            "columns": {f.name: str(f.type) for f in schema},
        }
        for name, schema in schemas(family).items()
    }
