"""The lists for staff: rejected files, warnings, changes since the last run, units not yet
submitted, matches by name, skipped files."""

from __future__ import annotations

from pipeline.core.findings import SKIPS, Finding, in_order
from pipeline.core.rules import Rules
from pipeline.outputs.document import Book
from pipeline.outputs.record import Record, award_label, name_key
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult
from pipeline.stages.discover import Skipped


def rejected_sheet(book: Book, findings: list[Finding], title: str, subtitle: str) -> None:
    columns = [
        (LABELS["file"], 30, "text"), (LABELS["sheet"], 14, "text"), (LABELS["cell"], 7, "text"),
        (LABELS["severity"], 9, "text"), (LABELS["message"], 90, "text"),
    ]
    rows = [
        [f.file, f.sheet, f.cell, LABELS["error" if f.is_error else "warning"], f.message]
        for f in in_order(findings)
    ]
    book.table(book.sheet(LABELS["sheet_rejected"]), title, subtitle, columns, rows)



def warnings_sheet(book: Book, warnings: list[Finding], title: str, subtitle: str) -> None:
    """Warnings of accepted forms: read and counted, but worth a look (converted text, a computed total)."""
    columns = [(LABELS["file"], 30, "text"), (LABELS["sheet"], 14, "text"), (LABELS["cell"], 7, "text"),
               (LABELS["message"], 90, "text")]
    rows = [[f.file, f.sheet, f.cell, f.message] for f in in_order(warnings)]
    book.table(book.sheet(LABELS["sheet_warnings"]), title, subtitle, columns, rows)



def changes_sheet(book: Book, result: YearResult, rules: Rules, title: str, subtitle: str) -> None:
    columns = [(LABELS["change"], 30, "text"), (LABELS["file"], 30, "text"), (LABELS["sheet"], 12, "text"),
               (LABELS["name"], 30, "text"), (rules.group_label, 22, "text"), (LABELS["before"], 22, "text"),
               (LABELS["after"], 22, "text")]
    changes = result.changes
    if changes is None:
        ws = book.sheet(LABELS["sheet_changes"])
        book.table(ws, title, LABELS["first_run"], columns, [])
        return

    def shown(change: str, value: object) -> object:
        if change == "award":
            return award_label(str(value), rules) or "—"
        return value if value not in ("", None) else ""

    rows = [
        [LABELS[f"change_{c.change}"], c.file, c.sheet, c.name, c.group, shown(c.change, c.before), shown(c.change, c.after)]
        for c in changes.itertuples()
    ]
    book.table(book.sheet(LABELS["sheet_changes"]), title, subtitle, columns, rows)



def missing_sheet(book: Book, result: YearResult, rules: Rules, title: str, subtitle: str) -> None:
    columns = [(rules.group_label, 26, "text"), (LABELS["kind"], 10, "text"), (LABELS["unit_code"], 14, "text"),
               (LABELS["name"], 40, "text")]
    missing = result.not_submitted
    group_order = {g: i for i, g in enumerate(rules.groups)}
    rows = [] if missing is None else [
        [m.group, rules.kind_name(m.kind), m.unit_code, m.name]
        for m in sorted(missing.itertuples(), key=lambda m: (group_order.get(m.group, 99), m.kind, name_key(
            Record(name=m.name, kind=m.kind))))
    ]
    book.table(book.sheet(LABELS["sheet_missing"]), title, subtitle, columns, rows, landscape=False)



def by_name_sheet(book: Book, forms: list[Record], rules: Rules, title: str) -> None:
    columns = [(rules.group_label, 24, "text"), (LABELS["kind"], 10, "text"), (LABELS["name"], 34, "text"),
               (LABELS["award"], 22, "text"), (LABELS["file"], 30, "text"), (LABELS["sheet"], 12, "text")]
    matched = sorted((r for r in forms if r.by_name), key=lambda r: (r.group, r.kind, name_key(r)))
    rows = [[r.group, rules.kind_name(r.kind), r["name"], award_label(r.award, rules), r.file, r.sheet]
            for r in matched]
    book.table(book.sheet(LABELS["sheet_by_name"]), title, LABELS["by_name_note"], columns, rows)



def skipped_sheet(book: Book, skipped: list[Skipped], title: str, subtitle: str) -> None:
    columns = [(LABELS["file"], 50, "text"), (LABELS["reason"], 60, "text")]
    rows = [[s.rel, SKIPS[s.reason]] for s in skipped]
    book.table(book.sheet(LABELS["sheet_skipped"]), title, subtitle, columns, rows, landscape=False)


