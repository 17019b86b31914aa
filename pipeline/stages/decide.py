"""Stage 5b: the council's decisions, applied to a year's ranking where they hold.

The final award is the council's decision where one is recorded, otherwise the tool's proposal
(kept as ``proposed``). A decision is refused, with a finding on its cell, and the proposal
stands, when the meeting lacks a quorum, the award lacks a majority of those present, the form
is not eligible, the decisions exceed a quota, a tie is left half settled, or a proposal to the
province misses the two-year rule. Thresholds come from the rules file (``[council]``).
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from pipeline.core.findings import OR, Finding, finding, reason
from pipeline.core.review import REVIEW
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.core.text import format_number, key, parse_number
from pipeline.stages.read.records import parse_date
from pipeline.stages.review import Meeting, Review, ReviewRow

NO_AWARD = ""  # a decision that awards nothing
TIE = "dong_hang"  # as stages.rank marks a tie left to the council
HOLDS = (GROUP_AWARD, PROPOSAL)


def holds_group_award(award: str, tie_edge: str) -> bool:
    """The group's award is certain: given, proposed on top of it, or tied only at the proposal edge."""
    return award in HOLDS or tie_edge == "proposal"


def _decision(text: str, rules: Rules) -> str | None:
    """An award code, NO_AWARD, or None when the text names neither."""
    k = key(text)
    if k == key(rules.council.no_award):
        return NO_AWARD
    for code in HOLDS:
        award = rules.awards[code]
        if k in (key(award.name), key(award.short)):
            return code
    return None


def _whole(value: object) -> int | None:
    number = parse_number(value)
    return int(number) if number is not None and number.is_integer() and number >= 0 else None


class _Sitting:
    """A sheet's meeting as far as it counts: present and members, or the findings that void it."""

    def __init__(self, meeting: Meeting | None, row: ReviewRow, rules: Rules):
        self.findings: list[Finding] = []
        self.members = self.present = 0
        self.date = ""
        if meeting is None:
            self.findings.append(finding("meeting-missing", row.file, row.sheet, label=REVIEW["present"]))
            return
        where = (meeting.file, meeting.sheet)
        date = parse_date(meeting.date) if meeting.date not in (None, "") else None
        members, present = _whole(meeting.members), _whole(meeting.present)
        for label, raw, value, cell, need in (
            (REVIEW["date"], meeting.date, date, meeting.cell_date, REVIEW["need_date"]),
            (REVIEW["members"], meeting.members, members or None, meeting.cell_members, REVIEW["need_members"]),
            (REVIEW["present"], meeting.present, present, meeting.cell_present, REVIEW["need_present"]),
        ):
            if raw is None or raw == "":
                self.findings.append(finding("meeting-missing", *where, cell, label=label.rstrip(":")))
            elif value is None:
                self.findings.append(finding("meeting-invalid", *where, cell, raw, need, label=label.rstrip(":")))
        if self.findings:
            return
        self.members, self.present, self.date = members, present, date.strftime("%d/%m/%Y")
        if present > members:
            self.findings.append(finding("meeting-invalid", *where, meeting.cell_present, present,
                                         REVIEW["need_at_most"].format(members=members),
                                         label=REVIEW["present"].rstrip(":")))
        elif not rules.council.quorum_met(members, present):
            need = f"{rules.council.quorum.numerator}/{rules.council.quorum.denominator}"
            self.findings.append(finding("no-quorum", *where, meeting.cell_present, present, need, members=members))


def _checked(forms: pd.DataFrame, i, row: ReviewRow, wanted: str, sitting: _Sitting, rules: Rules,
             passes: Callable[[object], bool]) -> Finding | None:
    """Why an award decision cannot stand, or None."""
    place = (row.file, row.sheet)
    if wanted == NO_AWARD:
        return None
    if not forms.at[i, "eligible"]:
        found = "; ".join(f.message for f in forms.at[i, "reasons"])
        return finding("decision-ineligible", *place, row.cell_decision, found)
    votes = _whole(row.votes)
    if row.votes is None or row.votes == "":
        return finding("votes-missing", *place, row.cell_votes)
    if votes is None or votes > sitting.present:
        return finding("votes-invalid", *place, row.cell_votes, row.votes, sitting.present)
    if not rules.council.majority_met(sitting.present, votes):
        share = rules.council.majority
        return finding("no-majority", *place, row.cell_votes, votes, f"{share.numerator}/{share.denominator}",
                       present=sitting.present)
    if wanted == PROPOSAL and not passes(i):
        return finding("decision-two-year", *place, row.cell_decision, years=rules.two_year_rule.years,
                       award=rules.awards[PROPOSAL].short)
    return None


def _ties(forms: pd.DataFrame, year_idx: pd.Index, wanted: dict, review: Review, rules: Rules,
          met: set[str]) -> list[Finding]:
    """A tie block half decided: its decisions go. A block untouched where the council met: told."""
    findings = []
    year = forms.loc[year_idx]
    tied = year[year.award == TIE]
    for (group, _, edge, rank), block in tied.groupby(["group", "kind", "tie_edge", "rank"]):
        members = list(block.index)
        decided = [i for i in members if i in wanted]
        if len(decided) == len(members) or (not decided and group not in met):
            continue
        award = rules.awards[GROUP_AWARD if edge == "award" else PROPOSAL].short
        for i in members:
            wanted.pop(i, None)
            row = review.matched.get(i)
            if row is not None:
                findings.append(finding("decision-tie-unsettled", row.file, row.sheet, row.cell_decision,
                                        n=len(members), rank=int(rank), award=award))
    return findings


def _quotas(forms: pd.DataFrame, year_idx: pd.Index, wanted: dict, review: Review, rules: Rules) -> list[Finding]:
    """Decisions that take a group and kind past a quota: those that raise a form go."""
    findings = []
    year = forms.loc[year_idx]

    def holds_before(i) -> bool:
        return holds_group_award(forms.at[i, "award"], forms.at[i, "tie_edge"])

    def proposed_before(i) -> bool:
        return forms.at[i, "award"] == PROPOSAL

    tiers = ((GROUP_AWARD, holds_before, lambda code: code in HOLDS),
             (PROPOSAL, proposed_before, lambda code: code == PROPOSAL))
    for (_, kind), grp in year[~year.superseded & year.eligible].groupby(["group", "kind"]):
        if not any(i in wanted for i in grp.index):
            continue
        for award, before, after in tiers:
            count = sum(after(wanted[i]) if i in wanted else before(i) for i in grp.index)
            quota = rules.awards[award].quota.get(kind, 0)
            if count <= quota:
                continue
            for i in [i for i in grp.index if i in wanted and after(wanted[i]) and not before(i)]:
                wanted.pop(i)
                row = review.matched[i]
                findings.append(finding("decision-over-quota", row.file, row.sheet, row.cell_decision, count, quota,
                                        award=rules.awards[award].short, kind=rules.kind_name(kind).lower()))
    return findings


def decide(forms: pd.DataFrame, year_idx: pd.Index, review: Review, rules: Rules,
           passes: Callable[[object], bool]) -> list[Finding]:
    """Apply the council's decisions on one year's forms (``year_idx``) in place; their findings."""
    findings: list[Finding] = []
    sittings: dict[tuple[str, str], _Sitting] = {}
    wanted: dict = {}
    names = OR.join([rules.awards[c].short for c in HOLDS] + [rules.council.no_award])
    for i in year_idx:
        row = review.matched.get(i)
        if row is None or not row.decision:
            continue
        if forms.at[i, "superseded"]:
            findings.append(finding("review-form-replaced", row.file, row.sheet, row.cell_key, row.key,
                                    row.form_file))
            continue
        code = _decision(row.decision, rules)
        if code is None:
            findings.append(finding("decision-unknown", row.file, row.sheet, row.cell_decision, row.decision, names))
            continue
        place = (row.file, row.sheet)
        if place not in sittings:
            sittings[place] = _Sitting(review.meeting_of(row), row, rules)
            findings += sittings[place].findings
        if sittings[place].findings:
            continue
        problem = _checked(forms, i, row, code, sittings[place], rules, passes)
        if problem is not None:
            findings.append(problem)
            continue
        wanted[i] = code
    met = {forms.at[i, "group"] for i in wanted}
    findings += _ties(forms, year_idx, wanted, review, rules, met)
    findings += _quotas(forms, year_idx, wanted, review, rules)
    for i, code in wanted.items():
        row = review.matched[i]
        sitting = sittings[(row.file, row.sheet)]
        where = (forms.at[i, "file"], forms.at[i, "sheet"], forms.at[i, "cell_form"])
        if code == NO_AWARD:
            proposal = forms.at[i, "award"]
            shown = (rules.awards[proposal].short if proposal in rules.awards
                     else REVIEW["tie"] if proposal == TIE else REVIEW["none"])
            forms.at[i, "decision_note"] = reason("council-refused", *where, no_award=rules.council.no_award,
                                                  date=sitting.date, proposal=shown)
        else:
            forms.at[i, "decision_note"] = reason("council-award", *where, award=rules.awards[code].short,
                                                  votes=format_number(_whole(row.votes)), present=sitting.present,
                                                  date=sitting.date)
        forms.at[i, "award"] = code
        forms.at[i, "tie_edge"] = ""
        forms.at[i, "decided"] = True
    return findings
