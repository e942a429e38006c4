"""relpool: predictive models trained directly on relational databases.

``relpool.fit(db, query, out)`` trains and returns a :class:`Model`; ``relpool.Model.load(out)``
reads one back. Both are imported on first use, so ``import relpool`` stays light.
"""

__version__ = "0.1.0"
__all__ = ["Model", "fit"]


def __getattr__(name: str):
    if name in __all__:
        from relpool import api

        return getattr(api, name)
    raise AttributeError(f"module 'relpool' has no attribute {name!r}")
