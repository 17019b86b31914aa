"""The reader back-ends behind one function: a workbook's sheets, whatever opened it.

python-calamine reads every format; where it refuses a file, openpyxl (.xlsx, .xlsm) or xlrd
(.xls, including Excel 2-4 files) is tried. Only the libraries' own errors are caught here: a
mistake in this project's code is never reported as a broken file.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import python_calamine as pc

from pipeline.core import encodings
from pipeline.core.text import clean
from pipeline.stages.read.checks import OLE_MAGIC, ZIP_MAGIC, is_ooxml
from pipeline.stages.read.grid import MAX_COLS, MAX_ROWS, Sheet


class PasswordProtected(Exception):
    """The workbook is encrypted."""


class Unreadable(Exception):
    """No reader could open the workbook; ``detail`` is the first reader's own words."""

    def __init__(self, detail: str):
        super().__init__(detail)
        self.detail = detail


def _calamine(path: Path, data: bytes | None = None) -> list[Sheet]:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)) if data is not None else pc.CalamineWorkbook.from_path(str(path))
    try:
        out = []
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            out.append(Sheet(meta.name, sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS), sheet.merged_cell_ranges))
        return out
    finally:
        wb.close()


def _openpyxl(path: Path) -> list[Sheet]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True, keep_vba=False, keep_links=False)
    try:
        out = []
        for ws in wb.worksheets:
            rows = [
                ["" if v is None else v for v in row]
                for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, MAX_ROWS),
                                        max_col=min(ws.max_column, MAX_COLS), values_only=True)
            ]
            merged = [((m.min_row - 1, m.min_col - 1), (m.max_row - 1, m.max_col - 1)) for m in ws.merged_cells.ranges]
            out.append(Sheet(ws.title, rows, merged))
        return out
    finally:
        wb.close()


def _xlrd_cell(book, cell) -> object:
    import xlrd

    if cell.ctype == xlrd.XL_CELL_DATE:
        return xlrd.xldate.xldate_as_datetime(cell.value, book.datemode)
    if cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
        return ""
    return cell.value


def _xlrd(path: Path) -> list[Sheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False, on_demand=True, logfile=io.StringIO())
    try:
        out = []
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            rows = [[_xlrd_cell(book, sh.cell(r, c)) for c in range(min(sh.ncols, MAX_COLS))]
                    for r in range(min(sh.nrows, MAX_ROWS))]
            merged = [((r0, c0), (r1 - 1, c1 - 1)) for r0, r1, c0, c1 in sh.merged_cells]
            out.append(Sheet(sh.name, rows, merged))
            book.unload_sheet(index)
        return out
    finally:
        book.release_resources()


def _fallback(path: Path) -> Callable[[Path], list[Sheet]] | None:
    """The second reader for a format, used where python-calamine refuses a file."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        return _openpyxl if path.suffix.casefold() in (".xlsx", ".xlsm") else None
    return _xlrd


def _describe(exc: BaseException) -> str:
    detail = clean(str(exc))[:100]
    return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__


def _library_failure(exc: BaseException) -> bool:
    """An error raised by a reader library, not by Python itself being interrupted."""
    return not isinstance(exc, (KeyboardInterrupt, SystemExit, MemoryError))


def open_workbook(path: Path, data: bytes | None = None) -> list[Sheet]:
    """Every worksheet of the workbook at ``path`` (``data``: its bytes, if already read).

    Raises PasswordProtected, or Unreadable when no reader can open it.
    """
    # An .xlsx is parsed from the bytes already read; anything else from its path, which
    # calamine opens itself: from a buffer it tells encrypted .xls and .ods less precisely.
    given = data if data is not None and data.startswith(ZIP_MAGIC) and is_ooxml(path) else None
    try:
        return _calamine(path, given)
    except pc.PasswordError as exc:
        raise PasswordProtected() from exc
    except BaseException as exc:  # python-calamine's panics are BaseExceptions
        if not _library_failure(exc):
            raise
        first = exc
    fallback = _fallback(path)
    if fallback is not None:
        try:
            return fallback(path)
        except BaseException as exc:
            if not _library_failure(exc):
                raise
    raise Unreadable(_describe(first)) from first


def upper_font_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """Cells whose font is an uppercase TCVN3 font (".VnTimeH"): their lowercase codes are capitals.

    Without fonts the text still converts, in lower case: any reader error gives no cells.
    """
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
        if head.startswith(ZIP_MAGIC) and is_ooxml(path):
            return _upper_cells_openpyxl(path, sheet)
        if head.startswith(OLE_MAGIC):
            return _upper_cells_xlrd(path, sheet)
    except Exception:  # noqa: BLE001 — fonts are a refinement; the text is read either way
        return set()
    return set()


def _upper_cells_openpyxl(path: Path, sheet: str) -> set[tuple[int, int]]:
    import openpyxl

    cells = set()
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        for r, row in enumerate(wb[sheet].iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS)):
            for c, cell in enumerate(row):
                font = getattr(cell, "font", None)
                if font is not None and encodings.is_upper_font(font.name):
                    cells.add((r, c))
    finally:
        wb.close()
    return cells


def _upper_cells_xlrd(path: Path, sheet: str) -> set[tuple[int, int]]:
    import xlrd

    cells = set()
    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True, logfile=io.StringIO())
    try:
        sh = book.sheet_by_name(sheet)
        for r in range(min(sh.nrows, MAX_ROWS)):
            for c in range(min(sh.ncols, MAX_COLS)):
                font = book.font_list[book.xf_list[sh.cell_xf_index(r, c)].font_index]
                if encodings.is_upper_font(font.name):
                    cells.add((r, c))
    finally:
        book.release_resources()
    return cells
