"""Stage 1: find the submitted workbooks under the inputs folder.

Reads nothing but names and file metadata. Excel lock files, hidden files and documents that
are not spreadsheets (the evidence PDFs and Word files units attach) are listed as skipped.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.review import REVIEW_DIR
from pipeline.core.text import shown

# Sub-folders of the inputs folder that hold registers, not forms.
HISTORY_DIR = "lich_su"  # past recognitions, from before the tool was used
ROSTER_DIR = "danh_sach"  # the units expected to submit
REGISTER_DIRS = (HISTORY_DIR, ROSTER_DIR, REVIEW_DIR)  # REVIEW_DIR: the staff's review workbooks

SPREADSHEET_SUFFIXES = {".xlsx", ".xlsm", ".xltx", ".xltm", ".xls", ".xlt", ".xlsb", ".ods"}
_SYSTEM_FILES = {"thumbs.db", "desktop.ini", ".ds_store"}


@dataclass(frozen=True, slots=True)
class InputFile:
    """A workbook to read. Its folder and its name are kept apart, the folder's path shared by
    every file in it: a path object of its own for each of 100 000 files held 70 MB."""

    folder: Path
    name: str
    rel: str  # relative to the inputs folder, "/" separators
    size: int
    mtime: float

    @property
    def path(self) -> Path:
        return self.folder / self.name

    @classmethod
    def at(cls, path: Path, rel: str, size: int, mtime: float) -> InputFile:
        return cls(path.parent, path.name, rel, size, mtime)


@dataclass(frozen=True)
class Skipped:
    rel: str
    reason: str  # a key of findings.SKIPS


def _rel(path: Path, root: Path) -> str:
    return shown(path.relative_to(root).as_posix())


def classify(path: Path, rel: str, folder: Path | None = None) -> InputFile | Skipped | None:
    """A workbook to read, a file to list as skipped, or None for the folder's own README.
    ``folder``: ``path``'s folder, as a path object the caller shares between its files."""
    name = path.name
    if rel == "README.md":
        return None  # the folder's own guide, shipped with the project
    if name.startswith("~$"):
        return Skipped(rel, "lock-file")
    if name.startswith(".") or name.casefold() in _SYSTEM_FILES:
        return Skipped(rel, "hidden")
    if path.suffix.casefold() not in SPREADSHEET_SUFFIXES:
        return Skipped(rel, "not-spreadsheet")
    try:
        st = path.stat()
    except OSError:
        return Skipped(rel, "not-regular")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device under a spreadsheet's name would block or never end.
        return Skipped(rel, "not-regular")
    return InputFile(path.parent if folder is None else folder, name, rel, st.st_size, st.st_mtime)


def _split(found: list[InputFile | Skipped | None]) -> tuple[list[InputFile], list[Skipped]]:
    files = sorted((f for f in found if isinstance(f, InputFile)), key=lambda f: f.rel)
    skipped = sorted((s for s in found if isinstance(s, Skipped)), key=lambda s: s.rel)
    return files, skipped


def discover(inputs: Path) -> tuple[list[InputFile], list[Skipped]]:
    """Every file under ``inputs`` (recursively), split into workbooks to read and skipped.

    The register folders (``lich_su/``, ``danh_sach/``) are not forms: see ``registers``.
    """
    found: list[InputFile | Skipped | None] = []
    for dirpath, dirnames, filenames in os.walk(inputs):
        if Path(dirpath) == inputs:
            dirnames[:] = [d for d in dirnames if d not in REGISTER_DIRS]
        # Hidden folders (.git, .Trash) hold nothing a unit sent; walk in a stable order.
        hidden_dirs = sorted(d for d in dirnames if d.startswith("."))
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        base = Path(dirpath)
        # The folder's relative path once, not per file: pathlib's relative_to for each of
        # 10 000 files was most of this stage.
        prefix = "" if base == inputs else _rel(base, inputs) + "/"
        found += [Skipped(prefix + shown(d) + "/", "hidden") for d in hidden_dirs]
        found += [classify(base / name, prefix + shown(name), base) for name in sorted(filenames)]
    return _split(found)


def registers(inputs: Path, folder: str) -> tuple[list[InputFile], list[Skipped]]:
    """The workbooks of one register folder (``inputs/lich_su``, ``inputs/danh_sach`` or
    ``inputs/xet_khen_thuong``)."""
    root = inputs / folder
    if not root.is_dir():
        return [], []
    found = [classify(Path(d) / n, _rel(Path(d) / n, inputs)) for d, _, names in os.walk(root) for n in sorted(names)]
    return _split(found)


def given(paths: list[Path]) -> tuple[list[InputFile], list[Skipped]]:
    """Files named on the command line, each known by the path as it was typed."""
    return _split([classify(p, shown(p.as_posix())) if p.exists() else Skipped(shown(p.as_posix()), "missing")
                   for p in paths])
