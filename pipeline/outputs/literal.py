"""Text that looks like an escape stays text in every spreadsheet program.

A workbook's strings escape a character XML cannot hold as ``_xHHHH_`` (ECMA-376, 22.4.2.4);
an underscore that only looks like one is stored as ``_x005F_``. xlsxwriter does this for four
hex digits, as Excel reads them. LibreOffice also reads one to three: in "thi_xa_ninh_hoa/…" it
finds ``_xa_``, a line break, and shows "thi" over "ninh_hoa/…"; saved again, the name is changed
for good, and a review workbook's rows no longer match the forms they were written for. So
every workbook the run writes has those underscores escaped too, after xlsxwriter has made it:
Excel and LibreOffice both read ``_x005F_`` as "_", and so do openpyxl and calamine.
"""

from __future__ import annotations

import copy
import os
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path

# An underscore that LibreOffice would take for the start of an escape of one to three hex
# digits (four are xlsxwriter's to escape, and it does).
_LOOKS_LIKE_ESCAPE = re.compile(rb"_(?=x[0-9A-Fa-f]{1,3}_)")
# The parts that hold strings: the shared strings, or, in a workbook without them (xlsxwriter's
# constant-memory mode), the sheets, inline. Only a string's text (<t>) is read for escapes: a
# sheet's footer is not, and keeps its underscores.
_SHARED = "xl/sharedStrings.xml"
_SHEET = re.compile(r"xl/worksheets/sheet\d+\.xml")
_TEXT_TAGS = (b"<t>", b"<t ")


def _cuts(xml: bytes) -> list[int]:
    """Where the part's strings have an underscore LibreOffice would misread. (The regular
    expression scans the part; only the underscores it finds are looked at one by one.)"""
    # Text holds no "<" (it is written "&lt;"): the last one before an underscore opens its node.
    return [m.start() for m in _LOOKS_LIKE_ESCAPE.finditer(xml)
            if xml.startswith(_TEXT_TAGS, xml.rfind(b"<", 0, m.start()))]


def _escaped(xml: bytes, cuts: list[int]) -> Iterator[memoryview]:
    """The part in pieces, each misleading underscore written as "_x005F_" (no copy of the part)."""
    view, last = memoryview(xml), 0
    for cut in cuts:
        yield view[last:cut]
        yield memoryview(b"_x005F_")
        last = cut + 1
    yield view[last:]


def keep_literal(path: Path) -> None:
    """Escape, in the workbook xlsxwriter has just written at ``path``, every underscore
    LibreOffice would misread. The file is rewritten, one part at a time, only where it has one;
    its parts keep their order, dates and compression. Once per workbook: an escape's own closing
    underscore may start a lookalike ("_x005F_xa_"), which a second pass would escape again."""
    tmp = path.with_name(f"{path.name}.escaped")
    try:
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            parts = [_SHARED] if _SHARED in names else [n for n in names if _SHEET.fullmatch(n)]
            scanned = {name: _cuts(z.read(name)) for name in parts}
            changed = {name: cuts for name, cuts in scanned.items() if cuts}
            if not changed:
                return
            with zipfile.ZipFile(tmp, "w") as out:
                for item in z.infolist():
                    data = z.read(item)
                    # A copy of each entry: writing sets its size and checksum.
                    if item.filename not in changed:
                        out.writestr(copy.copy(item), data)
                        continue
                    with out.open(copy.copy(item), "w") as part:
                        for piece in _escaped(data, changed[item.filename]):
                            part.write(piece)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["keep_literal"]
