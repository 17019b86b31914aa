"""The administrative document's layout (Nghị định 30/2020/NĐ-CP) on a worksheet.

Issuing body and national name top left and right, each with its short rule, the place and
date, a centred title, the table, a signature block; Times New Roman, A4, the decree's margins.
A table's printed columns are sized to fit the page at full scale, so that its 11 pt text
prints at 11 pt; technical columns (file, sheet, codes) stand to the right of the print area,
on screen only. The run's own details go in the footer, never on the signed page's body.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from collections.abc import Callable
from pathlib import Path
from typing import NamedTuple

import xlsxwriter

from pipeline.core.rules import Document
from pipeline.outputs.geometry import (
    LINE_PT,
    TABLE_PT,
    Column,
    excel_pt,
    fits,
    fitted,
    lines_needed,
    one_line,
)
from pipeline.outputs.literal import keep_literal
from pipeline.outputs.words import LABELS

MM = 1 / 25.4  # inches per millimetre (Excel's margins are in inches)
MARGINS_MM = {"left": 30, "right": 15, "top": 20, "bottom": 20}
TITLE_PT, DOC_PT, FOOTER_PT = 14, 13, 10
# The issuing body's longest line (12 pt bold) and the national name, in points as they print.
LEFT_MIN_PT, RIGHT_MIN_PT = 182, 250

EDIT_COLOR = "#FFF6CC"  # the tint of the cells staff fill in

# Text from submissions must stay text: no formulas, links or numbers made from strings.
SAFE_STRINGS = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False}
# The workbook's own font. A column's width is counted in its digits: with Times New Roman (which
# every office has, and Liberation Serif matches) Excel and LibreOffice print a column alike;
# with the default Calibri, a machine without it prints every column a third wider.
DEFAULT_FONT = {"default_format_properties": {"font_name": "Times New Roman", "font_size": TABLE_PT}}


class Formula(NamedTuple):
    """A cell's formula and its value as computed; ``{row}`` in the formula is the cell's Excel row."""

    formula: str
    value: float | None


def date_line(place: str, day: dt.date) -> str:
    """"Khánh Hòa, ngày 05 tháng 3 năm 2026": per the decree, days below 10 and the months 1 and 2
    take a leading zero ("tháng 02"), other months none."""
    month = f"{day.month:02d}" if day.month < 3 else str(day.month)
    return LABELS["date_line"].format(place=place, day=f"{day.day:02d}", month=month, year=day.year)


def missing(value: object) -> bool:
    """No value: None, NaN or pandas' NA."""
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"


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

    def __init__(self, path: Path, document: Document | None = None, today: dt.date | None = None,
                 large: bool = False, footer: str = ""):
        self.path = path
        self.wb = xlsxwriter.Workbook(str(path), {**SAFE_STRINGS, **DEFAULT_FONT, "constant_memory": large})
        self.document, self.today, self.footer = document, today or dt.date.today(), footer
        self._formats()
        self.sheet_names: set[str] = set()

    def _formats(self) -> None:
        add = self.wb.add_format
        doc = {"font_name": "Times New Roman", "font_size": DOC_PT, "valign": "top"}
        base = {"font_name": "Times New Roman", "font_size": TABLE_PT, "valign": "top"}
        number = {**base, "border": 1, "align": "center", "num_format": "0.##;-0.##;0"}
        self.f_issuer = add({**doc, "align": "center", "font_size": 12})
        self.f_issuer_b = add({**doc, "align": "center", "bold": True, "font_size": 12})
        self.f_nation = add({**doc, "align": "center", "bold": True, "font_size": 12})
        self.f_motto = add({**doc, "align": "center", "bold": True})
        self.f_rule = add({"top": 1})
        self.f_date = add({**doc, "align": "center", "italic": True})
        self.f_title = add({**doc, "bold": True, "font_size": TITLE_PT, "align": "center", "valign": "vcenter",
                            "text_wrap": True})
        self.f_note = add({**base, "italic": True})
        self.f_note_wrap = add({**base, "italic": True, "text_wrap": True})
        self.f_letter = add({**doc, "text_wrap": True, "align": "justify"})
        self.f_sign = add({**doc, "bold": True, "align": "center"})
        self.f_sign_i = add({**doc, "italic": True, "align": "center"})
        self.f_head = add({**base, "bold": True, "text_wrap": True, "border": 1, "align": "center",
                           "valign": "vcenter", "bg_color": "#D9E1F2"})
        self.f_section = add({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"})
        self.f_text = add({**base, "text_wrap": True, "border": 1})
        self.f_num = add(number)
        self.f_low = add({**number, "font_color": "#C00000", "bold": True})
        self.f_int = add({**base, "border": 1, "align": "center", "num_format": "0"})
        self.f_total = add({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2", "text_wrap": True})
        self.f_total_num = add({**base, "bold": True, "border": 1, "align": "center", "bg_color": "#F2F2F2",
                                "num_format": "0"})
        edit = {"locked": False, "bg_color": EDIT_COLOR}
        self.f_edit_text = add({**base, "text_wrap": True, "border": 1, **edit})
        self.f_edit_num = add({**number, **edit})
        self.f_edit_int = add({**base, "border": 1, "align": "center", "num_format": "0", **edit})
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
    def halves(widths: list[float]) -> tuple[tuple[int, int], tuple[int, int]]:
        """The left and right blocks of the head and the signature: the column boundary nearest
        to 42 % of the width that leaves room for the issuing body left and the national name right."""
        pt = [excel_pt(w) for w in widths]
        total = sum(pt)
        bounds = [(c, sum(pt[:c])) for c in range(1, len(pt))]
        roomy = [(c, x) for c, x in bounds if x >= LEFT_MIN_PT and total - x >= RIGHT_MIN_PT]
        split = min(roomy or bounds or [(1, 0)], key=lambda b: abs(b[1] - total * 0.42))[0]
        last = len(widths) - 1
        return (0, split - 1), (split, max(split, last))

    def _short_rule(self, ws, row: int, block: tuple[int, int], widths: list[float]) -> None:
        """A short rule under a block's last line: the columns in the middle third of the block."""
        first, last = block
        total = sum(widths[first:last + 1])
        run = 0.0
        chosen = []
        for c in range(first, last + 1):
            middle = run + widths[c] / 2
            if total / 3 <= middle <= total * 2 / 3:
                chosen.append(c)
            run += widths[c]
        for c in chosen or [first + (last - first) // 2]:
            ws.write_blank(row, c, None, self.f_rule)

    def letterhead(self, ws, widths: list[float], title: str) -> int:
        """The document's head, row by row; returns the first free row."""
        left, right = self.halves(widths)
        last_col = len(widths) - 1
        doc = self.document
        r = 0
        if doc:
            issuer = list(doc.issuer)
            head_rows = max(len(issuer), 2)
            right_lines = {0: (doc.nation, self.f_nation), 1: (doc.motto, self.f_motto)}
            for row in range(head_rows):
                if row < len(issuer):
                    self.span(ws, row, *left, issuer[row], self.f_issuer_b if row == len(issuer) - 1 else self.f_issuer)
                if row in right_lines:
                    self.span(ws, row, *right, *right_lines[row])
            ws.set_row(head_rows, 6)
            self._short_rule(ws, head_rows, left, widths)
            self._short_rule(ws, head_rows, right, widths)
            self.span(ws, head_rows + 1, *right, date_line(doc.place, self.today), self.f_date)
            r = head_rows + 3
        if " — " in title and lines_needed(title, sum(widths) * TABLE_PT / TITLE_PT, bold=True) > 1:
            title = title.replace(" — ", "\n— ", 1)  # a long title breaks before its group, not inside it
        ws.set_row(r, LINE_PT * max(2, lines_needed(title, sum(widths) * 0.8)) + 4)
        self.span(ws, r, 0, max(last_col, 1), title, self.f_title)
        return r + 2

    def signature(self, ws, row: int, widths: list[float]) -> None:
        doc = self.document
        if not doc:
            return
        left, right = self.halves(widths)
        self.span(ws, row, *left, doc.preparer, self.f_sign)
        self.span(ws, row, *right, doc.signer_title, self.f_sign)
        self.span(ws, row + 1, *left, LABELS["sign_hint"], self.f_sign_i)
        self.span(ws, row + 1, *right, LABELS["sign_hint"], self.f_sign_i)
        if doc.signer_name:
            self.span(ws, row + 5, *right, doc.signer_name, self.f_sign)

    def table(self, ws, title: str, columns: list[Column], rows: list[list[object]],
              totals: list[object] | None = None, landscape: bool = True,
              cell_formats: dict[tuple[int, int], object] | None = None,
              sections: dict[int, str] | None = None, note: str = "", gap: int = 0,
              above: Callable[[object, int], None] | None = None) -> int:
        """Letterhead, a header row, the rows, a signature; frozen header, filter, widths, A4 set-up.

        ``sections``: a heading row written before the row of that index (the kinds, say).
        ``note``: a line under the title that tells how to read the table.
        ``gap``: rows above the header that ``above(ws, first row)`` fills, before the header is
        written: a large workbook's rows must be written top to bottom.
        Returns the header row, for conditional formats.
        """
        columns = fitted(columns, landscape)
        printed = [c for c in columns if c.printed]
        widths = [c.width for c in printed]
        head = self.letterhead(ws, widths, title)
        if note:
            ws.set_row(head - 1, LINE_PT * lines_needed(note, sum(widths)) + 2)
            self.span(ws, head - 1, 0, len(printed) - 1, note, self.f_note_wrap)
        if above is not None:
            above(ws, head)
        head += gap
        self.heading(ws, head, [c.heading for c in columns], [c.width for c in columns])
        for c, column in enumerate(columns):
            ws.set_column(c, c, column.width)
        r = head + 1
        special: dict[int, dict[int, object]] = {}
        for (ri, c), f in (cell_formats or {}).items():
            special.setdefault(ri, {})[c] = f
        texts = [(c, col.width) for c, col in enumerate(printed) if col.kind == "text"]
        plan = self.formats(columns)
        for i, row in enumerate(rows):
            if sections and i in sections:
                ws.set_row(r, LINE_PT + 2)
                self.span(ws, r, 0, len(printed) - 1, sections[i], self.f_section)
                r += 1
            self.height(ws, r, row, texts)
            self.row(ws, r, row, plan, special.get(i, {}))
            r += 1
        if not rows:
            ws.write_string(r, 0, LABELS["nothing"], self.f_note)
            r += 1
        ws.freeze_panes(head + 1, 0)
        if rows:
            ws.autofilter(head, 0, r - 1, len(columns) - 1)
        if totals:
            self.height(ws, r, totals, texts)
            self.row(ws, r, totals, self.formats(columns, total=True), {})
            r += 1
        self.signature(ws, r + 1, widths)
        self.print_setup(ws, landscape, len(printed) - 1, r + 7, fit=not fits(columns, landscape))
        ws.repeat_rows(head)
        return head

    def heading(self, ws, r: int, headings: list[str], widths: list[float]) -> None:
        """A table's heading row, as tall as its longest heading wraps in bold."""
        ws.set_row(r, LINE_PT * max(lines_needed(h, w, bold=True) for h, w in zip(headings, widths, strict=True)) + 4)
        for c, heading in enumerate(headings):
            ws.write_string(r, c, heading, self.f_head)

    @staticmethod
    def height(ws, r: int, row: list[object], texts: list[tuple[int, float]]) -> None:
        """A row tall enough for its longest wrapped text (no program fits rows on opening)."""
        most = 1
        for c, width in texts:
            value = row[c] if c < len(row) else None
            if isinstance(value, str) and not one_line(value, width):
                most = max(most, lines_needed(value, width))
        if most > 1:
            ws.set_row(r, LINE_PT * most + 2)

    def print_setup(self, ws, landscape: bool, last_col: int | None = None, last_row: int | None = None,
                    fit: bool = False) -> None:
        """A4 at full scale (the printed columns were sized to fit: 11 pt prints as 11 pt; LibreOffice
        would enlarge a narrower table fitted to the page's width), the decree's margins, page
        numbers and the run's details. ``fit``: a sheet of unknown width, fitted to one page wide."""
        ws.set_paper(9)
        if landscape:
            ws.set_landscape()
        else:
            ws.set_portrait()
        if fit:
            ws.fit_to_pages(1, 0)
        else:
            ws.set_print_scale(100)
        if last_col is not None and last_row is not None:
            ws.print_area(0, 0, last_row, last_col)
        ws.set_margins(left=MARGINS_MM["left"] * MM, right=MARGINS_MM["right"] * MM, top=MARGINS_MM["top"] * MM,
                       bottom=MARGINS_MM["bottom"] * MM)
        footer = self.footer.replace("&", "&&")
        ws.set_footer(f'&L&"Times New Roman"&{FOOTER_PT}{footer}&R&"Times New Roman"&{FOOTER_PT}'
                      + LABELS["page"])

    def formats(self, columns: list[Column], total: bool = False) -> list[tuple[object, object]]:
        """Each column's text format and number format (None in a text column): the body's, the
        editable cells', or the total row's."""
        plan = []
        for col in columns:
            if total:
                text, numbers_ = self.f_total, {"num": self.f_total_num, "int": self.f_total_num}
            elif col.editable:
                text, numbers_ = self.f_edit_text, {"num": self.f_edit_num, "int": self.f_edit_int}
            else:
                text, numbers_ = self.f_text, {"num": self.f_num, "int": self.f_int}
            plan.append((text, numbers_.get(col.kind)))
        return plan

    @staticmethod
    def row(ws, r: int, values: list[object], plan: list[tuple[object, object]], special: dict) -> None:
        """One table row: text as text, numbers in number columns as numbers, nothing as a blank.
        ``plan``: each column's formats (Book.formats); ``special``: a number's format by column."""
        for c, value in enumerate(values):
            text_fmt, num_fmt = plan[c]
            if type(value) is str:
                if value:
                    ws.write_string(r, c, value, text_fmt)
                else:
                    ws.write_blank(r, c, None, num_fmt or text_fmt)
            elif type(value) is Formula:
                ws.write_formula(r, c, value.formula.format(row=r + 1), special.get(c, num_fmt or text_fmt),
                                 value.value)
            elif num_fmt is not None and (number := _number(value)) is not None:
                ws.write_number(r, c, number, special.get(c, num_fmt))
            elif missing(value):
                ws.write_blank(r, c, None, num_fmt or text_fmt)
            else:
                ws.write_string(r, c, str(value), text_fmt)

    def close(self) -> None:
        self.wb.close()
        keep_literal(self.path)
