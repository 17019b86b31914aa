"""The printed page's geometry: how wide a column prints, in LibreOffice and in Excel, and how
many lines a text takes in it.

A column's width is counted in digits of the workbook's own font, Times New Roman (document.DEFAULT_FONT).
Measured: LibreOffice prints a column of width w at 5.5w+4 points, Excel at 0.75·(7w+5), about
5 % narrower. The page is filled by the first; what must fit inside a column (a heading's word,
a cell's lines) is reckoned by the second, so that neither program cuts what the other shows.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

TABLE_PT = 11  # the table's type size
# What a page holds between the margins, in points (landscape, portrait).
PAGE_PT = {True: (297 - 45) / 25.4 * 72, False: (210 - 45) / 25.4 * 72}
LINE_PT = 15  # one line of 11 pt Vietnamese text, its stacked diacritics included
# Measured: LibreOffice prints a unit of width as 5.5 points, and 4 more a column.
LO_UNIT_PT, LO_PAD_PT = 5.5, 4
# Excel: 7 pixels a unit and 5 a column, at 96 dpi; 2 points kept clear either side of the text.
XL_UNIT_PX, XL_PAD_PX, PT_PER_PX, CLEAR_PT = 7, 5, 0.75, 4
BOLD = 1.1  # bold Times New Roman is about a tenth wider
# Times New Roman's advance widths in ems, generously by class (Vietnamese marks add none):
# capitals, the widest letters, digits, the narrow letters and marks, a space, every other letter.
_CAPITAL, _WIDEST, _WIDE_LOWER = 0.72, 0.94, 0.78
_NARROW_EM, _SPACE_EM, _LETTER_EM = 0.34, 0.25, 0.5


class Column(NamedTuple):
    heading: str
    width: float  # Excel's unit: characters of the default font's digits
    kind: str = "text"  # "text", "num" (up to two decimals) or "int"
    printed: bool = True  # False: on screen only, right of the print area
    editable: bool = False  # unlocked and tinted: a cell staff fill in on a protected sheet
    least: float = 0  # a text column never narrower (see holding): fitting the page keeps it


def column_pt(width: float) -> float:
    """A column's printed width in points, in the wider of the two programs: LibreOffice with
    Times New Roman (or Liberation Serif) as the workbook's font prints 5.5 points a unit and 4 of
    padding (measured). The page is fitted with it, so that the table fits in either program."""
    return width * LO_UNIT_PT + LO_PAD_PT


def excel_pt(width: float) -> float:
    """A column's printed width in the narrower of the two programs: Excel prints a column as its
    pixels at 96 dpi, 7 a unit and 5 of padding, three quarters of a point each. What must hold
    within columns (a heading's word, the letterhead's lines) is measured with it."""
    return (width * XL_UNIT_PX + XL_PAD_PX) * PT_PER_PX


def inner_pt(width: float) -> float:
    """The room for text in a column, in Excel's narrower print."""
    return excel_pt(width) - CLEAR_PT


def width_for(points: float) -> float:
    """The column width that prints ``points`` wide (column_pt undone)."""
    return (points - LO_PAD_PT) / LO_UNIT_PT


def room_pt(landscape: bool) -> float:
    """What printed columns may take between the margins at full scale, with 3 % in hand."""
    return PAGE_PT[landscape] * 0.97


def fits(columns: list[Column], landscape: bool) -> bool:
    """The printed columns fit between the margins at full scale."""
    return sum(column_pt(c.width) for c in columns if c.printed) <= room_pt(landscape) + 0.01


_WIDE, _NARROW = set("mwMW"), set("iljtfrìíỉĩịIJ.,:;'!|()[]/-")


def _em(ch: str) -> float:
    if ch in _WIDE:
        return _WIDEST if ch.isupper() else _WIDE_LOWER
    if ch == " ":
        return _SPACE_EM
    if ch.isdigit():
        return 0.5
    if ch in _NARROW:
        return _NARROW_EM
    return _CAPITAL if ch.isupper() else _LETTER_EM


@lru_cache(maxsize=1 << 16)
def _ems(word: str) -> float:
    """A word's width in ems (Vietnamese text is syllables, a few thousand of them: each is
    measured once)."""
    return sum(map(_em, word))


def word_pt(word: str, size: float = TABLE_PT, bold: bool = True) -> float:
    """How wide ``word`` prints at ``size`` points, at most (bold: a tenth wider)."""
    return _ems(word) * size * (BOLD if bold else 1.0)


_AFTER_SLASH = re.compile(r"(?<=/)")


def _pieces(text: str) -> list[str]:
    """The pieces a line may break between: words, and the parts of a path after each "/"."""
    return [p for word in text.split() for p in _AFTER_SLASH.split(word) if p]


def inner_width(points: float) -> float:
    """The column width whose room for text, in Excel's print, is ``points`` (inner_pt undone)."""
    return ((points + CLEAR_PT) / PT_PER_PX - XL_PAD_PX) / XL_UNIT_PX


def heading_width(heading: str) -> float:
    """The least width whose column holds the heading's longest word on one line, with 2 points
    clear either side, in Excel's narrower print (excel_pt undone): a narrower column breaks the
    word in the middle ("TC0" over "1")."""
    return inner_width(max((word_pt(w) for w in _pieces(heading)), default=0.0))


def fitted(columns: list[Column], landscape: bool, floor: float = 6) -> list[Column]:
    """The columns made to fill the page: every column at least as wide as its heading's longest
    word (and a text column as its ``least``), then the printed text columns widened or narrowed
    alike until the printed columns take the page's width (a rules file with more criteria narrows
    them; text wraps within them). Where even that is not enough, the sheet is fitted to the
    page's width when printed (see Book.table)."""
    heading = {i: heading_width(c.heading) for i, c in enumerate(columns) if c.printed}
    columns = [c._replace(width=max(c.width, heading[i])) if i in heading else c for i, c in enumerate(columns)]
    text = {i for i, c in enumerate(columns) if c.printed and c.kind == "text"}
    least = {i: max(floor, heading[i], columns[i].least) for i in text}
    held: dict[int, float] = {}  # text columns at their least width; the others share what is left
    fixed = sum(column_pt(c.width) for i, c in enumerate(columns) if c.printed and i not in text)
    while True:
        free = [i for i in text if i not in held]
        room = room_pt(landscape) - fixed - sum(column_pt(w) for w in held.values())
        wanted = sum(column_pt(columns[i].width) for i in free)
        scale = max(0.0, room) / wanted if wanted else 1.0
        widths = {i: width_for(column_pt(columns[i].width) * scale) for i in free}
        short = {i: least[i] for i, w in widths.items() if w < least[i]}
        if not short:
            break
        held |= short
    widths |= held
    return [c._replace(width=widths[i]) if i in widths else c for i, c in enumerate(columns)]


def filling(widths: list[float] | tuple[float, ...], landscape: bool) -> list[float]:
    """Fixed columns (a letter's, the overview's) widened or narrowed alike to take the page's width."""
    scale = (room_pt(landscape) - LO_PAD_PT * len(widths)) / (LO_UNIT_PT * sum(widths))
    return [w * scale for w in widths]


def _wrapped(part: str, room: float, slash: bool) -> int:
    """Lines one paragraph takes in ``room`` ems: words wrapped whole where they fit, a word longer
    than the line broken where it must; with ``slash``, a line may also break after "/"."""
    lines, used = 1, -1.0
    for word in part.split(" "):
        for k, piece in enumerate(_AFTER_SLASH.split(word) if slash else [word]):
            if slash and not piece:
                continue
            gap = _SPACE_EM if k == 0 else 0.0
            w = _ems(piece)
            if used >= 0 and used + gap + w <= room:
                used += gap + w
                continue
            if used >= 0:
                lines += 1
            extra = int(w // room) if w > room else 0  # a word broken over whole lines
            lines += extra
            used = w - extra * room
    return lines


@lru_cache(maxsize=1 << 14)
def lines_needed(text: str, width: float, bold: bool = False) -> int:
    """How many lines ``text`` takes at 11 pt in a column of ``width``, in Excel's narrower print.

    LibreOffice may also break a line after "/" (a file's folder, "Huyện/thị xã"), which leaves
    the rest of that line empty; Excel breaks at spaces only: the more lines of the two."""
    room = max(1.0, inner_pt(width)) / (TABLE_PT * (BOLD if bold else 1.0))  # in ems
    return sum(max(_wrapped(part, room, False), _wrapped(part, room, True) if "/" in part else 0)
               for part in text.split("\n"))


def holding(texts, most: float) -> float:
    """The width, at most ``most``, of a column that holds the longest unbreakable piece of every
    text on one line (a file's name is not broken in the middle, where it fits)."""
    longest = max((_ems(p) for t in texts for p in _pieces(t)), default=0.0)
    return min(most, inner_width(longest * TABLE_PT))


def one_line(text: str, width: float) -> bool:
    """The text fits one line (lines_needed would say 1), told without wrapping it: no break, and
    as many of the widest letters ("M", "W") would fit, or else its letters as they are. Most
    names and short reasons are told here, and lines_needed, whose memory 100 000 forms'
    texts outgrow, wraps only the texts that need it."""
    if "\n" in text:
        return False
    room = inner_pt(width) / TABLE_PT
    return len(text) * _WIDEST <= room or (len(text) * _NARROW_EM <= room and sum(map(_em, text)) <= room)
