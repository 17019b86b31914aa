"""Part of the read stage: parsed workbooks remembered between runs, in the output folder.

A file whose size, modification time and SHA-256 are those of the last run is not parsed
again; its forms and findings come from here. The cache is keyed to the rules file's hash and
the program's version, so changing either parses everything anew.

It is an SQLite file (``outputs/.bo_nho_dem.sqlite``), one row per workbook holding its read
as JSON: a file is looked up by its path when the run reaches it, and this run's rows go
straight into the new cache in the staging folder, so no run holds the whole cache in memory.
JSON, not pickle: the output folder is shared, and nothing read from it may run code.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from pipeline import __version__
from pipeline.stages.discover import InputFile
from pipeline.stages.read.checks import file_sha256
from pipeline.stages.read.transport import WorkbookRead, from_text, to_text

CACHE_NAME = ".bo_nho_dem.sqlite"

_SCHEMA = [
    "CREATE TABLE stamp (rules TEXT NOT NULL, version TEXT NOT NULL)",
    "CREATE TABLE files (rel TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime REAL NOT NULL, "
    "sha256 TEXT NOT NULL, read TEXT NOT NULL)",
]


class ParseCache:
    """The last run's cache (read only) and this run's, written as the run reads."""

    def __init__(self, path: Path, rules_sha256: str, new: Path | None = None):
        self.old: sqlite3.Connection | None = None
        stamp = (rules_sha256, __version__)
        try:
            if path.exists():
                self.old = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
                if self.old.execute("SELECT rules, version FROM stamp").fetchone() != stamp:
                    self._close_old()
        except sqlite3.Error:
            self._close_old()  # no cache, or an unusable one: parse everything
        self.new: sqlite3.Connection | None = None
        if new is not None:
            new.unlink(missing_ok=True)
            self.new = sqlite3.connect(new)
            # A workbook's read is 3-4 KB of UTF-8: on 16 KB pages it fits in one, on the
            # default 4 KB ones it spilled into an overflow page and took twice as long to insert.
            self.new.execute("PRAGMA page_size = 16384")
            # A staging file, discarded by a run that fails; a cache that a power cut leaves
            # damaged is ignored by the next run, which then parses everything. So no journal
            # and no fsync: writing with them took a fifth of the main process's reading time.
            self.new.execute("PRAGMA journal_mode = OFF")
            self.new.execute("PRAGMA synchronous = OFF")
            for sql in _SCHEMA:
                self.new.execute(sql)
            self.new.execute("INSERT INTO stamp VALUES (?, ?)", stamp)

    def _close_old(self) -> None:
        if self.old is not None:
            self.old.close()
        self.old = None

    def get(self, file: InputFile, strings: dict[str, str] | None = None) -> WorkbookRead | None:
        if self.old is None:
            return None
        try:
            row = self.old.execute("SELECT size, mtime, sha256, read FROM files WHERE rel = ?", (file.rel,)).fetchone()
        except sqlite3.Error:
            return None
        if not row or row[0] != file.size or row[1] != file.mtime:
            return None
        try:
            if file_sha256(file.path) != row[2]:
                return None
            result = from_text(file, row[3], row[2], strings)
        except (OSError, TypeError, KeyError, ValueError):
            return None
        self._keep(file.rel, file.size, file.mtime, row[2], row[3])
        return result

    def put(self, result: WorkbookRead, text: str | None = None) -> None:
        """Keep a file's read; ``text``: the read as ``read.to_text`` gives it, if already made."""
        self._keep(result.file.rel, result.file.size, result.file.mtime, result.sha256, text or to_text(result))

    def _keep(self, rel: str, size: int, mtime: float, sha256: str, text: str) -> None:
        # Only the files of this run are kept: a withdrawn file leaves the cache too.
        if self.new is not None:
            self.new.execute("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?, ?)", (rel, size, mtime, sha256, text))

    def close(self) -> None:
        """Commit this run's cache; it takes the old one's place when the run's outputs do."""
        self._close_old()
        if self.new is not None:
            self.new.commit()
            self.new.close()
            self.new = None
