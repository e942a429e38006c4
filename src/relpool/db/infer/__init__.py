"""Schema inference: primary keys, foreign keys and time columns, each with its evidence."""
