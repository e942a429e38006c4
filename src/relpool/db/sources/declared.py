"""Keys a source declares (SQL constraints, a manifest), as overrides that win over inference."""

from __future__ import annotations

from relpool.db.schema import ForeignKey, TableOverride


def declared_table(
    source: str,
    primary_key: tuple[str, ...] | None,
    foreign_keys: list[ForeignKey],
    time_column: str | None = None,
    with_time: bool = False,
) -> TableOverride:
    """Only what the source actually declares is fixed; the rest is left to inference.

    SQL databases rarely declare keys for every table, so a missing primary key or an empty
    foreign-key list does not mean "none" there; a RelBench manifest does declare everything,
    which ``with_time`` (and an explicit primary key of None) expresses.
    """
    fields: dict = {}
    if primary_key or with_time:
        fields["primary_key"] = primary_key or None
    if foreign_keys or with_time:
        fields["foreign_keys"] = foreign_keys
    if with_time:
        fields["time_column"] = time_column
    return TableOverride(fields, source, f"declared in {source}")


def declared_fk(columns, references_table: str, references_columns, source: str) -> ForeignKey:
    return ForeignKey(
        tuple(columns), references_table, tuple(references_columns or ()), evidence=f"declared in {source}"
    )
