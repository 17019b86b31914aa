"""Reading the two registers: past recognitions (inputs/lich_su/) and expected units (inputs/danh_sach/).

Both are plain tables with one header row, found by its column names wherever it stands. They
are history, not forms: never reported as broken forms. Each row keeps its Excel row so a
bad one gets a finding at its cell; rows are checked with pandera like forms.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from pipeline.core.findings import OR, Finding, finding
from pipeline.core.rules import Rules
from pipeline.core.text import key, unit_key
from pipeline.stages.discover import InputFile
from pipeline.stages.read import read_each, staff_grids
from pipeline.stages.read.grid import as_text, ref
from pipeline.stages.read.records import parse_year
from schemas import failures
from schemas.registers import history_schema, roster_schema

FIELDS_HISTORY = ("year", "unit_code", "name", "kind", "group", "title")
FIELDS_ROSTER = ("unit_code", "name", "kind", "group")


@dataclass
class RegisterRead:
    file: InputFile
    rows: list[dict] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)


def read_register(file: InputFile, columns: tuple[str, ...], fields: tuple[str, ...], folder: str) -> RegisterRead:
    """Rows of one register workbook (run in a worker, like forms)."""
    out = RegisterRead(file)
    grids, refused = staff_grids(file)
    if refused:
        out.findings.append(refused)
        return out
    wanted = [key(c) for c in columns]
    for sheet, grid in grids:
        for r in range(len(grid.rows)):
            keys = [key(grid.text(r, c)) for c in range(grid.width)]
            if all(w in keys for w in wanted):
                cols = {f: keys.index(w) for f, w in zip(fields, wanted, strict=True)}
                for rr in range(r + 1, len(grid.rows)):
                    values = {f: grid.value(rr, c) for f, c in cols.items()}
                    if all(v is None for v in values.values()):
                        continue
                    out.rows.append({
                        "file": file.rel, "sheet": sheet, "row": rr + 1,
                        **{f: as_text(v) for f, v in values.items()},
                        **({"year_value": values["year"]} if "year" in values else {}),
                        **{f"cell_{f}": ref(rr, c) for f, c in cols.items()},
                    })
                break
        else:
            continue
        return out
    out.findings.append(finding("register-no-header", file.rel, expected=", ".join(columns), label=folder))
    return out


def read_registers(files: list[InputFile], rules: Rules, history: bool) -> list[RegisterRead]:
    from pipeline.stages.discover import HISTORY_DIR, ROSTER_DIR

    columns = rules.registers.history_columns if history else rules.registers.roster_columns
    fields = FIELDS_HISTORY if history else FIELDS_ROSTER
    folder = f"inputs/{HISTORY_DIR if history else ROSTER_DIR}/"
    return read_each(read_register, files, (columns, fields, folder), RegisterRead)


def _frame(reads: list[RegisterRead], rules: Rules, history: bool) -> pd.DataFrame:
    fields = FIELDS_HISTORY if history else FIELDS_ROSTER
    text = ["file", "sheet", *fields, *(f"cell_{f}" for f in fields)]
    columns = [*text, "row", *(["year_value"] if history else [])]
    frame = pd.DataFrame([r for rd in reads for r in rd.rows], columns=columns)
    frame[text] = frame[text].fillna("").astype(str)
    frame["kind_code"] = [(rules.match_kind(k) or "") if k else "" for k in frame.kind]
    frame["group_name"] = [(rules.match_group(g) or "") if g else "" for g in frame.group]
    if history:
        frame["year_int"] = pd.array([parse_year(v) for v in frame.year_value], dtype="Int64")
        frame["title_code"] = [(rules.match_title(t) or "") if t else "" for t in frame.title]
    return frame


def validate_register(reads: list[RegisterRead], rules: Rules, history: bool) -> tuple[pd.DataFrame, list[Finding]]:
    """(the rows that passed, with their unit keys; findings for the rest and for unreadable files)."""
    frame = _frame(reads, rules, history)
    findings = [f for rd in reads for f in rd.findings]
    schema = history_schema(rules) if history else roster_schema(rules)
    failed: dict[int, list[str]] = {}
    for check, idx in sorted((c, int(i)) for c, i in failures(schema, frame)):
        failed.setdefault(idx, []).append(check)
    kinds = OR.join(kd.name for kd in rules.kinds.values())
    for idx, checks in sorted(failed.items()):
        row = frame.loc[idx]
        f = row.file, row.sheet
        for check in checks:
            code, _, col = check.partition(":")
            cell = row[f"cell_{col}"] if f"cell_{col}" in row else ""
            if code == "register-year-invalid":
                findings.append(finding(code, *f, cell, row.year, dt.date.today().year - 1))
            elif code == "register-name-missing":
                findings.append(finding(code, *f, cell))
            elif code == "register-kind-unknown":
                findings.append(finding(code, *f, cell, row.kind, kinds))
            elif code == "register-group-unknown":
                findings.append(finding(code, *f, cell, row.group, "; ".join(rules.groups), label=rules.group_label))
            elif code == "register-title-unknown":
                titles = OR.join(s[0] for s in rules.registers.titles.values())
                findings.append(finding(code, *f, cell, row.title, titles))
    good = frame.drop(index=list(failed)).copy()
    good["unit"] = [unit_key(c, n, k, g) for c, n, k, g in zip(good.unit_code, good["name"], good.kind_code, good.group_name, strict=True)]
    good["by_name"] = [not c for c in good.unit_code]
    return good, sorted(findings)
