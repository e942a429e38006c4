"""Naming hints: does a column's name say it is a table's key?"""

from __future__ import annotations


def singular(word: str) -> str:
    w = word.lower()
    if w.endswith("ies") and len(w) > 4:
        return w[:-3] + "y"
    if w.endswith(("ses", "xes", "zes", "ches", "shes")):
        return w[:-2]
    if w.endswith("s") and not w.endswith("ss") and len(w) > 1:
        return w[:-1]
    return w


def names_for_key_of(table: str, key: str) -> set[str]:
    """Column names that, in a child table, would point at ``table``'s key ``key``."""
    t, s, k = table.lower(), singular(table), key.lower()
    names = {k}
    for stem in {t, s}:
        names |= {f"{stem}_{k}", f"{stem}{k}"}
        if k in ("id", "key", "code"):
            names |= {f"{stem}_id", f"{stem}id"}
    return names


def is_primary_key_name(table: str, column: str) -> bool:
    c, t, s = column.lower(), table.lower(), singular(table)
    return c in {"id", "key", f"{t}_id", f"{t}id", f"{s}_id", f"{s}id", f"{s}_key", f"{s}_code"}


def looks_like_key(column: str) -> bool:
    """``id``, ``pid``, ``user_id``, ``playerID``, ``userId``, ``zip_code``, ``tailnum``; not ``humid`` or ``paid``."""
    c = column.lower()
    return (
        c == "id"
        or c.endswith(("_id", "_key", "code", "_no", "num"))
        or column.endswith(("ID", "Id"))
        or (len(c) <= 3 and c.endswith("id"))
    )


TIME_NAME_HINTS = ("time", "date", "timestamp", "created", "updated", "_at", "_ts", "when", "day")


def time_name_score(column: str) -> int:
    c = column.lower()
    return sum(hint in c for hint in TIME_NAME_HINTS)


def is_year_name(column: str) -> bool:
    c = column.lower()
    return c in ("year", "yearid", "year_id", "season", "yr") or c.endswith("year")
