"""Helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import csv
from pathlib import Path

from pipeline.core.findings import flatten

ROOT = Path(__file__).resolve().parent.parent


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))


def codes(report) -> list[tuple[str, str]]:
    return flatten(report.findings)


def forms_of(report, year=None):
    """The outcome frame of one year (the only year by default)."""
    years = {y.year: y for y in report.years}
    return (years[year] if year else report.years[-1]).forms


def errors(report) -> list[tuple[str, str]]:
    """(where, code) of the findings that reject a form."""
    return flatten([f for f in report.findings if f.is_error])


def warnings(report) -> list[tuple[str, str]]:
    return flatten([f for f in report.findings if not f.is_error])


def table(ws) -> tuple[list, list[tuple]]:
    """(header, data rows) of an output sheet: the header is the row above the frozen panes, the
    data runs to the first empty row (the signature block follows after it)."""
    from openpyxl.utils.cell import coordinate_from_string

    first = coordinate_from_string(ws.freeze_panes)[1]
    header = [c.value for c in ws[first - 1]]
    rows = []
    for row in ws.iter_rows(min_row=first, values_only=True):
        if all(v is None for v in row):
            break
        if all(v is None for v in row[1:]):
            continue  # a section's heading (the kinds), or "Không có."
        rows.append(row)
    return header, rows


def column(ws, heading: str) -> list:
    """The values of one column of an output sheet's table, found by its heading."""
    header, rows = table(ws)
    return [r[header.index(heading)] for r in rows]


def rewrite_zip(src: Path, dst: Path, edits: dict) -> None:
    """Copy a workbook's zip, passing the named parts' bytes through ``edits[name](data)``."""
    import zipfile

    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename in edits:
                data = edits[item.filename](data)
            zout.writestr(item, data)
