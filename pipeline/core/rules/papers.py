"""The documents' wording (``[papers]`` in the rules file): legal bases, articles, recipients,
signers and list headings of the Quyết định, the Tờ trình and the Biên bản.

Every sentence of the Word drafts comes from here, so a province changes words, not code. Texts
may name the placeholders in PLACEHOLDERS; a misspelt one stops the run at load time, naming
the key.
"""

from __future__ import annotations

import string
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipeline.core.rules.load import Reader

# What a text may name, and what each stands for when a draft is written.
PLACEHOLDERS = {
    "year": "the year being decided", "today_year": "the year the draft is made", "movement": "the movement",
    "province": "the province", "group": "the group's name", "GROUP": "the group's name in capitals",
    "place": "the group's name without its prefix (Huyện, Thị xã, …)",
    "committee": "the group's party committee, by its prefix (Huyện ủy, Thị ủy, Thành ủy)",
    "collectives": "number of collectives",
    "individuals": "number of individuals", "whom": "each kind's number and name, kinds with none left out", "groups": "number of groups", "date": "the council's meeting date",
    "present": "members present", "members": "members of the council", "absent": "members absent",
    "percent": "votes in favour, as a share of those present", "n": "an article's number",
}

# Section -> (keys that hold one text, keys that hold a list of texts).
SECTIONS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "": (("draft_proposal", "draft_decision"),
         ("bases", "group_issuer", "group_signer", "council_issuer", "list_columns")),
    "decision": (("number", "title", "summary", "authority", "basis", "decides", "article", "list_title",
                  "list_note"), ("articles", "recipients")),
    "proposal": (("number", "title", "summary", "to", "list_title", "list_note"), ("body", "recipients")),
    "province": (("number", "title", "summary", "to", "list_title", "list_note"), ("body", "recipients", "signer")),
    "minutes": (("title", "summary", "content", "agreed"),
                ("opening", "vote_columns", "closing", "signers")),
}
COMMON = ("recipients_label",)  # keys of [papers] itself besides those above
# Optional keys of [papers]: the groups with no People's Committee to sign a group's drafts, and
# each group prefix's party committee.
OWN = ("without_documents", "committees")


@dataclass(frozen=True)
class Wording:
    """One document's texts, each filled in with the draft's values."""

    texts: dict[str, str]
    lists: dict[str, tuple[str, ...]]

    def text(self, name: str, **values: object) -> str:
        return self.texts[name].format_map(_Values(values))

    def lines(self, name: str, **values: object) -> list[str]:
        return [t.format_map(_Values(values)) for t in self.lists[name]]

    def placeholders(self) -> set[str]:
        texts = [*self.texts.values(), *(t for ts in self.lists.values() for t in ts)]
        return {name for t in texts for name in _names(t)}


class _Values(dict):
    def __missing__(self, name: str) -> str:
        return "{" + name + "}"  # a placeholder this document has no value for stays visible


@dataclass(frozen=True)
class Papers:
    common: Wording
    decision: Wording
    proposal: Wording
    province: Wording
    minutes: Wording
    # Groups that are no local government (a bloc of the province's departments, a cluster): each
    # member awards its own Giấy khen, so the group gets no Quyết định, Tờ trình or Biên bản; its
    # proposals still go into the province's Tờ trình.
    without_documents: frozenset[str] = frozenset()
    committees: dict[str, str] = field(default_factory=dict)  # group prefix -> "Huyện ủy", …

    def has_documents(self, group: str) -> bool:
        return group not in self.without_documents

    def uses(self, placeholder: str) -> bool:
        return any(placeholder in w.placeholders()
                   for w in (self.common, self.decision, self.proposal, self.province, self.minutes))


def _names(text: str) -> list[str]:
    """The placeholders a text names, in order."""
    return [name for _, name, _, _ in string.Formatter().parse(text) if name is not None]


def _checked(r: Reader, text: str, where: str) -> str:
    for name in _names(text):
        if name not in PLACEHOLDERS:
            raise r.fail(where, f"có «{{{name}}}» không phải tên được dùng (được dùng: {', '.join(PLACEHOLDERS)})")
    return text


def _wording(r: Reader, table: dict, where: str, texts: tuple[str, ...], lists: tuple[str, ...],
             extra: tuple[str, ...] = ()) -> Wording:
    # [papers] itself also holds the sections and its optional keys, read on their own.
    others = (*(k for k in SECTIONS if k), *OWN) if not where.count(".") else ()
    r.table(table, where, {*texts, *lists, *extra, *others}, {*texts, *lists, *extra})
    return Wording(
        {k: _checked(r, r.text(table, k, where), f"{where}.{k}") for k in (*texts, *extra)},
        {k: tuple(_checked(r, t, f"{where}.{k}") for t in r.texts(table, k, where)) for k in lists},
    )


def _without(r: Reader, top: dict, groups: list[str]) -> frozenset[str]:
    if "without_documents" not in top:
        return frozenset()
    names = r.texts(top, "without_documents", "papers")
    for name in names:
        if name not in groups:
            raise r.fail("papers.without_documents", f"có «{name}» không phải một nhóm trong grouping.groups")
    return frozenset(names)


def _committees(r: Reader, top: dict, prefixes: list[str]) -> dict[str, str]:
    table = r.table(top.get("committees", {}), "papers.committees", set(prefixes), set())
    return {prefix: r.text(table, prefix, "papers.committees") for prefix in table}


def load_papers(r: Reader, data: dict, groups: list[str], prefixes: list[str]) -> Papers:
    """``groups``, ``prefixes``: the rules file's groups and their prefixes (canonical spelling)."""
    top = r.table(data["papers"], "papers", None, {k for k in SECTIONS if k})
    common = _wording(r, top, "papers", *SECTIONS[""], COMMON)
    parts = {k: _wording(r, r.table(top[k], f"papers.{k}", None, set()), f"papers.{k}", *SECTIONS[k])
             for k in SECTIONS if k}
    return Papers(common, **parts, without_documents=_without(r, top, groups),
                  committees=_committees(r, top, prefixes))
