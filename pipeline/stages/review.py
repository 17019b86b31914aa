"""Reading the staff's review workbooks back (inputs/xet_khen_thuong/), and the appraisal.

A review workbook is the one the run wrote (``outputs/<năm>/xet_khen_thuong_<năm>.xlsx``), filled
in by Phòng Nội vụ (appraised scores, the reason for each change) and after the council's
meeting (its date, members present, each decision and its votes). Each file is read in a
worker, like a form. Where several files give values for one form, the one saved last counts.

The appraisal is applied here, before eligibility: a criterion's appraised score replaces its
self-score (kept as ``self_score``), and the form's total becomes the appraised total (the self
total kept as ``self_total``). The decisions are applied after ranking (``stages.decide``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import NamedTuple

import pandas as pd

from pipeline.core.findings import Finding, finding
from pipeline.core.review import REVIEW, review_key
from pipeline.core.rules import Rules
from pipeline.core.table import columns
from pipeline.core.text import clean, format_number, key, parse_number, unit_key
from pipeline.stages.discover import InputFile
from pipeline.stages.read import read_each, staff_grids
from pipeline.stages.read.grid import Grid, as_text, ref

EPS = 1e-9
MAX_CRITERIA = 30


class Meeting(NamedTuple):
    """The council's meeting as one sheet of a review workbook records it."""

    file: str
    sheet: str
    date: str
    members: object
    present: object
    cell_date: str
    cell_members: str
    cell_present: str


class ReviewRow(NamedTuple):
    """One form's row of a review workbook, every value as staff typed it."""

    file: str
    sheet: str
    key: str
    cell_key: str
    form_file: str
    form_sheet: str
    self_scores: tuple
    scores: tuple  # the appraised score of each criterion, as typed (None: blank)
    score_cells: tuple
    reason: str
    cell_reason: str
    decision: str
    cell_decision: str
    votes: object
    cell_votes: str
    note: str

    @property
    def gives_values(self) -> bool:
        """Anything typed beyond what the run wrote in: a decision, votes, a reason, a note."""
        return bool(self.decision or self.reason or self.note or as_text(self.votes))


@dataclass
class ReviewRead:
    file: InputFile
    rows: list[ReviewRow] = field(default_factory=list)
    meetings: list[Meeting] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def _headings(max_criteria: int) -> dict[str, str]:
    named = {"key": "key", "name": "name", "reason": "reason", "decision": "decision", "votes": "votes",
             "note_col": "note", "file": "file", "sheet": "sheet"}
    out = {key(REVIEW[k]): v for k, v in named.items()}
    for i in range(1, max_criteria + 1):
        out[key(REVIEW["score"].format(stt=f"{i:02d}"))] = f"score{i}"
        out[key(REVIEW["self_score"].format(stt=f"{i:02d}"))] = f"self{i}"
    return out


def _meeting(grid: Grid, head: int, file: str, sheet: str) -> Meeting:
    labels = {key(REVIEW[k]): k for k in ("date", "members", "present")}
    found: dict[str, tuple[object, str]] = {}
    for r in range(head):
        for c in range(grid.width - 1):
            name = labels.get(key(grid.text(r, c)))
            if name and name not in found:
                end = c
                while grid.origin.get((r, end + 1)) == (r, c):  # a label merged over several cells
                    end += 1
                value_at = end + 1
                if grid.value(r, value_at) is None:
                    # Merges a reader does not report (.ods): the first value to the right, if any.
                    value_at = next((k for k in range(end + 1, min(end + 6, grid.width)) if grid.value(r, k) is not None),
                                    end + 1)
                found[name] = (grid.value(r, value_at), ref(r, value_at))
    value = {k: found.get(k, (None, ""))[0] for k in labels.values()}
    cell = {k: found.get(k, (None, ""))[1] for k in labels.values()}
    return Meeting(file, sheet, value["date"], value["members"], value["present"], cell["date"], cell["members"],
                   cell["present"])


def _rows(grid: Grid, head: int, cols: dict[str, int], file: InputFile, sheet: str) -> list[ReviewRow]:
    n = max((int(name[5:]) for name in cols if name.startswith("score")), default=0)
    out = []
    for r in range(head + 1, len(grid.rows)):
        row_key = grid.text(r, cols["key"])
        if not row_key:
            continue  # a kind's heading row, a blank row, the signature block

        def text(name: str, row: int = r) -> str:
            return grid.text(row, cols[name]) if name in cols else ""

        scores = tuple(grid.value(r, cols[f"score{i}"]) if f"score{i}" in cols else None for i in range(1, n + 1))
        out.append(ReviewRow(
            file.rel, sheet, row_key, ref(r, cols["key"]), text("file"), text("sheet"),
            tuple(parse_number(grid.value(r, cols[f"self{i}"])) if f"self{i}" in cols else None
                  for i in range(1, n + 1)),
            tuple(None if as_text(v) == "" else v for v in scores),
            tuple(ref(r, cols[f"score{i}"]) if f"score{i}" in cols else "" for i in range(1, n + 1)),
            text("reason"), ref(r, cols["reason"]) if "reason" in cols else "",
            text("decision"), ref(r, cols["decision"]) if "decision" in cols else "",
            grid.value(r, cols["votes"]) if "votes" in cols else None, ref(r, cols["votes"]) if "votes" in cols else "",
            text("note"),
        ))
    return out


def read_review(file: InputFile) -> ReviewRead:
    """Rows and meetings of one review workbook (run in a worker, like forms)."""
    out = ReviewRead(file)
    grids, refused = staff_grids(file)
    if refused:
        out.findings.append(refused)
        return out
    headings = _headings(MAX_CRITERIA)
    for sheet, grid in grids:
        for r in range(len(grid.rows)):
            cols = {}
            for c in range(grid.width):
                name = headings.get(key(grid.text(r, c)))
                if name:
                    cols.setdefault(name, c)
            if "key" in cols and "name" in cols:
                out.meetings.append(_meeting(grid, r, file.rel, sheet))
                out.rows += _rows(grid, r, cols, file, sheet)
                break
    if not out.meetings:
        out.findings.append(finding("review-no-table", file.rel, expected=REVIEW["key"]))
    return out


@dataclass
class Review:
    """What the staff's review workbooks say, one row per form (the file saved last counts)."""

    rows: dict[str, ReviewRow] = field(default_factory=dict)
    meetings: dict[tuple[str, str], Meeting] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)
    # Filled by ``appraise``: the row behind each form it matched, by the form's index.
    matched: dict[int, ReviewRow] = field(default_factory=dict)

    def meeting_of(self, row: ReviewRow) -> Meeting | None:
        return self.meetings.get((row.file, row.sheet))

    def meetings_by_group(self, forms: pd.DataFrame) -> dict[str, Meeting]:
        """Each group's meeting: that of the sheet its forms' rows were read from (the rows being
        those of the file saved last)."""
        out: dict[str, Meeting] = {}
        for i, group in zip(forms.index, forms.group.tolist(), strict=True):
            row = self.matched.get(i)
            meeting = self.meeting_of(row) if row is not None else None
            if meeting is not None:
                out.setdefault(group, meeting)
        return out


def read_reviews(files: list[InputFile]) -> Review:
    reads = read_each(read_review, files, (), ReviewRead)
    review = Review()
    # Oldest first: a later file's row replaces an earlier one's.
    for rd in sorted(reads, key=lambda rd: (rd.file.mtime, rd.file.rel)):
        review.findings += rd.findings
        review.meetings.update({(m.file, m.sheet): m for m in rd.meetings})
        for row in rd.rows:
            older = review.rows.get(row.key)
            if older is not None and older.file != row.file and older.gives_values:
                review.findings.append(finding("review-duplicate", older.file, older.sheet, older.cell_key,
                                               expected=row.file))
            review.rows[row.key] = row
    return review


def _number(row: ReviewRow, i: int, points: float) -> tuple[float | None, Finding | None]:
    """The appraised score of criterion ``i`` (1-based), or why it cannot be used."""
    raw = row.scores[i - 1] if i - 1 < len(row.scores) else None
    cell, stt = row.score_cells[i - 1] if i - 1 < len(row.score_cells) else "", f"{i:02d}"
    if raw is None:
        return None, None
    value = parse_number(raw)
    if value is None:
        return None, finding("appraisal-not-number", row.file, row.sheet, cell, as_text(raw), stt=stt)
    if value < -EPS or value > points + EPS:
        return None, finding("appraisal-out-of-range", row.file, row.sheet, cell, format_number(value),
                             format_number(points), stt=stt)
    return value, None


# "_xa_" as LibreOffice reads it in a workbook that Excel (or another program) saved: an escaped
# character, here a line break (it reads one to four hex digits, Excel four only).
_READ_AS_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{1,4})_")


def _same_file(written: str, form_file: str) -> bool:
    """The review row's file is the form's: as written, or as LibreOffice saved it after reading
    "thi_xa_ninh_hoa" as "thi", a line break and "ninh_hoa"."""
    return written == form_file or written == clean(_READ_AS_ESCAPE.sub(lambda m: chr(int(m[1], 16)), form_file))


def _same_form(row: ReviewRow, form_file: str, form_sheet: str, self_scores: list) -> bool:
    if row.form_sheet != form_sheet or not _same_file(row.form_file, form_file):
        return False
    return all(a is None or b is None or abs(a - b) <= EPS for a, b in zip(row.self_scores, self_scores, strict=False))


def _forms_by_key(forms: pd.DataFrame) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for i, (code, name, kind, group, year) in zip(forms.index, columns(forms, "unit_code", "name", "kind", "group",
                                                                       "year"), strict=True):
        if not pd.isna(year):
            out.setdefault(review_key(int(year), unit_key(code, name, kind, group)), []).append(i)
    return out


def appraise(forms: pd.DataFrame, criteria: pd.DataFrame, review: Review,
             rules: Rules) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """The appraised scores in place of the self-scores, where staff gave them; the findings on
    the review workbooks' cells. Forms get ``self_total`` and ``appraised``; criteria ``self_score``."""
    forms = forms.copy(deep=False)
    criteria = criteria.copy(deep=False)
    forms["self_total"] = forms.score_sum
    forms["appraised"] = False
    criteria["self_score"] = criteria.score
    if not review.rows:
        return forms, criteria, []
    findings: list[Finding] = []
    accepted = forms[~forms.rejected]
    by_key = _forms_by_key(accepted)
    crit = criteria[criteria.form_id.isin(accepted.index)]
    scores_of = {fid: list(g.score) for fid, g in crit.groupby("form_id", sort=False)}
    where = {fid: list(g.index) for fid, g in crit.groupby("form_id", sort=False)}
    new_scores: dict[int, float] = {}
    for row in review.rows.values():
        candidates = by_key.get(row.key, [])
        hit = next((i for i in candidates if _same_form(row, forms.at[i, "file"], forms.at[i, "sheet"],
                                                          scores_of.get(i, []))), None)
        if hit is None:
            code = "review-form-replaced" if candidates else "review-row-unknown"
            findings.append(finding(code, row.file, row.sheet, row.cell_key, row.key, expected=row.form_file))
            continue
        review.matched[hit] = row
        kind = rules.kinds.get(forms.at[hit, "kind"])
        changed = False
        for i, crit_index in enumerate(where.get(hit, []), start=1):
            points = kind.criteria[i - 1].points if kind and i <= len(kind.criteria) else float("inf")
            value, problem = _number(row, i, points)
            if problem is not None:
                findings.append(problem)
            elif value is not None and abs(value - criteria.at[crit_index, "score"]) > EPS:
                new_scores[crit_index] = value
                changed = True
        if changed:
            forms.at[hit, "appraised"] = True
            if not row.reason:
                findings.append(finding("appraisal-no-reason", row.file, row.sheet, row.cell_reason))
    if new_scores:
        criteria.loc[list(new_scores), "score"] = pd.Series(new_scores, dtype="float64")
        sums = criteria[criteria.form_id.isin(forms.index[forms.appraised])].groupby("form_id").score.sum()
        forms.loc[sums.index, "score_sum"] = sums
    return forms, criteria, findings
