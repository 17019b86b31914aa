"""A sheet's cells as a bounded grid of values and their cleaned text, merged ranges resolved.

Every later step (finding the form, reading the registers, the feedback letter) reads sheets
through this one shape, whichever library opened the file.
"""

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from pipeline.core import encodings
from pipeline.core.text import clean

# A form fits in a few dozen rows; these bounds keep an absurd sheet from being read whole.
MAX_ROWS = 400
MAX_COLS = 40
MAX_CELL_CHARS = 2000


class Sheet(NamedTuple):
    """One worksheet as a reader back-end gives it: rows of plain values, merged ranges."""

    name: str
    rows: list[list[object]]
    merged: list[tuple[tuple[int, int], tuple[int, int]]] | None


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = [col_letter(i) for i in range(64)]


def ref(row: int, col: int) -> str:
    """Zero-based grid position to an Excel address (0, 3) -> "D1"."""
    return f"{_LETTERS[col] if col < 64 else col_letter(col)}{row + 1}"


def as_text(value: object) -> str:
    """A cell's value as a person reads it: 2024.0 -> "2024", a date -> "20/08/2024"."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return clean(value)


class Grid:
    """A sheet's cells as a bounded list of rows, with merged ranges resolved to their origin.

    Text typed in a legacy encoding (TCVN3, VNI) is converted to Unicode here, before any
    cleaning: TCVN3 writes "ư" as a soft hyphen, which cleaning would otherwise remove.
    """

    def __init__(self, rows: list[list[object]], merged: list | None, upper: set[tuple[int, int]] | None = None):
        self.rows = [list(r[:MAX_COLS]) for r in rows[:MAX_ROWS]]
        self.width = max((len(r) for r in self.rows), default=0)
        self.encoding, self.converted_at = self._convert(upper or set())
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for (r0, c0), (r1, c1) in merged or []:
            for r in range(r0, min(r1, MAX_ROWS - 1) + 1):
                for c in range(c0, min(c1, MAX_COLS - 1) + 1):
                    if (r, c) != (r0, c0):
                        self.origin[(r, c)] = (r0, c0)
        # Each cell's text, computed once: every step after this reads it many times.
        self.texts: list[list[str]] = []
        for row in self.rows:
            line = []
            for c, v in enumerate(row):
                if v is None or v == "":
                    row[c] = None
                    line.append("")
                    continue
                if type(v) is str and len(v) > MAX_CELL_CHARS:
                    row[c] = v = v[:MAX_CELL_CHARS] + "…"  # a 100 000-character cell is no label or score
                line.append(clean(v) if type(v) is str else as_text(v))
            self.texts.append(line)

    def _convert(self, upper: set[tuple[int, int]]) -> tuple[str, str]:
        """Convert legacy-encoded text in place; (the encoding, the first cell converted)."""
        encoding, whole = encodings.plan([v for row in self.rows for v in row if type(v) is str and v])
        first = ""
        if encoding:
            for r, row in enumerate(self.rows):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v and (whole or encodings.marked(v, encoding)):
                        new = encodings.convert(v, encoding, upper=(r, c) in upper)
                        if new != v:
                            row[c] = new
                            first = first or ref(r, c)
        return encoding or "", first

    def value(self, r: int, c: int) -> object:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def text(self, r: int, c: int) -> str:
        if 0 <= r < len(self.texts) and 0 <= c < len(self.texts[r]):
            return self.texts[r][c]
        return ""

    def merged_text(self, r: int, c: int) -> str:
        r0, c0 = self.origin.get((r, c), (r, c))
        return self.text(r0, c0)

    def has_data(self) -> bool:
        return any(v is not None for row in self.rows for v in row)
