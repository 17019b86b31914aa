"""Stage 1: find the submitted workbooks under the inputs folder.

Reads nothing but names and file metadata. Excel lock files, hidden files and documents that
are not spreadsheets (the evidence PDFs and Word files units attach) are listed as skipped.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".xlsb", ".ods"}
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True)
class InputFile:
    path: Path
    rel: str  # relative to the inputs folder, "/" separators
    size: int
    mtime: float


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str  # a key of findings.SKIPS


def _rel(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def discover(inputs: Path) -> tuple[list[InputFile], list[Skipped]]:
    """Every file under ``inputs`` (recursively), split into workbooks to read and skipped."""
    files: list[InputFile] = []
    skipped: list[Skipped] = []
    for dirpath, dirnames, filenames in os.walk(inputs):
        # Hidden folders (.git, .Trash) hold nothing a unit sent; walk in a stable order.
        hidden_dirs = sorted(d for d in dirnames if d.startswith("."))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        for d in hidden_dirs:
            skipped.append(Skipped(_rel(base / d, inputs) + "/", "hidden"))
        for name in sorted(filenames):
            path = base / name
            rel = _rel(path, inputs)
            if rel == "README.md":
                continue  # the folder's own guide, shipped with the project
            if name.startswith("~$"):
                skipped.append(Skipped(rel, "lock-file"))
            elif name.startswith(".") or name.casefold() in _SYSTEM_FILES:
                skipped.append(Skipped(rel, "hidden"))
            elif path.suffix.casefold() not in SPREADSHEET_SUFFIXES:
                skipped.append(Skipped(rel, "not-spreadsheet"))
            else:
                st = path.stat()
                if not stat.S_ISREG(st.st_mode):
                    # A FIFO or device under a spreadsheet's name would block or never end.
                    skipped.append(Skipped(rel, "not-regular"))
                    continue
                files.append(InputFile(path, rel, st.st_size, st.st_mtime))
    files.sort(key=lambda f: f.rel)
    skipped.sort(key=lambda s: s.rel)
    return files, skipped
