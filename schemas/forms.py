"""Pandera schemas for the parsed forms, built from the rules file.

Every check carries ``error="<finding code>:<field>"``: the validate stage turns each row of
``SchemaErrors.failure_cases`` into a Finding by that code, at the cell kept for that field.
The frames come from ``pipeline.stages.read.frames``: values are already coerced, with the typed text
beside each coded value, so one bad cell fails one check only.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.core.rules import Rules

TOLERANCE = 0.005  # scores are typed to one or two decimals

# Fields whose value is matched to a canonical one; their typed text is in "<field>_raw".
_RAW = {"kind": "kind_raw", "year": "year_raw", "group": "group_raw", "field": "field_raw", "date": "date_raw"}


def _state(field: str, code: str) -> pa.Column:
    """A coded value's state from the read stage: "ok", "empty" or "invalid" (typed but unknown)."""
    return pa.Column(str, pa.Check(lambda s: s != "invalid", error=f"{code}:{field}"))


def _flag(code: str, field: str) -> pa.Column:
    """A boolean fact about the form that, when true, is a finding (mostly warnings)."""
    return pa.Column(bool, pa.Check(lambda s: ~s, error=f"{code}:{field}"))


def _present(field: str) -> pa.Column:
    return pa.Column(str, pa.Check(lambda s: s.str.len() > 0, error=f"info-missing:{field}"))


def form_schema(rules: Rules) -> pa.DataFrameSchema:
    """One row per form: the information block, the table's size and the stated total.

    Column checks for everything that concerns one field; the two cross-field rules (the
    number of criteria for the kind, the stated total against the sum) are DataFrame checks,
    which pandera reports with every column, so only rare errors belong there.
    """
    n_by_kind = {code: len(kd.criteria) for code, kd in rules.kinds.items()}
    columns = {_RAW.get(f, f): _present(f) for f in rules.form.required}
    columns.update({
        "kind_state": _state("kind", "kind-unknown"),
        "year_state": _state("year", "year-invalid"),
        "group_state": _state("group", "group-unknown"),
        "field_state": _state("field", "field-unknown"),
        "date_state": _state("date", "date-invalid"),
        "total_state": pa.Column(str, pa.Check(lambda s: s != "invalid", error="total-not-number:total")),
        # Warnings: listed with the form, never a reason to reject it.
        "legacy": _flag("legacy-encoding", "encoding"),
        "total_missing": _flag("total-computed", "total"),
        "date_from_text": _flag("date-from-text", "date"),
        "late": _flag("late", "date"),
        "n_criteria": pa.Column(int),
        "stated_total": pa.Column(float, nullable=True),
        "score_sum": pa.Column(float, nullable=True),
    })
    checks = [
        pa.Check(lambda d: (d.kind_state != "ok") | (d.n_criteria == d.kind.map(n_by_kind)),
                 error="criteria-count:table"),
        pa.Check(lambda d: d.score_sum.isna() | d.stated_total.isna()
                 | ((d.stated_total - d.score_sum).abs() <= TOLERANCE), error="total-mismatch:total"),
    ]
    return pa.DataFrameSchema(columns, checks=checks, name="forms")


def criteria_schema(rules: Rules) -> pa.DataFrameSchema:
    """One row per criterion row: order, standard points and the self-score."""
    return pa.DataFrameSchema(
        {
            "form_id": pa.Column(int),
            "pos": pa.Column(int),
            "stt": pa.Column(
                "Int64", nullable=True,
                checks=pa.Check(lambda s: s.notna(), ignore_na=False, error="criterion-order:stt"),
            ),
            "score_state": pa.Column(str, checks=[
                pa.Check(lambda s: s != "empty", error="score-empty:score"),
                pa.Check(lambda s: s != "invalid", error="score-not-number:score"),
            ]),
            "score": pa.Column(
                float, nullable=True,
                checks=pa.Check(lambda s: s.isna() | (s >= 0), error="score-negative:score"),
            ),
            "standard": pa.Column(float, nullable=True),
            "points": pa.Column(float, nullable=True),
        },
        checks=[
            pa.Check(
                lambda d: d.stt.isna() | (d.stt == d.pos).fillna(False), error="criterion-order:stt"
            ),
            pa.Check(
                lambda d: d.points.isna() | (d.standard - d.points).abs().le(TOLERANCE),
                error="standard-mismatch:standard",
            ),
            pa.Check(
                lambda d: d.score.isna() | d.points.isna() | (d.score <= d.points + TOLERANCE),
                error="score-above-max:score",
            ),
        ],
        name="criteria",
    )
