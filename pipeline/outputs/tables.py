"""The ranked tables: the summary per group and kind, each group's ranking, the awards, the ineligible."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipeline.core.findings import messages
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.outputs.document import Book, missing
from pipeline.outputs.record import Record, award_label, group_label, name_key, reasons_of
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult
from pipeline.stages.rank import TIE


def summary_sheet(book: Book, result: YearResult, summary: pd.DataFrame, rules: Rules, title: str, subtitle: str) -> None:
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
        [i, group_label(r.group), rules.kind_name(r.kind) if r.kind else LABELS["unknown"],
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



def _sort_key_ranked(rules: Rules) -> Callable[[pd.Series], tuple]:
    kind_order = {k: i for i, k in enumerate(rules.kinds)}

    def sort_key(r) -> tuple:
        state = 0 if r.eligible and not r.superseded else (1 if not r.superseded else 2)
        rank = 10**6 if missing(r["rank"]) else r["rank"]
        # Ranked forms by rank; the rest (and equal ranks) in Vietnamese alphabetical order.
        return (kind_order.get(r.kind, 99), state, rank, name_key(r), r.file, r.sheet)

    return sort_key



def ranked_sheet(book: Book, group: str, forms: list[Record], rules: Rules, title: str, subtitle: str) -> None:
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
            None if missing(r["rank"]) else int(r["rank"]), rules.kind_name(r.kind), r["name"],
            r.unit_code, r.commune, r.field, r.model, *scores, r.total,
            LABELS["yes"] if r.eligible else LABELS["no_"], award_label(r.award, rules),
            "\n".join(messages(reasons_of(r))), r.file, r.sheet,
        ])
    ws = book.sheet(group)
    head = book.table(ws, title, subtitle, columns, rows, cell_formats=low)
    if rows:
        award_col = 7 + n_crit + 2
        ws.conditional_format(head + 1, award_col, head + len(rows), award_col,
                              {"type": "text", "criteria": "containing", "value": LABELS["award_tie"],
                               "format": book.f_tie})



def awards_sheet(book: Book, forms: list[Record], rules: Rules, title: str, subtitle: str) -> None:
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
         r.total, award_label(r.award, rules), r.note.message if r.note is not None else ""]
        for r in won
    ]
    book.table(book.sheet(LABELS["sheet_awards"]), title, subtitle, columns, rows)



def ineligible_sheet(book: Book, forms: list[Record], rules: Rules, title: str, subtitle: str) -> None:
    columns = [
        (rules.group_label, 24, "text"), (LABELS["kind"], 9, "text"), (LABELS["name"], 30, "text"),
        (LABELS["unit_code"], 12, "text"), (LABELS["total"], 8, "num"), (LABELS["note"], 70, "text"),
        (LABELS["file"], 24, "text"), (LABELS["sheet"], 12, "text"),
    ]
    group_order = {g: i for i, g in enumerate(rules.groups)}
    out = [r for r in forms if not r.rejected and not r.superseded and not r.eligible]
    out = sorted(out, key=lambda r: (group_order.get(r.group, 99), r.kind, name_key(r), r.file, r.sheet))
    rows = [
        [r.group, rules.kind_name(r.kind), r["name"], r.unit_code, r.total, "\n".join(messages(r.reasons)), r.file, r.sheet]
        for r in out
    ]
    book.table(book.sheet(LABELS["sheet_ineligible"]), title, subtitle, columns, rows)


