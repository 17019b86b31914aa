"""Stage 4: eligibility of every accepted form, with every reason spelled out.

Per the plan (3.4 b): each criterion at least the set percentage of its standard points, the
total at least the set minimum, and evidence for every criterion. Thresholds come from the
rules file; the reasons' wording from the findings module's table.
"""

from __future__ import annotations

import pandas as pd

from pipeline.core.findings import Finding, reason
from pipeline.core.rules import Rules
from pipeline.core.text import format_number

EPS = 1e-9


def score(forms: pd.DataFrame, criteria: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Accepted forms with ``total``, ``eligible`` and ``reasons`` (a list of Findings of severity REASON).

    ``forms`` and ``criteria`` come from ``stages.review.appraise``: ``self_total`` and ``self_score``
    beside the scores ranked on."""
    el = rules.eligibility
    accepted = forms[~forms.rejected].copy(deep=False)
    crit = criteria[criteria.form_id.isin(accepted.index)]
    reasons: dict[int, list[Finding]] = {i: [] for i in accepted.index}
    where = {i: (f, s) for i, f, s in zip(accepted.index, accepted.file.tolist(), accepted.sheet.tolist(), strict=True)}
    percent = el.criterion_min_percent
    below = crit[crit.score * 100 + EPS < crit.points * percent]
    for row, self_score in zip(below.itertuples(), crit.self_score[below.index].tolist(), strict=True):
        need = format_number(row.points * percent / 100)
        # An appraised score says so, with the self-score beside it.
        code = "criterion-below" if abs(row.score - self_score) <= EPS else "criterion-below-appraised"
        reasons[row.form_id].append(reason(
            code, *where[row.form_id], row.cell_score, format_number(row.score), need,
            stt=f"{row.pos:02d}", score=format_number(row.score), percent=format_number(percent), need=need,
            self_score=format_number(self_score),
        ))
    accepted["total"] = accepted.score_sum
    for form_id, total, self_total, cell in zip(accepted.index, accepted.total.tolist(), accepted.self_total.tolist(),
                                                accepted.cell_total.tolist(), strict=True):
        if total + EPS < el.total_min:
            need = format_number(el.total_min)
            code = "total-below" if abs(total - self_total) <= EPS else "total-below-appraised"
            reasons[form_id].append(reason(code, *where[form_id], cell, format_number(total), need,
                                           total=format_number(total), need=need,
                                           self_total=format_number(self_total)))
    if el.evidence_required:
        for row in crit[crit.evidence.str.len() == 0].itertuples():
            reasons[row.form_id].append(reason("evidence-missing", *where[row.form_id], row.cell_evidence,
                                               stt=f"{row.pos:02d}"))
    if rules.calendar.late_blocks_eligibility:
        for form_id, row in accepted[accepted.late].iterrows():
            date, deadline = row.date.strftime("%d/%m/%Y"), row.deadline.strftime("%d/%m/%Y")
            reasons[form_id].append(reason("late", row.file, row.sheet, row.cell_date, date, deadline,
                                           date=date, deadline=deadline))
    accepted["reasons"] = pd.Series(reasons, dtype=object).reindex(accepted.index)
    accepted["eligible"] = (accepted.reasons.map(len) == 0).astype(bool)
    return accepted
