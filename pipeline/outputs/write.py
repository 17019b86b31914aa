"""Stage 7: the workbooks and CSV files staff print, sign and email.

Per year, in ``outputs/<year>/``: the consolidated workbook, one workbook per group, and the
two CSV files. Every file is written beside its final place and moved in when complete, so a
crash never leaves half a workbook where the last good one stood. Text that came from a
submitted workbook is always written as a string, never as a formula or a link.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import numbers
import os
import re
from collections import namedtuple
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name
from xlsxwriter.worksheet import CellBlankTuple, CellNumberTuple, CellStringTuple, Worksheet

from pipeline.core.findings import SKIPS, Finding, in_order
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.core.table import columns
from pipeline.core.text import csv_safe, person_sort_key, slug, vi_sort_key
from pipeline.infra.workers import Failure, Limits, isolated_map, return_freed_memory
from pipeline.outputs import feedback
from pipeline.stages.aggregate import YearResult, summarise
from pipeline.stages.discover import Skipped
from pipeline.stages.rank import SUPERSEDED, TIE


class OutputError(Exception):
    """The output folder cannot be written; the run cannot go on."""


# Headings and fixed words of the output workbooks. Names of groups, kinds, fields and awards
# are not here: they come from the rules file.
LABELS = {
    "title": "TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “{movement}” NĂM {year}",
    "title_group": "KẾT QUẢ TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “{movement}” NĂM {year} — {group}",
    "subtitle": "Tỉnh {province} · Lập ngày {date} từ {n} tệp hồ sơ",
    "sheet_summary": "Tổng hợp",
    "sheet_overview": "Tổng quan",
    "overview_title": "TỔNG QUAN PHONG TRÀO THI ĐUA “{movement}” NĂM {year}",
    "figure": "Chỉ tiêu",
    "count": "Số lượng",
    "fig_received": "Biểu mẫu đã nhận",
    "fig_rejected": "Biểu mẫu bị từ chối (cần đơn vị sửa, gửi lại)",
    "fig_eligible": "Biểu mẫu đủ điều kiện",
    "fig_awarded": "Đề xuất {award}",
    "fig_proposed": "Trong đó {proposal}",
    "fig_tied": "Đồng hạng chờ Hội đồng xét",
    "fig_groups_missing": "{group_label} chưa có biểu mẫu nào",
    "fig_units_missing": "Đơn vị trong danh sách chưa nộp",
    "chart_kind": "{kind}: theo {group_label}",
    "chart_field": "Biểu mẫu hợp lệ theo lĩnh vực",
    "series_received": "Đã nhận",
    "series_eligible": "Đủ điều kiện",
    "series_awarded": "Khen thưởng",
    "sheet_awards": "Khen thưởng",
    "sheet_ineligible": "Không đủ điều kiện",
    "sheet_rejected": "Hồ sơ bị từ chối",
    "sheet_skipped": "Tệp bỏ qua",
    "sheet_warnings": "Cảnh báo",
    "sheet_changes": "Thay đổi",
    "sheet_missing": "Chưa nộp",
    "sheet_by_name": "Đối chiếu theo tên",
    "not_submitted": "Chưa nộp",
    "change": "Thay đổi",
    "before": "Trước",
    "after": "Sau",
    "change_new": "Mới nộp",
    "change_replaced": "Nộp lại (tệp đã thay đổi)",
    "change_withdrawn": "Đã rút (không còn trong thư mục hồ sơ)",
    "change_total": "Đổi tổng điểm",
    "change_award": "Đổi kết quả khen thưởng",
    "first_run": "Lần chạy đầu tiên trên thư mục kết quả này: chưa có gì để so sánh.",
    "by_name_note": "Đơn vị không có mã: đã nhận là một với đơn vị cùng tên, loại và nhóm đã được công nhận năm trước. Đề nghị kiểm tra.",
    "no": "STT",
    "kind": "Loại",
    "received": "Số hồ sơ nhận",
    "rejected": "Bị từ chối",
    "valid": "Hợp lệ",
    "superseded": "Đã thay thế",
    "eligible": "Đủ điều kiện",
    "tied": "Đồng hạng",
    "total_row": "Tổng cộng",
    "unknown": "(Chưa xác định)",
    "rank": "Hạng",
    "name": "Tên tập thể / cá nhân",
    "unit_code": "Mã đơn vị",
    "commune": "Xã/phường/thị trấn",
    "field": "Lĩnh vực",
    "model": "Tên mô hình, điển hình",
    "criterion": "TC{stt}",
    "total": "Tổng điểm",
    "is_eligible": "Đủ điều kiện",
    "yes": "Có",
    "no_": "Không",
    "award": "Khen thưởng",
    "note": "Lý do / ghi chú",
    "file": "Tệp",
    "sheet": "Trang tính",
    "cell": "Ô",
    "severity": "Mức",
    "error": "Lỗi",
    "warning": "Cảnh báo",
    "message": "Nội dung",
    "reason": "Lý do bỏ qua",
    "award_tie": "Đồng hạng — Hội đồng xét",
    "award_superseded": "Đã thay bằng hồ sơ nộp sau",
    "nothing": "Không có.",
    "sign_hint": "(Ký, ghi rõ họ tên)",
}

KET_QUA_COLUMNS = ["file", "sheet", "unit_code", "name", "kind", "group", "field", "year",
                   "total", "eligible", "reasons", "rank", "award"]
LOI_COLUMNS = ["file", "sheet", "cell", "message"]


def _atomic(path: Path, write: Callable[[Path], None]) -> None:
    """Write to a temporary file beside ``path``, then move it into place in one step."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):g}"


RECORD_COLUMNS = ["file", "sheet", "unit_code", "name", "kind", "group", "field", "year", "total", "eligible",
                  "reasons", "rank", "award", "note", "superseded", "rejected", "scores", "commune", "model",
                  "by_name", "tie_edge"]


class _Row(namedtuple("_Row", RECORD_COLUMNS, defaults=[None] * len(RECORD_COLUMNS))):
    """A form as a plain record (``r.file``, ``r["name"]``): far faster than a pandas row, and a
    fifth of a dict's memory, which counts at 100 000 forms sent to a worker."""

    __slots__ = ()

    def __getitem__(self, key):
        return getattr(self, key) if isinstance(key, str) else super().__getitem__(key)


def _records(frame: pd.DataFrame) -> list[_Row]:
    """The forms as records, once per year: every sheet then filters plain Python lists."""
    return list(map(_Row._make, columns(frame, *RECORD_COLUMNS)))


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or value is pd.NA


def _reasons(row) -> list[str]:
    return [*row["reasons"], *([row["note"]] if row["note"] else [])]


def _csv(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    def write(tmp: Path) -> None:
        # UTF-8 with BOM: Excel on Windows opens it with the Vietnamese letters intact. Written
        # row by row: made whole in memory first, at 100 000 forms it took 150 MB for a moment.
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(header)
            w.writerows([csv_safe(v) for v in row] for row in rows)

    _atomic(path, write)


def write_csvs(result: YearResult, folder: Path, records: list[_Row]) -> None:
    accepted = sorted((r for r in records if not r.rejected), key=lambda r: (r.file, r.sheet))
    rows = (
        [r.file, r.sheet, r.unit_code, r["name"], r.kind, r.group, r.field, int(r.year),
         _number(r.total), "true" if r.eligible else "false", "; ".join(_reasons(r)),
         "" if _missing(r["rank"]) else int(r["rank"]), r.award]
        for r in accepted
    )
    _csv(folder / "ket_qua.csv", KET_QUA_COLUMNS, rows)
    findings = in_order(result.findings)
    _csv(folder / "loi.csv", LOI_COLUMNS, ([f.file, f.sheet, f.cell, f.message] for f in findings))


# --- workbooks -------------------------------------------------------------------------------


MM = 1 / 25.4  # inches per millimetre (Excel's margins are in inches)


def _lines(row: list[object], per_line: list[tuple[int, int]]) -> int:
    """How many lines the row's longest wrapped text cell needs; ``per_line``: (column,
    characters that fit on one line) of each text column."""
    most = 1
    for c, fit in per_line:
        value = row[c] if c < len(row) else None
        if isinstance(value, str) and (len(value) > fit or "\n" in value):
            most = max(most, sum(-(-max(len(part), 1) // fit) for part in value.split("\n")))
    return most


def date_line(place: str, day: dt.date) -> str:
    """"Khánh Hòa, ngày 05 tháng 09 năm 2024": days and months below 10 with a leading zero."""
    return f"{place}, ngày {day.day:02d} tháng {day.month:02d} năm {day.year}"


_COLUMN_NAMES = [xl_col_to_name(c) for c in range(16_384)]


class _Sheet(Worksheet):
    """xlsxwriter's worksheet, with a compact store and a short way out for the tables' rows.

    Nearly every cell written is a shared string, a number or a blank, each with a format: a
    quarter of a million at 10 000 forms, three million in the consolidated workbook at
    100 000. xlsxwriter keeps one named tuple per cell in a dict per row, and its general path
    (argument conversion, a bounds check per cell, attribute lists, escaping attributes that
    cannot need it) was half the time of building a workbook. ``put_row`` keeps a row as three
    tuples instead (columns, values, formats; the first and last shared by every row alike),
    a sixth of the memory, and ``_write_rows`` writes those rows out directly. Every other cell
    goes xlsxwriter's own way.

    The XML is byte for byte xlsxwriter's own (tests/test_print.py builds the outputs both ways
    and compares every part). This reaches into xlsxwriter's internals, which is why the
    dependency is held below its next major version.
    """

    def __init__(self) -> None:
        super().__init__()
        self._packed: dict[int, tuple[tuple, tuple, tuple]] = {}  # row -> (columns, values, formats)
        self._shapes: dict[tuple, tuple] = {}  # one tuple object per distinct columns or formats

    def put_row(self, row: int, cells: list[tuple[int, object, object]]) -> None:
        """Cells (column, value, format) in column order, each value str, float or None (a blank);
        the row's only cells, or the first: a later write to one of them takes its place."""
        longest = self.xls_strmax // 2
        if (not cells or self.constant_memory or self.table.get(row) or row in self._packed
                or self._check_dimensions(row, cells[0][0]) or self._check_dimensions(row, cells[-1][0])
                or any(fmt is None or (type(v) is str and len(v) > longest)  # Excel's limit: xlsxwriter truncates
                       or (type(v) is float and not math.isfinite(v)) for _, v, fmt in cells)):
            for c, value, fmt in cells:
                self._put_plain(row, c, value, fmt)
            return
        index = self.str_table._get_shared_string_index
        cols, values, fmts = zip(*cells, strict=True)
        shape = self._shapes.setdefault
        # Strings become their shared-string index (an int), as xlsxwriter stores them; numbers are floats.
        self._packed[row] = (shape(cols, cols), tuple([index(v) if type(v) is str else v for v in values]),
                             shape(fmts, fmts))

    def _put_plain(self, row: int, col: int, value: object, fmt) -> None:
        if value is None:
            self.write_blank(row, col, None, fmt)
        elif type(value) is str:
            self.write_string(row, col, value, fmt)
        else:
            self.write_number(row, col, value, fmt)

    def _unpack(self, row: int) -> None:
        """A packed row as xlsxwriter's own cells (for what reads them: chart data)."""
        cols, values, fmts = self._packed.pop(row)
        line = self.table[row]
        for c, v, f in zip(cols, values, fmts, strict=True):
            if c not in line:  # a cell written after the row's put_row has the last word
                line[c] = CellBlankTuple(f) if v is None else (
                    CellStringTuple(v, f) if type(v) is int else CellNumberTuple(v, f))

    def _get_range_data(self, row_start, col_start, row_end, col_end):
        for row in [r for r in self._packed if row_start <= r <= row_end]:
            self._unpack(row)
        return super()._get_range_data(row_start, col_start, row_end, col_end)

    def _calculate_spans(self) -> None:
        # xlsxwriter's, over the packed rows as well.
        spans, low, high = {}, None, None
        table, comments, packed = self.table, self.comments, self._packed
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            used = [*table[row]] if row in table else []
            if row in packed:
                cols = packed[row][0]
                used += [cols[0], cols[-1]]
            if row in comments:
                used += [*comments[row]]
            if used:
                low, high = (min(used), max(used)) if low is None else (min(low, *used), max(high, *used))
            if (row + 1) % 16 == 0 or row == self.dim_rowmax:
                if low is not None:
                    spans[row // 16] = f"{low + 1}:{high + 1}"
                    low = None
        self.row_spans = spans

    def _write_rows(self) -> None:
        # xlsxwriter's, with packed rows written here and every other cell by _write_cell.
        self._calculate_spans()
        table, info, comments, packed, spans = self.table, self.row_info, self.comments, self._packed, self.row_spans
        write, names = self.fh.write, _COLUMN_NAMES
        for row in range(self.dim_rowmin, self.dim_rowmax + 1):
            cells = table.get(row)
            if not (cells or row in packed or row in info or row in comments):
                continue
            span = spans.get(row // 16)
            if not (cells or row in packed):
                self._write_empty_row(row, span, info.get(row))
                continue
            self._write_row(row, span, info.get(row))
            if row in packed:
                if cells:  # cells written after put_row: merged in, each in its column's place
                    self._unpack(row)
                else:
                    n = row + 1
                    out = []
                    for c, v, f in zip(*packed[row], strict=True):
                        if v is None:
                            out.append(f'<c r="{names[c]}{n}" s="{f._get_xf_index()}"/>')
                        elif type(v) is int:
                            out.append(f'<c r="{names[c]}{n}" s="{f._get_xf_index()}" t="s"><v>{v}</v></c>')
                        else:
                            out.append(f'<c r="{names[c]}{n}" s="{f._get_xf_index()}"><v>{v:.16G}</v></c>')
                    out.append("</row>")
                    write("".join(out))
                    continue
            line = table[row]
            for col in sorted(line):
                self._write_cell(row, col, line[col])
            write("</row>")

    def _write_cell(self, row: int, col: int, cell) -> None:
        fmt = cell.format
        if fmt is not None:
            kind = cell.__class__.__name__
            if kind == "String" and not self.constant_memory:
                self.fh.write(f'<c r="{_COLUMN_NAMES[col]}{row + 1}" s="{fmt._get_xf_index()}" t="s">'
                              f'<v>{cell.string}</v></c>')
                return
            if kind == "Number":
                self.fh.write(f'<c r="{_COLUMN_NAMES[col]}{row + 1}" s="{fmt._get_xf_index()}">'
                              f'<v>{cell.number:.16G}</v></c>')
                return
            if kind == "Blank":
                self.fh.write(f'<c r="{_COLUMN_NAMES[col]}{row + 1}" s="{fmt._get_xf_index()}"/>')
                return
        super()._write_cell(row, col, cell)


class _Book:
    """An xlsxwriter workbook whose every sheet is laid out as an administrative document
    (Nghị định 30/2020/NĐ-CP): issuing body and national motto above, a centred title, the
    table, a signature block below; Times New Roman, A4, the decree's margins."""

    def __init__(self, path: Path, rules: Rules | None = None, today: dt.date | None = None):
        # Text from submissions must stay text: no formulas, links or numbers made from strings.
        self.wb = xlsxwriter.Workbook(str(path), {
            "strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
        })
        self.rules, self.today = rules, today or dt.date.today()
        doc = {"font_name": "Times New Roman", "font_size": 13, "valign": "top"}
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "top"}
        self.f_issuer = self.wb.add_format({**doc, "align": "center"})
        self.f_issuer_b = self.wb.add_format({**doc, "align": "center", "bold": True})
        self.f_nation = self.wb.add_format({**doc, "align": "center", "bold": True})
        self.f_motto = self.wb.add_format({**doc, "align": "center", "bold": True, "underline": 1})
        self.f_date = self.wb.add_format({**doc, "align": "center", "italic": True})
        self.f_title = self.wb.add_format({**doc, "bold": True, "font_size": 14, "align": "center", "text_wrap": True})
        self.f_sub = self.wb.add_format({**doc, "italic": True, "align": "center"})
        self.f_note = self.wb.add_format({**base, "italic": True})
        self.f_sign = self.wb.add_format({**doc, "bold": True, "align": "center"})
        self.f_sign_i = self.wb.add_format({**doc, "italic": True, "align": "center"})
        self.f_head = self.wb.add_format({**base, "bold": True, "text_wrap": True, "border": 1,
                                          "align": "center", "valign": "vcenter", "bg_color": "#D9E1F2"})
        self.f_text = self.wb.add_format({**base, "text_wrap": True, "border": 1})
        self.f_num = self.wb.add_format({**base, "border": 1, "align": "center", "num_format": "0.##;-0.##;0"})
        self.f_low = self.wb.add_format({**base, "border": 1, "align": "center", "num_format": "0.##;-0.##;0",
                                         "font_color": "#C00000", "bold": True})
        self.f_int = self.wb.add_format({**base, "border": 1, "align": "center", "num_format": "0"})
        self.f_total = self.wb.add_format({**base, "bold": True, "border": 1, "bg_color": "#F2F2F2"})
        self.f_total_num = self.wb.add_format({**base, "bold": True, "border": 1, "align": "center",
                                               "bg_color": "#F2F2F2", "num_format": "0"})
        self.f_alert = self.wb.add_format({"bg_color": "#FFC7CE", "font_color": "#9C0006"})
        self.f_tie = self.wb.add_format({"bg_color": "#FFEB9C", "font_color": "#9C5700"})
        self.sheet_names: set[str] = set()

    def sheet(self, name: str):
        clean = re.sub(r"[\[\]:*?/\\]", " ", name).strip("' ")[:31] or "Sheet"
        candidate, n = clean, 2
        while candidate.casefold() in self.sheet_names:
            suffix = f" ({n})"
            candidate, n = clean[: 31 - len(suffix)] + suffix, n + 1
        self.sheet_names.add(candidate.casefold())
        return self.wb.add_worksheet(candidate, worksheet_class=_Sheet)

    def _span(self, ws, row: int, first: int, last: int, text: str, fmt) -> None:
        if last > first:
            ws.merge_range(row, first, row, last, text, fmt)
        else:
            ws.write_string(row, first, text, fmt)

    def letterhead(self, ws, last_col: int, title: str, subtitle: str) -> int:
        """The document's head; returns the first free row."""
        split = max(1, min(last_col, round((last_col + 1) * 0.4)))
        left, right = (0, split - 1), (split, max(split, last_col))
        doc = self.rules.document if self.rules else None
        issuer = list(doc.issuer) if doc else []
        for i, line in enumerate(issuer):
            self._span(ws, i, *left, line, self.f_issuer_b if i == len(issuer) - 1 else self.f_issuer)
        if doc:
            self._span(ws, 0, *right, doc.nation, self.f_nation)
            self._span(ws, 1, *right, doc.motto, self.f_motto)
            self._span(ws, max(len(issuer), 2), *right, date_line(doc.place, self.today), self.f_date)
        r = max(len(issuer), 2) + 2 if doc else 0
        self._span(ws, r, 0, max(last_col, 1), title, self.f_title)
        ws.set_row(r, 36)
        self._span(ws, r + 1, 0, max(last_col, 1), subtitle, self.f_sub)
        return r + 3

    def signature(self, ws, row: int, last_col: int) -> None:
        doc = self.rules.document if self.rules else None
        if not doc:
            return
        split = max(1, min(last_col, round((last_col + 1) * 0.4)))
        left, right = (0, split - 1), (split, max(split, last_col))
        self._span(ws, row, *left, doc.preparer, self.f_sign)
        self._span(ws, row, *right, doc.signer_title, self.f_sign)
        self._span(ws, row + 1, *left, LABELS["sign_hint"], self.f_sign_i)
        self._span(ws, row + 1, *right, LABELS["sign_hint"], self.f_sign_i)
        if doc.signer_name:
            self._span(ws, row + 5, *right, doc.signer_name, self.f_sign)

    def table(self, ws, title: str, subtitle: str, columns: list[tuple[str, int, str]],
              rows: list[list[object]], totals: list[object] | None = None, landscape: bool = True,
              cell_formats: dict[tuple[int, int], object] | None = None) -> int:
        """Letterhead, a header row, the rows, a signature; frozen header, filter, widths, A4 set-up.

        ``columns`` holds (heading, width, kind) with kind "text", "num" or "int". Returns the
        header row, for conditional formats.
        """
        last_col = len(columns) - 1
        head = self.letterhead(ws, last_col, title, subtitle)
        for c, (heading, width, _) in enumerate(columns):
            ws.write_string(head, c, heading, self.f_head)
            ws.set_column(c, c, width)
        ws.set_row(head, 32)  # headings wrap onto two lines
        r = head + 1
        # 11 pt Times fits a little more than one character per unit of column width.
        per_line = [(c, max(1, int(width * 1.1))) for c, (_, width, kind) in enumerate(columns) if kind == "text"]
        special: dict[int, dict[int, object]] = {}
        for (ri, c), f in (cell_formats or {}).items():
            special.setdefault(ri, {})[c] = f
        for i, row in enumerate(rows):
            self._row(ws, r, row, columns, self.f_text, {"num": self.f_num, "int": self.f_int}, special.get(i))
            lines = _lines(row, per_line)
            if lines > 1:
                # Not every program fits wrapped rows on opening (LibreOffice's PDF does not).
                ws.set_row(r, min(15 * lines, 150))
            r += 1
        if not rows:
            ws.write_string(r, 0, LABELS["nothing"], self.f_note)
            r += 1
        ws.freeze_panes(head + 1, 0)
        if rows:
            ws.autofilter(head, 0, head + len(rows), last_col)
        if totals:
            self._row(ws, r, totals, columns, self.f_total, {"num": self.f_total_num, "int": self.f_total_num})
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
    def _row(ws: _Sheet, r: int, values: list[object], columns, text_fmt, num_fmts, special=None) -> None:
        # The hot loop of every table (a quarter of a million cells at 10 000 forms): text and
        # plain numbers go straight through; anything else (NA, bools, numpy) the general way.
        cells = []
        add = cells.append
        for c, value in enumerate(values):
            kind = columns[c][2]
            t = type(value)
            if t is str and value:
                add((c, value, text_fmt))
            elif (t is float or t is int) and value == value and kind in num_fmts:
                add((c, float(value), (special or {}).get(c, num_fmts[kind])))
            elif _missing(value) or value == "":
                add((c, None, num_fmts.get(kind, text_fmt)))
            elif kind in num_fmts and isinstance(value, numbers.Real) and not isinstance(value, bool):
                add((c, float(value), (special or {}).get(c, num_fmts[kind])))
            else:
                add((c, str(value), text_fmt))
        ws.put_row(r, cells)

    def close(self) -> None:
        self.wb.close()


def _award_label(code: str, rules: Rules) -> str:
    if code in rules.awards:
        return rules.awards[code].short
    return {TIE: LABELS["award_tie"], SUPERSEDED: LABELS["award_superseded"]}.get(code, "")


def _group_label(group: str) -> str:
    return group or LABELS["unknown"]


def _summary_sheet(book: _Book, result: YearResult, summary: pd.DataFrame, rules: Rules, title: str, subtitle: str) -> None:
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    columns = [
        (LABELS["no"], 5, "int"), (rules.group_label, 28, "text"), (LABELS["kind"], 10, "text"),
        (LABELS["received"], 10, "int"), (LABELS["rejected"], 10, "int"), (LABELS["valid"], 10, "int"),
        (LABELS["superseded"], 10, "int"), (LABELS["eligible"], 10, "int"),
        (award.short, 12, "int"), (proposal.short, 12, "int"), (LABELS["tied"], 10, "int"),
        (LABELS["not_submitted"], 10, "int"),
    ]
    body = summary[summary.group.notna()]
    rows = [
        [i, _group_label(r.group), rules.kind_name(r.kind) if r.kind else LABELS["unknown"],
         r.received, r.rejected, r.valid, r.superseded, r.eligible, r.awarded, r.proposed, r.tied, r.not_submitted]
        for i, r in enumerate(body.itertuples(), start=1)
    ]
    t = summary[summary.group.isna()].iloc[0]
    totals = ["", LABELS["total_row"], "", t.received, t.rejected, t.valid, t.superseded,
              t.eligible, t.awarded, t.proposed, t.tied, t.not_submitted]
    ws = book.sheet(LABELS["sheet_summary"])
    head = book.table(ws, title, subtitle, columns, rows, totals)
    if rows:
        # Rejected forms and groups still missing units are what staff must chase: highlighted.
        for col in (4, 11):
            ws.conditional_format(head + 1, col, head + len(rows), col,
                                  {"type": "cell", "criteria": ">", "value": 0, "format": book.f_alert})
        ws.conditional_format(head + 1, 10, head + len(rows), 10,
                              {"type": "cell", "criteria": ">", "value": 0, "format": book.f_tie})


def _name_key(r) -> tuple:
    return person_sort_key(r["name"]) if r.kind != "tap_the" and r.kind else (vi_sort_key(r["name"]), ())


def _overview_sheet(book: _Book, result: YearResult, records: list[_Row], rules: Rules, subtitle: str) -> None:
    """The first sheet: headline figures and live charts (xlsxwriter's native charts)."""
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    s = result.summary
    t = s[s.group.isna()].iloc[0]
    body = s[s.group.notna()]
    received_by_group = body.groupby("group").received.sum()
    missing_groups = sum(1 for g in rules.groups if received_by_group.get(g, 0) == 0)
    figures = [
        (LABELS["fig_received"], t.received), (LABELS["fig_rejected"], t.rejected),
        (LABELS["fig_eligible"], t.eligible), (LABELS["fig_awarded"].format(award=award.short), t.awarded),
        (LABELS["fig_proposed"].format(proposal=proposal.short), t.proposed), (LABELS["fig_tied"], t.tied),
        (LABELS["fig_groups_missing"].format(group_label=rules.group_label), missing_groups),
        (LABELS["fig_units_missing"], t.not_submitted),
    ]
    ws = book.sheet(LABELS["sheet_overview"])
    title = LABELS["overview_title"].format(movement=rules.movement.upper(), year=result.year)
    columns = [(LABELS["figure"], 52, "text"), (LABELS["count"], 14, "int")] + [("", 12, "int")] * 6
    head = book.letterhead(ws, len(columns) - 1, title, subtitle)
    ws.write_string(head, 0, LABELS["figure"], book.f_head)
    ws.write_string(head, 1, LABELS["count"], book.f_head)
    for c, (_, width, _) in enumerate(columns):
        ws.set_column(c, c, width)
    for i, (label, value) in enumerate(figures, start=head + 1):
        ws.write_string(i, 0, label, book.f_text)
        ws.write_number(i, 1, int(value), book.f_int)
    ws.conditional_format(head + 2, 1, head + 2, 1, {"type": "cell", "criteria": ">", "value": 0, "format": book.f_alert})

    # The charts' data, visible below them so the numbers can be checked and printed.
    kinds = list(rules.kinds)
    charts_at = head + len(figures) + 2
    data_row = charts_at + 34  # below the charts (two rows of charts, about 32 rows tall)
    ws.write_string(data_row, 0, rules.group_label, book.f_head)
    series_names = [LABELS["series_received"], LABELS["series_eligible"], LABELS["series_awarded"]]
    for k, kind in enumerate(kinds):
        for j, name in enumerate(series_names):
            ws.write_string(data_row, 1 + k * 3 + j, f"{rules.kind_name(kind)}: {name}", book.f_head)
    for i, g in enumerate(rules.groups, start=data_row + 1):
        ws.write_string(i, 0, g, book.f_text)
        for k, kind in enumerate(kinds):
            row = body[(body.group == g) & (body.kind == kind)]
            values = [int(row[c].sum()) for c in ("received", "eligible", "awarded")]
            for j, v in enumerate(values):
                ws.write_number(i, 1 + k * 3 + j, v, book.f_int)
    last = data_row + len(rules.groups)
    sheet_name = LABELS["sheet_overview"]
    for k, kind in enumerate(kinds):
        chart = book.wb.add_chart({"type": "column"})
        for j, name in enumerate(series_names):
            col = 1 + k * 3 + j
            chart.add_series({
                "name": name,
                "categories": [sheet_name, data_row + 1, 0, last, 0],
                "values": [sheet_name, data_row + 1, col, last, col],
                "data_labels": {"value": True},
            })
        chart.set_title({"name": LABELS["chart_kind"].format(kind=rules.kind_name(kind), group_label=rules.group_label)})
        chart.set_legend({"position": "bottom"})
        chart.set_x_axis({"num_font": {"rotation": -45}})
        chart.set_size({"width": 470, "height": 340})
        ws.insert_chart(charts_at, 0 if k == 0 else 3, chart, {"x_offset": 0 if k == 0 else 40})

    field_row = last + 2
    ws.write_string(field_row, 0, rules.form.labels["field"][0], book.f_head)
    ws.write_string(field_row, 1, LABELS["count"], book.f_head)
    current = [r for r in records if not r.rejected and not r.superseded]
    for i, f in enumerate(rules.fields, start=field_row + 1):
        ws.write_string(i, 0, f, book.f_text)
        ws.write_number(i, 1, sum(1 for r in current if r.field == f), book.f_int)
    chart = book.wb.add_chart({"type": "bar"})
    chart.add_series({
        "name": LABELS["chart_field"],
        "categories": [sheet_name, field_row + 1, 0, field_row + len(rules.fields), 0],
        "values": [sheet_name, field_row + 1, 1, field_row + len(rules.fields), 1],
        "data_labels": {"value": True},
    })
    chart.set_title({"name": LABELS["chart_field"]})
    chart.set_legend({"none": True})
    chart.set_size({"width": 620, "height": 260})
    ws.insert_chart(charts_at + 18, 0, chart)
    book.signature(ws, field_row + len(rules.fields) + 2, len(columns) - 1)
    book.print_setup(ws, landscape=False)


def _sort_key_ranked(rules: Rules) -> Callable[[pd.Series], tuple]:
    kind_order = {k: i for i, k in enumerate(rules.kinds)}

    def sort_key(r) -> tuple:
        state = 0 if r.eligible and not r.superseded else (1 if not r.superseded else 2)
        rank = 10**6 if _missing(r["rank"]) else r["rank"]
        # Ranked forms by rank; the rest (and equal ranks) in Vietnamese alphabetical order.
        return (kind_order.get(r.kind, 99), state, rank, _name_key(r), r.file, r.sheet)

    return sort_key


def _ranked_sheet(book: _Book, group: str, forms: list[_Row], rules: Rules, title: str, subtitle: str) -> None:
    n_crit = max(len(k.criteria) for k in rules.kinds.values())
    columns = [
        (LABELS["rank"], 5, "int"), (LABELS["kind"], 8, "text"), (LABELS["name"], 24, "text"),
        (LABELS["unit_code"], 10, "text"), (LABELS["commune"], 11, "text"), (LABELS["field"], 12, "text"),
        (LABELS["model"], 22, "text"),
        *[(LABELS["criterion"].format(stt=f"{i:02d}"), 5, "num") for i in range(1, n_crit + 1)],
        (LABELS["total"], 7, "num"), (LABELS["is_eligible"], 8, "text"), (LABELS["award"], 14, "text"),
        (LABELS["note"], 34, "text"), (LABELS["file"], 18, "text"), (LABELS["sheet"], 8, "text"),
    ]
    accepted = [r for r in forms if r.group == group and not r.rejected]
    key = _sort_key_ranked(rules)
    rows = []
    low: dict[tuple[int, int], object] = {}
    percent = rules.eligibility.criterion_min_percent / 100
    for i, r in enumerate(sorted(accepted, key=key)):
        scores = (r.scores + [None] * n_crit)[:n_crit]
        points = [c.points for c in rules.kinds[r.kind].criteria] if r.kind in rules.kinds else []
        for j, (score, pts) in enumerate(zip(scores, points, strict=False)):
            if score is not None and score + 1e-9 < pts * percent:
                low[(i, 7 + j)] = book.f_low  # a criterion under the threshold, in red
        rows.append([
            None if _missing(r["rank"]) else int(r["rank"]), rules.kind_name(r.kind), r["name"],
            r.unit_code, r.commune, r.field, r.model, *scores, r.total,
            LABELS["yes"] if r.eligible else LABELS["no_"], _award_label(r.award, rules),
            "\n".join(_reasons(r)), r.file, r.sheet,
        ])
    ws = book.sheet(group)
    head = book.table(ws, title, subtitle, columns, rows, cell_formats=low)
    if rows:
        award_col = 7 + n_crit + 2
        ws.conditional_format(head + 1, award_col, head + len(rows), award_col,
                              {"type": "text", "criteria": "containing", "value": LABELS["award_tie"],
                               "format": book.f_tie})


def _awards_sheet(book: _Book, forms: list[_Row], rules: Rules, title: str, subtitle: str) -> None:
    columns = [
        (rules.group_label, 24, "text"), (LABELS["kind"], 9, "text"), (LABELS["rank"], 6, "int"),
        (LABELS["name"], 30, "text"), (LABELS["unit_code"], 12, "text"), (LABELS["model"], 32, "text"),
        (LABELS["field"], 16, "text"), (LABELS["total"], 8, "num"), (LABELS["award"], 22, "text"),
        (LABELS["note"], 40, "text"),
    ]
    group_order = {g: i for i, g in enumerate(rules.groups)}
    kind_order = {k: i for i, k in enumerate(rules.kinds)}
    won = [r for r in forms if r.award in (PROPOSAL, GROUP_AWARD, TIE)]
    won = sorted(won, key=lambda r: (group_order.get(r.group, 99), kind_order.get(r.kind, 99), r["rank"], r.file))
    rows = [
        [r.group, rules.kind_name(r.kind), int(r["rank"]), r["name"], r.unit_code, r.model, r.field,
         r.total, _award_label(r.award, rules), r.note]
        for r in won
    ]
    book.table(book.sheet(LABELS["sheet_awards"]), title, subtitle, columns, rows)


def _ineligible_sheet(book: _Book, forms: list[_Row], rules: Rules, title: str, subtitle: str) -> None:
    columns = [
        (rules.group_label, 24, "text"), (LABELS["kind"], 9, "text"), (LABELS["name"], 30, "text"),
        (LABELS["unit_code"], 12, "text"), (LABELS["total"], 8, "num"), (LABELS["note"], 70, "text"),
        (LABELS["file"], 24, "text"), (LABELS["sheet"], 12, "text"),
    ]
    group_order = {g: i for i, g in enumerate(rules.groups)}
    out = [r for r in forms if not r.rejected and not r.superseded and not r.eligible]
    out = sorted(out, key=lambda r: (group_order.get(r.group, 99), r.kind, _name_key(r), r.file, r.sheet))
    rows = [
        [r.group, rules.kind_name(r.kind), r["name"], r.unit_code, r.total, "\n".join(r.reasons), r.file, r.sheet]
        for r in out
    ]
    book.table(book.sheet(LABELS["sheet_ineligible"]), title, subtitle, columns, rows)


def _rejected_sheet(book: _Book, findings: list[Finding], title: str, subtitle: str) -> None:
    columns = [
        (LABELS["file"], 30, "text"), (LABELS["sheet"], 14, "text"), (LABELS["cell"], 7, "text"),
        (LABELS["severity"], 9, "text"), (LABELS["message"], 90, "text"),
    ]
    rows = [
        [f.file, f.sheet, f.cell, LABELS["error" if f.is_error else "warning"], f.message]
        for f in in_order(findings)
    ]
    book.table(book.sheet(LABELS["sheet_rejected"]), title, subtitle, columns, rows)


def _warnings_sheet(book: _Book, warnings: list[Finding], title: str, subtitle: str) -> None:
    """Warnings of accepted forms: read and counted, but worth a look (converted text, a computed total)."""
    columns = [(LABELS["file"], 30, "text"), (LABELS["sheet"], 14, "text"), (LABELS["cell"], 7, "text"),
               (LABELS["message"], 90, "text")]
    rows = [[f.file, f.sheet, f.cell, f.message] for f in in_order(warnings)]
    book.table(book.sheet(LABELS["sheet_warnings"]), title, subtitle, columns, rows)


def _changes_sheet(book: _Book, result: YearResult, rules: Rules, title: str, subtitle: str) -> None:
    columns = [(LABELS["change"], 30, "text"), (LABELS["file"], 30, "text"), (LABELS["sheet"], 12, "text"),
               (LABELS["name"], 30, "text"), (rules.group_label, 22, "text"), (LABELS["before"], 22, "text"),
               (LABELS["after"], 22, "text")]
    changes = result.changes
    if changes is None:
        ws = book.sheet(LABELS["sheet_changes"])
        book.table(ws, title, LABELS["first_run"], columns, [])
        return

    def shown(change: str, value: object) -> object:
        if change == "award":
            return _award_label(str(value), rules) or "—"
        return value if value not in ("", None) else ""

    rows = [
        [LABELS[f"change_{c.change}"], c.file, c.sheet, c.name, c.group, shown(c.change, c.before), shown(c.change, c.after)]
        for c in changes.itertuples()
    ]
    book.table(book.sheet(LABELS["sheet_changes"]), title, subtitle, columns, rows)


def _missing_sheet(book: _Book, result: YearResult, rules: Rules, title: str, subtitle: str) -> None:
    columns = [(rules.group_label, 26, "text"), (LABELS["kind"], 10, "text"), (LABELS["unit_code"], 14, "text"),
               (LABELS["name"], 40, "text")]
    missing = result.not_submitted
    group_order = {g: i for i, g in enumerate(rules.groups)}
    rows = [] if missing is None else [
        [m.group, rules.kind_name(m.kind), m.unit_code, m.name]
        for m in sorted(missing.itertuples(), key=lambda m: (group_order.get(m.group, 99), m.kind, _name_key(
            _Row(name=m.name, kind=m.kind))))
    ]
    book.table(book.sheet(LABELS["sheet_missing"]), title, subtitle, columns, rows, landscape=False)


def _by_name_sheet(book: _Book, forms: list[_Row], rules: Rules, title: str) -> None:
    columns = [(rules.group_label, 24, "text"), (LABELS["kind"], 10, "text"), (LABELS["name"], 34, "text"),
               (LABELS["award"], 22, "text"), (LABELS["file"], 30, "text"), (LABELS["sheet"], 12, "text")]
    matched = sorted((r for r in forms if r.by_name), key=lambda r: (r.group, r.kind, _name_key(r)))
    rows = [[r.group, rules.kind_name(r.kind), r["name"], _award_label(r.award, rules), r.file, r.sheet]
            for r in matched]
    book.table(book.sheet(LABELS["sheet_by_name"]), title, LABELS["by_name_note"], columns, rows)


def _skipped_sheet(book: _Book, skipped: list[Skipped], title: str, subtitle: str) -> None:
    columns = [(LABELS["file"], 50, "text"), (LABELS["reason"], 60, "text")]
    rows = [[s.rel, SKIPS[s.reason]] for s in skipped]
    book.table(book.sheet(LABELS["sheet_skipped"]), title, subtitle, columns, rows, landscape=False)


def _subtitle(rules: Rules, result: YearResult, today: dt.date) -> str:
    files = result.files_read or result.forms.file.nunique()
    return LABELS["subtitle"].format(province=rules.province, date=today.strftime("%d/%m/%Y"), n=files)


def _feedback_jobs(result: YearResult, inputs: Path, folder: Path) -> list[feedback.Job]:
    """A phiếu phản hồi per rejected file, in ``<year>/phan_hoi/``."""
    by_file: dict[str, list[Finding]] = {}
    for f in in_order(result.findings):
        by_file.setdefault(f.file, []).append(f)
    jobs, names = [], set()
    for rel, findings in by_file.items():
        name = slug(rel.rsplit(".", 1)[0], limit=80)
        while name in names:
            name += "_"
        names.add(name)
        jobs.append(feedback.Job(inputs / rel, rel, tuple(findings), folder / "phan_hoi" / f"{name}.xlsx"))
    return jobs


@dataclass(frozen=True)
class _BookJob:
    """One output workbook to build in a worker process: the consolidated one, or a group's."""

    path: Path
    group: str | None  # None: the consolidated workbook
    result: YearResult
    records: list
    rules: Rules
    today: dt.date
    subtitle: str


def build_book(job: _BookJob) -> str:
    """Build one workbook (in a worker: xlsxwriter is pure Python, two cores write twice as fast)."""
    result, records, rules, subtitle = job.result, job.records, job.rules, job.subtitle
    movement = rules.movement.upper()
    if job.group is None:
        title = LABELS["title"].format(movement=movement, year=result.year)
        groups_present = [g for g in rules.groups if any(r.group == g for r in records)]

        def consolidated(path: Path) -> None:
            book = _Book(path, rules, job.today)
            _overview_sheet(book, result, records, rules, subtitle)
            _summary_sheet(book, result, result.summary, rules, title, subtitle)
            for g in groups_present:
                gt = LABELS["title_group"].format(movement=movement, year=result.year, group=g)
                _ranked_sheet(book, g, records, rules, gt, subtitle)
            _awards_sheet(book, records, rules, title, subtitle)
            _ineligible_sheet(book, records, rules, title, subtitle)
            _rejected_sheet(book, result.findings, title, subtitle)
            _warnings_sheet(book, result.warnings, title, subtitle)
            _changes_sheet(book, result, rules, title, subtitle)
            if result.not_submitted is not None:
                _missing_sheet(book, result, rules, title, subtitle)
            _by_name_sheet(book, records, rules, title)
            _skipped_sheet(book, result.skipped, title, subtitle)
            book.close()

        _atomic(job.path, consolidated)
        return str(job.path)

    g = job.group
    forms = records  # a group's job holds that group's part of the year only (see _group_jobs)
    gt = LABELS["title_group"].format(movement=movement, year=result.year, group=g)

    def group_book(path: Path) -> None:
        book = _Book(path, rules, job.today)
        _summary_sheet(book, result, result.summary, rules, gt, subtitle)
        _ranked_sheet(book, g, forms, rules, gt, subtitle)
        _awards_sheet(book, forms, rules, gt, subtitle)
        _ineligible_sheet(book, forms, rules, gt, subtitle)
        _rejected_sheet(book, result.findings, gt, subtitle)
        _warnings_sheet(book, result.warnings, gt, subtitle)
        book.close()

    _atomic(job.path, group_book)
    return str(job.path)


def _group_jobs(folder: Path, result: YearResult, records: list, rules: Rules, today: dt.date,
                subtitle: str) -> list[_BookJob]:
    """Each group's workbook job with only that group's records, findings and summary: each job
    is pickled to a worker, and the whole year sent once per group cost more than writing the
    workbook. Workbooks are built from records; the forms frame is not sent at all."""
    group_of = {(r.file, r.sheet): r.group for r in records}
    parts: dict[str, tuple[list, list, list]] = {}
    for r in records:
        parts.setdefault(r.group, ([], [], []))[0].append(r)
    for i, found in ((1, result.findings), (2, result.warnings)):
        for f in found:
            g = group_of.get((f.file, f.sheet))
            if g in parts:
                parts[g][i].append(f)
    jobs = []
    for g in rules.groups:
        if g not in parts:
            continue
        forms, findings, warnings = parts[g]
        missing = None if result.not_submitted is None else result.not_submitted[result.not_submitted.group == g]
        part = replace(
            result, forms=result.forms.iloc[:0], not_submitted=missing, changes=None, skipped=[],
            summary=summarise(result.forms[result.forms.group == g], rules, groups=[g], missing=missing),
            findings=findings, warnings=warnings,
        )
        jobs.append(_BookJob(folder / "theo_nhom" / f"{slug(g)}_{result.year}.xlsx", g, part, forms, rules, today,
                             subtitle))
    return jobs


def _build(job: _BookJob | feedback.Job) -> str:
    """Build one output workbook in a worker: a summary workbook, or a unit's feedback workbook."""
    return feedback.build(job) if isinstance(job, feedback.Job) else build_book(job)


# A feedback workbook opens an untrusted file again: it gets the reader's time limit. A summary
# workbook is built from checked data; at 100 000 forms it takes a while.
_FEEDBACK_SECONDS = Limits().seconds_per_file
_BOOK_SECONDS = 3600.0


def _seconds(job: _BookJob | feedback.Job) -> float:
    return _FEEDBACK_SECONDS if isinstance(job, feedback.Job) else _BOOK_SECONDS


def write_years(results: list[YearResult], outputs: Path, rules: Rules, today: dt.date | None = None,
                inputs: Path | None = None) -> list[Path]:
    """Every output of every year, in ``outputs/<year>/``; returns the paths written.

    Every workbook, of every year, goes to the workers in one batch: the summary workbooks
    largest first, so that a year with a handful of late forms is built beside the main year's
    workbooks, not before them; then the feedback workbooks, which are small.
    """
    today = today or dt.date.today()
    written: list[Path] = []
    try:
        books, csvs = [], []
        for result in results:
            folder = outputs / str(result.year)
            folder.mkdir(parents=True, exist_ok=True)
            records = _records(result.forms)
            subtitle = _subtitle(rules, result, today)
            whole = replace(result, forms=result.forms.iloc[:0])  # built from records (see _group_jobs)
            books += [_BookJob(folder / f"tong_hop_{result.year}.xlsx", None, whole, records, rules, today, subtitle),
                      *_group_jobs(folder, result, records, rules, today, subtitle)]
            csvs.append((result, folder, records))
            written += [folder / "ket_qua.csv", folder / "loi.csv"]
        # The sort is stable: a year's consolidated workbook goes before its groups'.
        books.sort(key=lambda job: -len(job.records))
        notes = [j for r in results for j in _feedback_jobs(r, inputs, outputs / str(r.year))] if inputs is not None else []
        jobs: list[_BookJob | feedback.Job] = [*books, *notes]
        feedback_written = []
        # The CSVs are written by a thread while the workers build the workbooks, which leaves
        # this thread nothing to do but wait for them. One workbook per task, handed out as
        # workers free up.
        def csv_files() -> None:
            for c in csvs:
                write_csvs(*c)
            return_freed_memory()

        with ThreadPoolExecutor(max_workers=1) as side:
            done_csvs = side.submit(csv_files)
            # What pickling the largest jobs for the workers took is given back as soon as they
            # are sent, and what the CSVs took once they are written: at 100 000 forms, the main
            # process otherwise held 120 MB more while the workers built the largest workbooks.
            for index, done in isolated_map(_build, jobs, (), Limits(chunk=1), seconds=_seconds,
                                            started=return_freed_memory):
                job = jobs[index]
                if isinstance(job, _BookJob):
                    if isinstance(done, Failure):
                        raise OutputError(f"Không ghi được {job.path}: {done.detail or done.reason}.")
                elif isinstance(done, str):
                    feedback_written.append(Path(done))
                elif done.reason == "error":
                    raise OutputError(f"Không ghi được phiếu phản hồi {job.target}: {done.detail}.")
                # A file that crashes or hangs the reader a second time still has its findings in
                # loi.csv and in the consolidated workbook; it gets no feedback workbook.
            done_csvs.result()
        written = sorted(feedback_written) + written + [job.path for job in books]
    except OSError as exc:
        raise OutputError(f"Không ghi được vào thư mục kết quả {outputs}: {exc.strerror or exc}.") from exc
    return written
