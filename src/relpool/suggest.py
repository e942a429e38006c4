"""Closest-name hints for error messages about a name the user mistyped (a table, a column)."""

from __future__ import annotations

import difflib

MAX_LISTED = 12


def suggest(name: str, options: list[str], list_others: bool = False) -> str:
    """`` (did you mean 'x'?)`` for close matches; without any, the options themselves when
    ``list_others`` (a short schema is worth showing), else nothing."""
    close = difflib.get_close_matches(name, options, n=3, cutoff=0.5)
    if close:
        return f" (did you mean {' or '.join(repr(c) for c in close)}?)"
    if list_others:
        return f" (it has: {', '.join(options[:MAX_LISTED])}{', ...' if len(options) > MAX_LISTED else ''})"
    return ""
