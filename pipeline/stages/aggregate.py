"""Stage 6: split the run by year and count, per group and kind, what came in and what came out.

The run's year is the one asked for, else the year most forms carry; forms of other years get
their own year. Findings that belong to no year (an unreadable file, a form without a year)
go to the run's year.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from pipeline.core.findings import Finding
from pipeline.core.rules import PROPOSAL, Rules
from pipeline.core.table import columns, rows
from pipeline.core.text import unit_key
from pipeline.stages.discover import Skipped
from pipeline.stages.rank import SUPERSEDED, TIE, holds_group_award
from pipeline.stages.review import Meeting, Review

COUNTS = ("received", "rejected", "valid", "superseded", "eligible", "awarded", "proposed", "tied", "not_submitted")
CHANGES = ("new", "replaced", "withdrawn", "total", "award")


@dataclass
class YearResult:
    year: int
    forms: pd.DataFrame  # every form of the year, rejected ones included
    findings: list[Finding]  # findings of rejected forms and unreadable files
    warnings: list[Finding]  # warnings of accepted forms
    summary: pd.DataFrame  # one row per group and kind, then a totals row
    skipped: list[Skipped] = field(default_factory=list)
    files_read: int = 0
    main: bool = False  # the run's year (the others hold forms of other years)
    changes: pd.DataFrame | None = None  # what changed since the previous run
    not_submitted: pd.DataFrame | None = None  # roster units with no form this year
    meetings: dict[str, Meeting] = field(default_factory=dict)  # each group's council meeting, as recorded


def run_year(forms: pd.DataFrame, given: int | None) -> int:
    if given:
        return given
    years = forms.year.dropna()
    if len(years):
        counts = years.value_counts()
        # Most forms; on equal counts the later year, so the choice never depends on order.
        return int(max(counts.index, key=lambda y: (counts[y], y)))
    return dt.date.today().year


def combine(forms: pd.DataFrame, criteria: pd.DataFrame, ranked: pd.DataFrame,
            review: Review | None = None) -> pd.DataFrame:
    """All forms with their outcome; rejected ones have no total, rank or award. ``total`` is the
    total ranked on (appraised where staff appraised), ``self_total`` the unit's own."""
    outcome = ranked.reindex(forms.index)
    out = forms.copy(deep=False)  # copy-on-write (pandas 3): new columns only, no data copied
    out["total"] = outcome.total.astype("float64")
    out["eligible"] = outcome.eligible.eq(True)
    out["superseded"] = outcome.superseded.eq(True)
    out["rank"] = outcome["rank"].astype("Int64")
    out["award"] = outcome.award.fillna("").astype(str)
    out["note"] = [n if isinstance(n, Finding) else None for n in outcome.note]
    out["tie_edge"] = outcome.tie_edge.fillna("").astype(str)
    out["reasons"] = [r if isinstance(r, list) else [] for r in outcome.reasons]
    out["by_name"] = outcome.by_name.eq(True)
    out["self_total"] = outcome.self_total.astype("float64")
    out["appraised"] = outcome.appraised.eq(True)
    out["proposed"] = outcome.proposed.fillna("").astype(str)
    out["proposed_edge"] = outcome.proposed_edge.fillna("").astype(str)
    out["decided"] = outcome.decided.eq(True)
    for name in ("decision_note", "preference"):
        out[name] = [n if isinstance(n, Finding) else None for n in outcome[name]]
    matched = review.matched if review is not None else {}
    out["review_row"] = [matched.get(i) for i in out.index]
    scores, self_scores = _scores_by_form(criteria, "score", "self_score")
    out["unit"] = [u if isinstance(u, str) else unit_key(c, n, k, g)
                   for u, c, n, k, g in zip(outcome.unit.tolist(), *(out[c].tolist() for c in ("unit_code", "name", "kind", "group")), strict=True)]
    out["scores"] = [scores.get(i, []) for i in out.index]
    out["self_scores"] = [self_scores.get(i, []) for i in out.index]
    return out


def _scores_by_form(criteria: pd.DataFrame, *names: str) -> list[dict[int, list[float | None]]]:
    """For each column named, each form's values in table order, None where there is none: one
    stable sort and one split shared by the columns, not a group-by that calls Python once per
    form (a tenth of the run's analysis at 10 000)."""
    ids = criteria["form_id"].to_numpy()
    order = np.argsort(ids, kind="stable")
    firsts, starts = np.unique(ids[order], return_index=True)
    ends = [*starts.tolist()[1:], len(ids)] if len(starts) else []
    spans = list(zip(firsts.tolist(), starts.tolist(), ends, strict=True))
    out = []
    for name in names:
        values = [None if v != v else v for v in criteria[name].to_numpy(dtype="float64", na_value=np.nan)[order].tolist()]
        out.append({int(i): values[a:b] for i, a, b in spans})
    return out


def results(forms: pd.DataFrame) -> dict[str, dict]:
    """Each form's outcome, as the ledger keeps it to compare the next run with."""
    out = {}
    columns = ["file", "sheet", "sha256", "unit", "name", "group", "kind", "year", "total", "award", "eligible",
               "rejected", "tie_edge"]
    for r in rows(forms, columns):
        out[f"{r.file}|{r.sheet}"] = {
            "sha256": r.sha256, "unit": r.unit, "name": r.name, "group": r.group, "kind": r.kind,
            "year": None if pd.isna(r.year) else int(r.year),
            "total": None if pd.isna(r.total) else float(r.total),
            "award": r.award, "eligible": bool(r.eligible), "rejected": bool(r.rejected), "tie_edge": r.tie_edge,
        }
    return out


def changes(previous: dict[str, dict] | None, current: dict[str, dict], year: int) -> pd.DataFrame:
    """New, replaced and withdrawn forms, changed totals and awards, since the previous run."""
    rows = []
    if previous is not None:
        for k in sorted(set(previous) | set(current)):
            before, after = previous.get(k), current.get(k)
            file, _, sheet = k.rpartition("|")
            about = after or before
            y = about.get("year") or year
            base = {"year": y, "file": file, "sheet": sheet, "name": about["name"], "group": about["group"]}
            if before is None:
                rows.append({**base, "change": "new", "before": "", "after": ""})
            elif after is None:
                rows.append({**base, "change": "withdrawn", "before": "", "after": ""})
            else:
                if before["sha256"] != after["sha256"]:
                    rows.append({**base, "change": "replaced", "before": "", "after": ""})
                if before["total"] != after["total"]:
                    rows.append({**base, "change": "total", "before": before["total"], "after": after["total"]})
                if before["award"] != after["award"]:
                    rows.append({**base, "change": "award", "before": before["award"], "after": after["award"]})
    return pd.DataFrame(rows, columns=["year", "change", "file", "sheet", "name", "group", "before", "after"])


def not_submitted(roster: pd.DataFrame, forms: pd.DataFrame) -> pd.DataFrame:
    """Roster units that sent no form (a rejected form still counts as sent)."""
    if roster is None or roster.empty:
        return pd.DataFrame(columns=["unit_code", "name", "kind", "group"])
    sent = set(forms.unit) if len(forms) else set()
    missing = roster[~roster.unit.isin(sent)]
    return pd.DataFrame({"unit_code": missing.unit_code, "name": missing["name"],
                         "kind": missing.kind_code, "group": missing.group_name})


def summarise(forms: pd.DataFrame, rules: Rules, groups: list[str] | None = None,
              missing: pd.DataFrame | None = None) -> pd.DataFrame:
    """Counts per group and kind in the rules' order; forms of no known group last; a totals row."""
    rows = []
    groups = list(rules.groups) if groups is None else groups
    extra = sorted(set(forms.group) - set(rules.groups)) if len(forms) else []
    counts = count_outcomes(forms)  # one pass over the forms, then a look-up per row of the table
    absent = (missing.groupby(["group", "kind"]).size().to_dict()
              if missing is not None and len(missing) else {})
    no_kind = set(forms.group[forms.kind == ""].tolist()) if len(forms) else set()
    zero = dict.fromkeys(COUNTS[:-1], 0)
    for group in [*groups, *extra]:
        for kind in [*rules.kinds, *([""] if group in no_kind else [])]:
            found = counts.get((group, kind))
            if found is None and (group not in rules.groups or kind not in rules.kinds):
                continue
            rows.append({"group": group, "kind": kind, **(found or zero),
                         "not_submitted": int(absent.get((group, kind), 0))})
    table = pd.DataFrame(rows, columns=["group", "kind", *COUNTS])
    totals = {"group": None, "kind": None, **{c: int(table[c].sum()) for c in COUNTS}}
    return pd.concat([table, pd.DataFrame([totals])], ignore_index=True)


def count_outcomes(forms: pd.DataFrame) -> dict[tuple[str, str], dict[str, int]]:
    """(group, kind) -> the counts of COUNTS but "not_submitted". ``forms`` needs the columns
    group, kind, rejected, superseded, eligible, award and tie_edge."""
    if not len(forms):
        return {}
    rejected = forms.rejected.to_numpy(bool)
    current = ~rejected & ~forms.superseded.to_numpy(bool)
    award = forms.award
    flags = pd.DataFrame({
        "group": forms.group.tolist(), "kind": forms.kind.tolist(),
        "received": 1,
        "rejected": rejected,
        "valid": ~rejected,
        "superseded": (award == SUPERSEDED).to_numpy(bool),
        "eligible": current & forms.eligible.fillna(False).to_numpy(bool),
        # Ties at the proposal edge hold the group's award whatever the council decides.
        "awarded": current & [holds_group_award(a, e) for a, e in columns(forms, "award", "tie_edge")],
        "proposed": current & (award == PROPOSAL).to_numpy(bool),
        "tied": current & (award == TIE).to_numpy(bool),
    })
    sums = flags.groupby(["group", "kind"], sort=False).sum()
    return {k: {c: int(v) for c, v in row.items()} for k, row in zip(sums.index, sums.to_dict("records"), strict=True)}


def by_year(
    forms: pd.DataFrame,
    findings: list[Finding],
    skipped: list[Skipped],
    files_read: int,
    rules: Rules,
    year: int | None = None,
    previous: dict[str, dict] | None = None,
    roster: pd.DataFrame | None = None,
    current: dict[str, dict] | None = None,
) -> list[YearResult]:
    main = run_year(forms, year)
    forms = forms.copy(deep=False)
    forms["out_year"] = forms.year.fillna(main).astype(int) if len(forms) else pd.Series(dtype=int)
    where = {(f, s): y for f, s, y in columns(forms, "file", "sheet", "out_year")}
    rejected = {(f, s) for f, s, r in columns(forms, "file", "sheet", "rejected") if r}
    current = results(forms) if current is None else current
    all_changes = changes(previous, current, main)
    years = sorted({main, *forms.out_year.tolist(), *all_changes.year.dropna().astype(int).tolist()})
    out = []
    for y in years:
        sub = forms[forms.out_year == y]
        mine = [f for f in findings if where.get((f.file, f.sheet), main) == y]
        missing = not_submitted(roster, sub) if y == main else None
        out.append(YearResult(
            year=y,
            forms=sub,
            findings=[f for f in mine if (f.file, f.sheet) in rejected or (f.file, f.sheet) not in where],
            warnings=[f for f in mine if (f.file, f.sheet) in where and (f.file, f.sheet) not in rejected],
            summary=summarise(sub, rules, missing=missing),
            skipped=skipped if y == main else [],
            files_read=files_read if y == main else 0,
            main=y == main,
            changes=all_changes[all_changes.year == y].reset_index(drop=True),
            not_submitted=missing,
        ))
    return out
