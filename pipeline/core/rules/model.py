"""The rules as data: every group, field, rubric, threshold, quota, deadline and fixed wording.

The rules file (TOML, in ``schemas/``) is the single source of all of them; ``load`` reads and
checks it. Nothing here reads a file.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from pipeline.core.rules.names import NameIndex
from pipeline.core.rules.papers import Papers
from pipeline.core.text import key

DEFAULT_RULES = Path(__file__).resolve().parents[3] / "schemas" / "khanh_hoa.toml"

# The two tiers of recognition the pipeline ranks for; their names and quotas come from the file.
GROUP_AWARD = "giay_khen_huyen"
PROPOSAL = "de_nghi_bang_khen_tinh"

INFO_FIELDS = (
    "kind", "year", "name", "unit_code", "position", "group",
    "commune", "model", "field", "period", "date", "women",
)
# Labels a rules file may leave out: the form then has no such field.
OPTIONAL_LABELS = ("women",)
TABLE_COLUMNS = ("stt", "criterion", "standard", "score", "evidence")




@dataclass(frozen=True)
class Criterion:
    stt: int
    points: float
    text: str
    evidence: str


@dataclass(frozen=True)
class Kind:
    code: str
    name: str
    title: str
    name_label: str
    total: float
    criteria: tuple[Criterion, ...]
    person: bool = False  # individuals: named and sorted by given name, then family name


@dataclass(frozen=True)
class Award:
    code: str
    name: str
    short: str
    quota: dict[str, int]


@dataclass(frozen=True)
class Eligibility:
    criterion_min_percent: float
    total_min: float
    evidence_required: bool


@dataclass(frozen=True)
class FormLayout:
    title: str
    total_row: tuple[str, ...]
    required: tuple[str, ...]
    labels: dict[str, tuple[str, ...]]
    columns: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Calendar:
    registration_before: tuple[int, int]
    dossier_before: tuple[int, int]
    evaluation_quarter: int
    report_before: tuple[int, int]
    late_blocks_eligibility: bool = False

    def dossier_deadline(self, year: int) -> dt.date:
        day, month = self.dossier_before
        return dt.date(year, month, day)


@dataclass(frozen=True)
class TwoYearRule:
    enabled: bool
    years: int  # consecutive years recognised, the year being ranked included


@dataclass(frozen=True)
class Document:
    issuer: tuple[str, ...]
    nation: str
    motto: str
    place: str
    signer_title: str
    signer_name: str
    preparer: str


@dataclass(frozen=True)
class Email:
    subject: str
    body: str
    recipients: dict[str, str]


@dataclass(frozen=True)
class Council:
    """The Hội đồng Thi đua - Khen thưởng: who sits on it and when its vote counts."""

    members: int
    quorum: Fraction  # a meeting counts with at least this share of the members present
    majority: Fraction  # an award needs more than this share of those present in favour
    no_award: str  # the decision that refuses a proposal
    woman: tuple[str, ...]  # how a form says its individual is a woman
    women_percent: float  # a collective with at least this share of women is preferred on ties
    preference_basis: str  # the legal basis of that preference, quoted beside each tie

    def quorum_met(self, members: int, present: int) -> bool:
        return present >= self.quorum * members

    def majority_met(self, present: int, votes: int) -> bool:
        return votes > self.majority * present


# Titles of past recognitions (inputs/lich_su/): the group's award, and the province's.
HISTORY_TITLES = (GROUP_AWARD, "bang_khen_tinh")


@dataclass(frozen=True)
class Registers:
    history_columns: tuple[str, ...]
    roster_columns: tuple[str, ...]
    titles: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Rules:
    path: Path
    sha256: str
    province: str
    movement: str
    group_label: str
    groups: tuple[str, ...]
    fields: tuple[str, ...]
    eligibility: Eligibility
    awards: dict[str, Award]
    calendar: Calendar
    form: FormLayout
    kinds: dict[str, Kind]
    two_year_rule: TwoYearRule
    registers: Registers
    document: Document
    email: Email
    council: Council
    papers: Papers
    group_index: NameIndex = field(repr=False, compare=False)
    field_index: NameIndex = field(repr=False, compare=False)
    kind_index: NameIndex = field(repr=False, compare=False)

    def match_group(self, text: str) -> str | None:
        return self.group_index.match(text)

    def match_field(self, text: str) -> str | None:
        return self.field_index.match(text)

    def match_kind(self, text: str) -> str | None:
        name = self.kind_index.match(text)
        if name is None:
            # "Tập thể điển hình", "Cá nhân tiêu biểu": the kind's name as a whole word run.
            k = f" {key(text)} "
            hits = {c for c, kd in self.kinds.items() if f" {key(kd.name)} " in k}
            return hits.pop() if len(hits) == 1 else None
        return next(code for code, kd in self.kinds.items() if kd.name == name)

    def match_title(self, text: str) -> str | None:
        """A past recognition's title, in any common spelling -> giay_khen_huyen / bang_khen_tinh."""
        k = key(text)
        for code, spellings in self.registers.titles.items():
            if any(k == key(s) for s in spellings):
                return code
        return None

    def _prefix(self, group: str) -> str | None:
        return next((row[0] for row in self.group_index.prefix_rows if group.startswith(row[0] + " ")), None)

    def place(self, group: str) -> str:
        """A group's name without its prefix ("Huyện Vạn Ninh" -> "Vạn Ninh"), as a date line says it."""
        prefix = self._prefix(group)
        return group[len(prefix) + 1:] if prefix else group

    def committee(self, group: str) -> str:
        """The group's party committee by its prefix ("Thị xã Ninh Hòa" -> "Thị ủy"), from [papers.committees]."""
        return self.papers.committees.get(self._prefix(group) or "", "")

    def kind_name(self, code: str) -> str:
        return self.kinds[code].name if code in self.kinds else code


