"""README's snippets are what a newcomer runs first: the quick ones run here as written."""

from __future__ import annotations

import re
from pathlib import Path

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


def test_the_dataframe_snippet_runs_and_finds_the_foreign_key():
    blocks = re.findall(r"```python\n(.*?)```", README, flags=re.S)
    snippet = next(b for b in blocks if "inspect_database({" in b)
    scope: dict = {}
    exec(compile(snippet, "README.md", "exec"), scope)
    (fk,) = scope["inspection"].schema.tables["orders"].foreign_keys
    assert (fk.columns, fk.references_table) == (("customer_id",), "customers")


def test_every_cli_line_names_a_full_query():
    assert "PREDICT ..." not in README
