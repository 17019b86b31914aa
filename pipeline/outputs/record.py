"""A form as the outputs read it: a named record per form, and the words shown for its outcome."""

from __future__ import annotations

from collections import namedtuple

import pandas as pd

from pipeline.core.findings import Finding
from pipeline.core.rules import Rules
from pipeline.core.table import columns
from pipeline.core.text import person_sort_key, vi_sort_key
from pipeline.outputs.document import missing
from pipeline.outputs.words import LABELS
from pipeline.stages.rank import SUPERSEDED, TIE

RECORD_COLUMNS = ["file", "sheet", "unit_code", "name", "kind", "group", "field", "year", "total", "eligible",
                  "reasons", "rank", "award", "note", "superseded", "rejected", "scores", "commune", "model",
                  "by_name", "tie_edge", "self_total", "self_scores", "appraised", "proposed", "decided",
                  "decision_note", "preference", "review_row", "women", "position", "unit"]


class Record(namedtuple("Record", RECORD_COLUMNS, defaults=[None] * len(RECORD_COLUMNS))):
    """A form as a plain record (``r.file``, ``r["name"]``): far faster than a pandas row, and a
    fifth of a dict's memory, which counts at 100 000 forms sent to a worker."""

    __slots__ = ()

    def __getitem__(self, key):  # r["name"]: a record's name is also a tuple method's name
        return getattr(self, key) if isinstance(key, str) else super().__getitem__(key)


def records(frame: pd.DataFrame) -> list[Record]:
    """The forms as records, once per year: every sheet then filters plain Python lists."""
    return list(map(Record._make, columns(frame, *RECORD_COLUMNS)))


def reasons_of(row) -> list[Finding]:
    """Every reason behind the form's outcome: why it is not eligible, how it was ranked, what the
    council decided, and the preference the council may weigh on a tie."""
    extra = [row[k] for k in ("note", "decision_note", "preference") if row[k] is not None]
    return [*row["reasons"], *extra]



def award_label(code: str, rules: Rules) -> str:
    if code in rules.awards:
        return rules.awards[code].short
    return {TIE: LABELS["award_tie"], SUPERSEDED: LABELS["award_superseded"]}.get(code, "")



def outcome_label(r, rules: Rules) -> str:
    """The award as a page shows it, saying whether the council decided it or it is a proposal."""
    if r.decided:
        return LABELS["decided"].format(award=award_label(r.award, rules) or rules.council.no_award)
    label = award_label(r.award, rules)
    return LABELS["proposed"].format(award=label) if r.award in rules.awards else label


def group_label(group: str) -> str:
    return group or LABELS["unknown"]



def name_key(r, rules: Rules) -> tuple:
    """Vietnamese alphabetical order; people by given name, then family name."""
    kind = rules.kinds.get(r.kind)
    return person_sort_key(r["name"]) if kind is not None and kind.person else (vi_sort_key(r["name"]), ())


def ranked_order(rules: Rules):
    """The one order of forms on every sheet: the rules file's groups and kinds, then ranked
    forms by rank, then the rest; equals by given name, then family name; then file and sheet."""
    groups = {g: i for i, g in enumerate(rules.groups)}
    kinds = {k: i for i, k in enumerate(rules.kinds)}

    def key(r) -> tuple:
        state = 0 if r.eligible and not r.superseded else (1 if not r.superseded else 2)
        rank = 10**6 if missing(r["rank"]) else int(r["rank"])
        return (groups.get(r.group, len(groups)), kinds.get(r.kind, len(kinds)), state, rank, name_key(r, rules),
                r.file, r.sheet)

    return key


def kind_sections(kinds: list[str], rules: Rules) -> dict[int, str]:
    """A heading before the first row of each kind (``kinds``: each row's kind, in order)."""
    out, last = {}, None
    for i, k in enumerate(kinds):
        if k != last:
            out[i] = (rules.kind_name(k) or LABELS["unknown"]).upper()
            last = k
    return out
