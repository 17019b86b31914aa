"""Stage 3: check every parsed form against the rules, with pandera, all forms at once.

Two pandera calls for the whole run (forms, criteria), lazily, so each file gets all its
problems at once. Each failure case becomes a Finding at the cell kept for its field.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.core.findings import EMPTY, OR, Finding, finding
from pipeline.core.rules import Rules
from pipeline.core.table import columns, rows
from pipeline.core.text import format_number
from schemas import failures
from schemas.forms import criteria_schema, form_schema


def _prepare(forms: pd.DataFrame, criteria: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Add what the checks compare against: the rubric's points per row, the sum of scores."""
    points = {(code, c.stt): c.points for code, kd in rules.kinds.items() for c in kd.criteria}
    criteria = criteria.copy(deep=False)  # copy-on-write (pandas 3): the new column only
    kinds = criteria.form_id.map(forms.kind)
    criteria["points"] = pd.Series(
        [points.get((k, p)) for k, p in zip(kinds.tolist(), criteria.pos.tolist(), strict=True)], index=criteria.index, dtype="float64"
    )
    all_ok = criteria.score_state.eq("ok").groupby(criteria.form_id).all()
    sums = criteria.groupby("form_id").score.sum()
    forms = forms.copy(deep=False)
    forms["score_sum"] = sums.where(all_ok).reindex(forms.index).astype("float64")
    text = criteria.score_text.astype(bool).groupby(criteria.form_id).any()
    forms["scores_as_text"] = text.reindex(forms.index, fill_value=False).astype(bool)
    forms["total_missing"] = (forms.total_state == "empty") & forms.score_sum.notna()
    forms["legacy"] = forms.encoding != ""
    forms["deadline"] = [rules.calendar.dossier_deadline(int(y)) if pd.notna(y) else None for y in forms.year]
    forms["late"] = pd.Series(
        [bool(d and dl and d >= dl) for d, dl in columns(forms, "date", "deadline")],
        index=forms.index, dtype=bool)
    return forms, criteria


def _rows(frame: pd.DataFrame, failures: list[tuple[str, object]]) -> dict:
    """The failing rows by index, as named tuples: one lookup of them all, not one ``.loc`` each."""
    wanted = sorted({idx for _, idx in failures})
    return dict(zip(wanted, rows(frame.loc[wanted]), strict=True))


def _form_finding(code: str, field: str, row, rules: Rules) -> Finding:
    f = row.file, row.sheet
    if code == "info-missing":
        label = rules.form.labels[field][0]
        if field == "name" and row.kind in rules.kinds and rules.kinds[row.kind].name_label:
            label = rules.kinds[row.kind].name_label
        return finding(code, *f, getattr(row, f"cell_{field}"), label=label)
    if code == "kind-unknown":
        names = OR.join(kd.name for kd in rules.kinds.values())
        return finding(code, *f, row.cell_kind, row.kind_raw, names)
    if code == "year-invalid":
        return finding(code, *f, row.cell_year, row.year_raw, dt.date.today().year)
    if code == "group-unknown":
        several = rules.group_index.candidates(row.group_raw)
        if len(several) > 1:
            return finding("group-ambiguous", *f, row.cell_group, row.group_raw, OR.join(several),
                           label=rules.group_label)
        return finding(code, *f, row.cell_group, row.group_raw, "; ".join(rules.groups), label=rules.group_label)
    if code == "field-unknown":
        several = rules.field_index.candidates(row.field_raw)
        if len(several) > 1:
            return finding("field-ambiguous", *f, row.cell_field, row.field_raw, OR.join(several),
                           label=rules.form.labels["field"][0])
        return finding(code, *f, row.cell_field, row.field_raw, "; ".join(rules.fields))
    if code == "date-invalid":
        return finding(code, *f, row.cell_date, row.date_raw, "20/08/2024")
    if code == "criteria-count":
        expected = len(rules.kinds[row.kind].criteria) if row.kind in rules.kinds else ""
        return finding(code, *f, row.cell_table, row.n_criteria, expected)
    if code == "legacy-encoding":
        return finding(code, *f, row.cell_encoding, row.encoding)
    if code == "total-computed":
        return finding(code, *f, row.cell_total, expected=format_number(row.score_sum))
    if code == "date-from-text":
        return finding(code, *f, row.cell_date, row.date_raw, row.date.strftime("%d/%m/%Y"))
    if code == "late":
        return finding(code, *f, row.cell_date, row.date.strftime("%d/%m/%Y"), row.deadline.strftime("%d/%m/%Y"))
    if code == "total-not-number":
        return finding(code, *f, row.cell_total, row.total_raw)
    if code == "total-mismatch":
        # Scores typed as text: Excel's SUM leaves them out, so the total it shows is short.
        code = "scores-as-text" if row.scores_as_text else code
        return finding(code, *f, row.cell_total, format_number(row.stated_total), format_number(row.score_sum))
    raise KeyError(code)


def _criterion_finding(code: str, row, form) -> Finding:
    f = form.file, form.sheet
    stt = f"{row.pos:02d}"
    if code == "criterion-order":
        return finding(code, *f, row.cell_stt, row.stt_raw or EMPTY, stt, stt=stt)
    if code == "standard-mismatch":
        return finding(code, *f, row.cell_standard, row.standard_raw or EMPTY, format_number(row.points), stt=stt)
    if code == "score-empty":
        return finding(code, *f, row.cell_score, stt=stt)
    if code == "score-not-number":
        return finding(code, *f, row.cell_score, row.score_raw, stt=stt)
    if code in ("score-negative", "score-above-max"):
        return finding(code, *f, row.cell_score, format_number(row.score), format_number(row.points), stt=stt)
    raise KeyError(code)


def validate(forms: pd.DataFrame, criteria: pd.DataFrame, rules: Rules) -> tuple[pd.DataFrame, pd.DataFrame, list[Finding]]:
    """Findings for every form; returns the forms frame with ``score_sum`` and ``rejected``."""
    forms, criteria = _prepare(forms, criteria, rules)
    out: list[Finding] = []
    failed = failures(form_schema(rules), forms)
    failing = _rows(forms, failed)
    for check, idx in failed:
        code, _, field = check.partition(":")
        out.append(_form_finding(code, field, failing[idx], rules))
    failed = failures(criteria_schema(rules), criteria)
    failing = _rows(criteria, failed)
    owners = _rows(forms, [("", failing[idx].form_id) for _, idx in failed])
    for check, idx in failed:
        row = failing[idx]
        out.append(_criterion_finding(check.partition(":")[0], row, owners[row.form_id]))
    errors = {(f.file, f.sheet) for f in out if f.is_error}
    forms["rejected"] = pd.Series(
        [(fi, sh) in errors for fi, sh in columns(forms, "file", "sheet")], index=forms.index, dtype=bool
    )
    return forms, criteria, sorted(out)
