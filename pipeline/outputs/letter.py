"""The administrative document's layout (Nghị định 30/2020/NĐ-CP) as a Word file, with python-docx.

A4 portrait; margins 20 mm top and bottom, 30 mm left, 15 mm right; Times New Roman, 13 pt body.
The issuing body top left, bold on its last line, with a short rule under it and the document's
number; the national name and the motto top right, the motto underlined to its own length, the
place and date in italics. The type and summary centred and bold; the bases in italics, each
ending with ";" and the last with "."; "Nơi nhận:" bold italic 12 pt with its list in 11 pt; the
signer's block right. Only python-docx's public API is used.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from pathlib import Path

from docx import Document as new_document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Mm, Pt

from pipeline.infra.files import atomic_write
from pipeline.outputs.document import date_line
from pipeline.outputs.words import LABELS

FONT = "Times New Roman"  # body 13 pt, within the decree's 13–14; the issuer and national name 12
BODY_PT, HEAD_PT, RECIPIENTS_PT, ITEMS_PT, DRAFT_PT = 13, 12, 12, 11, 10
MARGINS_MM = {"top": 20, "bottom": 20, "left": 30, "right": 15}
WIDTH_MM = 210 - MARGINS_MM["left"] - MARGINS_MM["right"]
RULE = "_" * 14  # the short rule under the issuing body and under the summary (a third of its line)
SIGN_PT = 72  # the room left to sign and stamp
NATION_PT = 12  # the national name, in capitals, on one line of the right block
CENTER, JUSTIFY, LEFT = WD_ALIGN_PARAGRAPH.CENTER, WD_ALIGN_PARAGRAPH.JUSTIFY, WD_ALIGN_PARAGRAPH.LEFT
ALIGN = {"center": CENTER, "justify": JUSTIFY, "left": LEFT}


def _widths(table, widths_mm: Sequence[float]) -> None:
    """Column widths as Word and LibreOffice both read them in a fixed layout: the grid, and the
    first row's cells (setting every cell's width cost most of a draft's time, for nothing)."""
    for column, width in zip(table.columns, widths_mm, strict=True):
        column.width = Mm(width)
    for cell, width in zip(table.rows[0].cells, widths_mm, strict=True):
        cell.width = Mm(width)


def date_words(place: str, day: dt.date | None, year: int) -> str:
    """"Vạn Ninh, ngày 05 tháng 3 năm 2026"; without a day, the blanks the clerk fills in."""
    if day is None:
        return LABELS["date_blank"].format(place=place, year=year)
    return date_line(place, day)


class Letter:
    """One Word document laid out per the decree; written with ``save``."""

    def __init__(self, draft_note: str = ""):
        self.doc = new_document()
        section = self.doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(MARGINS_MM["top"]), Mm(MARGINS_MM["bottom"])
        section.left_margin, section.right_margin = Mm(MARGINS_MM["left"]), Mm(MARGINS_MM["right"])
        normal = self.doc.styles["Normal"]
        normal.font.name, normal.font.size = FONT, Pt(BODY_PT)
        normal.paragraph_format.space_after = Pt(0)
        normal.paragraph_format.space_before = Pt(0)
        if draft_note:
            head = section.header.paragraphs[0]
            head.alignment = CENTER
            self.run(head, draft_note, size=DRAFT_PT, italic=True)

    @staticmethod
    def run(paragraph, text: str, size: float | None = None, bold: bool = False, italic: bool = False,
            underline: bool = False):
        """A run of text; only what differs from the body's style is set (each setting is XML to
        write, and the Normal style already says Times New Roman, 13 pt)."""
        # Runs of spaces (the blanks a clerk fills in) kept as typed: XML would fold them into one.
        r = paragraph.add_run(re.sub(r" {2,}", lambda m: "\u00a0" * len(m[0]), text))
        if size and size != BODY_PT:
            r.font.size = Pt(size)
        if bold:
            r.bold = True
        if italic:
            r.italic = True
        if underline:
            r.underline = True
        return r

    def line(self, text: str, align: str = "justify", size: float | None = None, bold: bool = False,
             italic: bool = False, indent: bool = False, before: float = 0, after: float = 3, container=None):
        p = (container or self.doc).add_paragraph()
        p.alignment = ALIGN[align]
        p.paragraph_format.space_before, p.paragraph_format.space_after = Pt(before), Pt(after)
        if indent:
            p.paragraph_format.first_line_indent = Mm(10)
        if text:
            self.run(p, text, size, bold, italic)
        return p

    @staticmethod
    def _borderless(table, widths_mm: Sequence[float]) -> None:
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        _widths(table, widths_mm)

    def heading(self, issuer: Sequence[str], number: str, nation: str, motto: str, date_line: str) -> None:
        """The two blocks at the top: issuer, rule and number left; nation, motto and date right."""
        table = self.doc.add_table(rows=1, cols=2)
        self._borderless(table, (WIDTH_MM * 0.43, WIDTH_MM * 0.57))
        left, right = table.rows[0].cells
        left.paragraphs[0].alignment = CENTER
        for i, text in enumerate(issuer):
            p = left.paragraphs[0] if i == 0 else left.add_paragraph()
            p.alignment = CENTER
            self.run(p, text, HEAD_PT, bold=i == len(issuer) - 1)
        p = left.add_paragraph()
        p.alignment = CENTER
        self.run(p, RULE, HEAD_PT)
        if number:
            self.line(number, "center", HEAD_PT, before=4, container=left)
        right.paragraphs[0].alignment = CENTER
        self.run(right.paragraphs[0], nation, NATION_PT, bold=True)
        p = right.add_paragraph()
        p.alignment = CENTER
        self.run(p, motto, BODY_PT, bold=True, underline=True)
        self.line(date_line, "center", BODY_PT, italic=True, before=8, container=right)

    def title(self, kind: str, summary: str) -> None:
        self.line(kind, "center", BODY_PT, bold=True, before=12, after=0)
        self.line(summary, "center", BODY_PT, bold=True, after=0)
        p = self.doc.add_paragraph()
        p.alignment = CENTER
        p.paragraph_format.space_after = Pt(12)
        self.run(p, RULE, BODY_PT)

    def bases(self, lines: Sequence[str]) -> None:
        """The bases in italics: each ends with ";", the last with "."."""
        for i, text in enumerate(lines):
            end = "." if i == len(lines) - 1 else ";"
            self.line(text.rstrip(" ;.") + end, "justify", italic=True, indent=True, after=3)

    def _with_signatures(self) -> None:
        """The last paragraph of text, and the space after it, go to the next page with the
        signatures when these do not fit: a page of signatures alone is signed under nothing."""
        spacer = self.doc.add_paragraph()
        spacer.paragraph_format.space_after = Pt(6)
        for p in self.doc.paragraphs[-2:]:
            p.paragraph_format.keep_with_next = True

    @staticmethod
    def _unbroken(table) -> None:
        """A signature block printed whole: python-docx has no public setting for a row that
        must not break across pages; each cell's paragraphs kept together and with the next keep
        the row whole as LibreOffice prints it (tested)."""
        for cell in table.rows[0].cells:
            for p in cell.paragraphs:
                p.paragraph_format.keep_together = True
            for p in cell.paragraphs[:-1]:
                p.paragraph_format.keep_with_next = True

    def closing(self, label: str, recipients: Sequence[str], signer: Sequence[str], name: str = "") -> None:
        """"Nơi nhận:" (bold italic 12 pt) and its list (11 pt, the last "- Lưu: …") left; the signer right."""
        self._with_signatures()
        table = self.doc.add_table(rows=1, cols=2)
        self._borderless(table, (WIDTH_MM * 0.45, WIDTH_MM * 0.55))
        left, right = table.rows[0].cells
        self.run(left.paragraphs[0], label, RECIPIENTS_PT, bold=True, italic=True)
        for i, text in enumerate(recipients):
            end = "." if i == len(recipients) - 1 else ";"
            self.line(f"- {text.rstrip(' ;.')}{end}", "left", ITEMS_PT, after=0, container=left)
        right.paragraphs[0].alignment = CENTER
        for i, text in enumerate(signer):
            p = right.paragraphs[0] if i == 0 else right.add_paragraph()
            p.alignment = CENTER
            self.run(p, text, BODY_PT, bold=True)
        # Room to sign as space after the title, not empty lines: at a page's foot it is dropped,
        # never carried over to make a page of its own.
        p.paragraph_format.space_after = Pt(SIGN_PT)
        if name:
            self.line(name, "center", BODY_PT, bold=True, container=right)
        self._unbroken(table)

    def signatures(self, titles: Sequence[str]) -> None:
        """Side-by-side signatures (the minutes: secretary and chair), with room to sign."""
        self._with_signatures()
        table = self.doc.add_table(rows=1, cols=len(titles))
        self._borderless(table, [WIDTH_MM / len(titles)] * len(titles))
        for cell, text in zip(table.rows[0].cells, titles, strict=True):
            cell.paragraphs[0].alignment = CENTER
            cell.paragraphs[0].paragraph_format.space_after = Pt(SIGN_PT)
            self.run(cell.paragraphs[0], text, BODY_PT, bold=True)
        self._unbroken(table)

    def new_page(self, first: str, **style) -> None:
        """A paragraph that starts a new page (the attached list): no empty page when the last
        one is full."""
        self.line(first, **style).paragraph_format.page_break_before = True

    def table(self, headings: Sequence[str], widths_mm: Sequence[float], rows: Sequence[Sequence[object]],
              sections: dict[int, str] | None = None, size: float = BODY_PT, centred: Sequence[int] = (0,)):
        """A bordered table: a bold header, a heading row before each section; ``centred``: the
        columns of numbers."""
        sections = sections or {}
        # Every row made at once: python-docx builds one table from one piece of XML, where adding
        # rows one by one walks the table each time.
        table = self.doc.add_table(rows=1 + len(rows) + len(sections.keys() & range(len(rows))), cols=len(headings))
        table.style = self.doc.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        lines = iter(table.rows)
        for cell, text in zip(next(lines).cells, headings, strict=True):
            cell.paragraphs[0].alignment = CENTER
            self.run(cell.paragraphs[0], text, size, bold=True)
        for i, values in enumerate(rows):
            if i in sections:
                cells = next(lines).cells
                merged = cells[0].merge(cells[-1])
                self.run(merged.paragraphs[0], sections[i], size, bold=True)
            cells = next(lines).cells
            for c, (cell, value) in enumerate(zip(cells, values, strict=True)):
                cell.paragraphs[0].alignment = CENTER if c in centred else LEFT
                self.run(cell.paragraphs[0], "" if value is None else str(value), size)
        _widths(table, widths_mm)
        return table

    def save(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, lambda tmp: self.doc.save(str(tmp)))
        return path
