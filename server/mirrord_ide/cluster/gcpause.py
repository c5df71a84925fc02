"""Pause the cyclic garbage collector while a big list page is decoded.

Decoding a page of pods allocates tens of thousands of dicts, tuples and
records, none of them part of a cycle. With the collector on, every few
hundred allocations start a collection that walks all young objects, and the
older generations (the whole cache and every loaded module) get walked again
and again as the pages pile up: on a 10,000-pod namespace that was a quarter
to a third of the listing time. Paused per page, the collector runs about once per page
instead. Pauses nest and may overlap across threads; the collector is
switched back on when the last one ends, and only if it was on before.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_depth = 0
_resume = False


@contextmanager
def collector_paused() -> Iterator[None]:
    global _depth, _resume
    with _lock:
        if _depth == 0:
            _resume = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _resume:
                gc.enable()
