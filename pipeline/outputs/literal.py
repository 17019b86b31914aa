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

import os
import re
import zipfile
from pathlib import Path

# An underscore that LibreOffice would take for the start of an escape of one to three hex
# digits (four are xlsxwriter's to escape, and it does).
_LOOKS_LIKE_ESCAPE = re.compile(rb"_(?=x[0-9A-Fa-f]{1,3}_)")
# A string's text: in the shared strings, or inline in a sheet (constant-memory mode).
_TEXT = re.compile(rb"(<t(?: [^>]*)?>)([^<]*)(</t>)")
_PARTS = re.compile(r"xl/(sharedStrings|worksheets/sheet\d+)\.xml")


def _escaped(xml: bytes) -> bytes | None:
    """The part with its texts' misleading underscores escaped, or None if it has none."""
    if not _LOOKS_LIKE_ESCAPE.search(xml):
        return None
    escaped = _TEXT.sub(lambda m: m[1] + _LOOKS_LIKE_ESCAPE.sub(b"_x005F_", m[2]) + m[3], xml)
    return escaped if escaped != xml else None


def keep_literal(path: Path) -> None:
    """Escape, in the workbook at ``path``, every underscore LibreOffice would misread. The file
    is rewritten, one part at a time, only where it has one; its parts keep their order, dates
    and compression."""
    tmp = path.with_name(f"{path.name}.escaped")
    try:
        with zipfile.ZipFile(path) as z:
            changed = {item.filename for item in z.infolist()
                       if _PARTS.fullmatch(item.filename) and _escaped(z.read(item)) is not None}
            if not changed:
                return
            with zipfile.ZipFile(tmp, "w") as out:
                for item in z.infolist():
                    data = z.read(item)
                    out.writestr(item, (_escaped(data) or data) if item.filename in changed else data)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


__all__ = ["keep_literal"]
