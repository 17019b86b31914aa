"""The lists for staff: rejected files, warnings, changes since the last run, units not yet
submitted, matches by name, skipped files, problems in the staff's own registers."""

from __future__ import annotations

from pipeline.core.findings import SKIPS, Finding, in_order
from pipeline.core.rules import Rules
from pipeline.outputs.document import Book
from pipeline.outputs.geometry import Column, holding
from pipeline.outputs.record import Record, award_label, outcome_label, ranked_order
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult
from pipeline.stages.discover import Skipped

FILE_MOST = 40  # about two fifths of a landscape page: a longer name breaks in the middle


def _file(files, width: float) -> Column:
    """A column of files' names, wide enough that a name breaks only after its folder, as far as
    the page allows (a name is the file's own: it cannot be shortened)."""
    return Column(LABELS["file"], width, least=holding(files, most=FILE_MOST))


def _findings_sheet(book: Book, name: str, findings: list[Finding], title: str) -> None:
    columns = [_file([f.file for f in findings], 20), Column(LABELS["sheet"], 8), Column(LABELS["cell"], 4.5),
               Column(LABELS["severity"], 6.5), Column(LABELS["message"], 55)]
    rows = [[f.file, f.sheet, f.cell, LABELS["error" if f.is_error else "warning"], f.message] for f in in_order(findings)]
    book.table(book.sheet(name), title, columns, rows)


def rejected_sheet(book: Book, findings: list[Finding], title: str) -> None:
    _findings_sheet(book, LABELS["sheet_rejected"], findings, title)


def registers_sheet(book: Book, findings: list[Finding], title: str) -> None:
    """Problems in the staff's own registers (inputs/lich_su, inputs/danh_sach): for staff, no letter."""
    _findings_sheet(book, LABELS["sheet_registers"], findings, title)


def warnings_sheet(book: Book, warnings: list[Finding], title: str) -> None:
    """Warnings of accepted forms: read and counted, but worth a look (converted text, a computed total)."""
    columns = [_file([f.file for f in warnings], 20), Column(LABELS["sheet"], 8), Column(LABELS["cell"], 4.5),
               Column(LABELS["message"], 62)]
    rows = [[f.file, f.sheet, f.cell, f.message] for f in in_order(warnings)]
    book.table(book.sheet(LABELS["sheet_warnings"]), title, columns, rows)


def changes_sheet(book: Book, result: YearResult, rules: Rules, title: str) -> None:
    changes = result.changes
    columns = [Column(LABELS["change"], 16), _file([] if changes is None else changes.file.tolist(), 17),
               Column(LABELS["sheet"], 7), Column(LABELS["name"], 17), Column(rules.group_label, 13),
               Column(LABELS["before"], 10), Column(LABELS["after"], 10)]
    if changes is None:
        book.table(book.sheet(LABELS["sheet_changes"]), title, columns, [], note=LABELS["first_run"])
        return

    def shown(change: str, value: object) -> object:
        if change == "award":
            return award_label(str(value), rules) or "—"
        return value if value not in ("", None) else ""

    rows = [
        [LABELS[f"change_{c.change}"], c.file, c.sheet, c.name, c.group, shown(c.change, c.before), shown(c.change, c.after)]
        for c in changes.itertuples()
    ]
    book.table(book.sheet(LABELS["sheet_changes"]), title, columns, rows)


def missing_sheet(book: Book, result: YearResult, rules: Rules, title: str) -> None:
    columns = [Column(rules.group_label, 18), Column(LABELS["kind"], 7), Column(LABELS["unit_code"], 8),
               Column(LABELS["name"], 28)]
    missing = result.not_submitted
    units = [] if missing is None else [
        Record(name=m.name, kind=m.kind, group=m.group, unit_code=m.unit_code, file="", sheet="")
        for m in missing.itertuples()]
    rows = [[m.group, rules.kind_name(m.kind), m.unit_code, m.name] for m in sorted(units, key=ranked_order(rules))]
    book.table(book.sheet(LABELS["sheet_missing"]), title, columns, rows, landscape=False)


def by_name_sheet(book: Book, forms: list[Record], rules: Rules, title: str) -> None:
    matched = sorted((r for r in forms if r.by_name), key=ranked_order(rules))
    columns = [Column(rules.group_label, 13), Column(LABELS["kind"], 6.5), Column(LABELS["name"], 19),
               Column(LABELS["award"], 13), _file([r.file for r in matched], 24), Column(LABELS["sheet"], 8)]
    rows = [[r.group, rules.kind_name(r.kind), r["name"], outcome_label(r, rules), r.file, r.sheet]
            for r in matched]
    book.table(book.sheet(LABELS["sheet_by_name"]), title, columns, rows, note=LABELS["by_name_note"])


def skipped_sheet(book: Book, skipped: list[Skipped], title: str) -> None:
    columns = [_file([s.rel for s in skipped], 27), Column(LABELS["reason"], 36)]
    rows = [[s.rel, SKIPS[s.reason]] for s in skipped]
    book.table(book.sheet(LABELS["sheet_skipped"]), title, columns, rows, landscape=False)


__all__ = ["by_name_sheet", "changes_sheet", "missing_sheet", "registers_sheet", "rejected_sheet",
           "skipped_sheet", "warnings_sheet"]
