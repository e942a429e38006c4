"""The predictive query language: ``PREDICT … FOR EACH …`` parsed, bound to a schema, and compiled
to leak-free training tables in DuckDB."""
