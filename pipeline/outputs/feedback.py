"""Part of the write stage: a feedback workbook (phiếu phản hồi) for every rejected file.

A copy of the unit's own workbook with each faulty cell highlighted and commented, and a first
sheet listing every finding — ready to email back. Built in worker processes like reading, as
it opens an untrusted file again. An .xlsx/.xlsm is copied with openpyxl (its layout kept, its
macros and external links dropped); any other file is rebuilt cell by cell from its values.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import xlsxwriter

from pipeline.core.findings import Finding
from pipeline.infra.files import atomic_write
from pipeline.outputs.words import FEEDBACK
from pipeline.stages.read.grid import col_letter
from pipeline.stages.read.sheets import PasswordProtected, Unreadable, open_workbook

HIGHLIGHT = "FFC7CE"


@dataclass(frozen=True)
class Job:
    source: Path
    rel: str
    findings: tuple[Finding, ...]
    target: Path


def _rows(findings: tuple[Finding, ...]) -> list[list[object]]:
    return [[i, f.sheet, f.cell, FEEDBACK["error" if f.is_error else "warning"], f.message]
            for i, f in enumerate(findings, start=1)]


def _notes(findings: tuple[Finding, ...]) -> dict[tuple[str, str], str]:
    notes: dict[tuple[str, str], str] = {}
    for f in findings:
        if f.sheet and f.cell:
            key = (f.sheet, f.cell)
            notes[key] = f"{notes[key]}\n{f.message}" if key in notes else f.message
    return notes


def _copy_with_openpyxl(job: Job, tmp: Path) -> None:
    import openpyxl
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = openpyxl.load_workbook(job.source, keep_vba=False, keep_links=False)
    fill = PatternFill("solid", fgColor=HIGHLIGHT)
    for (sheet, cell), note in _notes(job.findings).items():
        if sheet in wb.sheetnames:
            target = wb[sheet][cell]
            target.fill = fill
            target.comment = Comment(note, FEEDBACK["author"], width=320, height=120)
    ws = wb.create_sheet(FEEDBACK["sheet"], 0)
    ws.append([FEEDBACK["title"]])
    ws.append([FEEDBACK["intro"].format(file=job.rel)])
    ws.append([])
    ws.append(FEEDBACK["columns"])
    for row in _rows(job.findings):
        ws.append(row)
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # a file or sheet name starting with "=" stays text
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    ws["A1"].font = Font(bold=True, size=14)
    for col, width in zip("ABCDE", (6, 16, 8, 10, 90), strict=True):
        ws.column_dimensions[col].width = width
    wb.active = 0
    for other in wb.worksheets[1:]:
        other.sheet_view.tabSelected = False
    wb.save(tmp)


def _rebuild(job: Job, tmp: Path) -> None:
    """A new workbook holding the file's values cell by cell (for .xls, .ods, or what openpyxl refuses)."""
    try:
        sheets = open_workbook(job.source)  # the same bounded readers as intake
    except (PasswordProtected, Unreadable):
        sheets = []  # an unreadable file still gets its list of findings
    wb = xlsxwriter.Workbook(str(tmp), {"strings_to_formulas": False, "strings_to_urls": False,
                                        "strings_to_numbers": False})
    bold = wb.add_format({"bold": True, "font_size": 14})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2"})
    mark = wb.add_format({"bg_color": f"#{HIGHLIGHT}", "text_wrap": True, "valign": "top"})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws = wb.add_worksheet(FEEDBACK["sheet"])
    ws.write_string(0, 0, FEEDBACK["title"], bold)
    ws.write_string(1, 0, FEEDBACK["intro"].format(file=job.rel), wrap)
    for c, (name, width) in enumerate(zip(FEEDBACK["columns"], (6, 16, 8, 10, 90), strict=True)):
        ws.write_string(3, c, name, head)
        ws.set_column(c, c, width)
    for r, row in enumerate(_rows(job.findings), start=4):
        for c, v in enumerate(row):
            ws.write(r, c, v, wrap) if isinstance(v, int) else ws.write_string(r, c, str(v), wrap)
    notes = _notes(job.findings)
    names = {FEEDBACK["sheet"].casefold()}
    for sheet in sheets:
        name = sheet.name[:31] if sheet.name.casefold() not in names else f"{sheet.name[:27]} (2)"
        names.add(name.casefold())
        out = wb.add_worksheet(name)
        out.set_column(0, 0, 6)
        out.set_column(1, 1, 50)
        out.set_column(2, 6, 14)
        for r, row in enumerate(sheet.rows):
            for c, v in enumerate(row):
                key = (sheet.name, f"{col_letter(c)}{r + 1}")
                fmt = mark if key in notes else None
                if isinstance(v, bool):
                    out.write_boolean(r, c, v, fmt)
                elif isinstance(v, (int, float)):
                    out.write_number(r, c, v, fmt)
                elif isinstance(v, dt.datetime):
                    out.write_datetime(r, c, v, fmt or date)
                elif isinstance(v, dt.date):
                    out.write_datetime(r, c, dt.datetime.combine(v, dt.time()), fmt or date)
                elif v not in ("", None):
                    out.write_string(r, c, str(v), fmt)
                elif fmt is not None:
                    out.write_blank(r, c, None, fmt)
        for (s, cell), note in notes.items():
            if s == sheet.name:
                out.write_comment(cell, note, {"author": FEEDBACK["author"], "x_scale": 3, "y_scale": 2})
    wb.close()


def _write(job: Job, tmp: Path) -> None:
    with open(job.source, "rb") as fh:
        is_zip = fh.read(4) == b"PK\x03\x04"
    if is_zip and job.source.suffix.casefold() in (".xlsx", ".xlsm", ".xltx", ".xltm"):
        try:
            _copy_with_openpyxl(job, tmp)
            return
        except Exception:  # noqa: BLE001 — openpyxl refuses it: rebuilt from its values instead
            pass
    _rebuild(job, tmp)


def build(job: Job) -> str:
    """Write one feedback workbook (atomically); returns the path written."""
    return str(atomic_write(job.target, lambda tmp: _write(job, tmp)))
