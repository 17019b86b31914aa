"""Helpers the tests share (fixtures are in conftest.py)."""

from __future__ import annotations

import csv
import re
import subprocess
from collections import Counter
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


# Printed pages, measured from LibreOffice's PDF with poppler's pdftotext.
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>')
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.S)
FOOTER_PT = 40  # the bottom of a page where the footer stands (the bottom margin is 20 mm = 57 pt)
BOX = 1.3  # a word's box height for each point of type size


def pdf_pages(pdf) -> list[tuple[float, float, list[tuple[float, str]]]]:
    """(width, height, [(word height, word) of the body]) of every page, the footer left out."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    out = []
    for width, height, body in PAGE.findall(html):
        words = [(float(y1) - float(y0), w) for _, y0, _, y1, w in WORD.findall(body)
                 if float(y1) < float(height) - FOOTER_PT]
        out.append((float(width), float(height), words))
    return out


def pdf_words(pdf) -> Counter:
    """Every word a PDF prints, counted: a cell's text printed whole has each of its words there
    (text cut by a row too short loses its last lines)."""
    return Counter(subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True,
                                  check=True).stdout.split())


def printed_whole(text: str, printed: Counter) -> bool:
    return Counter(text.split()) <= printed


def struck_words(pdf) -> list[tuple[int, str]]:
    """(page, word) of every word a table's rule runs through: text taller than its row, printed
    over the row's border, or wider than its cell. (pdfplumber gives the rules, which pdftotext
    does not; the charts' grey gridlines are not a table's.)"""
    import pdfplumber

    inset = 2.0  # points inside a word's box: a rule that only touches it is no cut
    out = []
    with pdfplumber.open(pdf) as doc:
        for number, page in enumerate(doc.pages, start=1):
            rules = [e for e in page.edges if e.get("stroking_color") in (0, (0,), (0.0, 0.0, 0.0))]
            for w in page.extract_words(x_tolerance=1):  # cells side by side are separate words
                for e in rules:
                    if e["orientation"] == "h":
                        across = w["top"] + inset < e["top"] < w["bottom"] - inset
                        along = min(e["x1"], w["x1"]) - max(e["x0"], w["x0"]) > (w["x1"] - w["x0"]) / 2
                    else:
                        across = w["x0"] + inset < e["x0"] < w["x1"] - inset
                        along = min(e["bottom"], w["bottom"]) - max(e["top"], w["top"]) > (w["bottom"] - w["top"]) / 2
                    if across and along:
                        out.append((number, w["text"]))
                        break
    return out
