"""Legacy Vietnamese 8-bit encodings: TCVN3 (ABC, the ".VnTime" fonts) and VNI (the "VNI-Times" fonts).

Text typed with those fonts reaches us as Latin-1 characters ("HuyÖn V¹n Ninh"). A sheet is
recognised as legacy when its cells hold characters that Unicode Vietnamese never uses; it
is then converted cell by cell to Unicode (NFC). The mapping tables are data, in
``pipeline/core/data/``. TCVN3 has no codes for accented capitals: uppercase fonts (".VnTimeH")
draw the lowercase codes as capitals, so cells in such a font convert to uppercase.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"
TCVN3 = "TCVN3"
VNI = "VNI"

# The Latin-1 letters that Unicode Vietnamese itself uses; any other Latin-1 letter or symbol
# in a cell is a sign of a legacy encoding.
_VIET_LATIN1 = set("àáâãèéêìíòóôõùúýÀÁÂÃÈÉÊÌÍÒÓÔÕÙÚÝ")
# Characters beyond Latin-1 that are still found in legacy text (Windows-1252 punctuation).
_PUNCT = set("‘’“”–—…•€™")


def _table(name: str) -> list[tuple[str, str]]:
    rows = []
    with (DATA / name).open(encoding="utf-8") as fh:
        for line in fh:
            if line.startswith("#") or line.startswith("unicode\t") or not line.strip():
                continue
            uni, code = line.rstrip("\n").split("\t")
            rows.append((uni, code))
    return rows


@cache
def tcvn3_table() -> dict[str, str]:
    """TCVN3 character -> Unicode letter."""
    return {chr(int(code, 16)): uni for uni, code in _table("tcvn3.tsv")}


@cache
def vni_table() -> dict[str, str]:
    """VNI sequence (one or two characters) -> Unicode letter."""
    return {code: uni for uni, code in _table("vni.tsv")}


@cache
def _markers() -> tuple[frozenset[str], frozenset[str]]:
    # TCVN3 puts tones on "a" and the letters ă â đ ê ô ơ ư in the Latin-1 symbol block:
    # nearly every word with a diacritic has one, and VNI never uses them.
    tcvn = frozenset(c for c in tcvn3_table() if 0xA0 <= ord(c) <= 0xBF or c in "×÷")
    vni = frozenset(c for seq in vni_table() for c in seq if ord(c) >= 0xC0 and c not in _VIET_LATIN1)
    return tcvn, vni


_BEYOND_LATIN1 = re.compile("[^\x00-\xff" + re.escape("".join(sorted(_PUNCT))) + "]")


def _is_unicode_text(text: str) -> bool:
    """Already Unicode Vietnamese (or other script): leave it alone."""
    return _BEYOND_LATIN1.search(text) is not None


@cache
def _marker_patterns() -> tuple[re.Pattern, re.Pattern]:
    tcvn, vni = _markers()
    return (re.compile("[" + re.escape("".join(sorted(tcvn))) + "]"),
            re.compile("[" + re.escape("".join(sorted(vni))) + "]"))


def detect(texts: Iterable[str]) -> str | None:
    """TCVN3, VNI or None for a sheet's text cells, decided on the whole sheet."""
    tcvn, vni = _marker_patterns()
    texts = list(texts)
    whole = "\n".join(texts)
    if not tcvn.search(whole) and not vni.search(whole):
        return None  # no marker in any cell (nearly every sheet): no need to look cell by cell
    legacy = [t for t in texts if not _is_unicode_text(t)]
    if any(tcvn.search(t) for t in legacy):
        return TCVN3
    if any(vni.search(t) for t in legacy):
        return VNI
    return None


def marked(text: str, encoding: str) -> bool:
    """This cell, on its own, shows the encoding: a character Unicode Vietnamese never uses."""
    sources = tcvn3_table() if encoding == TCVN3 else {c for seq in vni_table() for c in seq}
    return not _is_unicode_text(text) and any(c in sources and c not in _VIET_LATIN1 and ord(c) >= 0xA0 for c in text)


def plan(texts: list[str]) -> tuple[str | None, bool]:
    """(encoding, convert every cell?) for a sheet.

    A sheet that holds no Unicode Vietnamese at all is converted whole, short words included.
    A mixed sheet (legacy text pasted into a Unicode form) converts only the cells that show the
    encoding themselves, so that "Tiêu chí" typed in Unicode is never read as TCVN3.
    """
    encoding = detect(texts)
    if encoding is None:
        return None, False
    return encoding, not any(_is_unicode_text(t) for t in texts)


def convert(text: str, encoding: str, upper: bool = False) -> str:
    """One cell's text from a legacy encoding to Unicode NFC; Unicode text is returned as is."""
    if _is_unicode_text(text):
        return text
    if encoding == TCVN3:
        table = tcvn3_table()
        out = "".join(table.get(c, c) for c in text)
        if upper:
            out = out.upper()
    elif encoding == VNI:
        table = vni_table()
        chars = []
        i = 0
        while i < len(text):
            pair = text[i:i + 2]
            if len(pair) == 2 and pair in table:
                chars.append(table[pair])
                i += 2
            else:
                chars.append(table.get(text[i], text[i]))
                i += 1
        out = "".join(chars)
    else:
        return text
    return unicodedata.normalize("NFC", out)


def is_upper_font(name: str | None) -> bool:
    """".VnTimeH", ".VnArialH": TCVN3 fonts that draw lowercase codes as capitals."""
    return bool(name) and name.strip().casefold().startswith(".vn") and name.strip().endswith("H")
