"""Stage 5: one form per unit, ranks within each group and kind, awards against the quotas.

Several forms of one unit and year: the latest counts (by "Ngày lập", then by the file's
modification time); the others are kept, marked superseded. Equal totals share a rank; where
a tie straddles the edge of a quota, every tied form is marked "đồng hạng" for the council:
the quota is never silently exceeded and no tie is broken by name or file order.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from .findings import reason
from .rules import GROUP_AWARD, PROPOSAL, Rules
from .text import key

TIE = "dong_hang"
SUPERSEDED = "superseded"


def unit_key(row: pd.Series) -> str:
    """The same unit across files: its code, or else its name, kind and group."""
    if row.unit_code:
        return f"code:{key(row.unit_code)}"
    return f"name:{key(row['name'])}|{row.kind}|{row.group}"


def _supersede(forms: pd.DataFrame) -> pd.DataFrame:
    forms = forms.copy()
    forms["unit"] = forms.apply(unit_key, axis=1) if len(forms) else pd.Series(dtype=str)
    forms["superseded"] = False
    forms["note"] = ""
    order = forms.assign(_d=forms.date.map(lambda d: d or dt.date.min)).sort_values(
        ["_d", "mtime", "file", "sheet"]
    )
    for _, grp in order.groupby(["year", "unit"], sort=False):
        if len(grp) < 2:
            continue
        latest = grp.iloc[-1]
        for idx in grp.index[:-1]:
            forms.loc[idx, "superseded"] = True
            forms.loc[idx, "note"] = reason("superseded", file=latest.file, sheet=latest.sheet)
    return forms


def _award_block(first: int, last: int, proposal: int, quota: int) -> tuple[str, str | None]:
    """Award for a block of tied forms holding ranks first..last, and which edge it straddles."""
    if last <= proposal:
        return PROPOSAL, None
    if first <= proposal < last:
        return TIE, ("tie-proposal" if last <= quota else "tie-award")
    if last <= quota:
        return GROUP_AWARD, None
    if first <= quota < last:
        return TIE, "tie-award"
    return "", None


def rank(forms: pd.DataFrame, rules: Rules) -> pd.DataFrame:
    """Scored forms with ``superseded``, ``rank``, ``award`` and ``note``."""
    forms = _supersede(forms)
    forms["rank"] = pd.array([pd.NA] * len(forms), dtype="Int64")
    forms["award"] = ""
    # Which quota edge a tie straddles: "proposal" ties already hold the group's award.
    forms["tie_edge"] = ""
    forms.loc[forms.superseded, "award"] = SUPERSEDED
    ranked = forms[forms.eligible & ~forms.superseded]
    award, proposal = rules.awards[GROUP_AWARD], rules.awards[PROPOSAL]
    for (_, _, kind), grp in ranked.groupby(["year", "group", "kind"]):
        ranks = grp.total.rank(method="min", ascending=False).astype(int)
        forms.loc[grp.index, "rank"] = ranks
        q, p = award.quota.get(kind, 0), proposal.quota.get(kind, 0)
        for r, block in ranks.groupby(ranks):
            first, last = int(r), int(r) + len(block) - 1
            code, edge = _award_block(first, last, p, q)
            forms.loc[block.index, "award"] = code
            if edge:
                forms.loc[block.index, "tie_edge"] = "proposal" if edge == "tie-proposal" else "award"
                edge_award = proposal if edge == "tie-proposal" else award
                note = reason(
                    edge, rank=first, n=len(block), award=edge_award.short,
                    quota=edge_award.quota.get(kind, 0), award_low=award.short,
                )
                forms.loc[block.index, "note"] = note
    return forms
