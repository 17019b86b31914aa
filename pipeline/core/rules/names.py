"""Matching free-typed names (groups, fields, kinds) to the rules file's own.

A name is looked up in three ways, each tried only when the one before finds nothing: by its
key (case, Unicode form, tone placement and punctuation folded), by its letters without any
diacritics ("Van Ninh"), and by those letters without spaces ("VanNinh"). At each step the
prefix of the rules file ("Huyện"/"H", "Thị xã"/"TX", …) may be typed or left out; where
several names fit, the typed prefix chooses among them. A name is matched only where exactly
one fits; ``candidates`` tells the others apart.
"""

from __future__ import annotations

from collections.abc import Callable

from pipeline.core.text import key, plain

Splitter = Callable[[str], tuple[str | None, str]]


class _Prefixes:
    """The rules file's prefixes in one spelling system (keys, or plain letters)."""

    def __init__(self, rows: list[list[str]], fold: Callable[[str], str], squash: bool = False):
        self.fold, self.squash = fold, squash
        self.tokens: list[tuple[tuple[str, ...], str]] = []
        for row in rows:
            canonical = fold(row[0])
            for spelling in row:
                self.tokens.append((tuple(fold(spelling).split()), canonical))
        # Longest prefix first so "thanh pho" wins over a one-word prefix.
        self.tokens.sort(key=lambda p: -len(p[0]))

    def split(self, text: str) -> tuple[str | None, str]:
        words = self.fold(text).split()
        for tokens, canonical in self.tokens:
            n = len(tokens)
            if len(words) > n and tuple(words[:n]) == tokens:
                return canonical, self._join(words[n:])
        return None, self._join(words)

    def _join(self, words: list[str]) -> str:
        return "".join(words) if self.squash else " ".join(words)


class NameIndex:
    """Matches free-typed names to canonical ones: prefixes, aliases, any common spelling."""

    def __init__(self, names: list[str], aliases: dict[str, list[str]], prefixes: list[list[str]]):
        self.prefix_rows = [list(row) for row in prefixes]  # as written: canonical first
        by_key, by_letters = _Prefixes(prefixes, key), _Prefixes(prefixes, plain)
        squashed = _Prefixes(prefixes, plain, squash=True)
        self._split = by_key.split
        self._exact: dict[str, str] = {}
        self._ways: list[tuple[Splitter, dict[str, list[tuple[str | None, str]]]]] = [
            (by_key.split, {}), (by_letters.split, {}), (squashed.split, {})]
        for name in names:
            for spelling in [name, *aliases.get(name, [])]:
                self._exact.setdefault(key(spelling), name)
                for split, index in self._ways:
                    prefix, core = split(spelling)
                    index.setdefault(core, []).append((prefix, name))

    def candidates(self, text: str) -> list[str]:
        """Every name the text may stand for, in alphabetical order: one where it is clear."""
        k = key(text)
        if not k:
            return []
        if k in self._exact:
            return [self._exact[k]]
        for split, index in self._ways:
            prefix, core = split(text)
            entries = index.get(core, [])
            found = {name for _, name in entries}
            if len(found) > 1 and prefix is not None:
                found = {name for p, name in entries if p == prefix} or found
            if found:
                return sorted(found)
        return []

    def match(self, text: str) -> str | None:
        found = self.candidates(text)
        return found[0] if len(found) == 1 else None

    def duplicates(self, names: list[str]) -> list[str]:
        seen: dict[str, str] = {}
        dupes = []
        for name in names:
            prefix, core = self._split(name)
            k = f"{prefix}|{core}"
            if k in seen:
                dupes.append(name)
            seen[k] = name
        return dupes
