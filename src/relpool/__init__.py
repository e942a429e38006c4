"""relpool: predictive models trained directly on relational databases.

``relpool.fit(db, query, out)`` trains and returns a :class:`Model`; ``relpool.Model.load(out)``
reads one back; ``relpool.write_predictions(model.predict(db), target, model_id=model.id, input_db=db)``
writes its predictions to a file or a table. All are imported on first use, so ``import relpool`` stays light.
"""

import os

# Idle OpenMP threads (torch, LightGBM) sleep instead of spinning. On a machine whose cores are busy
# with other work, spinning made the demo 11x slower (764 s against 68 s). The runtime reads this
# once, when it loads, so it is set before relpool imports torch; the user's own setting wins.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
__all__ = ["Model", "fit", "using_cache", "write_predictions"]


def __getattr__(name: str):
    if name in __all__:
        from relpool import api

        return getattr(api, name)
    raise AttributeError(f"module 'relpool' has no attribute {name!r}")
