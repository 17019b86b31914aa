"""The pandera schemas of the forms and the registers, built from the rules file."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa


def failures(schema: pa.DataFrameSchema, frame: pd.DataFrame) -> list[tuple[str, object]]:
    """(check error, row index) of every failing row, once per check, in row order.

    Every check's ``error`` is "code:field", so that a failure becomes a Finding at that
    field's cell (see pipeline.stages.validate and pipeline.stages.registers).
    """
    try:
        schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases.dropna(subset=["index"])
        pairs = set(zip(cases["check"].astype(str).tolist(), cases["index"].tolist(), strict=True))
        return sorted(pairs, key=lambda p: (str(p[1]), p[0]))
    return []
