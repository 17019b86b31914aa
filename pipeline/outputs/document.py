"""The administrative document's layout (Nghị định 30/2020/NĐ-CP) on a worksheet.

Issuing body and national motto above, a centred title, the table, a signature block below;
Times New Roman, A4, the decree's margins. Every workbook the office signs is built on ``Book``.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from pathlib import Path

import xlsxwriter

from pipeline.core.rules import Rules
from pipeline.outputs.words import LABELS

MM = 1 / 25.4  # inches per millimetre (Excel's margins are in inches)

# Text from submissions must stay text: no formulas, links or numbers made from strings.
SAFE_STRINGS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}


def date_line(place: str, day: dt.date) -> str:
    """"Khánh Hòa, ngày 05 tháng 09 năm 2024": days and months below 10 with a leading zero."""
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


def missing(value: object) -> bool:
    """No value: None, NaN or pandas' NA."""
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"


def wrapped_lines(row: list[object], per_line: list[tuple[int, int]]) -> int:
    """How many lines the row's longest wrapped text cell needs; ``per_line``: (column,
    characters that fit on one line) of each text column."""
    most = 1
    for c, fit in per_line:
        value = row[c] if c < len(row) else None
        if isinstance(value, str) and (len(value) > fit or "\n" in value):
            most = max(most, sum(-(-max(len(part), 1) // fit) for part in value.split("\n")))
    return most


def _number(value: object) -> float | None:
    """A cell value as a finite number, if it is one (never a bool)."""
    if type(value) is float:
        return value if math.isfinite(value) else None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class Book:
    """An xlsxwriter workbook whose every sheet is laid out as an administrative document.

    A large workbook (``large``) is written in xlsxwriter's constant-memory mode: each sheet's
    rows go to disk as they are written, so 100 000 forms are never held whole in memory. Every
    sheet is therefore written top to bottom. A smaller one keeps xlsxwriter's usual mode, whose
    shared strings are quicker to write.
    """

    LARGE = 20_000  # forms

    def __init__(self, path: Path, rules: Rules | None = None, today: dt.date | None = None, large: bool = False):
        self.wb = xlsxwriter.Workbook(str(path), {**SAFE_STRINGS, "constant_memory": large})
        self.rules, self.today = rules, today or dt.date.today()
        self._formats()
        self.sheet_names: set[str] = set()

    def _formats(self) -> None:
        add = self.wb.add_format
        doc = {"font_name": "Times New Roman", "font_size": 13, "valign": "top"}
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
        number = {**base, "border": 1, "align": "center", "num_format": "0.##;-0.##;0"}
        self.f_issuer = add({**doc, "align": "center"})
        self.f_issuer_b = add({**doc, "align": "center", "bold": True})
        self.f_nation = add({**doc, "align": "center", "bold": True})
        self.f_motto = add({**doc, "align": "center", "bold": True, "underline": 1})
        self.f_date = add({**doc, "align": "center", "italic": True})
        self.f_title = add({**doc, "bold": True, "font_size": 14, "align": "center", "text_wrap": True})
        self.f_sub = add({**doc, "italic": True, "align": "center"})
        self.f_note = add({**base, "italic": True})
        self.f_sign = add({**doc, "bold": True, "align": "center"})
        self.f_sign_i = add({**doc, "italic": True, "align": "center"})
        self.f_head = add({**base, "bold": True, "text_wrap": True, "border": 1, "align": "center",
                           "valign": "vcenter", "bg_color": "#D9E1F2"})
        self.f_text = add({**base, "text_wrap": True, "border": 1})
        self.f_num = add(number)
        self.f_low = add({**number, "font_color": "#C00000", "bold": True})
        self.f_int = add({**base, "border": 1, "align": "center", "num_format": "0"})
        self.f_total = add({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"})
        self.f_total_num = add({**base, "bold": True, "border": 1, "align": "center", "bg_color": "#F2F2F2",
                                "num_format": "0"})
        self.f_alert = add({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.f_tie = add({"bg_color": "#FFEB9C", "font_color": "#9C5700"})

    def sheet(self, name: str):
        """A new worksheet under a name Excel accepts, unique in the workbook."""
        clean = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ")[:31] or "Sheet"
        candidate, n = clean, 2
        while candidate.casefold() in self.sheet_names:
            suffix = f" ({n})"
            candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
        self.sheet_names.add(candidate.casefold())
        return self.wb.add_worksheet(candidate)

    @staticmethod
    def span(ws, row: int, first: int, last: int, text: str, fmt) -> None:
        if last > first:
            ws.merge_range(row, first, row, last, text, fmt)
        else:
            ws.write_string(row, first, text, fmt)

    @staticmethod
    def halves(last_col: int) -> tuple[tuple[int, int], tuple[int, int]]:
        """The left and right blocks of the head and of the signature (about 2 : 3)."""
        split = max(1, min(last_col, round((last_col + 1) * 0.4)))
        return (0, split - 1), (split, max(split, last_col))

    def letterhead(self, ws, last_col: int, title: str, subtitle: str) -> int:
        """The document's head, row by row; returns the first free row."""
        left, right = self.halves(last_col)
        doc = self.rules.document if self.rules else None
        r = 0
        if doc:
            issuer = list(doc.issuer)
            date_row = max(len(issuer), 2)
            right_lines = {0: (doc.nation, self.f_nation), 1: (doc.motto, self.f_motto),
                           date_row: (date_line(doc.place, self.today), self.f_date)}
            for row in range(date_row + 1):
                if row < len(issuer):
                    self.span(ws, row, *left, issuer[row], self.f_issuer_b if row == len(issuer) - 1 else self.f_issuer)
                if row in right_lines:
                    self.span(ws, row, *right, *right_lines[row])
            r = date_row + 2
        ws.set_row(r, 36)
        self.span(ws, r, 0, max(last_col, 1), title, self.f_title)
        self.span(ws, r + 1, 0, max(last_col, 1), subtitle, self.f_sub)
        return r + 3

    def signature(self, ws, row: int, last_col: int) -> None:
        doc = self.rules.document if self.rules else None
        if not doc:
            return
        left, right = self.halves(last_col)
        self.span(ws, row, *left, doc.preparer, self.f_sign)
        self.span(ws, row, *right, doc.signer_title, self.f_sign)
        self.span(ws, row + 1, *left, LABELS["sign_hint"], self.f_sign_i)
        self.span(ws, row + 1, *right, LABELS["sign_hint"], self.f_sign_i)
        if doc.signer_name:
            self.span(ws, row + 5, *right, doc.signer_name, self.f_sign)

    def table(self, ws, title: str, subtitle: str, columns: list[tuple[str, int, str]],
              rows: list[list[object]], totals: list[object] | None = None, landscape: bool = True,
              cell_formats: dict[tuple[int, int], object] | None = None) -> int:
        """Letterhead, a header row, the rows, a signature; frozen header, filter, widths, A4 set-up.

        ``columns`` holds (heading, width, kind) with kind "text", "num" or "int". Returns the
        header row, for conditional formats.
        """
        last_col = len(columns) - 1
        head = self.letterhead(ws, last_col, title, subtitle)
        ws.set_row(head, 32)  # headings wrap onto two lines
        for c, (heading, width, _) in enumerate(columns):
            ws.write_string(head, c, heading, self.f_head)
            ws.set_column(c, c, width)
        r = head + 1
        # 11 pt Times fits a little more than one character per unit of column width.
        per_line = [(c, max(1, int(width * 1.1))) for c, (_, width, kind) in enumerate(columns) if kind == "text"]
        special: dict[int, dict[int, object]] = {}
        for (ri, c), f in (cell_formats or {}).items():
            special.setdefault(ri, {})[c] = f
        numbers_ = {"num": self.f_num, "int": self.f_int}
        for i, row in enumerate(rows):
            lines = wrapped_lines(row, per_line)
            if lines > 1:
                # Not every program fits wrapped rows on opening (LibreOffice's PDF does not).
                ws.set_row(r, min(15 * lines, 150))
            self.row(ws, r, row, columns, self.f_text, numbers_, special.get(i, {}))
            r += 1
        if not rows:
            ws.write_string(r, 0, LABELS["nothing"], self.f_note)
            r += 1
        ws.freeze_panes(head + 1, 0)
        if rows:
            ws.autofilter(head, 0, head + len(rows), last_col)
        if totals:
            self.row(ws, r, totals, columns, self.f_total, {"num": self.f_total_num, "int": self.f_total_num}, {})
            r += 1
        self.signature(ws, r + 1, last_col)
        self.print_setup(ws, landscape)
        ws.repeat_rows(head)
        return head

    @staticmethod
    def print_setup(ws, landscape: bool) -> None:
        """A4, one page wide, as many pages long as it takes, the decree's margins, page numbers."""
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        ws.fit_to_pages(1, 0)
        # Nghị định 30/2020: top and bottom 20-25 mm, left 30-35 mm, right 15-20 mm.
        ws.set_margins(left=30 * MM, right=15 * MM, top=20 * MM, bottom=20 * MM)
        ws.set_footer("&C&\"Times New Roman\"&11Trang &P/&N")

    @staticmethod
    def row(ws, r: int, values: list[object], columns, text_fmt, num_fmts: dict, special: dict) -> None:
        """One table row: text as text, numbers in number columns as numbers, nothing as a blank."""
        for c, value in enumerate(values):
            kind = columns[c][2]
            if type(value) is str and value:
                ws.write_string(r, c, value, text_fmt)
            elif kind in num_fmts and (number := _number(value)) is not None:
                ws.write_number(r, c, number, special.get(c, num_fmts[kind]))
            elif missing(value) or value == "":
                ws.write_blank(r, c, None, num_fmts.get(kind, text_fmt))
            else:
                ws.write_string(r, c, str(value), text_fmt)

    def close(self) -> None:
        self.wb.close()
