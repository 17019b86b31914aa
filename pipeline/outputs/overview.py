"""The first sheet of the consolidated workbook: headline figures and live charts, one A4 page.

Portrait: the letterhead, the title, the figures, the forms no group could be found for (staff
must place them), then one chart per kind and one per field, in Times New Roman like the rest;
the charts' own numbers follow on the next page, above the signature.
"""

from __future__ import annotations

from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.outputs.document import Book
from pipeline.outputs.geometry import LINE_PT, PT_PER_PX, excel_pt, filling, lines_needed
from pipeline.outputs.record import Record
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult

FONT = {"name": "Times New Roman", "size": 11}
WIDTHS = filling([27, 8.3, 8.3, 8.3, 8.3], landscape=False)  # A: labels and groups; B-E: numbers
# The charts as wide as the table under them prints in Excel (pixels at 96 dpi, as its columns).
CHART_PX = (round(sum(excel_pt(w) for w in WIDTHS) / PT_PER_PX), 230)
BAR_PX = 40  # the fields' chart: a bar's height, and as much again for its title and axis
ROW_PX = 20  # a default row, 15 pt
UNKNOWN_LINES = 3  # lines of forms of no known group page one holds above its charts, a line in hand (measured)


def _figures(result: YearResult, rules: Rules, unknown: int) -> list[tuple[str, int]]:
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
        (LABELS["fig_unknown_group"].format(group_label=rules.group_label), unknown),
    ]


def _chart(book: Book, kind: str, title: str, series: list[tuple[str, list]], categories: list,
           height: int = CHART_PX[1]) -> object:
    chart = book.wb.add_chart({"type": kind})
    for name, values in series:
        chart.add_series({"name": name, "categories": categories, "values": values,
                          "data_labels": {"value": True, "font": FONT}})
    chart.set_title({"name": title, "name_font": {**FONT, "size": 12, "bold": True}})
    chart.set_legend({"position": "bottom", "font": FONT} if len(series) > 1 else {"none": True})
    chart.set_x_axis({"num_font": {**FONT, "rotation": -45 if kind == "column" else 0}})
    chart.set_y_axis({"num_font": FONT})
    chart.set_size({"width": CHART_PX[0], "height": height})
    return chart


def _figures_table(book: Book, ws, head: int, figures: list[tuple[str, int]], unknown: list[Record], rules: Rules) -> int:
    """The figures, then the forms of no known group; returns the next free row."""
    book.span(ws, head, 0, 3, LABELS["figure"], book.f_head)
    ws.write_string(head, 4, LABELS["count"], book.f_head)
    r = head + 1
    for label, value in figures:
        book.span(ws, r, 0, 3, label, book.f_text)
        ws.write_number(r, 4, int(value), book.f_int)
        r += 1
    ws.conditional_format(head + 2, 4, head + 2, 4, {"type": "cell", "criteria": ">", "value": 0,
                                                    "format": book.f_alert})
    if unknown:
        r += 1
        book.span(ws, r, 0, 4, LABELS["fig_unknown_group"].format(group_label=rules.group_label), book.f_head)
        r += 1
        for text in _unknown_lines(unknown):
            ws.set_row(r, LINE_PT * lines_needed(text, sum(WIDTHS)) + 2)
            book.span(ws, r, 0, 4, text, book.f_text)
            r += 1
    return r


def _unknown_lines(unknown: list[Record]) -> list[str]:
    """The forms of no known group, as many as page one holds beside its charts; the rest are
    counted, and listed with their reasons on the rejected forms' sheet."""
    texts = [f"{f['name'] or '?'} — {f.file} ({f.sheet})" for f in unknown]
    lines = [lines_needed(t, sum(WIDTHS)) for t in texts]
    if sum(lines) <= UNKNOWN_LINES:
        return texts
    shown = 0
    while sum(lines[:shown + 1]) <= UNKNOWN_LINES - 1:
        shown += 1
    return [*texts[:shown], LABELS["unknown_more"].format(n=len(texts) - shown, sheet=LABELS["sheet_rejected"])]


def overview_sheet(book: Book, result: YearResult, records: list[Record], rules: Rules) -> None:
    """The first sheet: headline figures and live charts (xlsxwriter's native charts)."""
    unknown = [r for r in records if not r.group]
    figures = _figures(result, rules, len(unknown))
    body = result.summary[result.summary.group.notna()]
    ws = book.sheet(LABELS["sheet_overview"])
    name = LABELS["sheet_overview"]
    title = LABELS["overview_title"].format(movement=rules.movement.upper(), year=result.year)
    for c, width in enumerate(WIDTHS):
        ws.set_column(c, c, width)
    head = book.letterhead(ws, WIDTHS, title)
    charts_at = _figures_table(book, ws, head, figures, unknown, rules) + 1
    kinds = list(rules.kinds)
    chart_rows = CHART_PX[1] // ROW_PX + 1
    # Page 1 ends after the kinds' charts; the fields' chart and every chart's numbers follow.
    page_two = charts_at + chart_rows * len(kinds)
    field_px = BAR_PX * (len(rules.fields) + 1)
    data_row = page_two + field_px // ROW_PX + 2
    ws.set_h_pagebreaks([page_two])
    series_names = [LABELS["series_received"], LABELS["series_eligible"], LABELS["series_awarded"]]
    r = data_row
    for k, kind in enumerate(kinds):
        book.heading(ws, r, [f"{rules.kind_name(kind)}: {rules.group_label}", *series_names], WIDTHS[:4])
        first = r + 1
        for i, g in enumerate(rules.groups, start=first):
            ws.write_string(i, 0, g, book.f_text)
            row = body[(body.group == g) & (body.kind == kind)]
            for j, column in enumerate(("received", "eligible", "awarded")):
                ws.write_number(i, 1 + j, int(row[column].sum()), book.f_int)
        last = first + len(rules.groups) - 1
        chart = _chart(book, "column", LABELS["chart_kind"].format(kind=rules.kind_name(kind), group_label=rules.group_label),
                       [(s, [name, first, 1 + j, last, 1 + j]) for j, s in enumerate(series_names)],
                       [name, first, 0, last, 0])
        ws.insert_chart(charts_at + k * chart_rows, 0, chart)
        r = last + 2
    book.heading(ws, r, [rules.form.labels["field"][0], LABELS["count"]], WIDTHS[:2])
    current = [x for x in records if not x.rejected and not x.superseded]
    for i, f in enumerate(rules.fields, start=r + 1):
        ws.write_string(i, 0, f, book.f_text)
        ws.write_number(i, 1, sum(1 for x in current if x.field == f), book.f_int)
    last = r + len(rules.fields)
    chart = _chart(book, "bar", LABELS["chart_field"], [(LABELS["chart_field"], [name, r + 1, 1, last, 1])],
                   [name, r + 1, 0, last, 0], height=field_px)
    ws.insert_chart(page_two, 0, chart)
    book.signature(ws, last + 2, WIDTHS)
    book.print_setup(ws, landscape=False, last_col=len(WIDTHS) - 1, last_row=last + 8)


__all__ = ["overview_sheet"]
