"""Stage 2: read every form of every workbook into plain data, and coerce each cell once.

A form is found by its labels and its table header, never by fixed addresses. Each value
keeps the address of the cell it came from, so every later finding can name ``Sheet1!D18``.
Coercion happens here, once: a score typed as "13,5" becomes 13.5; a score that is not a
number is kept as text with the state "invalid" so that validation reports it exactly once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import struct
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import python_calamine as pc

from pipeline.core import encodings
from pipeline.core.findings import Finding, finding
from pipeline.core.rules import INFO_FIELDS, Rules
from pipeline.core.text import clean, key, parse_number
from pipeline.infra.workers import Failure, Limits, isolated_map
from pipeline.stages.discover import InputFile

if TYPE_CHECKING:
    import pandas as pd

# A form fits in a few dozen rows; these bounds keep an absurd sheet from being read whole.
MAX_ROWS = 400
MAX_COLS = 40
TABLE_SCAN_ROWS = 60


def col_letter(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = [col_letter(i) for i in range(64)]


def ref(row: int, col: int) -> str:
    """Zero-based grid position to an Excel address (0, 3) -> "D1"."""
    return f"{_LETTERS[col] if col < 64 else col_letter(col)}{row + 1}"


@dataclass
class Info:
    """A labelled value of the information block, with the cell where it is (or belongs)."""

    text: str
    value: object
    cell: str


@dataclass
class CriterionRow:
    row: int  # Excel row number (1-based)
    stt_raw: str
    text: str
    standard_raw: str
    standard: float | None
    score_raw: str
    score: float | None
    score_state: str  # "ok", "empty" or "invalid"
    evidence: str
    cells: dict[str, str]


@dataclass
class ParsedForm:
    file: str
    sheet: str
    mtime: float
    anchor: str  # the cell that stands for the form as a whole (title or table header)
    table_cell: str
    info: dict[str, Info]
    kind_from_title: str | None
    rows: list[CriterionRow]
    total_raw: str = ""
    total_value: float | None = None
    total_state: str = "empty"
    total_cell: str = ""
    encoding: str = ""  # the legacy encoding the sheet was converted from, if any
    encoding_cell: str = ""


# A form as the read stage hands it on: its row of the forms frame and its rows of the criteria
# frame, every value coerced (columns: FORM_COLUMNS and CRIT_COLUMNS, without form_id). Plain
# tuples: a worker sends them to the main process, and the parse cache stores them, cheaply.
FormRecord = tuple[tuple, list[tuple]]


@dataclass(slots=True)  # one per file, kept for the whole run
class WorkbookRead:
    file: InputFile
    forms: list[FormRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sha256: str = ""


class _Grid:
    """A sheet's cells as a bounded list of rows, with merged ranges resolved to their origin.

    Text typed in a legacy encoding (TCVN3, VNI) is converted to Unicode here, before any
    cleaning: TCVN3 writes "ư" as a soft hyphen, which cleaning would otherwise remove.
    """

    def __init__(self, rows: list[list[object]], merged: list | None, upper: set[tuple[int, int]] | None = None):
        self.rows = [list(r[:MAX_COLS]) for r in rows[:MAX_ROWS]]
        self.width = max((len(r) for r in self.rows), default=0)
        self.encoding, whole = encodings.plan([v for row in self.rows for v in row if type(v) is str and v])
        self.converted_at = ""
        if self.encoding:
            for r, row in enumerate(self.rows):
                for c, v in enumerate(row):
                    if isinstance(v, str) and v and (whole or encodings.marked(v, self.encoding)):
                        new = encodings.convert(v, self.encoding, upper=(r, c) in (upper or ()))
                        if new != v:
                            row[c] = new
                            self.converted_at = self.converted_at or ref(r, c)
        self.origin: dict[tuple[int, int], tuple[int, int]] = {}
        for (r0, c0), (r1, c1) in merged or []:
            for r in range(r0, min(r1, MAX_ROWS - 1) + 1):
                for c in range(c0, min(c1, MAX_COLS - 1) + 1):
                    if (r, c) != (r0, c0):
                        self.origin[(r, c)] = (r0, c0)
        # Values and their text, computed once per cell: every stage below reads them many times.
        texts = self.texts = []
        for row in self.rows:
            line = []
            for c, v in enumerate(row):
                if v is None or v == "":
                    row[c] = None
                    line.append("")
                    continue
                if type(v) is str and len(v) > MAX_CELL_CHARS:
                    row[c] = v = v[:MAX_CELL_CHARS] + "…"  # a 100 000-character cell is no label or score
                line.append(clean(v) if type(v) is str else _as_text(v))
            texts.append(line)

    def value(self, r: int, c: int) -> object:
        if 0 <= r < len(self.rows) and 0 <= c < len(self.rows[r]):
            return self.rows[r][c]
        return None

    def text(self, r: int, c: int) -> str:
        if 0 <= r < len(self.texts) and 0 <= c < len(self.texts[r]):
            return self.texts[r][c]
        return ""

    def merged_text(self, r: int, c: int) -> str:
        r0, c0 = self.origin.get((r, c), (r, c))
        return self.text(r0, c0)


def _as_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (dt.datetime, dt.date)):
        return value.strftime("%d/%m/%Y")
    return clean(value)


class _Layout:
    """The rules' labels and column names, keyed for matching."""

    def __init__(self, rules: Rules):
        self.labels: dict[str, str] = {}
        for name in INFO_FIELDS:
            for spelling in rules.form.labels[name]:
                self.labels.setdefault(key(spelling), name)
        self.columns = {c: [key(s) for s in spellings] for c, spellings in rules.form.columns.items()}
        self.total_row = [key(s) for s in rules.form.total_row]
        self.title = key(rules.form.title)
        self.kind_titles = {code: key(kd.title) for code, kd in rules.kinds.items() if kd.title}
        # Header text -> column role, memoised; one memo without and one with tail matching.
        self.roles: dict[bool, dict[str, str | None]] = {False: {}, True: {}}
        self.label_memo: dict[str, tuple[str | None, str | None]] = {}  # cell text -> (label, inline value)
        # How findings name the table's columns: the first spelling of each in the rules file.
        self.header_names = ", ".join(spellings[0] for spellings in rules.form.columns.values())


_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


def _label_of(text: str, layout: _Layout) -> tuple[str | None, str | None]:
    """("Năm đánh giá: 2024") -> ("year", "2024"); ("Năm đánh giá") -> ("year", None)."""
    found = layout.label_memo.get(text)
    if found is None:
        if len(layout.label_memo) > 50_000:  # names and values are unique per form: keep it bounded
            layout.label_memo.clear()
        found = layout.label_memo[text] = _match_label(text, layout)
    return found


def _match_label(text: str, layout: _Layout) -> tuple[str | None, str | None]:
    head, sep, rest = text.partition(":")
    for candidate in (head, _PAREN.sub("", head)):
        name = layout.labels.get(key(candidate))
        if name:
            return name, (clean(rest) or None) if sep else None
    return None, None


def _column_role(text: str, layout: _Layout, tail_ok: bool) -> str | None:
    memo = layout.roles[tail_ok]
    found = memo.get(text, False)
    if found is False:
        if len(memo) > 50_000:  # every text above a header passes here: keep it bounded
            memo.clear()
        k = key(text)
        memo[text] = found = _match_role(k, layout, tail_ok) if k else None
    return found


def _match_role(k: str, layout: _Layout, tail_ok: bool) -> str | None:
    for role, spellings in layout.columns.items():
        for s in spellings:
            if k == s or k.startswith(s + " "):
                return role
            # The lower half of a two-row header ("tự chấm" under a merged "Điểm").
            if tail_ok and len(k.split()) >= 1 and s.endswith(" " + k):
                return role
    return None


def _find_header(grid: _Grid, layout: _Layout) -> tuple[int, int, dict[str, int]] | None:
    """(first header row, last header row, role -> column) of the criteria table."""
    needed = {"stt", "criterion", "standard", "score"}
    origin = grid.origin
    merged_rows = {r for r, _ in origin}
    memo = layout.roles[False]
    for r, texts in enumerate(grid.texts):
        one: dict[str, int] = {}
        line = [grid.merged_text(r, c) for c in range(grid.width)] if r in merged_rows else texts
        for c, text in enumerate(line):
            if text:
                role = memo.get(text, False)
                if role is False:
                    role = _column_role(text, layout, tail_ok=False)
                if role and role not in one:
                    one[role] = c
        if needed <= one.keys():
            return r, r, one
        if len(one) < 1 or r + 1 >= len(grid.rows):
            continue
        two: dict[str, int] = {}
        for c in range(grid.width):
            upper = grid.merged_text(r, c)
            # A cell merged down from the upper row is not repeated in the lower half.
            lower = "" if grid.origin.get((r + 1, c), (None,))[0] == r else grid.text(r + 1, c)
            for text, tail in ((f"{upper} {lower}", False), (lower, True), (upper, False)):
                role = _column_role(text, layout, tail_ok=tail)
                if role:
                    two.setdefault(role, c)
                    break
        if needed <= two.keys():
            return r, r + 1, two
    return None


def _is_total_row(grid: _Grid, r: int, cols: dict[str, int], layout: _Layout) -> bool:
    for c in range(min(grid.width, cols["score"])):
        k = key(grid.text(r, c))
        if k and any(k == s or k.startswith(s + " ") for s in layout.total_row):
            return True
    return False


def _number_state(value: object) -> tuple[str, float | None, str]:
    raw = _as_text(value)
    if value is None:
        return "empty", None, ""
    number = parse_number(value)
    return ("ok", number, raw) if number is not None else ("invalid", None, raw)


def _read_table(grid: _Grid, top: int, cols: dict[str, int], layout: _Layout, form: ParsedForm) -> int:
    """Fill the criterion rows and the total of ``form``; return the table's last row."""
    blank = 0
    last = top
    c_stt, c_std, c_score, c_text = cols["stt"], cols["standard"], cols["score"], cols["criterion"]
    c_ev = cols.get("evidence")
    # Column letters once per table, not per cell: refs are most of what a row holds.
    a_stt, a_std, a_score = col_letter(c_stt), col_letter(c_std), col_letter(c_score)
    a_ev = col_letter(c_ev if c_ev is not None else c_score + 1)
    for r in range(top + 1, min(len(grid.rows), top + 1 + TABLE_SCAN_ROWS)):
        row, line = grid.rows[r], grid.texts[r]
        n = len(row)
        stt_v = row[c_stt] if c_stt < n else None
        std_v = row[c_std] if c_std < n else None
        score_v = row[c_score] if c_score < n else None
        if stt_v is None and _is_total_row(grid, r, cols, layout):
            form.total_state, form.total_value, form.total_raw = _number_state(score_v)
            form.total_cell = f"{a_score}{r + 1}"
            return r
        if stt_v is None and std_v is None and score_v is None:
            blank += 1
            if form.rows and blank >= 3:
                break
            continue
        blank = 0
        last = r
        state, score, score_raw = _number_state(score_v)
        number = str(r + 1)
        form.rows.append(
            CriterionRow(
                r + 1, line[c_stt] if c_stt < n else "", line[c_text] if c_text < n else "",
                line[c_std] if c_std < n else "", parse_number(std_v), score_raw, score, state,
                line[c_ev] if c_ev is not None and c_ev < n else "",
                {"stt": a_stt + number, "standard": a_std + number, "score": a_score + number,
                 "evidence": a_ev + number},
            )
        )
    if form.rows:
        # No total row: the cell where it would stand is below the last criterion.
        form.total_cell = ref(last + 1, cols["score"])
    return last


def _read_info(grid: _Grid, skip: range, layout: _Layout, form: ParsedForm) -> None:
    memo = layout.label_memo
    for r, texts in enumerate(grid.texts):
        if r in skip:
            continue
        row = grid.rows[r]
        c = 0
        while c < len(row):
            text = texts[c]
            if not text:
                c += 1
                continue
            name, inline = memo.get(text) or _label_of(text, layout)
            if name is None or name in form.info:
                c += 1
                continue
            if inline is not None:
                form.info[name] = Info(inline, inline, ref(r, c))
                c += 1
                continue
            # The value is the next filled cell to the right that is not part of the label.
            vc = c + 1
            while vc < len(row) and (row[vc] is None or grid.origin.get((r, vc)) == (r, c)):
                vc += 1
            if vc < len(row):
                v = row[vc]
                form.info[name] = Info(texts[vc], v, ref(r, vc))
                c = vc + 1
            else:
                span = c + 1
                while grid.origin.get((r, span)) == (r, c):
                    span += 1
                form.info[name] = Info("", None, ref(r, span))
                c += 1


def _kind_from_title(grid: _Grid, before: int, layout: _Layout, form: ParsedForm) -> str | None:
    used = {i.cell for i in form.info.values()}
    for r, texts in enumerate(grid.texts[:before]):
        for c, text in enumerate(texts):
            if not text or ref(r, c) in used:
                continue
            k = key(text)
            for code, title in layout.kind_titles.items():
                if title in k:
                    return code
    return None


def _read_sheet(grid: _Grid, sheet: str, file: InputFile, layout: _Layout) -> ParsedForm | Finding | None:
    title_cell = None
    for r, texts in enumerate(grid.texts if layout.title else ()):
        c = next((c for c, text in enumerate(texts) if text and layout.title in key(text)), None)
        if c is not None:
            title_cell = ref(r, c)
            break
    header = _find_header(grid, layout)
    if header is None:
        if title_cell:
            return finding("table-not-found", file.rel, sheet, title_cell, expected=layout.header_names)
        return None
    top, bottom, cols = header
    form = ParsedForm(
        file=file.rel, sheet=sheet, mtime=file.mtime,
        anchor=title_cell or ref(top, cols["stt"]), table_cell=ref(top, cols["stt"]),
        info={}, kind_from_title=None, rows=[],
    )
    form.encoding, form.encoding_cell = grid.encoding or "", grid.converted_at
    end = _read_table(grid, bottom, cols, layout, form)
    _read_info(grid, range(top, end + 1), layout, form)
    form.kind_from_title = _kind_from_title(grid, top, layout, form)
    return form


# --- opening files safely ----------------------------------------------------------------------

# Limits checked before any content is parsed. A self-scoring workbook is tens of kilobytes.
MAX_FILE_BYTES = 50 * 1024**2
MAX_UNZIPPED_BYTES = 200 * 1024**2
MAX_PART_BYTES = 16 * 1024**2
MAX_CELL_CHARS = 2000

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BIFF_MAGIC = (b"\x09\x00", b"\x09\x02", b"\x09\x04")  # Excel 2.x-4.x worksheets, no OLE container


def _mb(n: int) -> str:
    return f"{n / 1024**2:.0f} MB" if n >= 1024**2 else f"{n / 1024:.0f} KB"


_ROOT_ELEMENT = re.compile(rb"<[A-Za-z]")
_XML_PARTS = (".xml", ".rels", ".vml")


def _part_start(data: bytes, info: _Part, size: int = 4096) -> bytes:
    """The first bytes of one zip member, inflated straight from the archive's bytes."""
    # The local header's name and extra-field lengths, read byte by byte: this runs for every
    # part of every workbook, and struct's call cost more than the arithmetic.
    at = info.header_offset
    start = at + 30 + data[at + 26] + (data[at + 27] << 8) + data[at + 28] + (data[at + 29] << 8)
    raw = data[start:start + min(info.compress_size, size * 4 + 64)]
    if info.compress_type == zipfile.ZIP_STORED:
        return raw[:size]
    if info.compress_type == zipfile.ZIP_DEFLATED:
        return zlib.decompressobj(-15).decompress(raw, size)
    raise NotImplementedError(f"compression {info.compress_type}")


class _Part(NamedTuple):
    """What the pre-checks need of one zip member (the fields of zipfile.ZipInfo they use)."""

    filename: str
    file_size: int
    compress_size: int
    compress_type: int
    header_offset: int


_EOCD = struct.Struct("<4s4H2LH")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")


def _zip_parts(data: bytes) -> list[_Part]:
    """The members of a zip archive, from its central directory.

    A workbook written by Excel or LibreOffice (no archive comment, no ZIP64, no extra fields,
    nothing before the archive) is read here directly, seven times faster than zipfile does;
    anything else is left to zipfile, whose errors the caller reports.
    """
    end = len(data) - _EOCD.size
    if end >= 0 and data[end:end + 4] == b"PK\x05\x06":
        _, disk, cd_disk, n_disk, n, cd_size, cd_start, comment = _EOCD.unpack_from(data, end)
        if not (disk or cd_disk or comment) and n_disk == n and cd_start + cd_size == end:
            parts, p = [], cd_start
            for _ in range(n):
                if data[p:p + 4] != b"PK\x01\x02":
                    break
                fields = _CENTRAL.unpack_from(data, p)
                flags, method, csize, usize, name_len, extra_len, comment_len, offset = (
                    fields[5], fields[6], fields[10], fields[11], fields[12], fields[13], fields[14], fields[18])
                if extra_len or 0xFFFFFFFF in (csize, usize, offset):
                    break
                name = data[p + 46:p + 46 + name_len].decode("utf-8" if flags & 0x800 else "cp437").split("\0")[0]
                parts.append(_Part(name, usize, csize, method, offset))
                p += 46 + name_len + comment_len
            else:
                if p == end:
                    return parts
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return [_Part(i.filename, i.file_size, i.compress_size, i.compress_type, i.header_offset)
                for i in zf.infolist()]


def _xml_text(start: bytes) -> bytes:
    """The start of an XML part as UTF-8 bytes, whichever of UTF-8 or UTF-16 it is written in."""
    for bom, codec in ((b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if start.startswith(bom):
            return start[2:].decode(codec, errors="ignore").encode("utf-8")
    if start[:1] == b"\0":
        return start.decode("utf-16-be", errors="ignore").encode("utf-8")
    if start[1:2] == b"\0":
        return start.decode("utf-16-le", errors="ignore").encode("utf-8")
    return start


def _entity_risk(data: bytes, info: _Part) -> bool:
    """A DOCTYPE or ENTITY declaration in an XML part, or a prolog too long to look through.

    A DOCTYPE can only stand before the root element; an XML prolog longer than 4 KB (comments
    hiding one) is refused as well. Encrypted parts are not XML.
    """
    head = _part_start(data, info, 256)
    if head[:5] == b"<?xml" and b"\0" not in head:
        # Nearly every part: a UTF-8 declaration, then the root element, no "<!" before it.
        root = _ROOT_ELEMENT.search(head, 5)
        if root and b"<!" not in head[:root.start()]:
            return False
    start = _xml_text(_part_start(data, info))
    return b"<!DOCTYPE" in start or b"<!ENTITY" in start or (
        start.lstrip().startswith(b"<") and not _ROOT_ELEMENT.search(start))


def _precheck(file: InputFile, data: bytes) -> Finding | None:
    """Refuse what must not be parsed: wrong type, too large, zip and XML-entity bombs."""
    head = data[:8]
    if not data:
        return finding("not-a-spreadsheet", file.rel, found="tệp rỗng, 0 byte")
    if head.startswith(OLE_MAGIC) or head[:2] in BIFF_MAGIC:
        return None
    if not head.startswith(ZIP_MAGIC):
        kind = "văn bản/HTML" if head.lstrip()[:1] in (b"<", b"{") else "không rõ định dạng"
        return finding("not-a-spreadsheet", file.rel, found=kind)
    try:
        infos = _zip_parts(data)
        total = sum(i.file_size for i in infos)
        if total > MAX_UNZIPPED_BYTES:
            return finding("zip-bomb", file.rel, found=_mb(total), expected=_mb(MAX_UNZIPPED_BYTES))
        for info in infos:
            if info.file_size > MAX_PART_BYTES:
                return finding("file-too-large", file.rel, found=f"{info.filename}: {_mb(info.file_size)}",
                               expected=_mb(MAX_PART_BYTES))
            if info.filename.endswith(_XML_PARTS) and info.file_size and _entity_risk(data, info):
                return finding("xml-entity", file.rel, found=info.filename)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, zlib.error, struct.error,
            IndexError) as exc:
        return finding("not-a-spreadsheet", file.rel, found=f"tệp nén hỏng: {clean(str(exc))[:80]}")
    return None


@dataclass
class _Sheet:
    name: str
    rows: list[list[object]]
    merged: list | None


def _sheets_calamine(path: Path, data: bytes | None = None) -> Iterator[_Sheet]:
    wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data)) if data is not None else pc.CalamineWorkbook.from_path(str(path))
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != pc.SheetTypeEnum.WorkSheet:
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            yield _Sheet(meta.name, sheet.to_python(skip_empty_area=False, nrows=MAX_ROWS), sheet.merged_cell_ranges)
    finally:
        wb.close()


def _sheets_openpyxl(path: Path) -> Iterator[_Sheet]:
    import openpyxl

    wb = openpyxl.load_workbook(path, data_only=True, keep_vba=False, keep_links=False)
    for ws in wb.worksheets:
        rows = [
            ["" if v is None else v for v in row]
            for row in ws.iter_rows(min_row=1, max_row=min(ws.max_row, MAX_ROWS), max_col=min(ws.max_column, MAX_COLS),
                                    values_only=True)
        ]
        merged = [((m.min_row - 1, m.min_col - 1), (m.max_row - 1, m.max_col - 1)) for m in ws.merged_cells.ranges]
        yield _Sheet(ws.title, rows, merged)
    wb.close()


def _sheets_xlrd(path: Path) -> Iterator[_Sheet]:
    import xlrd

    book = xlrd.open_workbook(str(path), formatting_info=False, on_demand=True)
    try:
        for index in range(book.nsheets):
            sh = book.sheet_by_index(index)
            rows = []
            for r in range(min(sh.nrows, MAX_ROWS)):
                row = []
                for c in range(min(sh.ncols, MAX_COLS)):
                    cell = sh.cell(r, c)
                    if cell.ctype == xlrd.XL_CELL_DATE:
                        row.append(xlrd.xldate.xldate_as_datetime(cell.value, book.datemode))
                    elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK, xlrd.XL_CELL_ERROR):
                        row.append("")
                    else:
                        row.append(cell.value)
                rows.append(row)
            merged = [((r0, c0), (r1 - 1, c1 - 1)) for r0, r1, c0, c1 in sh.merged_cells]
            yield _Sheet(sh.name, rows, merged)
            book.unload_sheet(index)
    finally:
        book.release_resources()


def _upper_font_cells(path: Path, sheet: str) -> set[tuple[int, int]]:
    """Cells whose font is an uppercase TCVN3 font (".VnTimeH"): their lowercase codes are capitals."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    cells: set[tuple[int, int]] = set()
    if head.startswith(ZIP_MAGIC) and _is_ooxml(path):
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        try:
            ws = wb[sheet]
            for r, row in enumerate(ws.iter_rows(max_row=MAX_ROWS, max_col=MAX_COLS)):
                for c, cell in enumerate(row):
                    font = getattr(cell, "font", None)
                    if font is not None and encodings.is_upper_font(font.name):
                        cells.add((r, c))
        finally:
            wb.close()
    elif head.startswith(OLE_MAGIC):
        import xlrd

        book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
        sh = book.sheet_by_name(sheet)
        for r in range(min(sh.nrows, MAX_ROWS)):
            for c in range(min(sh.ncols, MAX_COLS)):
                font = book.font_list[book.xf_list[sh.cell_xf_index(r, c)].font_index]
                if encodings.is_upper_font(font.name):
                    cells.add((r, c))
        book.release_resources()
    return cells


def _is_ooxml(path: Path) -> bool:
    return path.suffix.casefold() in (".xlsx", ".xlsm", ".xltx", ".xltm")


def _fallback(path: Path):
    """The second reader for a format, used where python-calamine refuses a file."""
    with open(path, "rb") as fh:
        head = fh.read(8)
    if head.startswith(ZIP_MAGIC):
        return _sheets_openpyxl if path.suffix.casefold() in (".xlsx", ".xlsm") else None
    return _sheets_xlrd


def _describe(exc: BaseException) -> str:
    """Words a staffer can act on first, the reader's own words after them for whoever fixes it."""
    detail = clean(str(exc))[:100]
    detail = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return f"cấu trúc bên trong tệp bị hỏng — chi tiết kỹ thuật: {detail}"


def _read_sheets(file: InputFile, sheets: Iterator[_Sheet], layout: _Layout, rules: Rules) -> WorkbookRead:
    out = WorkbookRead(file)
    any_data = False
    for sheet in sheets:
        grid = _Grid(sheet.rows, sheet.merged)
        if grid.encoding == encodings.TCVN3:
            try:
                upper = _upper_font_cells(file.path, sheet.name)
            except Exception:  # noqa: BLE001 — without fonts the text still converts, in lower case
                upper = set()
            if upper:
                grid = _Grid(sheet.rows, sheet.merged, upper)
        got = _read_sheet(grid, sheet.name, file, layout)
        if isinstance(got, ParsedForm):
            out.forms.append(record(got, rules))
        elif isinstance(got, Finding):
            out.findings.append(got)
        else:  # only a workbook where no sheet gave anything asks whether any held data
            any_data = any_data or any(v != "" and v is not None for row in grid.rows for v in row)
    if not out.forms and not out.findings:
        if any_data:
            out.findings.append(finding("no-form-found", file.rel, expected=layout.header_names))
        else:
            out.findings.append(finding("empty-workbook", file.rel))
    return out


def file_sha256(path: Path) -> str:
    """A file's SHA-256, read in blocks: an input may be a 2 GB file that only looks like a workbook."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def checked_bytes(file: InputFile) -> tuple[bytes | None, Finding | None]:
    """A file's bytes, or the finding that refuses it before anything is parsed."""
    if file.size > MAX_FILE_BYTES:
        return None, finding("file-too-large", file.rel, found=_mb(file.size), expected=_mb(MAX_FILE_BYTES))
    data = file.path.read_bytes()
    return data, _precheck(file, data)


def read_workbook(file: InputFile, rules: Rules) -> WorkbookRead:
    """All forms of one workbook, or the one finding that says why it gave none; with its hash.

    The file is read once: its bytes give the hash, the pre-checks and the parse.
    """
    data, refused = checked_bytes(file)
    result = WorkbookRead(file, findings=[refused]) if refused else _read_workbook(file, rules, data)
    result.sha256 = hashlib.sha256(data).hexdigest() if data is not None else file_sha256(file.path)
    return result


def _read_workbook(file: InputFile, rules: Rules, data: bytes | None = None) -> WorkbookRead:
    layout = _layout(rules)
    # An .xlsx is parsed from the bytes already read; anything else from its path, which
    # calamine opens itself: from a buffer it tells encrypted .xls and .ods less precisely.
    given = data if data is not None and data.startswith(ZIP_MAGIC) and _is_ooxml(file.path) else None
    try:
        return _read_sheets(file, _sheets_calamine(file.path, given), layout, rules)
    except (KeyboardInterrupt, SystemExit):
        raise
    except pc.PasswordError:
        return WorkbookRead(file, findings=[finding("password-protected", file.rel)])
    except BaseException as exc:  # noqa: BLE001 — python-calamine panics are BaseExceptions
        first = exc
    fallback = _fallback(file.path)
    if fallback is not None:
        try:
            return _read_sheets(file, fallback(file.path), layout, rules)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException:  # noqa: BLE001,S110 — the first reader's error is the one to report
            pass
    return WorkbookRead(file, findings=[finding("file-unreadable", file.rel, found=_describe(first))])


def _shared(form: FormRecord, strings: dict[str, str]) -> FormRecord:
    """The form with each text that another form already holds replaced by that one object.

    Every form repeats the rubric's long criterion texts, the cell addresses and the states;
    a worker's result arrives as new objects each time. Shared, 100 000 forms take half the
    memory (and the frames built from them as well).
    """
    share = strings.setdefault
    row, crits = form
    return (tuple([share(v, v) if type(v) is str else v for v in row]),
            [tuple([share(v, v) if type(v) is str else v for v in c]) for c in crits])


def _read_in_worker(file: InputFile, rules: Rules) -> tuple[str, str]:
    """read_workbook's result as text (see to_text) and its hash: the parent decodes it once and
    keeps the very text in the parse cache. The file is not sent back: the parent has it."""
    result = read_workbook(file, rules)
    return to_text(result), result.sha256


# --- a workbook's read as text: how workers send it, and how the parse cache keeps it ---------


def _encode(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (dt.time, dt.timedelta)):
        return {"$text": str(value)}
    raise TypeError(type(value))


def _decode(obj: dict) -> object:
    if "$datetime" in obj:
        return dt.datetime.fromisoformat(obj["$datetime"])
    if "$date" in obj:
        return dt.date.fromisoformat(obj["$date"])
    if "$text" in obj:
        return obj["$text"]
    return obj


# Made once: a worker encodes, and the main process decodes, one text per workbook.
_ENCODER = json.JSONEncoder(default=_encode, ensure_ascii=False, check_circular=False)
_DECODER = json.JSONDecoder(object_hook=_decode)


def to_text(wb: WorkbookRead) -> str:
    """A workbook's forms and findings as JSON (not pickle: the cache lives in a shared folder,
    and nothing read from it may run code)."""
    # vars(), not dataclasses.asdict(): no deep copy, the JSON encoder only reads.
    return _ENCODER.encode({"forms": wb.forms, "findings": [vars(f) for f in wb.findings]})


def from_text(file: InputFile, text: str, sha256: str, strings: dict[str, str] | None = None) -> WorkbookRead:
    """``to_text`` undone; with ``strings``, texts already held elsewhere are shared (see _shared)."""
    data = _DECODER.decode(text)
    strings = {} if strings is None else strings
    forms = [_shared(form, strings) for form in data["forms"]]
    return WorkbookRead(file, forms, [Finding(**f) for f in data["findings"]], sha256)


_LAYOUTS: dict[str, _Layout] = {}


def _layout(rules: Rules) -> _Layout:
    """One layout (and its memo of header texts) per rules file, kept for the worker's life."""
    if rules.sha256 not in _LAYOUTS:
        _LAYOUTS[rules.sha256] = _Layout(rules)
    return _LAYOUTS[rules.sha256]


Progress = Callable[[int, int, int], None]  # (files done, files in all, forms found so far)


def read_all(files: list[InputFile], rules: Rules, limits: Limits | None = None,
             progress: Progress | None = None, cache=None) -> list[WorkbookRead]:
    """Every workbook, each read in a worker process; a crash or a hang costs only its file.

    With a ``cache`` (pipeline.state.cache.ParseCache), unchanged files are taken from it unparsed.
    """
    results: list[WorkbookRead | None] = [None] * len(files)
    strings: dict[str, str] = {}
    limits = limits or Limits()
    done = forms = 0
    todo = []
    for i, f in enumerate(files):
        cached = cache.get(f, strings) if cache is not None else None
        if cached is None:
            todo.append(i)
            continue
        results[i] = cached
        done += 1
        forms += len(cached.forms)
        if progress is not None:
            progress(done, len(files), forms)
    for j, result in isolated_map(_read_in_worker, [files[i] for i in todo], (rules,), limits):
        index = todo[j]
        text = None
        if isinstance(result, tuple):
            text, sha256 = result
            result = from_text(files[index], text, sha256, strings)
        elif isinstance(result, Failure):
            code = "reader-timeout" if result.reason == "timeout" else "reader-crashed"
            result = WorkbookRead(files[index], findings=[
                finding(code, files[index].rel, expected=f"{limits.seconds_per_file:g}")])
            try:
                result.sha256 = file_sha256(files[index].path)
            except OSError:
                pass
        results[index] = result
        if cache is not None:
            cache.put(result, text)
        done += 1
        forms += len(result.forms)
        if progress is not None:
            progress(done, len(files), forms)
    return results  # type: ignore[return-value]


# --- coercion into the frames that validation checks -----------------------------------------

_DATE_TEXT = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})")
_DATE_WORDS = re.compile(r"ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d\d|20\d\d|21\d\d)\b")


def parse_year(value: object) -> int | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    number = parse_number(value)
    if number is not None:
        return int(number) if number.is_integer() and 1900 <= number <= 2199 else None
    years = set(_YEAR.findall(_as_text(value)))
    return int(years.pop()) if len(years) == 1 else None


def parse_date(value: object) -> dt.date | None:
    """A real Excel date, or day-first text: 20/08/2024, 20-08-2024, 20.08.2024, "ngày 20 tháng 8 năm 2024"."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = clean(value)
    m = _DATE_WORDS.search(text) or _DATE_TEXT.search(text)
    if not m:
        return None
    day, month, year = int(m[1]), int(m[2]), int(m[3])
    if year < 100:
        year += 2000
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def record(form: ParsedForm, rules: Rules) -> FormRecord:
    """One parsed form as its rows of the two frames, every value coerced, every cell kept."""
    info = form.info
    text = {f: info[f].text if f in info else "" for f in INFO_FIELDS}
    kind = rules.match_kind(text["kind"]) if text["kind"] else (form.kind_from_title or "")
    kind_raw = text["kind"] or (rules.kind_name(form.kind_from_title) if form.kind_from_title else "")
    year = parse_year(info["year"].value) if text["year"] else None
    date = parse_date(info["date"].value) if text["date"] else None
    group = rules.match_group(text["group"]) if text["group"] else None
    field_ = rules.match_field(text["field"]) if text["field"] else None
    cells = {f: info[f].cell if f in info else form.anchor for f in INFO_FIELDS}
    if not text["kind"] and form.kind_from_title:
        cells["kind"] = form.anchor
    row = (
        form.file, form.sheet, form.mtime, kind or "", kind_raw, year, text["year"], text["name"],
        text["unit_code"], text["position"], group or "", text["group"], text["commune"], text["model"],
        field_ or "", text["field"], text["period"], date, text["date"], len(form.rows), form.total_value,
        form.total_raw, form.total_state, _date_needed_reading(info["date"].value, date) if date else False,
        # Each coded value's state, as for scores: one bad cell, one finding.
        _state(kind_raw, kind), _state(text["year"], year), _state(text["group"], group),
        _state(text["field"], field_), _state(text["date"], date),
        form.encoding, form.encoding_cell or form.anchor, form.anchor, form.table_cell, form.total_cell,
        *(cells[f] for f in INFO_FIELDS),
    )
    crits = [
        (pos, cr.row, cr.stt_raw, _stt(cr.stt_raw), cr.text, cr.standard, cr.standard_raw, cr.score,
         cr.score_raw, cr.score_state, cr.evidence, cr.cells["stt"], cr.cells["standard"], cr.cells["score"],
         cr.cells["evidence"])
        for pos, cr in enumerate(form.rows, start=1)
    ]
    return row, crits


def frames(records: list[FormRecord]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forms frame (one row per form) and the criteria frame (one row per criterion row)."""
    import numpy as np
    import pandas as pd  # here, not at the top: worker processes that only read never load pandas

    forms_df = pd.DataFrame(_by_column([row for row, _ in records], FORM_COLUMNS[1:]))
    forms_df.insert(0, "form_id", range(len(records)))
    forms_df = forms_df.astype({"year": "Int64", "n_criteria": "int64", "stated_total": "float64", "mtime": "float64",
                                "date_from_text": bool})
    crit_df = pd.DataFrame({
        "form_id": np.repeat(np.arange(len(records), dtype="int64"), [len(crits) for _, crits in records]),
        **_by_column([c for _, crits in records for c in crits], CRIT_COLUMNS[1:]),
    })
    crit_df = crit_df.astype({"stt": "Int64", "standard": "float64", "score": "float64", "pos": "int64", "row": "int64"})
    return forms_df.set_index("form_id", drop=False), crit_df


def _by_column(tuples: list[tuple], names: list[str]) -> dict[str, pd.Series]:
    """Rows of values as one Series per column, each made and typed before the next. Made from
    the rows at once, a frame needed a copy of every row and a grid of all the values besides:
    at 100 000 forms, building the two frames raised the peak by 308 MB that way, 210 MB this."""
    import pandas as pd

    return {name: pd.Series([t[j] for t in tuples]) for j, name in enumerate(names)}


def _date_needed_reading(value: object, date: dt.date) -> bool:
    """A date typed as text in any other way than 20/08/2024: worth telling how it was read.

    FORM.md allows a date as text, day first; typed exactly so, there is nothing to tell (a
    warning that says «20/08/2024» was read as 20/08/2024 only buries the ones that matter).
    """
    return isinstance(value, str) and clean(value) != date.strftime("%d/%m/%Y")


def _state(typed: str, value: object) -> str:
    if not typed:
        return "empty"
    return "ok" if value else "invalid"


@lru_cache(maxsize=1024)  # "1", "01", "I.1": a few spellings, repeated by every form
def _stt(text: str) -> int | None:
    number = parse_number(text)
    return int(number) if number is not None and number.is_integer() else None


FORM_COLUMNS = [
    "form_id", "file", "sheet", "mtime", "kind", "kind_raw", "year", "year_raw", "name",
    "unit_code", "position", "group", "group_raw", "commune", "model", "field", "field_raw",
    "period", "date", "date_raw", "n_criteria", "stated_total", "total_raw", "total_state",
    "date_from_text", "kind_state", "year_state", "group_state", "field_state", "date_state",
    "encoding", "cell_encoding", "cell_form", "cell_table", "cell_total", *[f"cell_{f}" for f in INFO_FIELDS],
]
CRIT_COLUMNS = [
    "form_id", "pos", "row", "stt_raw", "stt", "text", "standard", "standard_raw", "score",
    "score_raw", "score_state", "evidence", "cell_stt", "cell_standard", "cell_score", "cell_evidence",
]
