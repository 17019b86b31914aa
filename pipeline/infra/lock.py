"""One run at a time per output folder: a lock file held for the whole run."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipeline.core.errors import BusyError, OutputError

LOCK_NAME = ".khoa"


@contextmanager
def locked(outputs: Path) -> Iterator[None]:
    """Hold the output folder's lock for the whole run; a second run refuses at once."""
    try:
        fh = open(outputs / LOCK_NAME, "a+")  # noqa: SIM115 — held open for the lock's lifetime
    except OSError as exc:  # a read-only folder, a full disk
        raise OutputError(path=outputs, reason=exc.strerror or exc) from exc
    try:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows
            import msvcrt

            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        fh.close()
        raise BusyError(path=outputs) from exc
    try:
        yield
    finally:
        fh.close()
