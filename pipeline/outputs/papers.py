"""The Word drafts the office signs, in ``outputs/<năm>/van_ban/``: for each group its Quyết định
awarding the Giấy khen with the attached list, its Tờ trình proposing the province's Bằng khen,
the Biên bản of its council's meeting; and the province's Tờ trình gathering every group's
proposals.

They are made from the final outcomes (the council's decisions where recorded, the proposals
otherwise), and each says which in its page header. Every sentence comes from ``[papers]`` in
the rules file.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.core.rules.papers import Wording
from pipeline.core.text import format_number, slug
from pipeline.outputs.letter import Letter, date_words
from pipeline.outputs.record import Record, award_label, ranked_order
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult
from pipeline.stages.decide import TIE, holds_group_award
from pipeline.stages.read.records import parse_date
from pipeline.stages.review import Meeting

LIST_MM = (14, 50, 42, 42, 17)  # STT, name, position and unit, model, total: 165 mm between the margins
VOTES_MM = (14, 48, 30, 33, 20, 20)
ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _numbered(forms: list[Record], sections: dict[int, str]):
    """(number, form): numbered from 1 again in each section, as the lists attached to a decision are."""
    n = 0
    for i, r in enumerate(forms):
        n = 1 if i in sections else n + 1
        yield n, r


def papers_folder(folder: Path) -> Path:
    return folder / "van_ban"


def _meeting_date(meeting: Meeting | None) -> str:
    day = parse_date(meeting.date) if meeting is not None and meeting.date not in (None, "") else None
    return day.strftime("%d/%m/%Y") if day else ""


class _Draft:
    """What every draft of one group (or of the province) shares."""

    def __init__(self, rules: Rules, year: int, today: dt.date, group: str, forms: list[Record],
                 meeting: Meeting | None, dates: str = ""):
        self.rules, self.year, self.today, self.group = rules, year, today, group
        self.meeting = meeting
        self.values = {"year": year, "today_year": today.year, "movement": rules.movement, "province": rules.province,
                       "group": group, "GROUP": group.upper(), "place": rules.place(group),
                       "committee": rules.committee(group)}
        common = rules.papers.common
        date = _meeting_date(meeting) or dates
        decided = any(r.decided for r in forms) if meeting is not None else all(r.decided for r in forms)
        self.note = common.text("draft_decision", date=date) if decided and date else common.text("draft_proposal")

    def counts(self, forms: list[Record]) -> dict[str, object]:
        """How many of each kind a list holds: as numbers, and as words ("1 tập thể", never "0 cá nhân")."""
        person = {code for code, k in self.rules.kinds.items() if k.person}
        per_kind = [(sum(r.kind == code for r in forms), kind.name.lower()) for code, kind in self.rules.kinds.items()]
        whom = LABELS["and"].join(f"{n} {name}" for n, name in per_kind if n)
        return {"collectives": sum(r.kind not in person for r in forms),
                "individuals": sum(r.kind in person for r in forms), "whom": whom}

    def unit(self, r: Record) -> str:
        kind = self.rules.kinds.get(r.kind)
        if kind is not None and kind.person:
            return ", ".join(t for t in (r.position, r.commune) if t)
        return r.commune or self.rules.place(r.group)

    def sections(self, forms: list[Record], by_group: bool = False) -> dict[int, str]:
        """A heading before each kind (numbered I, II, …), or before each group and kind."""
        out, last = {}, None
        for i, r in enumerate(forms):
            here = (r.group if by_group else "", r.kind)
            if here != last:
                n = sum((f.group if by_group else "", f.kind) == here for f in forms)
                kind = self.rules.kind_name(r.kind).upper()
                out[i] = (f"{r.group} — {kind} ({n})" if by_group
                          else f"{ROMAN[len(out) % len(ROMAN)]}. {kind} ({n})")
                last = here
        return out

    def attached_list(self, letter: Letter, wording: Wording, forms: list[Record], by_group: bool = False) -> None:
        common = self.rules.papers.common
        letter.new_page(wording.text("list_title", **self.values), align="center", bold=True, after=0)
        letter.line(wording.text("list_note", **self.values), "center", italic=True, after=8)
        sections = self.sections(forms, by_group)
        rows = [[n, r["name"], self.unit(r), r.model, format_number(r.total)] for n, r in _numbered(forms, sections)]
        letter.table(common.lists["list_columns"], LIST_MM, rows, sections, centred=(0, 4))

    def head(self, letter: Letter, issuer: list[str], number: str, day: dt.date | None = None) -> None:
        doc = self.rules.document
        letter.heading(issuer, number, doc.nation, doc.motto, date_words(self.values["place"], day, self.today.year))


def _decision(d: _Draft, holders: list[Record]) -> Letter:
    w, common = d.rules.papers.decision, d.rules.papers.common
    values = {**d.values, **d.counts(holders)}
    letter = Letter(d.note)
    d.head(letter, common.lines("group_issuer", **values), w.text("number", **values))
    letter.title(w.text("title", **values), w.text("summary", **values))
    letter.line(w.text("authority", **values), "center", bold=True, after=6)
    letter.bases([*common.lines("bases", **values), w.text("basis", **values)])
    letter.line(w.text("decides", **values), "center", bold=True, before=6, after=6)
    for n, text in enumerate(w.lines("articles", **values), start=1):
        p = letter.line("", "justify", indent=True, after=4)
        letter.run(p, w.text("article", n=n) + " ", bold=True)
        letter.run(p, text)
    letter.closing(common.text("recipients_label"), w.lines("recipients", **values),
                   common.lines("group_signer", **values))
    d.attached_list(letter, w, holders)
    return letter


def _proposal(d: _Draft, proposed: list[Record], province: bool = False) -> Letter:
    papers = d.rules.papers
    w = papers.province if province else papers.proposal
    values = {**d.values, **d.counts(proposed), "groups": len({r.group for r in proposed})}
    letter = Letter(d.note)
    issuer = list(d.rules.document.issuer) if province else papers.common.lines("group_issuer", **values)
    d.head(letter, issuer, w.text("number", **values))
    letter.title(w.text("title", **values), w.text("summary", **values))
    letter.line(w.text("to", **values), "center", after=8)
    letter.bases(papers.common.lines("bases", **values))
    for text in w.lines("body", **values):
        letter.line(text, "justify", indent=True, after=4)
    signer = w.lines("signer", **values) if province else papers.common.lines("group_signer", **values)
    letter.closing(papers.common.text("recipients_label"), w.lines("recipients", **values), signer,
                   d.rules.document.signer_name if province else "")
    d.attached_list(letter, w, proposed, by_group=province)
    return letter


def _vote(d: _Draft, r: Record, present: int | None) -> list[object]:
    typed = r.review_row
    votes = typed.votes if r.decided and typed is not None else None
    agreed = ""
    if isinstance(votes, (int, float)) and present:
        agreed = d.rules.papers.minutes.text("agreed", percent=format_number(round(votes * 100 / present, 1)))
    decided = (award_label(r.award, d.rules) or d.rules.council.no_award) if r.decided else ""
    return [r["name"], award_label(r.proposed, d.rules), decided,
            "" if votes is None else f"{format_number(votes)}/{present or '…'}", agreed]


def _minutes(d: _Draft, items: list[Record], holders: list[Record]) -> Letter:
    """``items``: the forms the council voted on (or would), in order."""
    w, common = d.rules.papers.minutes, d.rules.papers.common
    m = d.meeting
    members = m.members if m is not None and m.members not in (None, "") else d.rules.council.members
    present = m.present if m is not None and m.present not in (None, "") else None
    present_n = int(present) if isinstance(present, (int, float)) else None
    members_n = int(members) if isinstance(members, (int, float)) else None
    absent = members_n - present_n if members_n is not None and present_n is not None else "……"
    values = {**d.values, **d.counts(holders), "date": _meeting_date(m) or "……/……/……",
              "present": "……" if present_n is None else present_n,
              "members": members if members_n is None else members_n, "absent": absent}
    letter = Letter(d.note)
    day = parse_date(m.date) if m is not None and m.date not in (None, "") else None
    d.head(letter, common.lines("council_issuer", **values), "", day)
    letter.title(w.text("title", **values), w.text("summary", **values))
    for text in w.lines("opening", **values):
        letter.line(text, "left", indent=True, after=3)
    letter.line(w.text("content", **values), "justify", indent=True, before=4, after=6)
    sections = d.sections(items)
    rows = [[n, *_vote(d, r, present_n)] for n, r in _numbered(items, sections)]
    letter.table(w.lists["vote_columns"], VOTES_MM, rows, sections, centred=(0, 4, 5))
    for text in w.lines("closing", **values):
        letter.line(text, "justify", indent=True, before=6, after=3)
    letter.signatures(w.lines("signers", **values))
    d.attached_list(letter, d.rules.papers.decision, holders)
    return letter


def write_papers(result: YearResult, folder: Path, records: list[Record], rules: Rules,
                 today: dt.date) -> list[Path]:
    """Every draft of the year; returns the paths written."""
    out = papers_folder(folder)
    written: list[Path] = []
    current = [r for r in records if not r.rejected and not r.superseded]
    everyone: list[Record] = []
    dates: set[str] = set()
    order = ranked_order(rules)
    for group in rules.groups:
        mine = [r for r in current if r.group == group]
        if not mine:
            continue
        dates.add(_meeting_date(result.meetings.get(group)))
        # Only the few on a list are put in order: a group may have thousands of forms.
        holders = sorted((r for r in mine if holds_group_award(r.award, r.tie_edge)), key=order)
        proposed = [r for r in holders if r.award == PROPOSAL]
        everyone += proposed
        if not rules.papers.has_documents(group):
            continue
        d = _Draft(rules, result.year, today, group, mine, result.meetings.get(group))
        name = f"{slug(group)}_{result.year}.docx"
        if holders:
            written.append(_decision(d, holders).save(out / f"quyet_dinh_{name}"))
            items = sorted((r for r in mine if r.decided or r.proposed in (GROUP_AWARD, PROPOSAL, TIE)), key=order)
            written.append(_minutes(d, items, holders).save(out / f"bien_ban_{name}"))
        if proposed:
            written.append(_proposal(d, proposed).save(out / f"to_trinh_{name}"))
    if everyone:
        # The province's draft: every group's proposals, under the provincial issuer.
        everyone.sort(key=order)
        d = _Draft(rules, result.year, today, rules.province, everyone, None, ", ".join(sorted(dates - {""})))
        d.values["place"] = rules.document.place
        written.append(_proposal(d, everyone, province=True).save(out / f"to_trinh_tinh_{result.year}.docx"))
    return written
