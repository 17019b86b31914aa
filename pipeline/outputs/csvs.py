"""The two CSV files of a year: each accepted form's outcome, each finding."""

from __future__ import annotations

import csv
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from pipeline.core.findings import codes, in_order, messages
from pipeline.core.text import csv_safe
from pipeline.infra.files import atomic_write
from pipeline.outputs.document import missing
from pipeline.outputs.record import Record, reasons_of
from pipeline.outputs.words import CSV_WORDS
from pipeline.stages.aggregate import YearResult

KET_QUA_COLUMNS = ["file", "sheet", "unit_code", "name", "kind", "group", "field", "year",
                   "total", "eligible", "reasons", "rank", "award", "reason_codes", "appraised_total",
                   "proposed_award", "decided_by"]
LOI_COLUMNS = ["file", "sheet", "cell", "message", "code", "severity"]


def _number(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    return f"{float(value):g}"



def _csv(path: Path, header: list[str], rows: Iterable[list[object]]) -> None:
    def write(tmp: Path) -> None:
        # UTF-8 with BOM: Excel on Windows opens it with the Vietnamese letters intact. Written
        # row by row: made whole in memory first, at 100 000 forms it took 150 MB for a moment.
        with open(tmp, "w", encoding="utf-8-sig", newline="") as fh:
            w = csv.writer(fh, lineterminator="\r\n")
            w.writerow(header)
            w.writerows([csv_safe(v) for v in row] for row in rows)

    atomic_write(path, write)



def write_csvs(result: YearResult, folder: Path, records: list[Record]) -> None:
    accepted = sorted((r for r in records if not r.rejected), key=lambda r: (r.file, r.sheet))
    rows = (
        [r.file, r.sheet, r.unit_code, r["name"], r.kind, r.group, r.field, int(r.year),
         _number(r.self_total), "true" if r.eligible else "false", "; ".join(messages(reasons_of(r))),
         "" if missing(r["rank"]) else int(r["rank"]), r.award, ";".join(codes(reasons_of(r))), _number(r.total),
         r.proposed, "council" if r.decided else "proposal"]
        for r in accepted
    )
    _csv(folder / "ket_qua.csv", KET_QUA_COLUMNS, rows)
    findings = in_order(result.findings)
    _csv(folder / "loi.csv", LOI_COLUMNS, ([f.file, f.sheet, f.cell, f.message, f.code,
                                            CSV_WORDS["error" if f.is_error else "warning"]] for f in findings))


