"""Keep the cyclic garbage collector out of botocore's one-time parse of its data files.

Why: ``endpoints.json`` alone becomes some hundred thousand dicts and lists. Every one of
them is reachable while the parser runs, so no collection can free anything, yet in a fresh
process the allocation burst runs about 30 young and 3 middle collections and, once the heap
holds pydantic's models beside boto3, the first full collection of the whole heap (about
50 ms on these machines). The same reasoning made Mercurial pause the collector around its
large parses.

That is Python 3.10 and 3.11, where the collector can run inside the C parser; from 3.12 it
runs only between bytecodes, so there the pause changes nothing and costs nothing.

The pause covers only the parse of a file our loader has not cached yet (once per file per
process), nests across threads, and never turns on a collector the program had turned off.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from botocore.loaders import JSONFileLoader

_lock = threading.Lock()
_depth = 0
_enable_after = False


@contextmanager
def paused_gc() -> Iterator[None]:
    """Disable automatic collection for the block; restore it when the last holder leaves."""
    global _depth, _enable_after
    with _lock:
        if _depth == 0:
            _enable_after = gc.isenabled()
            gc.disable()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _enable_after:
                gc.enable()


class JSONFileLoaderWithoutGC(JSONFileLoader):
    """botocore's JSON file loader, parsing with the cyclic collector paused."""

    def load_file(self, file_path: str) -> Any:
        with paused_gc():
            return super().load_file(file_path)


__all__ = ["JSONFileLoaderWithoutGC", "paused_gc"]
