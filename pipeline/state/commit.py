"""Making a run's outputs current all at once, or not at all.

A run writes its whole generation of outputs — every year folder, the ledger, the parse cache,
the rerun memo — into a hidden staging folder inside the output folder. Only then is a journal
written (atomically) naming every move that makes the generation current; then the moves are
made; then the journal is removed, and that removal is the commit. A kill at any instant leaves
either no journal (the old outputs stand; the staging folder is stale and is cleared at the next
start) or a journal, which the next start carries out to the end from the complete staging
folder. A move refused half-way (a year folder held open by Excel on Windows) is undone at once
where it can be, and the old outputs stand.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from pipeline.infra.files import atomic_write_text

STAGING_PREFIX = ".dang_ghi-"
JOURNAL = ".dang_chuyen.json"
TRASH = ".cu"
BACKUPS = ".sao_luu"
KEEP_BACKUPS = 5
LEGACY = (".bo_nho_dem.json",)  # the parse cache of version 0.1


def new_staging(outputs: Path) -> Path:
    staging = outputs / f"{STAGING_PREFIX}{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    return staging


def recover(outputs: Path) -> None:
    """Finish a commit a killed run left half-done; clear staging folders never committed."""
    journal = outputs / JOURNAL
    if journal.exists():
        try:
            moves = json.loads(journal.read_text(encoding="utf-8"))["moves"]
        except (OSError, ValueError, KeyError, TypeError):
            moves = None  # written atomically: unreadable only if damaged from outside
        if moves is not None:
            _carry_out(outputs, moves)
        journal.unlink()
    for stale in outputs.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)


def backup_ledger(outputs: Path, ledger_name: str, stamp: str) -> None:
    """Keep a copy of the current ledger (the last few) before a new one takes its place."""
    ledger = outputs / ledger_name
    if not ledger.exists() or ledger.stat().st_size == 0:
        return
    folder = outputs / BACKUPS
    folder.mkdir(exist_ok=True)
    stem = Path(ledger_name).stem
    tmp = folder / f".{stem}-{stamp}.tmp"
    shutil.copy2(ledger, tmp)
    os.replace(tmp, folder / f"{stem}-{stamp}.sqlite")
    for old in sorted(folder.glob(f"{stem}-*.sqlite"))[:-KEEP_BACKUPS]:
        old.unlink()


def _moves(staging: Path, outputs: Path) -> list[list[str]]:
    """[name in staging, name in outputs] of everything the staging folder holds."""
    names = sorted(p.name for p in staging.iterdir() if p.name != TRASH)
    return [[f"{staging.name}/{n}", n] for n in names]


def _carry_out(outputs: Path, moves: list[list[str]]) -> None:
    """Each staged item into its place, the item it replaces into the staging folder's trash.
    Repeatable: a move already made is passed over."""
    for source, target in moves:
        src, dst = outputs / source, outputs / target
        if not src.exists():
            continue  # already moved
        trash = src.parent / TRASH
        trash.mkdir(exist_ok=True)
        if dst.exists():
            os.replace(dst, trash / target)
        os.replace(src, dst)


def _undo(outputs: Path, moves: list[list[str]]) -> bool:
    """Put back what a refused commit moved; False where that too was refused."""
    try:
        for source, target in reversed(moves):
            src, dst = outputs / source, outputs / target
            trash = src.parent / TRASH / target
            if not src.exists() and dst.exists():
                os.replace(dst, src)
            if trash.exists() and not dst.exists():
                os.replace(trash, dst)
        return True
    except OSError:
        return False


def discard(staging: Path, outputs: Path) -> None:
    """Remove the staging folder, unless a journal still needs it to finish a commit."""
    if not (outputs / JOURNAL).exists():
        shutil.rmtree(staging, ignore_errors=True)


def commit(staging: Path, outputs: Path) -> None:
    """Make everything in ``staging`` current in ``outputs`` (see the module's docstring)."""
    moves = _moves(staging, outputs)
    journal = outputs / JOURNAL
    atomic_write_text(journal, json.dumps({"moves": moves}, ensure_ascii=False))
    try:
        _carry_out(outputs, moves)
    except OSError:
        if _undo(outputs, moves):
            journal.unlink(missing_ok=True)
        raise
    for name in LEGACY:
        (outputs / name).unlink(missing_ok=True)
    journal.unlink()
