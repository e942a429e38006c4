"""A prefetching iterator: the next mini-batch is sampled on a background thread while the current one trains.

The thread consumes the source in order, one item at a time, so the items (and every random draw the
sampler makes for them) are exactly those of a plain loop; only *when* they are computed changes. The
sampler's numba kernel and torch's operators release the GIL, so the two overlap on separate cores.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")

_DONE = object()


def prefetched(items: Iterable[T], depth: int = 1) -> Iterator[T]:
    """``items`` in order, up to ``depth`` of them computed ahead on a thread; its errors re-raised here.

    Stopping early (``break``, an exception in the consumer) lets the thread finish its current item and end."""
    ready: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def produce() -> None:
        try:
            for item in items:
                if stop.is_set():
                    return
                ready.put((item, None))
        except BaseException as exc:  # handed to the consumer, which raises it in its own thread
            ready.put((_DONE, exc))
            return
        ready.put((_DONE, None))

    worker = threading.Thread(target=produce, name="relpool-prefetch", daemon=True)
    worker.start()
    try:
        while True:
            item, error = ready.get()
            if error is not None:
                raise error
            if item is _DONE:
                return
            yield item
    finally:
        stop.set()
        while worker.is_alive():  # unblock a producer waiting on a full queue
            try:
                ready.get(timeout=0.05)
            except queue.Empty:
                pass
        worker.join()
