"""What the ledger records of a run: the files seen, the forms accepted, the recognitions held."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from pipeline import __version__
from pipeline.core.rules import Rules
from pipeline.core.table import rows
from pipeline.stages.aggregate import CHANGES
from pipeline.stages.rank import holds_group_award
from pipeline.state.ledger import LEDGER_NAME, Ledger, Recognition

if TYPE_CHECKING:
    from pipeline.run import RunReport


def _file_rows(report: RunReport) -> list[dict]:
    errors = {f.file for f in report.findings if f.is_error}
    with_forms = {f for y in report.years for f in y.forms.file.tolist()}
    rows = []
    for wb in report.reads:
        outcome = "rejected" if wb.file.rel in errors else ("accepted" if wb.file.rel in with_forms else "no-form")
        rows.append({"path": wb.file.rel, "sha256": wb.sha256, "size": wb.file.size, "mtime": wb.file.mtime,
                     "outcome": outcome})
    return rows


def _form_rows(report: RunReport) -> Iterator[dict]:
    # Yielded, not listed: the ledger inserts them one by one, and 100 000 dicts held at once
    # were a tenth of the main process's peak memory.
    wanted = ["sha256", "sheet", "file", "unit", "unit_code", "name", "kind", "group", "field", "year", "total",
              "scores"]
    for y in report.years:
        # The columns first, then the rows: a year's whole frame, filtered, is a copy of all of it.
        for r in rows(y.forms.loc[~y.forms.rejected, wanted]):
            yield {"sha256": r.sha256, "sheet": r.sheet, "path": r.file, "unit": r.unit,
                   "unit_code": r.unit_code, "name": r.name, "kind": r.kind, "group": r.group,
                   "field": r.field, "year": int(r.year), "total": float(r.total), "scores": r.scores}


def _recognitions(report: RunReport) -> list[Recognition]:
    out = []
    wanted = ["award", "tie_edge", "year", "unit", "kind", "group", "unit_code", "name", "file", "sheet", "decided",
              "proposed", "proposed_edge"]
    for y in report.years:
        for r in rows(y.forms.loc[~y.forms.rejected & ~y.forms.superseded, wanted]):
            about = (int(r.year), r.unit)
            rest = (r.kind, r.group, r.unit_code, r.name)
            if holds_group_award(r.proposed, r.proposed_edge):
                out.append(Recognition(*about, "run", *rest, r.proposed, f"{r.file}!{r.sheet}"))
            if r.decided:
                # What the council decided, a refusal included (title NO_AWARD): it outranks the proposal.
                out.append(Recognition(*about, "decision", *rest, r.award, f"{r.file}!{r.sheet}"))
    return out


def record_unchanged(staging: Path, report: RunReport, started: dt.datetime) -> None:
    """Every input is as the last run left it: keep its outputs, add a run row to the ledger."""
    ledger = Ledger(staging / LEDGER_NAME)
    try:
        report.run_id = ledger.record_unchanged(
            started.isoformat(timespec="seconds"), dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            dict.fromkeys(CHANGES, 0))
    finally:
        ledger.close()


def _record(ledger: Ledger, report: RunReport, rules: Rules, started: dt.datetime, last: dict | None) -> None:
    main = next(y.year for y in report.years if y.main)
    file_rows = _file_rows(report)
    # A run that decided exactly what the last one did changed nothing, whatever its sheet of
    # changes shows (that sheet tells what changed since the results last changed).
    same = last is not None and last["results"] == report.results
    report.run_id = ledger.record(
        {
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "program_version": __version__, "rules_sha256": rules.sha256, "year": main,
            "files": report.files_read, "forms": sum(len(y.forms) for y in report.years),
            "rejected": report.count("rejected"), "eligible": report.count("eligible"),
            "awarded": report.count("awarded"),
            "seen": [[r["path"], r["sha256"], r["outcome"]] for r in file_rows],
            "results": report.results,
            "changes": {k: 0 if same else report.changed(k) for k in CHANGES},
        },
        file_rows, _form_rows(report), _recognitions(report), report.imported,
        sorted({int(v) for y in report.years for v in y.forms.year.dropna()}),
    )


def record_run(staging: Path, report: RunReport, rules: Rules, started: dt.datetime, last: dict | None) -> None:
    """Record the run in the staged ledger, on a connection of its own."""
    ledger = Ledger(staging / LEDGER_NAME)
    try:
        _record(ledger, report, rules, started, last)
    finally:
        ledger.close()


