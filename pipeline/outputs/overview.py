"""The first sheet of the consolidated workbook: headline figures and live charts."""

from __future__ import annotations

from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.outputs.document import Book
from pipeline.outputs.record import Record
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult


def _figures(result: YearResult, rules: Rules) -> list[tuple[str, int]]:
    """(label, number) of the headline figures."""
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    s = result.summary
    t = s[s.group.isna()].iloc[0]
    received_by_group = s[s.group.notna()].groupby("group").received.sum()
    missing_groups = sum(1 for g in rules.groups if received_by_group.get(g, 0) == 0)
    return [
        (LABELS["fig_received"], t.received), (LABELS["fig_rejected"], t.rejected),
        (LABELS["fig_eligible"], t.eligible), (LABELS["fig_awarded"].format(award=award.short), t.awarded),
        (LABELS["fig_proposed"].format(proposal=proposal.short), t.proposed), (LABELS["fig_tied"], t.tied),
        (LABELS["fig_groups_missing"].format(group_label=rules.group_label), missing_groups),
        (LABELS["fig_units_missing"], t.not_submitted),
    ]


def overview_sheet(book: Book, result: YearResult, records: list[Record], rules: Rules, subtitle: str) -> None:
    """The first sheet: headline figures and live charts (xlsxwriter's native charts)."""
    figures = _figures(result, rules)
    body = result.summary[result.summary.group.notna()]
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


