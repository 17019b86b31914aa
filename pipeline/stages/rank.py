"""Stage 5: one form per unit, ranks within each group and kind, awards against the quotas.

Several forms of one unit and year: the latest counts (by "Ngày lập", then by the file's
modification time); the others are kept, marked superseded. Equal totals share a rank; where
a tie straddles the edge of a quota, every tied form is marked "đồng hạng" for the council:
the quota is never silently exceeded and no tie is broken by name or file order.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from pipeline.core.findings import Finding, reason
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.core.table import columns
from pipeline.core.text import format_number, key, parse_number, unit_key
from pipeline.stages.decide import TIE, decide, holds_group_award
from pipeline.stages.review import Review

SUPERSEDED = "superseded"
__all__ = ["SUPERSEDED", "TIE", "holds_group_award", "rank"]


def _supersede(forms: pd.DataFrame) -> pd.DataFrame:
    forms = forms.copy(deep=False)
    forms["unit"] = [unit_key(*r) for r in columns(forms, "unit_code", "name", "kind", "group")]
    forms["superseded"] = False
    forms["note"] = pd.Series([None] * len(forms), index=forms.index, dtype=object)  # a Finding (REASON) or None
    # Only units with more than one form in a year need ordering.
    repeated = forms[forms.duplicated(["year", "unit"], keep=False)]
    order = repeated.assign(_d=repeated.date.map(lambda d: d or dt.date.min)).sort_values(
        ["_d", "mtime", "file", "sheet"]
    )
    # In each unit's forms, oldest first, all but the last are superseded by the last.
    older = order.duplicated(["year", "unit"], keep="last")
    latest = order.groupby(["year", "unit"], sort=False)[["file", "sheet"]].transform("last")
    older_idx = order.index[older]
    forms.loc[older_idx, "superseded"] = True
    note = _Notes(forms)
    for i, f, sh in zip(older_idx, latest.file[older], latest.sheet[older], strict=True):
        note(i, "superseded", by_file=f, by_sheet=sh)
    note.into(forms)
    return forms


class _Notes:
    """The reason behind each form's outcome, pointing at the form itself; set in one go."""

    def __init__(self, forms: pd.DataFrame):
        self.where = dict(zip(forms.index, zip(forms.file.tolist(), forms.sheet.tolist(), forms.cell_form.tolist(),
                                               strict=True), strict=True))
        self.notes: dict = {}

    def __call__(self, index, code: str, **context: object) -> None:
        self.notes[index] = reason(code, *self.where[index], **context)

    def into(self, forms: pd.DataFrame) -> None:
        if self.notes:
            forms.loc[list(self.notes), "note"] = pd.Series(self.notes, dtype=object)


def _blocks(ranks: pd.Series) -> list[tuple[int, int, pd.Index]]:
    """(first rank, last rank, members) of each block of equal totals, best first."""
    out = []
    for r, block in ranks.groupby(ranks):
        out.append((int(r), int(r) + len(block) - 1, block.index))
    return out


def _award_block(forms: pd.DataFrame, note: _Notes, ranks: pd.Series, quota: int, kind: str, rules: Rules) -> list:
    """The group's award by blocks of equal totals; returns its holders, best first."""
    award = rules.awards[GROUP_AWARD]
    kind_name = rules.kind_name(kind).lower()
    holders: list = []
    for first, last, members in _blocks(ranks):
        if last <= quota:
            forms.loc[members, "award"] = GROUP_AWARD
            holders += list(members)
        elif first <= quota:
            forms.loc[members, ["award", "tie_edge"]] = [TIE, "award"]
            for i in members:
                note(i, "tie-award", rank=first, n=len(members), award=award.short, quota=quota,
                     slots=quota - first + 1, kind=kind_name)
        else:
            for i in members:
                note(i, "outside-quota", rank=first, award=award.short, quota=quota, kind=kind_name)
    return holders


def _proposal_block(forms: pd.DataFrame, note: _Notes, ranks: pd.Series, holders: list, passers: list, quota: int,
                    kind: str, rules: Rules) -> None:
    """The proposal among the holders who meet the two-year rule, by blocks of equal totals."""
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    kind_name = rules.kind_name(kind).lower()
    among = forms.loc[passers, "total"].rank(method="min", ascending=False).astype(int)
    for first, last, members in _blocks(among):
        if last <= quota:
            forms.loc[members, "award"] = PROPOSAL
            for i in members:
                note(i, "proposal-within-quota", rank=int(ranks[i]), award=proposal.short, quota=quota, kind=kind_name)
        elif first <= quota:
            forms.loc[members, ["award", "tie_edge"]] = [TIE, "proposal"]
            for i in members:
                note(i, "tie-proposal", rank=int(ranks[members[0]]), n=len(members), award=proposal.short,
                     quota=quota, slots=quota - first + 1, award_low=award.short, kind=kind_name)
    proposed = [int(ranks[i]) for i in holders if forms.at[i, "award"] == PROPOSAL or forms.at[i, "tie_edge"] == "proposal"]
    rule = rules.two_year_rule
    for i in holders:
        if forms.at[i, "award"] != GROUP_AWARD:
            continue
        # Passed over for one ranked equal or lower, or for no one: the two-year rule is why.
        if i not in passers and (ranks[i] <= quota or any(r >= ranks[i] for r in proposed)):
            note(i, "two-year", years=rule.years, award=award.short, rank=int(ranks[i]))
        else:
            note(i, "award-within-quota", rank=int(ranks[i]), award=award.short, quota=award.quota.get(kind, 0),
                 kind=kind_name)


def _preferences(forms: pd.DataFrame, rules: Rules) -> None:
    """Beside each tie, Nghị định 152/2025's preference where the form gives it: information for
    the council, never applied."""
    council = rules.council
    women = {key(w) for w in council.woman}
    tied = forms[forms.proposed == TIE]
    for i, (kind, text, file, sheet, cell) in zip(tied.index, columns(tied, "kind", "women", "file", "sheet",
                                                                      "cell_women"), strict=True):
        if not text:
            continue
        if rules.kinds.get(kind) is not None and rules.kinds[kind].person:
            if key(text) in women:
                forms.at[i, "preference"] = reason("tie-preference-woman", file, sheet, cell, text,
                                                   basis=council.preference_basis)
            continue
        share = parse_number(text.replace("%", "").strip())
        if share is not None and 0 < share <= 1 and "%" not in text:
            share *= 100  # a share typed as a fraction, or a cell formatted as a percentage
        if share is not None and share + 1e-9 >= council.women_percent:
            forms.at[i, "preference"] = reason("tie-preference-women", file, sheet, cell, text,
                                               percent=format_number(share), basis=council.preference_basis)


def rank(forms: pd.DataFrame, rules: Rules, history: dict[str, set[int]] | None = None,
         review: Review | None = None) -> tuple[pd.DataFrame, list[Finding]]:
    """Scored forms with ``superseded``, ``rank``, ``award``, ``tie_edge``, ``note`` and ``by_name``;
    and the findings on the council's decisions.

    ``note`` is the reason behind every outcome of an eligible or superseded form (a Finding).
    ``history`` maps a unit to the years it held the group's award before this run (ledger and
    imported registers). Years are ranked in order, so a year decided here counts for the next.
    ``review``: the appraisal and the council's decisions; the final award is the decision where
    one stands (``decided``, with ``decision_note``), the tool's proposal otherwise (``proposed``).
    """
    history = {u: set(ys) for u, ys in (history or {}).items()}
    forms = _supersede(forms)
    forms["rank"] = pd.array([pd.NA] * len(forms), dtype="Int64")
    forms["award"] = ""
    # Which quota edge a tie straddles: "proposal" ties already hold the group's award.
    forms["tie_edge"] = ""
    forms["by_name"] = False  # the two-year rule was met through a match by name, for staff to check
    forms["proposed"] = ""
    forms["proposed_edge"] = ""
    forms["decided"] = False
    for name in ("decision_note", "preference"):
        forms[name] = pd.Series([None] * len(forms), index=forms.index, dtype=object)
    review = review or Review()
    findings: list[Finding] = []
    forms.loc[forms.superseded, "award"] = SUPERSEDED
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    rule = rules.two_year_rule

    def passes(idx) -> bool:
        if not rule.enabled:
            return True
        year, unit = int(forms.at[idx, "year"]), forms.at[idx, "unit"]
        return all(year - k in history.get(unit, ()) for k in range(1, rule.years))

    note = _Notes(forms)
    for year in sorted({int(y) for y in forms.year.dropna()}):
        current = forms[(forms.year == year) & forms.eligible & ~forms.superseded]
        for (_, kind), grp in current.groupby(["group", "kind"]):
            ranks = grp.total.rank(method="min", ascending=False).astype(int)
            forms.loc[grp.index, "rank"] = ranks
            holders = _award_block(forms, note, ranks, award.quota.get(kind, 0), kind, rules)
            passers = [i for i in holders if passes(i)]
            for i in passers:
                if rule.enabled and rule.years > 1 and str(forms.at[i, "unit"]).startswith("name:"):
                    forms.at[i, "by_name"] = True
            _proposal_block(forms, note, ranks, holders, passers, proposal.quota.get(kind, 0), kind, rules)
        year_idx = forms.index[forms.year == year]
        forms.loc[year_idx, "proposed"] = forms.loc[year_idx, "award"]
        forms.loc[year_idx, "proposed_edge"] = forms.loc[year_idx, "tie_edge"]
        findings += decide(forms, year_idx, review, rules, passes)
        decided = forms.loc[year_idx]
        for unit, a, edge in columns(decided, "unit", "award", "tie_edge"):
            if holds_group_award(a, edge):
                history.setdefault(unit, set()).add(year)
    note.into(forms)
    _preferences(forms, rules)
    return forms, findings
