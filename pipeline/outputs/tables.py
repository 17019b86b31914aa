"""The ranked tables: the summary per group and kind, each group's ranking, the awards, the ineligible.

What a signed page must show is printed (rank, name, commune, the scores, total, award, reason);
the unit's code, field, model, file and sheet stand right of the print area, for staff on screen.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.findings import messages
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.outputs.document import Book, missing
from pipeline.outputs.geometry import Column
from pipeline.outputs.record import (
    Record,
    group_label,
    kind_sections,
    outcome_label,
    ranked_order,
    reasons_of,
)
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult
from pipeline.stages.rank import TIE


def summary_sheet(book: Book, result: YearResult, summary: pd.DataFrame, rules: Rules, title: str) -> None:
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    columns = [
        Column(LABELS["no"], 4, "int"), Column(rules.group_label, 17), Column(LABELS["kind"], 7),
        *[Column(h, 6.5, "int") for h in (LABELS["received"], LABELS["rejected"], LABELS["valid"], LABELS["superseded"],
                                         LABELS["eligible"], award.short, proposal.short, LABELS["tied"],
                                         LABELS["not_submitted"])],
    ]
    body = summary[summary.group.notna()]
    rows = [
        [i, group_label(r.group), rules.kind_name(r.kind) if r.kind else LABELS["unknown"],
         r.received, r.rejected, r.valid, r.superseded, r.eligible, r.awarded, r.proposed, r.tied, r.not_submitted]
        for i, r in enumerate(body.itertuples(), start=1)
    ]
    t = summary[summary.group.isna()].iloc[0]
    totals = ["", LABELS["total_row"], "", t.received, t.rejected, t.valid, t.superseded,
              t.eligible, t.awarded, t.proposed, t.tied, t.not_submitted]
    ws = book.sheet(LABELS["sheet_summary"])
    head = book.table(ws, title, columns, rows, totals)
    if rows:
        # Rejected forms and groups still missing units are what staff must chase: highlighted.
        for col in (4, 11):
            ws.conditional_format(head + 1, col, head + len(rows), col,
                                  {"type": "cell", "criteria": ">", "value": 0, "format": book.f_alert})
        ws.conditional_format(head + 1, 10, head + len(rows), 10,
                              {"type": "cell", "criteria": ">", "value": 0, "format": book.f_tie})


def _reason(r: Record) -> str:
    return "\n".join(messages(reasons_of(r)))


def _totals(forms: list[Record]) -> tuple[list[Column], bool]:
    """The total's column; where staff appraised, the appraised total and the self total beside."""
    if any(r.appraised for r in forms):
        return [Column(LABELS["appraised_total"], 5.5, "num"), Column(LABELS["self_total"], 5.5, "num")], True
    return [Column(LABELS["total"], 5, "num")], False


def ranked_sheet(book: Book, group: str, forms: list[Record], rules: Rules, title: str) -> None:
    """One group's ranking, kind by kind in the rules file's order."""
    n_crit = max(len(k.criteria) for k in rules.kinds.values())
    accepted = sorted((r for r in forms if r.group == group and not r.rejected), key=ranked_order(rules))
    # Where staff appraised, the scores and total shown are the appraised ones, the self total beside.
    totals, appraised = _totals(accepted)
    columns = [
        Column(LABELS["rank"], 4, "int"), Column(LABELS["name"], 16), Column(LABELS["commune"], 8.5),
        *[Column(LABELS["criterion"].format(stt=f"{i:02d}"), 4, "num") for i in range(1, n_crit + 1)],
        *totals, Column(LABELS["award"], 10), Column(LABELS["note"], 18),
        Column(LABELS["kind"], 9, printed=False), Column(LABELS["is_eligible"], 9, printed=False),
        Column(LABELS["unit_code"], 12, printed=False), Column(LABELS["field"], 16, printed=False),
        Column(LABELS["model"], 30, printed=False), Column(LABELS["file"], 30, printed=False),
        Column(LABELS["sheet"], 12, printed=False),
    ]
    rows = []
    low: dict[tuple[int, int], object] = {}
    percent = rules.eligibility.criterion_min_percent / 100
    for i, r in enumerate(accepted):
        scores = (r.scores + [None] * n_crit)[:n_crit]
        points = [c.points for c in rules.kinds[r.kind].criteria] if r.kind in rules.kinds else []
        for j, (score, pts) in enumerate(zip(scores, points, strict=False)):
            if score is not None and score + 1e-9 < pts * percent:
                low[(i, 3 + j)] = book.f_low  # a criterion under the threshold, in red
        rows.append([
            None if missing(r["rank"]) else int(r["rank"]), r["name"], r.commune, *scores, r.total,
            *([r.self_total] if appraised else []), outcome_label(r, rules), _reason(r), rules.kind_name(r.kind),
            LABELS["yes"] if r.eligible else LABELS["no_"], r.unit_code, r.field, r.model, r.file, r.sheet,
        ])
    ws = book.sheet(group)
    sections = kind_sections([r.kind for r in accepted], rules)
    head = book.table(ws, title, columns, rows, cell_formats=low, sections=sections)
    if rows:
        award_col = 3 + n_crit + len(totals)
        ws.conditional_format(head + 1, award_col, head + len(rows) + len(sections), award_col,
                              {"type": "text", "criteria": "containing", "value": LABELS["award_tie"],
                               "format": book.f_tie})


def awards_sheet(book: Book, forms: list[Record], rules: Rules, title: str) -> None:
    won = sorted((r for r in forms if r.award in (PROPOSAL, GROUP_AWARD, TIE)), key=ranked_order(rules))
    totals, both = _totals(won)
    columns = [
        Column(rules.group_label, 13), Column(LABELS["kind"], 6.5), Column(LABELS["rank"], 4, "int"),
        Column(LABELS["name"], 17), Column(LABELS["model"], 17), *totals,
        Column(LABELS["award"], 11), Column(LABELS["note"], 16),
        Column(LABELS["unit_code"], 12, printed=False), Column(LABELS["field"], 16, printed=False),
        Column(LABELS["file"], 30, printed=False), Column(LABELS["sheet"], 12, printed=False),
    ]
    rows = [
        [r.group, rules.kind_name(r.kind), int(r["rank"]), r["name"], r.model, r.total,
         *([r.self_total] if both else []), outcome_label(r, rules),
         _reason(r), r.unit_code, r.field, r.file, r.sheet]
        for r in won
    ]
    book.table(book.sheet(LABELS["sheet_awards"]), title, columns, rows)


def ineligible_sheet(book: Book, forms: list[Record], rules: Rules, title: str) -> None:
    out = sorted((r for r in forms if not r.rejected and not r.superseded and not r.eligible), key=ranked_order(rules))
    totals, both = _totals(out)
    columns = [
        Column(rules.group_label, 13), Column(LABELS["kind"], 6.5), Column(LABELS["name"], 17),
        *totals, Column(LABELS["note"], 52 - (5.5 if both else 0)),
        Column(LABELS["unit_code"], 12, printed=False), Column(LABELS["file"], 30, printed=False),
        Column(LABELS["sheet"], 12, printed=False),
    ]
    rows = [
        [r.group, rules.kind_name(r.kind), r["name"], r.total, *([r.self_total] if both else []),
         "\n".join(messages(r.reasons)), r.unit_code, r.file,
         r.sheet]
        for r in out
    ]
    book.table(book.sheet(LABELS["sheet_ineligible"]), title, columns, rows)
