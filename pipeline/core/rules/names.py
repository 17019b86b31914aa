"""Matching free-typed names (groups, fields, kinds) to the rules file's own."""

from __future__ import annotations

from pipeline.core.text import key, plain


class NameIndex:
    """Matches free-typed names to canonical ones: prefixes, aliases, any common spelling."""

    def __init__(self, names: list[str], aliases: dict[str, list[str]], prefixes: list[list[str]]):
        self.prefix_rows = [list(row) for row in prefixes]  # as written: canonical first
        self._prefixes: list[tuple[tuple[str, ...], str]] = []
        for row in prefixes:
            canonical = key(row[0])
            for spelling in row:
                self._prefixes.append((tuple(key(spelling).split()), canonical))
        # Longest prefix first so "thanh pho" wins over a one-word alias.
        self._prefixes.sort(key=lambda p: -len(p[0]))
        self._exact: dict[str, str] = {}
        self._core: dict[str, list[tuple[str | None, str]]] = {}
        # Typed without diacritics ("Cam Lam"): accepted only where exactly one name fits.
        self._ascii: dict[str, set[str]] = {}
        for name in names:
            for spelling in [name, *aliases.get(name, [])]:
                self._exact.setdefault(key(spelling), name)
                prefix, core = self._split(spelling)
                self._core.setdefault(core, []).append((prefix, name))
                self._ascii.setdefault(plain(core), set()).add(name)
                self._ascii.setdefault(plain(spelling), set()).add(name)

    def _split(self, text: str) -> tuple[str | None, str]:
        words = key(text).split()
        for tokens, canonical in self._prefixes:
            n = len(tokens)
            if len(words) > n and tuple(words[:n]) == tokens:
                return canonical, " ".join(words[n:])
        return None, " ".join(words)

    def match(self, text: str) -> str | None:
        k = key(text)
        if not k:
            return None
        if k in self._exact:
            return self._exact[k]
        prefix, core = self._split(text)
        candidates = {name for _, name in self._core.get(core, [])}
        if len(candidates) > 1 and prefix is not None:
            candidates = {n for p, n in self._core[core] if p == prefix}
        if not candidates:
            candidates = set(self._ascii.get(plain(core), ()))
        return candidates.pop() if len(candidates) == 1 else None

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
