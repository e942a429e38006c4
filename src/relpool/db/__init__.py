"""Relational databases: readers, the schema (keys, foreign keys, time columns), inference and validation."""

from relpool.db.database import Database
from relpool.db.inspection import Inspection, inspect_database
from relpool.db.schema import ForeignKey, Schema, TableSchema

__all__ = ["Database", "ForeignKey", "Inspection", "Schema", "TableSchema", "inspect_database"]
