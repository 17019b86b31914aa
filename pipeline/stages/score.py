"""Stage 4: eligibility of every accepted form, with every reason spelled out.

Per the plan (3.4 b): each criterion at least the set percentage of its standard points, the
total at least the set minimum, and evidence for every criterion. Thresholds come from the
rules file; the reasons' wording from the findings module's table.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.findings import reason
from pipeline.core.rules import Rules
from pipeline.core.text import format_number

EPS = 1e-9


def score(forms: pd.DataFrame, criteria: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Accepted forms with ``total``, ``eligible`` and ``reasons`` (a list of sentences)."""
    el = rules.eligibility
    accepted = forms[~forms.rejected].copy(deep=False)
    crit = criteria[criteria.form_id.isin(accepted.index)]
    reasons: dict[int, list[str]] = {i: [] for i in accepted.index}
    percent = el.criterion_min_percent
    below = crit[crit.score * 100 + EPS < crit.points * percent]
    for row in below.itertuples():
        reasons[row.form_id].append(reason(
            "criterion-below", stt=f"{row.pos:02d}", score=format_number(row.score),
            percent=format_number(percent), need=format_number(row.points * percent / 100),
        ))
    accepted["total"] = accepted.score_sum
    for form_id, total in accepted.total.items():
        if total + EPS < el.total_min:
            reasons[form_id].append(reason("total-below", total=format_number(total), need=format_number(el.total_min)))
    if el.evidence_required:
        for row in crit[crit.evidence.str.len() == 0].itertuples():
            reasons[row.form_id].append(reason("evidence-missing", stt=f"{row.pos:02d}"))
    if rules.calendar.late_blocks_eligibility:
        for form_id, row in accepted[accepted.late].iterrows():
            reasons[form_id].append(reason("late", date=row.date.strftime("%d/%m/%Y"),
                                           deadline=row.deadline.strftime("%d/%m/%Y")))
    accepted["reasons"] = pd.Series(reasons, dtype=object).reindex(accepted.index)
    accepted["eligible"] = (accepted.reasons.map(len) == 0).astype(bool)
    return accepted
