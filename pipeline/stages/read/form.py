"""Finding the form in a sheet: its title, the criteria table's header, its rows, the labelled values.

A form is found by its labels and its table header, never by fixed addresses. Each value keeps
the address of the cell it came from, so every later finding can name ``Sheet1!D18``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache, partial

from pipeline.core.findings import Finding, finding
from pipeline.core.rules import INFO_FIELDS, Rules
from pipeline.core.text import clean, key, parse_number
from pipeline.stages.discover import InputFile
from pipeline.stages.read.grid import Grid, as_text, col_letter, ref

TABLE_SCAN_ROWS = 60


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
    score_text: bool = False  # the score was typed as text: Excel's SUM leaves it out


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


class Layout:
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
        # Every text of every sheet passes through these two; most repeat from form to form.
        self.label_of = lru_cache(maxsize=1 << 16)(partial(_match_label, layout=self))
        self.role_of = lru_cache(maxsize=1 << 16)(partial(_column_role, layout=self))
        # How findings name the table's columns: the first spelling of each in the rules file.
        self.header_names = ", ".join(spellings[0] for spellings in rules.form.columns.values())


_PAREN = re.compile(r"\s*\([^)]*\)\s*$")


def _match_label(text: str, layout: Layout) -> tuple[str | None, str | None]:
    head, sep, rest = text.partition(":")
    for candidate in (head, _PAREN.sub("", head)):
        name = layout.labels.get(key(candidate))
        if name:
            return name, (clean(rest) or None) if sep else None
    return None, None


def _column_role(text: str, tail_ok: bool, layout: Layout) -> str | None:
    k = key(text)
    return _match_role(k, layout, tail_ok) if k else None


def _match_role(k: str, layout: Layout, tail_ok: bool) -> str | None:
    for role, spellings in layout.columns.items():
        for s in spellings:
            if k == s or k.startswith(s + " "):
                return role
            # The lower half of a two-row header ("tự chấm" under a merged "Điểm").
            if tail_ok and len(k.split()) >= 1 and s.endswith(" " + k):
                return role
    return None


def _find_header(grid: Grid, layout: Layout) -> tuple[int, int, dict[str, int]] | None:
    """(first header row, last header row, role -> column) of the criteria table."""
    needed = {"stt", "criterion", "standard", "score"}
    origin = grid.origin
    merged_rows = {r for r, _ in origin}
    for r, texts in enumerate(grid.texts):
        one: dict[str, int] = {}
        line = [grid.merged_text(r, c) for c in range(grid.width)] if r in merged_rows else texts
        for c, text in enumerate(line):
            if text:
                role = layout.role_of(text, False)
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
                role = layout.role_of(text, tail)
                if role:
                    two.setdefault(role, c)
                    break
        if needed <= two.keys():
            return r, r + 1, two
    return None


def _is_total_row(grid: Grid, r: int, cols: dict[str, int], layout: Layout) -> bool:
    for c in range(min(grid.width, cols["score"])):
        k = key(grid.text(r, c))
        if k and any(k == t or k.startswith(t + " ") for t in layout.total_row):
            return True
    return False


def _number_state(value: object) -> tuple[str, float | None, str]:
    raw = as_text(value)
    if value is None:
        return "empty", None, ""
    number = parse_number(value)
    return ("ok", number, raw) if number is not None else ("invalid", None, raw)


def _read_table(grid: Grid, top: int, cols: dict[str, int], layout: Layout, form: ParsedForm) -> int:
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
                 "evidence": a_ev + number}, type(score_v) is str and score is not None,
            )
        )
    if form.rows:
        # No total row: the cell where it would stand is below the last criterion.
        form.total_cell = ref(last + 1, cols["score"])
    return last


def _read_info(grid: Grid, skip: range, layout: Layout, form: ParsedForm) -> None:
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
            name, inline = layout.label_of(text)
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


def _kind_from_title(grid: Grid, before: int, layout: Layout, form: ParsedForm) -> str | None:
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


def read_sheet(grid: Grid, sheet: str, file: InputFile, layout: Layout) -> ParsedForm | Finding | None:
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


