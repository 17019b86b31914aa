"""Pandera schemas for the parsed forms, built from the rules file.

Every check carries ``error="<finding code>:<field>"``: the validate stage turns each row of
``SchemaErrors.failure_cases`` into a Finding by that code, at the cell kept for that field.
The frames come from ``pipeline.read.frames``: values are already coerced, with the typed text
beside each coded value, so one bad cell fails one check only.
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.rules import INFO_FIELDS, Rules

TOLERANCE = 0.005  # scores are typed to one or two decimals

# Fields whose value is matched to a canonical one; their typed text is in "<field>_raw".
_RAW = {"kind": "kind_raw", "year": "year_raw", "group": "group_raw", "field": "field_raw", "date": "date_raw"}


def _text(name: str) -> pa.Column:
    return pa.Column(str, name=name)


def _present(column: str, field: str) -> pa.Check:
    return pa.Check(lambda d: d[column].str.len() > 0, error=f"info-missing:{field}")


def form_schema(rules: Rules) -> pa.DataFrameSchema:
    """One row per form: the information block, the table's size and the stated total."""
    kinds = list(rules.kinds)
    n_by_kind = {code: len(kd.criteria) for code, kd in rules.kinds.items()}
    checks = [_present(_RAW.get(f, f), f) for f in rules.form.required]
    checks += [
        pa.Check(lambda d: (d.kind_raw == "") | d.kind.isin(kinds), error="kind-unknown:kind"),
        pa.Check(lambda d: (d.year_raw == "") | d.year.notna(), error="year-invalid:year"),
        pa.Check(lambda d: (d.group_raw == "") | d.group.isin(rules.groups), error="group-unknown:group"),
        pa.Check(lambda d: (d.field_raw == "") | d.field.isin(rules.fields), error="field-unknown:field"),
        pa.Check(lambda d: (d.date_raw == "") | d.date.notna(), error="date-invalid:date"),
        pa.Check(
            lambda d: ~d.kind.isin(kinds) | (d.n_criteria == d.kind.map(n_by_kind)),
            error="criteria-count:table",
        ),
        # Warnings: listed with the form, never a reason to reject it.
        pa.Check(lambda d: d.encoding == "", error="legacy-encoding:encoding"),
        pa.Check(
            lambda d: d.stated_total.notna() | d.score_sum.isna() | (d.total_state != "empty"),
            error="total-computed:total",
        ),
        pa.Check(lambda d: ~d.date_from_text, error="date-from-text:date"),
        pa.Check(lambda d: ~d.late, error="late:date"),
        pa.Check(
            lambda d: d.score_sum.isna() | d.stated_total.isna()
            | ((d.stated_total - d.score_sum).abs() <= TOLERANCE),
            error="total-mismatch:total",
        ),
    ]
    columns = {name: _text(name) for name in ("file", "sheet", *(_RAW.get(f, f) for f in INFO_FIELDS))}
    columns.update({
        "kind": _text("kind"),
        "group": _text("group"),
        "field": _text("field"),
        "year": pa.Column("Int64", nullable=True),
        "n_criteria": pa.Column(int, pa.Check.ge(0, error="criteria-count:table")),
        "stated_total": pa.Column(float, nullable=True),
        "score_sum": pa.Column(float, nullable=True),
        "total_state": pa.Column(
            str, pa.Check(lambda s: s != "invalid", error="total-not-number:total")
        ),
    })
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
