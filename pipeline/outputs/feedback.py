"""The feedback letter (phiếu phản hồi) for every rejected file, to send back to its unit.

An A4 portrait document in the layout of every other page: the issuing body and the national
name, the title, whom it is addressed to, the list of problems (where, what is wrong, how to fix
it) in Vietnamese only; then a copy of each of the unit's sheets, values only (no formula, no
link, no macro is ever carried over), with the faulty cells coloured and commented. The file is
opened again under the same pre-checks and in the same worker isolation as reading: a file
refused unparsed gets its letter without the copy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.findings import FIXES, Finding
from pipeline.core.rules import Document
from pipeline.infra.files import atomic_write
from pipeline.outputs.document import Book
from pipeline.outputs.geometry import LINE_PT, Column, filling, fits, lines_needed
from pipeline.outputs.templates import WIDTHS as COPY_WIDTHS  # a unit's sheet is laid out as the blank form
from pipeline.outputs.words import FEEDBACK
from pipeline.stages.discover import InputFile, classify
from pipeline.stages.read.checks import checked_bytes
from pipeline.stages.read.grid import Sheet, col_letter
from pipeline.stages.read.sheets import PasswordProtected, Unreadable, open_workbook

HIGHLIGHT = "#FFC7CE"
# "Nội dung" spans two columns, so that the letterhead's two blocks meet where they fit (A4 portrait).
WIDTHS = filling([4, 8, 13.5, 17, 17.5], landscape=False)
MESSAGE = (2, 3)


@dataclass(frozen=True)
class Job:
    source: Path
    rel: str
    findings: tuple[Finding, ...]
    target: Path
    document: Document | None = None
    today: dt.date | None = None
    unit: str = ""  # the names the file's forms give, if any


def _notes(findings: tuple[Finding, ...]) -> dict[tuple[str, str], str]:
    notes: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.sheet and f.cell:
            key = (f.sheet, f.cell)
            notes[key] = f"{notes[key]}\n{f.message}" if key in notes else f.message
    return notes


def _sheets(job: Job) -> list[Sheet]:
    """The unit's sheets, read as intake reads them; none where the file is refused or unreadable."""
    file = classify(job.source, job.rel)
    if not isinstance(file, InputFile):
        return []  # gone, or no longer a regular file
    data, refused = checked_bytes(file)
    if refused is not None:
        return []
    try:
        return open_workbook(job.source, data)
    except (PasswordProtected, Unreadable):
        return []


def _letter_row(book: Book, ws, r: int, cells: list[str], fmt) -> None:
    """STT, where, the message (over two columns) and how to fix it; tall enough for all of it."""
    number, where, message, fix = cells
    lines = max(lines_needed(message, WIDTHS[2] + WIDTHS[3]), lines_needed(fix, WIDTHS[4]), lines_needed(where, WIDTHS[1]))
    ws.set_row(r, LINE_PT * lines + 4)
    ws.write_string(r, 0, number, fmt)
    ws.write_string(r, 1, where, fmt)
    ws.merge_range(r, MESSAGE[0], r, MESSAGE[1], message, fmt)
    ws.write_string(r, 4, fix, fmt)


def _letter(book: Book, job: Job) -> None:
    ws = book.sheet(FEEDBACK["sheet"])
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    r = book.letterhead(ws, WIDTHS, FEEDBACK["title"])
    to = FEEDBACK["to_unit"].format(unit=job.unit) if job.unit else FEEDBACK["to_file"].format(file=job.rel)
    for text, fmt in ((to, book.f_sign), (FEEDBACK["intro"].format(file=job.rel), book.f_letter)):
        ws.set_row(r, LINE_PT * lines_needed(text, sum(WIDTHS) * 0.85) + 4)
        book.span(ws, r, 0, len(WIDTHS) - 1, text, fmt)
        r += 1
    head = r + 1
    _letter_row(book, ws, head, FEEDBACK["columns"], book.f_head)
    r = head
    for i, f in enumerate(job.findings, start=1):
        r += 1
        _letter_row(book, ws, r, [str(i), f.where or FEEDBACK["whole_file"], f.message,
                                  FIXES.get(f.code, FEEDBACK["fix_default"])], book.f_text)
    book.signature(ws, r + 2, WIDTHS)
    book.print_setup(ws, landscape=False, last_col=len(WIDTHS) - 1, last_row=r + 8)
    ws.repeat_rows(head)


def _cell_text(v: object) -> str | float | None:
    """A copied value: numbers stay numbers; dates are written as the unit reads them."""
    if isinstance(v, bool) or v in ("", None):
        return None if v in ("", None) else str(v)
    if isinstance(v, (int, float)):
        return v
    if isinstance(v, (dt.date, dt.datetime)):
        return v.strftime("%d/%m/%Y")
    return str(v)


def _copy(book: Book, sheet: Sheet, notes: dict[tuple[str, str], str], fmts: dict) -> None:
    """One of the unit's sheets, values only, faulty cells coloured and commented, its merged
    ranges kept; laid out like the blank form, so that it prints on A4 at 11 pt as well."""
    out = book.sheet(sheet.name)
    # The columns that hold something (a sheet's used range often runs past its last value).
    width = max([max((c + 1 for c, v in enumerate(row) if v not in ("", None)), default=0) for row in sheet.rows]
                + [c1 + 1 for _, (_, c1) in sheet.merged or []] + [0])
    widths = [COPY_WIDTHS[c] if c < len(COPY_WIDTHS) else 10 for c in range(max(width, 1))]
    for c, w in enumerate(widths):
        out.set_column(c, c, w)
    mark, plain = fmts["mark"], fmts["plain"]
    spans = {(r0, c0): (r1, c1) for (r0, c0), (r1, c1) in sheet.merged or []
             if r0 < len(sheet.rows) and c0 < width and (r1, c1) != (r0, c0)}
    covered = {(r, c) for (r0, c0), (r1, c1) in spans.items() for r in range(r0, r1 + 1)
               for c in range(c0, c1 + 1)} - set(spans)
    for r, row in enumerate(sheet.rows):
        lines, skip = 1, -1
        for c, v in enumerate(row):
            if (r, c) in covered or c <= skip:
                continue
            value = _cell_text(v)
            fmt = mark if (sheet.name, f"{col_letter(c)}{r + 1}") in notes else plain
            end = c
            if (r, c) in spans:
                r1, end = spans[(r, c)][0], min(spans[(r, c)][1], width - 1)
            else:
                r1 = r
                # Text that Excel would let run into the empty cells on its right gets their room.
                while (isinstance(value, str) and lines_needed(value, sum(widths[c:end + 1])) > 1
                       and end + 1 < len(row) and row[end + 1] in ("", None) and (r, end + 1) not in covered
                       and (r, end + 1) not in spans):
                    end += 1
                skip = end
            if end > c or r1 > r:
                out.merge_range(r, c, r1, end, "", fmt)
            span = sum(widths[c:end + 1])
            if isinstance(value, str):
                out.write_string(r, c, value, fmt)
                lines = max(lines, lines_needed(value, span))
            elif value is not None:
                out.write_number(r, c, value, fmt)
            elif fmt is mark:
                out.write_blank(r, c, None, fmt)
        if lines > 1:
            out.set_row(r, LINE_PT * lines + 2)
    for (s, cell), note in notes.items():
        if s == sheet.name:
            out.write_comment(cell, note, {"author": FEEDBACK["author"], "x_scale": 3, "y_scale": 2})
    # Full scale where the form fits the page (the blank form's layout does); fitted otherwise.
    landscape = sum(widths) > sum(COPY_WIDTHS)
    book.print_setup(out, landscape=landscape, fit=not fits([Column("", w) for w in widths], landscape))


def _write(job: Job, tmp: Path) -> None:
    book = Book(tmp, job.document, job.today, footer=job.rel)
    base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top", "text_wrap": True}
    fmts = {"plain": book.wb.add_format(base), "mark": book.wb.add_format({**base, "bg_color": HIGHLIGHT})}
    _letter(book, job)
    notes = _notes(job.findings)
    for sheet in _sheets(job):
        _copy(book, sheet, notes, fmts)
    book.close()


def build(job: Job) -> str:
    """Write one feedback letter (atomically); returns the path written."""
    return str(atomic_write(job.target, lambda tmp: _write(job, tmp)))


__all__ = ["Job", "build"]
