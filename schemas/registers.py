"""Pandera schemas for the registers: past recognitions and the roster of expected units.

Like the form schemas, each check's ``error`` is "<finding code>:<column>".
"""

from __future__ import annotations

import pandera.pandas as pa

from pipeline.core.rules import Rules


def _common(rules: Rules) -> list[pa.Check]:
    return [
        pa.Check(lambda d: (d.unit_code != "") | (d["name"] != ""), error="register-name-missing:name"),
        pa.Check(lambda d: d.kind_code != "", error="register-kind-unknown:kind"),
        pa.Check(lambda d: d.group_name != "", error="register-group-unknown:group"),
    ]


def history_schema(rules: Rules) -> pa.DataFrameSchema:
    return pa.DataFrameSchema(
        {"year_int": pa.Column("Int64", nullable=True, checks=pa.Check(lambda s: s.notna(), ignore_na=False, error="register-year-invalid:year")),
         "title_code": pa.Column(str, pa.Check(lambda s: s != "", error="register-title-unknown:title"))},
        checks=_common(rules), name="history",
    )


def roster_schema(rules: Rules) -> pa.DataFrameSchema:
    return pa.DataFrameSchema({}, checks=_common(rules), name="roster")
