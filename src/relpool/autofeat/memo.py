"""What the auto-features learn from whole tables (column roles, top categories), remembered per store.

Those depend only on a store table and a cutoff, and a store's tables are created once and never
modified, so each is computed once per :class:`~relpool.db.database.Database`: a prediction for a few
entities (``relpool serve``) then costs SQL over those entities, not a profile of every table again.
The memory goes with the store (a weak reference drops it).
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable
from typing import TypeVar

from relpool.db.database import Database

T = TypeVar("T")
_MEMO: dict[int, tuple[weakref.ref[Database], dict[Hashable, object]]] = {}  # id(store) -> (the store, its memo)


def remembered(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """``compute()``, once per store and ``key``."""
    ident = id(db)
    entry = _MEMO.get(ident)
    if entry is None or entry[0]() is not db:  # a new store, or one reusing a collected store's id
        entry = (weakref.ref(db, lambda _: _MEMO.pop(ident, None)), {})
        _MEMO[ident] = entry
    memo = entry[1]
    if key not in memo:
        memo[key] = compute()
    return memo[key]  # type: ignore[return-value]
