"""What a check of the schema against the data reports: a :class:`Problem` of some level, and the measure
the key and time checks share.

Its own module so that the checks (key_checks.py, time_checks.py) and the validation running them
(validate.py) can all use it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    level: str  # "error" | "warning" | "info"
    table: str
    message: str
    # Changes which rows a model may see at a cutoff (unread, unparsable or far-out times): every
    # command that builds a task repeats it, since a silent one can let future rows in.
    visibility: bool = False


KeyFamilies = Callable[[str, str], str]  # (table, column) -> its key family, measured once per column
