"""The self-scoring form as a workbook: the blank forms staff send out, and filled-in ones.

One writer serves three callers: ``make templates`` (blank forms with drop-downs, data
validation and locked formula cells), the demo's sample submissions and the test fixtures
(filled forms in the many layouts units really send). Every label and text comes from the
rules file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from dataclasses import field as _field
from pathlib import Path

import xlsxwriter

from pipeline.core.rules import Rules
from pipeline.core.text import format_number, slug
from pipeline.infra.files import atomic_write
from pipeline.outputs.document import DEFAULT_FONT, MARGINS_MM, MM
from pipeline.outputs.geometry import LINE_PT, filling, lines_needed
from pipeline.outputs.literal import keep_literal
from pipeline.outputs.words import FORM

LISTS_SHEET = "DanhMuc"
# STT, criterion, standard points, self-score, evidence: A4 portrait at full scale.
WIDTHS = tuple(filling((4, 27, 6, 6, 18), landscape=False))
FIXED_TIME = dt.datetime(2024, 1, 1)


@dataclass
class FormSpec:
    """What one sheet of a submitted workbook holds, and how it is laid out."""

    kind: str = "tap_the"
    kind_text: str | None = None  # as typed; None: the kind's name from the rules file
    year: object = 2024
    name: str = "UBND xã Vạn Thắng"
    unit_code: str = ""
    position: str = ""
    group: str = "Huyện Vạn Ninh"
    commune: str = ""
    model: str = "Dân vận khéo trong xây dựng nông thôn mới"
    field: str = "Kinh tế"
    period: str = "01/2023 - 12/2024"
    date: object = dt.date(2024, 8, 20)
    scores: list | None = None  # None: full marks
    evidence: list | None = None  # None: a document reference per criterion
    standards: list | None = None  # None: the rubric's points
    total: object = "formula"  # "formula", "value", "none", or a number to type
    sheet: str = "Sheet1"
    inline_labels: bool = False  # "Năm đánh giá: 2024" in one cell
    two_row_header: bool = False  # header split over two rows, "Điểm" merged over two columns
    scores_as_text: bool = False  # "13,5" typed as text
    origin: tuple[int, int] = (0, 0)  # where the form starts on the sheet
    omit: set[str] = _field(default_factory=set)  # information labels left out
    headers: dict[str, str] = _field(default_factory=dict)  # a column's heading as typed (role -> text)
    numbers: list[str] | None = None  # the criteria's numbers as typed; None: 01, 02, …
    hidden: bool = False
    women: str | None = None  # the optional line on women; None: left out


def _labels(spec: FormSpec, rules: Rules) -> list[tuple[str, str, object]]:
    """(field, label, value) of the information block, in the order the plan's form uses."""
    kind = rules.kinds[spec.kind]
    labels = rules.form.labels
    rows = [
        ("kind", labels["kind"][0], spec.kind_text if spec.kind_text is not None else kind.name),
        ("year", labels["year"][0], spec.year),
        ("name", kind.name_label or labels["name"][0], spec.name),
        ("unit_code", labels["unit_code"][0], spec.unit_code),
    ]
    if spec.position or rules.kinds[spec.kind].person:
        rows.append(("position", labels["position"][0], spec.position))
    rows += [
        ("group", labels["group"][0], spec.group),
        ("commune", labels["commune"][0], spec.commune),
        ("model", labels["model"][0], spec.model),
        ("field", labels["field"][0], spec.field),
        ("period", labels["period"][0], spec.period),
        ("date", labels["date"][0], spec.date),
    ]
    women = labels["women"]
    if spec.women is not None and women:
        # The rules file lists the individual's label first, the collective's second.
        rows.append(("women", women[0] if kind.person or len(women) == 1 else women[1], spec.women))
    return [r for r in rows if r[0] not in spec.omit]


class _Formats:
    def __init__(self, wb: xlsxwriter.Workbook):
        base = {"font_name": "Times New Roman", "font_size": 12, "valign": "vcenter"}
        self.title = wb.add_format({**base, "bold": True, "font_size": 14, "align": "center", "text_wrap": True})
        self.subtitle = wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True})
        self.sign = wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True})
        self.sign_i = wb.add_format({**base, "italic": True, "align": "center", "text_wrap": True})
        self.label = wb.add_format({**base, "bold": True})
        self.value = wb.add_format({**base, "text_wrap": True})
        self.input = wb.add_format({**base, "locked": False, "bg_color": "#FFF8DC", "border": 1})
        self.head = wb.add_format({**base, "bold": True, "align": "center", "text_wrap": True, "border": 1, "bg_color": "#D9E1F2"})
        self.cell = wb.add_format({**base, "text_wrap": True, "border": 1, "valign": "top"})
        self.center = wb.add_format({**base, "align": "center", "border": 1, "valign": "top"})
        self.score = wb.add_format({**base, "align": "center", "border": 1, "valign": "top", "locked": False, "bg_color": "#FFF8DC"})
        self.evidence = wb.add_format({**base, "text_wrap": True, "border": 1, "valign": "top", "locked": False, "bg_color": "#FFF8DC"})
        self.total = wb.add_format({**base, "bold": True, "align": "center", "border": 1})
        self.date = wb.add_format({**base, "num_format": "dd/mm/yyyy"})


def _write_value(ws, r: int, c: int, value: object, fmt) -> None:
    if value is None or value == "":
        ws.write_blank(r, c, None, fmt)
    elif isinstance(value, (dt.date, dt.datetime)):
        ws.write_datetime(r, c, dt.datetime.combine(value, dt.time()) if not isinstance(value, dt.datetime) else value, fmt)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        ws.write_number(r, c, value, fmt)
    else:
        ws.write_string(r, c, str(value), fmt)


def _blank_input(ws, wb, r: int, c: int, name: str, spec: FormSpec, rules: Rules, fmt: _Formats) -> None:
    """The value cell of a blank form's label: unlocked, with its drop-down or check."""
    ws.merge_range(r, c, r, c + 2, "", fmt.input)
    if name == "kind":
        ws.write_string(r, c, rules.kinds[spec.kind].name, fmt.input)
        ws.data_validation(r, c, r, c, {"validate": "list", "source": [k.name for k in rules.kinds.values()]})
    elif name == "year":
        ws.data_validation(r, c, r, c, {"validate": "integer", "criteria": "between", "minimum": 2000, "maximum": 2100})
    elif name in ("group", "field"):
        col = "A" if name == "group" else "B"
        n = len(rules.groups if name == "group" else rules.fields)
        ws.data_validation(r, c, r, c, {"validate": "list", "source": f"={LISTS_SHEET}!${col}$2:${col}${n + 1}"})
    elif name == "date":
        ws.write_blank(r, c, None, wb.add_format({"locked": False, "bg_color": "#FFF8DC", "border": 1,
                                                  "num_format": "dd/mm/yyyy", "font_name": "Times New Roman",
                                                  "font_size": 12}))


def _info_block(ws, wb, spec: FormSpec, rules: Rules, fmt: _Formats, blank: bool, r: int) -> int:
    """The labelled values; returns the next free row."""
    c0 = spec.origin[1]
    for name, label, value in _labels(spec, rules):
        if blank:
            ws.write_string(r, c0 + 1, f"{label}:", fmt.label)
            _blank_input(ws, wb, r, c0 + 2, name, spec, rules, fmt)
        elif spec.inline_labels:
            shown = value.strftime("%d/%m/%Y") if isinstance(value, dt.date) else ("" if value is None else value)
            ws.write_string(r, c0 + 1, f"{label}: {shown}", fmt.value)
        else:
            ws.write_string(r, c0 + 1, f"{label}:", fmt.label)
            _write_value(ws, r, c0 + 2, value, fmt.date if isinstance(value, dt.date) else fmt.value)
        r += 1
    return r


def _table_header(ws, spec: FormSpec, rules: Rules, fmt: _Formats, r: int) -> int:
    """The criteria table's header, on one row or two; returns the first criterion's row."""
    c0 = spec.origin[1]
    cols = {role: [spec.headers.get(role, spellings[0])] for role, spellings in rules.form.columns.items()}
    if spec.two_row_header:
        ws.merge_range(r, c0, r + 1, c0, cols["stt"][0], fmt.head)
        ws.merge_range(r, c0 + 1, r + 1, c0 + 1, cols["criterion"][0], fmt.head)
        # "Điểm chuẩn" and "Điểm tự chấm": the shared first word merged above, the rest below.
        upper, _, standard = cols["standard"][0].partition(" ")
        score = cols["score"][0].partition(" ")[2]
        ws.merge_range(r, c0 + 2, r, c0 + 3, upper, fmt.head)
        ws.write_string(r + 1, c0 + 2, standard.capitalize(), fmt.head)
        ws.write_string(r + 1, c0 + 3, score.capitalize(), fmt.head)
        ws.merge_range(r, c0 + 4, r + 1, c0 + 4, cols["evidence"][0], fmt.head)
        r += 2
    else:
        ws.set_row(r, 34)  # "Điểm tự chấm" wraps onto two lines in its narrow column
        for i, col in enumerate(("stt", "criterion", "standard", "score", "evidence")):
            ws.write_string(r, c0 + i, cols[col][0], fmt.head)
        r += 1
    ws.repeat_rows(r - 1)
    return r


def _blank_score(ws, r: int, c: int, crit, rules: Rules, fmt: _Formats) -> None:
    ws.write_blank(r, c, None, fmt.score)
    ws.data_validation(r, c, r, c, {
        "validate": "decimal", "criteria": "between", "minimum": 0, "maximum": crit.points,
        "input_title": rules.form.columns["score"][0],
        "input_message": FORM["score_input"].format(points=format_number(crit.points)),
        "error_title": FORM["score_error_title"],
        "error_message": FORM["score_error"].format(points=format_number(crit.points)),
    })
    ws.write_string(r, c + 1, "", fmt.evidence)
    ws.write_comment(r, c + 1, crit.evidence, {"x_scale": 2})


def _criteria_rows(ws, spec: FormSpec, rules: Rules, fmt: _Formats, blank: bool, r: int) -> tuple[int, float]:
    """One row per criterion; returns (the total row's row, the sum of the numeric scores)."""
    c0 = spec.origin[1]
    kind = rules.kinds[spec.kind]
    scores = spec.scores if spec.scores is not None else [c.points for c in kind.criteria]
    evidence = spec.evidence if spec.evidence is not None else [
        f"Báo cáo số {10 + i}/BC-UBND ngày 15/6/{spec.year}" for i in range(len(kind.criteria))
    ]
    standards = spec.standards if spec.standards is not None else [c.points for c in kind.criteria]
    numeric_total = 0.0
    for i in range(len(kind.criteria) if blank else len(scores)):
        crit = kind.criteria[i] if i < len(kind.criteria) else None
        ws.write_string(r, c0, spec.numbers[i] if spec.numbers else f"{i + 1:02d}", fmt.center)
        ws.write_string(r, c0 + 1, crit.text if crit else "", fmt.cell)
        _write_value(ws, r, c0 + 2, standards[i] if i < len(standards) else None, fmt.center)
        if blank:
            _blank_score(ws, r, c0 + 3, crit, rules, fmt)
        else:
            score = scores[i] if i < len(scores) else None
            if isinstance(score, (int, float)) and not isinstance(score, bool):
                numeric_total += score
                if spec.scores_as_text:
                    score = format_number(score)
            _write_value(ws, r, c0 + 3, score, fmt.score)
            _write_value(ws, r, c0 + 4, evidence[i] if i < len(evidence) else "", fmt.evidence)
        # Every line of the criterion's text shows, on screen and on paper (12 pt in a 40-wide column).
        ws.set_row(r, max(30, LINE_PT * lines_needed(crit.text if crit else "", WIDTHS[1] * 0.85) + 6))
        r += 1
    return r, numeric_total


def _total_row(ws, spec: FormSpec, rules: Rules, fmt: _Formats, blank: bool, first: int, r: int,
               numeric_total: float) -> None:
    c0 = spec.origin[1]
    ws.write_blank(r, c0, None, fmt.total)
    ws.write_string(r, c0 + 1, rules.form.total_row[0], fmt.total)
    ws.write_number(r, c0 + 2, rules.kinds[spec.kind].total, fmt.total)
    score_col = xlsxwriter.utility.xl_col_to_name(c0 + 3)
    formula = f"=SUM({score_col}{first + 1}:{score_col}{r})"
    if blank or spec.total == "formula":
        ws.write_formula(r, c0 + 3, formula, fmt.total, 0 if blank else numeric_total)
    elif spec.total == "value":
        ws.write_number(r, c0 + 3, numeric_total, fmt.total)
    elif spec.total != "none":
        _write_value(ws, r, c0 + 3, spec.total, fmt.total)
    ws.write_blank(r, c0 + 4, None, fmt.total)


def _signature(ws, spec: FormSpec, rules: Rules, fmt: _Formats, r: int) -> None:
    """The place and date, the head of the unit's confirmation left, the person who scored right."""
    c0 = spec.origin[1]
    ws.merge_range(r, c0 + 2, r, c0 + 4, FORM["date_line"], fmt.sign_i)
    ws.set_row(r + 1, 32)
    ws.merge_range(r + 1, c0, r + 1, c0 + 1, FORM["confirm"], fmt.sign)
    ws.merge_range(r + 1, c0 + 2, r + 1, c0 + 4, FORM["scorer"], fmt.sign)
    ws.merge_range(r + 2, c0, r + 2, c0 + 1, FORM["confirm_hint"], fmt.sign_i)
    ws.merge_range(r + 2, c0 + 2, r + 2, c0 + 4, FORM["scorer_hint"], fmt.sign_i)


def write_form(wb: xlsxwriter.Workbook, spec: FormSpec, rules: Rules, *, blank: bool = False) -> None:
    """Write one form on a new sheet of ``wb``."""
    ws = wb.add_worksheet(spec.sheet)
    fmt = _Formats(wb)
    kind = rules.kinds[spec.kind]
    r0, c0 = spec.origin
    for i, width in enumerate(WIDTHS):
        ws.set_column(c0 + i, c0 + i, width)
    ws.set_row(r0, 40)
    ws.merge_range(r0, c0, r0, c0 + 4, rules.form.title.upper(), fmt.title)
    ws.merge_range(r0 + 1, c0, r0 + 1, c0 + 4, f"{kind.title}.", fmt.subtitle)
    r = _info_block(ws, wb, spec, rules, fmt, blank, r0 + 3)
    first = _table_header(ws, spec, rules, fmt, r + 1)
    last, numeric_total = _criteria_rows(ws, spec, rules, fmt, blank, first)
    _total_row(ws, spec, rules, fmt, blank, first, last, numeric_total)
    _signature(ws, spec, rules, fmt, last + 2)
    ws.set_paper(9)  # A4, portrait, the decree's margins, at full scale: 12 pt prints as 12 pt
    ws.set_portrait()
    ws.set_print_scale(100)
    ws.set_margins(left=MARGINS_MM["left"] * MM, right=MARGINS_MM["right"] * MM, top=MARGINS_MM["top"] * MM,
                   bottom=MARGINS_MM["bottom"] * MM)
    if spec.hidden:
        ws.hide()
    if blank:
        ws.protect("", {"format_columns": True, "format_rows": True, "select_locked_cells": True, "select_unlocked_cells": True})
        ws.activate()


def write_workbook(path: Path, specs: list[FormSpec], rules: Rules) -> Path:
    """A workbook with one filled-in form per sheet, as a unit would send it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), DEFAULT_FONT)
    wb.set_properties({"created": FIXED_TIME})  # same forms, same bytes
    for spec in specs:
        write_form(wb, spec, rules)
    wb.close()
    return path


def write_templates(outdir: Path, rules: Rules) -> list[Path]:
    """The blank forms, one per kind, from the rules file."""
    outdir.mkdir(parents=True, exist_ok=True)
    written = []
    for code, kind in rules.kinds.items():
        path = outdir / f"mau_{slug(kind.name)}.xlsx"
        written.append(atomic_write(path, lambda tmp, code=code, kind=kind: _blank_form(tmp, code, kind, rules)))
    written.append(write_register(outdir / "mau_lich_su.xlsx", rules.registers.history_columns))
    written.append(write_register(outdir / "mau_danh_sach.xlsx", rules.registers.roster_columns))
    return written


def _blank_form(tmp: Path, code: str, kind, rules: Rules) -> None:
    """A blank form of one kind, with the hidden sheet its drop-downs read."""
    wb = xlsxwriter.Workbook(str(tmp), DEFAULT_FONT)
    spec = FormSpec(kind=code, year=None, name="", group="", model="", field="", period="", date=None,
                    sheet=kind.name[:31], women="")
    write_form(wb, spec, rules, blank=True)
    lists = wb.add_worksheet(LISTS_SHEET)
    lists.write_string(0, 0, rules.group_label)
    lists.write_string(0, 1, rules.form.labels["field"][0])
    for i, g in enumerate(rules.groups, start=1):
        lists.write_string(i, 0, g)
    for i, f in enumerate(rules.fields, start=1):
        lists.write_string(i, 1, f)
    lists.hide()
    wb.close()


def write_register(path: Path, columns: tuple[str, ...], rows: list[list[object]] | None = None) -> Path:
    """A register workbook (past recognitions or expected units): one header row, then the rows."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": FIXED_TIME})
    ws = wb.add_worksheet(FORM["register_sheet"])
    head = wb.add_format({"bold": True, "border": 1, "bg_color": "#D9E1F2", "font_name": "Times New Roman"})
    cell = wb.add_format({"border": 1, "font_name": "Times New Roman"})
    for c, name in enumerate(columns):
        ws.write_string(0, c, name, head)
        ws.set_column(c, c, 12 if c == 0 else 28)
    for r, row in enumerate(rows or [], start=1):
        for c, value in enumerate(row):
            _write_value(ws, r, c, value, cell)
    ws.freeze_panes(1, 0)
    wb.close()
    keep_literal(path)
    return path
