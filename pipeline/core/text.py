"""Text normalisation and the matching key used for labels, groups and fields.

Vietnamese text reaches us in many spellings of the same words: NFC or NFD, the tone mark on
either vowel ("Hòa" / "Hoà"), upper or lower case, hyphens, dashes or commas between words,
non-breaking and zero-width spaces. ``key`` folds all of those into one comparable string
while keeping the letters that tell names apart (â, ă, ê, ô, ơ, ư, đ and the tone itself).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Tone marks as combining characters (grave, acute, tilde, hook above, dot below). Their
# position inside a syllable varies by keyboard and era; their presence does not.
_TONES = {"\u0300": "2", "\u0301": "1", "\u0303": "4", "\u0309": "3", "\u0323": "5"}
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACES = re.compile(r"[\s\u00a0\u2007\u202f]+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PUNCT = re.compile(r"[\-\u2010-\u2015\u2212,.;:/\\()\[\]\"'“”‘’«»_*•+&]+")


def clean(value: object) -> str:
    """Text of a cell as a person reads it: NFC, invisible characters gone, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _clean(value) if len(value) < 256 else _clean_long(value)
    return _clean(str(value))


# Forms repeat the same labels, headers and criterion texts thousands of times in a run.
@lru_cache(maxsize=1 << 16)
def _clean(text: str) -> str:
    return _cleaned(text)


@lru_cache(maxsize=1 << 10)  # the rubric's long criterion texts; few, so the memo stays small
def _clean_long(text: str) -> str:
    return _cleaned(text)


def _cleaned(text: str) -> str:
    if not text.isascii():  # ASCII has nothing invisible and is NFC already
        text = unicodedata.normalize("NFC", _INVISIBLE.sub("", text))
    text = _CONTROL.sub("", text)
    return _SPACES.sub(" ", text).strip()


def _syllable_key(word: str) -> str:
    tone = ""
    base = []
    for ch in unicodedata.normalize("NFD", word):
        if ch in _TONES:
            tone = _TONES[ch]
        else:
            base.append(ch)
    return unicodedata.normalize("NFC", "".join(base)) + tone


def key(value: object) -> str:
    """Matching key: case-folded, tone kept per syllable, punctuation folded into spaces."""
    if isinstance(value, str) and len(value) < 256:
        return _key(value)
    return _key.__wrapped__(clean(value))


@lru_cache(maxsize=1 << 16)
def _key(value: str) -> str:
    text = _PUNCT.sub(" ", clean(value).casefold())
    return " ".join(_syllable_key(w) for w in text.split())


def plain(value: object) -> str:
    """ASCII letters and digits only ("Huyện Vạn Ninh" -> "huyen van ninh")."""
    text = clean(value).casefold().replace("đ", "d")
    text = unicodedata.normalize("NFD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


_RESERVED = {"con", "prn", "aux", "nul", *(f"com{i}" for i in range(10)), *(f"lpt{i}" for i in range(10))}


def slug(value: object, limit: int = 60) -> str:
    """A file name part safe on every system: ascii letters, digits and underscores only (no
    "..", "/" or "\\"), bounded length, never a name Windows reserves (CON, NUL, COM1…)."""
    text = plain(value).replace(" ", "_")[:limit].strip("_")
    if text.split("_")[0] in _RESERVED:
        text = f"_{text}"
    return text or "khong_ten"


_CSV_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


_SHOWN_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def shown(name: str) -> str:
    """A file name as the outputs show it: bytes that are not UTF-8 (a name from a TCVN3 system)
    and control characters become "\ufffd"; the file itself is still opened by its own name."""
    return _SHOWN_CONTROL.sub("\ufffd", name.encode("utf-8", "surrogateescape").decode("utf-8", "replace"))


def csv_safe(value: object) -> object:
    """OWASP CSV-injection guidance: a text cell that a spreadsheet would run as a formula
    (starting with = + - @, tab or carriage return) gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(_CSV_TRIGGERS):
        return "'" + value
    return value


def format_number(value: float) -> str:
    """A score as Vietnamese staff write it: 13,5 and 14 (never 14.0)."""
    if value is None or value != value:
        return ""
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0").rstrip(".").replace(".", ",")


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d+)?|[.,]\d+)$")


def parse_number(value: object) -> float | None:
    """A number typed as a number or as text with a decimal comma; None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if value == value else None
    if isinstance(value, str):
        text = clean(value).replace(" ", "")
        if _NUMBER.match(text):
            return float(text.replace(",", "."))
    return None


def unit_key(unit_code: str, name: str, kind: str, group: str) -> str:
    """The same unit across files and years: its code, or else its name, kind and group."""
    if clean(unit_code):
        return f"code:{key(unit_code)}"
    return f"name:{key(name)}|{kind}|{group}"


# Vietnamese alphabetical order: the letters with their shapes are letters of their own
# (a ă â, d đ, e ê, o ô ơ, u ư); tones count only after the letters (ngang, huyền, hỏi, ngã,
# sắc, nặng). Letters outside the Vietnamese alphabet (f, j, w, z) keep their Latin place.
_ALPHABET = "0123456789aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER = {ch: i for i, ch in enumerate(_ALPHABET)}
_SHAPES = {("a", "\u0306"): "ă", ("a", "\u0302"): "â", ("e", "\u0302"): "ê", ("o", "\u0302"): "ô",
           ("o", "\u031b"): "ơ", ("u", "\u031b"): "ư"}
_TONE_ORDER = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}


@lru_cache(maxsize=1 << 14)
def vi_sort_key(text: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Sort key in Vietnamese alphabetical order: letters first, then tones."""
    letters: list[int] = []
    tones: list[int] = []
    for word in clean(text).casefold().split():
        if letters:
            letters.append(-1)  # a word ends before any letter: "An" < "An Bình" < "Anh"
            tones.append(0)
        for ch in word:
            parts = unicodedata.normalize("NFD", ch)
            base, marks = parts[0], parts[1:]
            tone = 0
            for m in marks:
                if m in _TONE_ORDER:
                    tone = _TONE_ORDER[m]
                else:
                    base = _SHAPES.get((base, m), base)
            letters.append(_LETTER.get(base, len(_ALPHABET) + ord(base)))
            tones.append(tone)
    return tuple(letters), tuple(tones)


def person_sort_key(name: str) -> tuple:
    """People are listed by given name (the last word), then by the whole name."""
    words = clean(name).split()
    return (vi_sort_key(words[-1]) if words else ((), ()), vi_sort_key(name))
