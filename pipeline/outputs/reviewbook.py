"""The review workbook (xet_khen_thuong_<năm>.xlsx): the page Phòng Nội vụ and the council fill in.

One sheet per group, in the decree's layout: the meeting's block above the table, then one row
per accepted, current form of the year, kind by kind. The appraised scores start as the
self-scores; the cells staff may change are unlocked and tinted, the rest protected. What
staff typed in the copy they saved into ``inputs/xet_khen_thuong/`` is carried over, so the
next copy starts where they left off.
"""

from __future__ import annotations

from pipeline.core.review import REVIEW, review_key
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.core.text import format_number
from pipeline.outputs.document import EDIT_COLOR, Book, Formula, missing
from pipeline.outputs.geometry import Column
from pipeline.outputs.record import Record, award_label, kind_sections, outcome_label, ranked_order
from pipeline.outputs.words import LABELS
from pipeline.stages.read.grid import col_letter
from pipeline.stages.review import Meeting


def _columns(n: int, rules: Rules) -> list[Column]:
    return [
        Column(REVIEW["no"], 3.5, "int"), Column(REVIEW["name"], 15), Column(REVIEW["self_total"], 5.5, "num"),
        *[Column(REVIEW["score"].format(stt=f"{i:02d}"), 4.4, "num", editable=True) for i in range(1, n + 1)],
        Column(REVIEW["appraised_total"], 6, "num"), Column(REVIEW["reason"], 12, editable=True),
        Column(REVIEW["proposal"], 10), Column(REVIEW["decision"], 11, editable=True),
        Column(REVIEW["votes"], 6, "int", editable=True), Column(REVIEW["note_col"], 8, editable=True),
        Column(REVIEW["unit_code"], 12, printed=False), Column(REVIEW["kind"], 9, printed=False),
        Column(rules.group_label, 16, printed=False), Column(REVIEW["field"], 16, printed=False),
        *[Column(REVIEW["self_score"].format(stt=f"{i:02d}"), 8, "num", printed=False) for i in range(1, n + 1)],
        Column(LABELS["award"], 16, printed=False), Column(REVIEW["key"], 24, printed=False),
        Column(REVIEW["file"], 30, printed=False), Column(REVIEW["sheet"], 12, printed=False),
    ]


def _proposal(r: Record, rules: Rules) -> str:
    """The proposal, and a tie's preference as a short mark (the sheet's note explains it)."""
    text = award_label(r.proposed, rules) or ("" if r.eligible else LABELS["sheet_ineligible"])
    mark = "" if r.preference is None else REVIEW[r.preference.code].format(
        percent=format_number(rules.council.women_percent))
    return "\n".join(t for t in (text, mark) if t)


def _row(i: int, r: Record, n: int, rules: Rules, total: str) -> list[object]:
    """A form's row: the self-scores, and what staff typed last time where it is the same form.
    ``total``: the formula of the appraised total, its row left as ``{row}``."""
    typed = r.review_row
    selfs = (list(r.self_scores) + [None] * n)[:n]
    appraised = list(selfs)
    if typed is not None:
        appraised = [t if t is not None else s for t, s in zip((list(typed.scores) + [None] * n)[:n], selfs,
                                                              strict=True)]
    return [
        i, r["name"], r.self_total, *appraised, Formula(total, r.total),
        typed.reason if typed else "", _proposal(r, rules), typed.decision if typed else "",
        typed.votes if typed and typed.votes not in (None, "") else None, typed.note if typed else "",
        r.unit_code, rules.kind_name(r.kind), r.group, r.field, *selfs, outcome_label(r, rules),
        review_key(int(r.year), r.unit), r.file, r.sheet,
    ]


def _meeting_block(ws, top: int, meeting: Meeting | None, members: int, label, value) -> None:
    """Date, members and members present from row ``top``, each value (format ``value``, for staff
    to fill in) right of its label (format ``label``)."""
    values = {"date": meeting.date if meeting else None, "members": meeting.members if meeting else members,
              "present": meeting.present if meeting else None}
    for k, r in (("date", top), ("members", top + 1), ("present", top + 2)):
        ws.merge_range(r, 0, r, 2, REVIEW[k], label)
        v = values[k]
        ws.merge_range(r, 3, r, 5, "", value)
        if hasattr(v, "strftime"):
            ws.write_string(r, 3, v.strftime("%d/%m/%Y"), value)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            ws.write_number(r, 3, v, value)
        elif v not in (None, ""):
            ws.write_string(r, 3, str(v), value)


def review_sheet(book: Book, group: str, forms: list[Record], rules: Rules, year: int, movement: str,
                 meeting: Meeting | None, meeting_formats: tuple) -> None:
    """One group's sheet; ``forms``: the group's current forms."""
    n = max(len(k.criteria) for k in rules.kinds.values())
    columns = _columns(n, rules)
    current = sorted(forms, key=ranked_order(rules))
    total = f"=SUM({col_letter(3)}{{row}}:{col_letter(3 + n - 1)}{{row}})"
    rows = [_row(i, r, n, rules, total) for i, r in enumerate(current, start=1)]
    ws = book.sheet(group)
    sections = kind_sections([r.kind for r in current], rules)
    title = REVIEW["sheet_title"].format(movement=movement, year=year, group=group)
    note = REVIEW["note"]
    if any(r.preference is not None for r in current):
        note += "\n" + REVIEW["preference_note"].format(basis=rules.council.preference_basis)
    head = book.table(ws, title, columns, rows, sections=sections, note=note, gap=4,
                      above=lambda ws, top: _meeting_block(ws, top, meeting, rules.council.members, *meeting_formats))
    _checks(ws, head, rows, sections, n, rules)
    ws.protect("", {"autofilter": True, "format_columns": True, "format_rows": True})


def _checks(ws, head: int, rows: list[list[object]], sections: dict[int, str], n: int, rules: Rules) -> None:
    """The decision a drop-down; the scores and votes checked as typed."""
    if not rows:
        return
    first, decision, votes = 3, 3 + n + 3, 3 + n + 4
    top, bottom = head + 1 + (1 if 0 in sections else 0), head + len(rows) + len(sections)
    choices = [rules.awards[GROUP_AWARD].short, rules.awards[PROPOSAL].short, rules.council.no_award]
    ws.data_validation(top, decision, bottom, decision, {"validate": "list", "source": choices,
                                                          "error_type": "warning"})
    most = max(c.points for k in rules.kinds.values() for c in k.criteria)
    ws.data_validation(top, first, bottom, first + n - 1, {"validate": "decimal", "criteria": "between",
                                                           "minimum": 0, "maximum": most, "error_type": "warning"})
    ws.data_validation(top, votes, bottom, votes, {"validate": "integer", "criteria": ">=", "value": 0,
                                                    "error_type": "warning"})


def write_review(book: Book, forms: list[Record], rules: Rules, year: int,
                 meetings: dict[str, Meeting]) -> None:
    """Every group's sheet; ``meetings``: each group's meeting as staff last recorded it."""
    by_group: dict[str, list[Record]] = {}
    for r in forms:
        if not r.rejected and not r.superseded and not missing(r.year):
            by_group.setdefault(r.group, []).append(r)
    movement = rules.movement.upper()
    groups = [g for g in rules.groups if g in by_group]
    label = book.wb.add_format({"font_name": "Times New Roman", "font_size": 11, "bold": True, "align": "right"})
    value = book.wb.add_format({"font_name": "Times New Roman", "font_size": 11, "locked": False, "bg_color": EDIT_COLOR,
                                "border": 1, "align": "left"})
    for g in groups:
        review_sheet(book, g, by_group[g], rules, year, movement, meetings.get(g), (label, value))
    if not groups:
        ws = book.sheet(LABELS["sheet_awards"])
        book.table(ws, REVIEW["sheet_title"].format(movement=movement, year=year, group="").rstrip(" —"),
                   _columns(max(len(k.criteria) for k in rules.kinds.values()), rules), [])
