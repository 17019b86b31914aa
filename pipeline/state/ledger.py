"""The ledger (sổ theo dõi): an SQLite file in the output folder that remembers every run.

What it holds: every run (when, the rules file's hash, the program's version, what it saw and
decided), every input file seen (path, size, SHA-256, modification time, outcome), every
accepted form with its scores, and every recognition per year, group, kind and unit, from
runs or imported from ``inputs/lich_su/``. Rows are keyed by content, so a run repeated on the
same inputs adds one run row and nothing else.

The schema is versioned (``meta.schema_version``) and migrated forward here; a ledger that is
corrupt or written by a newer program stops the run before anything is written.
"""

from __future__ import annotations

import functools
import itertools
import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from pipeline.core.errors import LedgerError

LEDGER_NAME = "so_theo_doi.sqlite"

# Each step takes the schema from version i to i + 1. Never edit a released step: add one.
MIGRATIONS: list[list[str]] = [
    [  # 1: the first ledger
        "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
        """CREATE TABLE runs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL, finished_at TEXT NOT NULL,
            program_version TEXT NOT NULL, rules_sha256 TEXT NOT NULL, year INTEGER,
            files INTEGER NOT NULL, forms INTEGER NOT NULL, rejected INTEGER NOT NULL,
            eligible INTEGER NOT NULL, awarded INTEGER NOT NULL,
            seen TEXT NOT NULL, results TEXT NOT NULL, changes TEXT NOT NULL)""",
        """CREATE TABLE files (
            path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, mtime REAL NOT NULL,
            outcome TEXT NOT NULL, first_run INTEGER NOT NULL, PRIMARY KEY (path, sha256))""",
        """CREATE TABLE forms (
            file_sha256 TEXT NOT NULL, sheet TEXT NOT NULL, path TEXT NOT NULL, unit TEXT NOT NULL,
            unit_code TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL, grp TEXT NOT NULL,
            field TEXT NOT NULL, year INTEGER NOT NULL, total REAL NOT NULL, scores TEXT NOT NULL,
            first_run INTEGER NOT NULL, PRIMARY KEY (file_sha256, sheet))""",
        """CREATE TABLE recognitions (
            year INTEGER NOT NULL, unit TEXT NOT NULL, source TEXT NOT NULL, kind TEXT NOT NULL,
            grp TEXT NOT NULL, unit_code TEXT NOT NULL, name TEXT NOT NULL, title TEXT NOT NULL,
            detail TEXT NOT NULL, PRIMARY KEY (year, unit, source))""",
    ],
    [  # 2: look-ups by unit for the two-year rule and `pipeline lich-su`
        "CREATE INDEX recognitions_by_unit ON recognitions (unit, year)",
        "CREATE INDEX forms_by_unit ON forms (unit, year)",
    ],
]
SCHEMA_VERSION = len(MIGRATIONS)




@dataclass(frozen=True)
class Recognition:
    year: int
    unit: str
    source: str  # "run" (the tool's proposal), "decision" (the council's) or "import" (inputs/lich_su/)
    kind: str
    group: str
    unit_code: str
    name: str
    title: str
    detail: str  # the file it came from


class FormSeen(NamedTuple):
    """A form the ledger holds, as a unit's history shows it."""

    year: int
    name: str
    kind: str
    group: str
    total: float
    path: str
    sheet: str
    unit: str
    unit_code: str


def _version(con: sqlite3.Connection) -> int:
    has_meta = con.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='meta'").fetchone()
    if not has_meta:
        return 0
    row = con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    return int(row[0]) if row else 0


def last_backup(path: Path) -> Path | None:
    """The newest backup of the ledger at ``path`` (outputs/.sao_luu/), if any."""
    found = sorted((path.parent / ".sao_luu").glob(f"{path.stem}-*.sqlite"))
    return found[-1] if found else None


def check(path: Path) -> int:
    """The schema version of an existing ledger; LedgerError if it is corrupt, empty where backups
    hold history, or too new."""
    if not path.exists():
        return 0
    backup = last_backup(path)
    if path.stat().st_size == 0:
        if backup is not None:
            raise LedgerError(code="ledger-empty", path=path, backup=backup, name=LEDGER_NAME)
        return 0
    try:
        con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
            version = _version(con)
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise LedgerError(code="ledger-corrupt", path=path, reason=exc, backups=path.parent / ".sao_luu",
                          name=LEDGER_NAME) from exc
    if ok != "ok":
        raise LedgerError(code="ledger-corrupt", path=path, reason=ok, backups=path.parent / ".sao_luu",
                          name=LEDGER_NAME)
    if version > SCHEMA_VERSION:
        raise LedgerError(code="ledger-newer", path=path, version=version, known=SCHEMA_VERSION)
    if version == 0 and backup is not None:
        raise LedgerError(code="ledger-empty", path=path, backup=backup, name=LEDGER_NAME)
    return version


# What a damaged ledger raises when a value is read back (quick_check does not see every damage).
DAMAGE = (sqlite3.Error, ValueError, TypeError, KeyError, IndexError, UnicodeDecodeError)


def _read(method):
    """A reading method whose every failure on damaged data is the ledger's clear message."""

    @functools.wraps(method)
    def reading(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except DAMAGE as exc:
            raise LedgerError(code="ledger-corrupt", path=self.path, reason=f"{type(exc).__name__}",
                              backups=self.path.parent / ".sao_luu", name=LEDGER_NAME) from exc

    return reading


class Ledger:
    """An open ledger. Open the staged copy, record the run, close, then move it into place."""

    def __init__(self, path: Path, readonly: bool = False):
        version = check(path)
        self.path = path
        if readonly:
            if not version:
                raise LedgerError(code="ledger-missing", path=path)
            self.con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            return
        self.con = sqlite3.connect(path)
        self._migrate()

    def _migrate(self) -> None:
        version = _version(self.con)
        with self.con:
            for step in range(version, SCHEMA_VERSION):
                for sql in MIGRATIONS[step]:
                    self.con.execute(sql)
                self.con.execute(
                    "INSERT INTO meta (key, value) VALUES ('schema_version', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value", (str(step + 1),))

    def close(self) -> None:
        self.con.close()

    # --- reading -------------------------------------------------------------------------------

    @_read
    def recognitions(self) -> list[Recognition]:
        rows = self.con.execute(
            "SELECT year, unit, source, kind, grp, unit_code, name, title, detail FROM recognitions "
            "ORDER BY year, unit, source").fetchall()
        return [Recognition(*r) for r in rows]

    @_read
    def last_run(self) -> dict | None:
        row = self.con.execute("SELECT id, finished_at, seen, results FROM runs ORDER BY id DESC LIMIT 1").fetchone()
        if not row:
            return None
        return {"id": row[0], "finished_at": row[1], "seen": json.loads(row[2]), "results": json.loads(row[3])}

    @_read
    def results_before(self, current: dict) -> dict | None:
        """What the latest run that decided differently from ``current`` decided (None: no such run).

        A run that changes nothing is no "previous run" for what changed: a rerun on the same
        files keeps the month's list of changes instead of emptying it.
        """
        runs = self.con.execute("SELECT results FROM runs ORDER BY id DESC")
        first = runs.fetchone()
        if first is None:
            # The first run: nothing to compare with. (The comparison text of 10 000 forms takes
            # a third of a second to make, and at 100 000, a moment's 130 MB.)
            return None
        text = json.dumps(current, ensure_ascii=False, sort_keys=True)
        for (stored,) in itertools.chain([first], runs):  # one stored run's results at a time
            if stored != text:
                return json.loads(stored)
        return None

    @_read
    def runs(self) -> list[dict]:
        rows = self.con.execute(
            "SELECT id, started_at, finished_at, program_version, rules_sha256, year, files, forms, rejected, "
            "eligible, awarded, changes FROM runs ORDER BY id").fetchall()
        keys = ["id", "started_at", "finished_at", "program_version", "rules_sha256", "year", "files", "forms",
                "rejected", "eligible", "awarded", "changes"]
        return [{**dict(zip(keys, r, strict=True)), "changes": json.loads(r[-1])} for r in rows]

    @_read
    def unit_history(self, units: Iterable[str]) -> tuple[list[FormSeen], list[Recognition]]:
        units = list(units)
        marks = ",".join("?" * len(units))
        forms = [FormSeen._make(row) for row in self.con.execute(
            f"SELECT DISTINCT year, name, kind, grp, total, path, sheet, unit, unit_code FROM forms "  # noqa: S608
            f"WHERE unit IN ({marks}) ORDER BY year, path, sheet", units)]
        recs = [r for r in self.recognitions() if r.unit in units]
        return forms, recs

    @_read
    def find_units(self, query: str) -> list[str]:
        """Units whose code or name contains ``query``, as matched by the pipeline's own key, or,
        typed without diacritics ("le huu hung"), by the letters alone."""
        from pipeline.core.text import key, plain

        q = key(query)
        loose = plain(query) if query.isascii() else ""
        found = set()
        for unit, code, name in self.con.execute(
                "SELECT unit, unit_code, name FROM forms UNION SELECT unit, unit_code, name FROM recognitions"):
            if q and (q in key(code) or q in key(name)):
                found.add(unit)
            elif loose and (loose in plain(code) or loose in plain(name)):
                found.add(unit)
        return sorted(found)

    # --- writing -------------------------------------------------------------------------------

    def record_unchanged(self, started_at: str, finished_at: str, changes: dict[str, int]) -> int:
        """A run that found every input as the last run left it: its row repeats the last one's
        figures, with nothing changed; no file, form or recognition row is touched."""
        with self.con:
            cur = self.con.execute(
                "INSERT INTO runs (started_at, finished_at, program_version, rules_sha256, year, files, forms, "
                "rejected, eligible, awarded, seen, results, changes) "
                "SELECT ?, ?, program_version, rules_sha256, year, files, forms, rejected, eligible, awarded, seen, "
                "results, ? FROM runs ORDER BY id DESC LIMIT 1",
                (started_at, finished_at, json.dumps(changes, sort_keys=True)))
            return cur.lastrowid

    def record(self, run: dict, files: list[dict], forms: Iterable[dict], recognitions: list[Recognition],
               imported: list[Recognition], years: list[int]) -> int:
        """One run, in one transaction: files and forms by content, recognitions of its years replaced."""
        with self.con:
            cur = self.con.execute(
                "INSERT INTO runs (started_at, finished_at, program_version, rules_sha256, year, files, forms, "
                "rejected, eligible, awarded, seen, results, changes) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (run["started_at"], run["finished_at"], run["program_version"], run["rules_sha256"], run["year"],
                 run["files"], run["forms"], run["rejected"], run["eligible"], run["awarded"],
                 json.dumps(run["seen"], ensure_ascii=False, sort_keys=True),
                 json.dumps(run["results"], ensure_ascii=False, sort_keys=True),
                 json.dumps(run["changes"], ensure_ascii=False, sort_keys=True)))
            run_id = cur.lastrowid
            self.con.executemany(
                "INSERT OR IGNORE INTO files (path, sha256, size, mtime, outcome, first_run) VALUES (?,?,?,?,?,?)",
                ((f["path"], f["sha256"], f["size"], f["mtime"], f["outcome"], run_id) for f in files))
            self.con.executemany(
                "INSERT OR IGNORE INTO forms (file_sha256, sheet, path, unit, unit_code, name, kind, grp, field, "
                "year, total, scores, first_run) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                ((f["sha256"], f["sheet"], f["path"], f["unit"], f["unit_code"], f["name"], f["kind"], f["group"],
                  f["field"], f["year"], f["total"], json.dumps(f["scores"]), run_id) for f in forms))
            # A year's recognitions are what its latest run decided: replace, never accumulate.
            self.con.executemany("DELETE FROM recognitions WHERE year = ? AND source IN ('run', 'decision')",
                                 [(y,) for y in years])
            self.con.execute("DELETE FROM recognitions WHERE source = 'import'")
            self.con.executemany(
                "INSERT OR REPLACE INTO recognitions (year, unit, source, kind, grp, unit_code, name, title, detail) "
                "VALUES (?,?,?,?,?,?,?,?,?)",
                [(r.year, r.unit, r.source, r.kind, r.group, r.unit_code, r.name, r.title, r.detail)
                 for r in [*recognitions, *imported]])
        return run_id
