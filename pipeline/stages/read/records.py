"""A parsed form as named records, every value coerced once; the records as the two frames.

Coercion happens here, once: a score typed as "13,5" becomes 13.5; a score that is not a number
is kept as text with the state "invalid" so that validation reports it exactly once.
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from typing import TYPE_CHECKING, NamedTuple

from pipeline.core.rules import INFO_FIELDS, Rules
from pipeline.core.text import clean, parse_number
from pipeline.stages.read.form import ParsedForm
from pipeline.stages.read.grid import as_text

if TYPE_CHECKING:
    import pandas as pd


class FormRow(NamedTuple):
    """A form's row of the forms frame: what it says, how each value was read, where each stands."""

    file: str
    sheet: str
    mtime: float
    kind: str
    kind_raw: str
    year: int | None
    year_raw: str
    name: str
    unit_code: str
    position: str
    group: str
    group_raw: str
    commune: str
    model: str
    field: str
    field_raw: str
    period: str
    date: dt.date | None
    date_raw: str
    women: str  # optional: an individual's "Nữ", a collective's share of women
    n_criteria: int
    stated_total: float | None
    total_raw: str
    total_state: str
    date_from_text: bool
    # Each coded value's state, as for scores ("ok", "empty", "invalid"): one bad cell, one finding.
    kind_state: str
    year_state: str
    group_state: str
    field_state: str
    date_state: str
    encoding: str
    cell_encoding: str
    cell_form: str
    cell_table: str
    cell_total: str
    cell_kind: str
    cell_year: str
    cell_name: str
    cell_unit_code: str
    cell_position: str
    cell_group: str
    cell_commune: str
    cell_model: str
    cell_field: str
    cell_period: str
    cell_date: str
    cell_women: str


class CriterionRecord(NamedTuple):
    """One criterion row of a form: its row of the criteria frame."""

    pos: int
    row: int  # the Excel row number
    stt_raw: str
    stt: int | None
    text: str
    standard: float | None
    standard_raw: str
    score: float | None
    score_raw: str
    score_state: str
    evidence: str
    cell_stt: str
    cell_standard: str
    cell_score: str
    cell_evidence: str
    score_text: bool  # a number typed as text


class FormRecord(NamedTuple):
    """A form as the read stage hands it on: workers send it, the parse cache keeps it."""

    form: FormRow
    criteria: list[CriterionRecord]


FORM_COLUMNS = ["form_id", *FormRow._fields]
CRIT_COLUMNS = ["form_id", *CriterionRecord._fields]


_DATE_TEXT = re.compile(r"(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*(\d{4}|\d{2})")
_DATE_WORDS = re.compile(r"ngày\s*(\d{1,2})\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})", re.IGNORECASE)
_YEAR = re.compile(r"\b(19\d\d|20\d\d|21\d\d)\b")


def parse_year(value: object) -> int | None:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.year
    number = parse_number(value)
    if number is not None:
        return int(number) if number.is_integer() and 1900 <= number <= 2199 else None
    years = set(_YEAR.findall(as_text(value)))
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
    row = FormRow(
        form.file, form.sheet, form.mtime, kind or "", kind_raw, year, text["year"], text["name"],
        text["unit_code"], text["position"], group or "", text["group"], text["commune"], text["model"],
        field_ or "", text["field"], text["period"], date, text["date"], text["women"], len(form.rows), form.total_value,
        form.total_raw, form.total_state, _date_needed_reading(info["date"].value, date) if date else False,
        _state(kind_raw, kind), _state(text["year"], year), _state(text["group"], group),
        _state(text["field"], field_), _state(text["date"], date),
        form.encoding, form.encoding_cell or form.anchor, form.anchor, form.table_cell, form.total_cell,
        *(cells[f] for f in INFO_FIELDS),
    )
    crits = [
        CriterionRecord(pos, cr.row, cr.stt_raw, _stt(cr.stt_raw), cr.text, cr.standard, cr.standard_raw, cr.score,
                        cr.score_raw, cr.score_state, cr.evidence, cr.cells["stt"], cr.cells["standard"],
                        cr.cells["score"], cr.cells["evidence"], cr.score_text)
        for pos, cr in enumerate(form.rows, start=1)
    ]
    return FormRecord(row, crits)


def frames(records: list[FormRecord]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The forms frame (one row per form) and the criteria frame (one row per criterion row)."""
    import numpy as np
    import pandas as pd  # here, not at the top: worker processes that only read never load pandas

    forms_df = pd.DataFrame(_by_column([r.form for r in records], FormRow._fields))
    forms_df.insert(0, "form_id", range(len(records)))
    forms_df = forms_df.astype({"year": "Int64", "n_criteria": "int64", "stated_total": "float64", "mtime": "float64",
                                "date_from_text": bool})
    crit_df = pd.DataFrame({
        "form_id": np.repeat(np.arange(len(records), dtype="int64"), [len(r.criteria) for r in records]),
        **_by_column([c for r in records for c in r.criteria], CriterionRecord._fields),
    })
    crit_df = crit_df.astype({"stt": "Int64", "standard": "float64", "score": "float64", "pos": "int64", "row": "int64"})
    return forms_df.set_index("form_id", drop=False), crit_df


def _by_column(tuples: list[tuple], names: tuple[str, ...]) -> dict[str, pd.Series]:
    """Rows of values as one Series per column, each made and typed before the next: no copy of
    every row and no grid of every value besides (210 MB of peak at 100 000 forms, against 308)."""
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
    """A criterion's number as units write it: "1", "01", "1.", "1)", "I", "Tiêu chí 1", "TC1"."""
    plain_text = _STT_WORDS.sub("", clean(text).casefold()).strip().rstrip(".):").strip()
    number = parse_number(plain_text)
    if number is not None:
        return int(number) if number.is_integer() else None
    return _ROMAN.get(plain_text)


_STT_WORDS = re.compile(r"^(tiêu\s*chí|tiêu\s*chuẩn|tc)\s*")
_ROMAN = {r: i for i, r in enumerate(["i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"], 1)}


