"""relpool: predictive models trained directly on relational databases."""
__version__ = "0.1.0"
