"""A process's memory while it builds many objects: no cyclic collector, freed memory handed back."""

from __future__ import annotations

import ctypes
import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def long_lived_objects(collect: bool = True) -> Iterator[None]:
    """No cyclic garbage collection while a run builds its data; one collection after it, if
    ``collect``.

    A run keeps every parsed form until it ends, millions of small objects: each automatic
    full collection walks all of them again, which at 10 000 forms cost more than the parsing
    itself. What a run throws away is freed by reference counting; the few reference cycles
    (pandas makes some) wait for the one collection at the end. A workbook being built holds
    a record per cell until it is saved, and collections took a tenth of its building time; a
    worker that builds one skips the collection after it (a full one walks every module the
    worker imported, most of a small workbook's time) and leaves its cycles to the collector.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        if collect:
            gc.collect()


def return_freed_memory() -> None:
    """Give back to the system what this process has freed (glibc keeps it for reuse otherwise).

    A run frees a few hundred megabytes at 100 000 forms: the rows and frames of the analysis,
    the workbook jobs sent to the workers. (Linux with glibc only; elsewhere nothing happens.)
    """
    if not sys.platform.startswith("linux"):
        return
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc (musl has no malloc_trim)
        pass
