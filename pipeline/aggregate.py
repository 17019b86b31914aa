"""Stage 6: split the run by year and count, per group and kind, what came in and what came out.

The run's year is the one asked for, else the year most forms carry; forms of other years get
their own year. Findings that belong to no year (an unreadable file, a form without a year)
go to the run's year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from .discover import Skipped
from .findings import Finding
from .rank import SUPERSEDED, TIE
from .rules import GROUP_AWARD, PROPOSAL, Rules

COUNTS = ("received", "rejected", "valid", "superseded", "eligible", "awarded", "proposed", "tied")


@dataclass
class YearResult:
    year: int
    forms: pd.DataFrame  # every form of the year, rejected ones included
    findings: list[Finding]  # findings of rejected forms and unreadable files
    warnings: list[Finding]  # warnings of accepted forms
    summary: pd.DataFrame  # one row per group and kind, then a totals row
    skipped: list[Skipped] = field(default_factory=list)
    files_read: int = 0


def run_year(forms: pd.DataFrame, given: int | None) -> int:
    if given:
        return given
    years = forms.year.dropna()
    if len(years):
        counts = years.value_counts()
        # Most forms; on equal counts the later year, so the choice never depends on order.
        return int(max(counts.index, key=lambda y: (counts[y], y)))
    return dt.date.today().year


def combine(forms: pd.DataFrame, criteria: pd.DataFrame, ranked: pd.DataFrame) -> pd.DataFrame:
    """All forms with their outcome; rejected ones have no total, rank or award."""
    outcome = ranked.reindex(forms.index)
    out = forms.copy()
    out["total"] = outcome.total.astype("float64")
    out["eligible"] = outcome.eligible.eq(True)
    out["superseded"] = outcome.superseded.eq(True)
    out["rank"] = outcome["rank"].astype("Int64")
    out["award"] = outcome.award.fillna("").astype(str)
    out["note"] = outcome.note.fillna("").astype(str)
    out["tie_edge"] = outcome.tie_edge.fillna("").astype(str)
    out["reasons"] = [r if isinstance(r, list) else [] for r in outcome.reasons]
    scores = criteria.groupby("form_id").score.agg(list)
    out["scores"] = [[None if pd.isna(v) else v for v in scores.get(i, [])] for i in out.index]
    return out


def summarise(forms: pd.DataFrame, rules: Rules, groups: list[str] | None = None) -> pd.DataFrame:
    """Counts per group and kind in the rules' order; forms of no known group last; a totals row."""
    rows = []
    groups = list(rules.groups) if groups is None else groups
    extra = sorted(set(forms.group) - set(rules.groups)) if len(forms) else []
    for group in [*groups, *extra]:
        for kind in [*rules.kinds, *([""] if len(forms) and (forms.kind[forms.group == group] == "").any() else [])]:
            sub = forms[(forms.group == group) & (forms.kind == kind)]
            if not len(sub) and (group not in rules.groups or kind not in rules.kinds):
                continue
            rows.append({"group": group, "kind": kind, **_counts(sub)})
    table = pd.DataFrame(rows, columns=["group", "kind", *COUNTS])
    totals = {"group": None, "kind": None, **{c: int(table[c].sum()) for c in COUNTS}}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def _counts(sub: pd.DataFrame) -> dict[str, int]:
    current = sub[~sub.rejected & ~sub.superseded]
    return {
        "received": len(sub),
        "rejected": int(sub.rejected.sum()),
        "valid": int((~sub.rejected).sum()),
        "superseded": int((sub.award == SUPERSEDED).sum()),
        "eligible": int(current.eligible.sum()),
        # Ties at the proposal edge hold the group's award whatever the council decides.
        "awarded": int((current.award.isin([GROUP_AWARD, PROPOSAL]) | (current.tie_edge == "proposal")).sum()),
        "proposed": int((current.award == PROPOSAL).sum()),
        "tied": int((current.award == TIE).sum()),
    }


def by_year(
    forms: pd.DataFrame,
    findings: list[Finding],
    skipped: list[Skipped],
    files_read: int,
    rules: Rules,
    year: int | None = None,
) -> list[YearResult]:
    main = run_year(forms, year)
    forms = forms.copy()
    forms["out_year"] = forms.year.fillna(main).astype(int) if len(forms) else pd.Series(dtype=int)
    where = {(f, s): y for f, s, y in zip(forms.file, forms.sheet, forms.out_year, strict=True)}
    rejected = {(f, s) for f, s, r in zip(forms.file, forms.sheet, forms.rejected, strict=True) if r}
    years = sorted({main, *forms.out_year.tolist()})
    results = []
    for y in years:
        sub = forms[forms.out_year == y]
        mine = [f for f in findings if where.get((f.file, f.sheet), main) == y]
        results.append(YearResult(
            year=y,
            forms=sub,
            findings=[f for f in mine if (f.file, f.sheet) in rejected or (f.file, f.sheet) not in where],
            warnings=[f for f in mine if (f.file, f.sheet) in where and (f.file, f.sheet) not in rejected],
            summary=summarise(sub, rules),
            skipped=skipped if y == main else [],
            files_read=files_read if y == main else 0,
        ))
    return results
