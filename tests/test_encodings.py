"""Legacy Vietnamese encodings: the tables letter by letter, known words, whole workbooks."""

from __future__ import annotations

import unicodedata

import openpyxl
import pytest
from openpyxl.styles import Font

from pipeline.core.encodings import TCVN3, VNI, convert, detect, is_upper_font, tcvn3_table, vni_table
from pipeline.core.text import clean
from pipeline.outputs.templates import FormSpec

from .helpers import errors, forms_of, warnings

TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]  # none, sắc, huyền, hỏi, ngã, nặng
BASES = "aăâeêioôơuưy"


def every_letter(upper: bool = False) -> list[str]:
    letters = [unicodedata.normalize("NFC", b + t) for b in BASES for t in TONES] + ["đ"]
    letters = [x for x in letters if not x.isascii()]
    return [x.upper() for x in letters] if upper else letters


# TCVN3 (VN3), transcribed row by row: each vowel's grave, acute, hook, tilde, dot.
GOLDEN_TCVN3 = {
    "a": "µ¸¶·¹", "ă": "»¾¼½Æ", "â": "ÇÊÈÉË", "e": "ÌÐÎÏÑ", "ê": "ÒÕÓÔÖ", "i": "×ÝØÜÞ",
    "o": "ßãáâä", "ô": "åèæçé", "ơ": "êíëìî", "u": "ïóñòô", "ư": "õøö÷ù", "y": "úýûüþ",
}
GOLDEN_TCVN3_BASES = {"ă": "¨", "â": "©", "đ": "®", "ê": "ª", "ô": "«", "ơ": "¬", "ư": "\xad",
                      "Ă": "¡", "Â": "¢", "Đ": "§", "Ê": "£", "Ô": "¤", "Ơ": "¥", "Ư": "¦"}


def test_tcvn3_table_is_the_golden_one_for_every_letter():
    table = tcvn3_table()
    expected = dict((v, k) for k, v in GOLDEN_TCVN3_BASES.items())
    for base, codes in GOLDEN_TCVN3.items():
        for tone, code in zip(["\u0300", "\u0301", "\u0309", "\u0303", "\u0323"], codes, strict=True):
            expected[code] = unicodedata.normalize("NFC", base + tone)
    assert table == expected
    assert sorted(c for c in table.values() if c.islower()) == sorted(every_letter())
    assert len(set(table.values())) == len(table)


def test_tcvn3_uppercase_font_gives_every_capital():
    inverse = {u: c for c, u in tcvn3_table().items() if u.islower()}
    for letter in every_letter():
        assert convert(inverse[letter], TCVN3, upper=True) == letter.upper()


def _vni_expected(letter: str) -> str:
    """A letter's VNI spelling derived from VNI's own rules, independently of the table."""
    tone_keys = {"\u0301": "ù", "\u0300": "ø", "\u0309": "û", "\u0303": "õ", "\u0323": "ï"}
    if letter in "đĐ":
        return "ñ" if letter == "đ" else "Ñ"
    nfd = unicodedata.normalize("NFD", letter.lower())
    base, marks = nfd[0], nfd[1:]
    shape = next((m for m in marks if m in "\u0302\u0306\u031b"), "")
    tone = next((m for m in marks if m in tone_keys), "")
    if base == "i":
        out = {"": "i", "\u0301": "í", "\u0300": "ì", "\u0309": "æ", "\u0303": "ó", "\u0323": "ò"}[tone]
    elif base == "y" and tone == "\u0323":
        out = "î"
    else:
        head = {"\u031b": {"o": "ô", "u": "ö"}.get(base, base)}.get(shape, base)
        # With a shape mark the tone key changes: â/ê/ô take á à å ã ä, ă takes é è ú ü ë.
        if shape == "\u0302":
            out = head + {"": "â", "\u0301": "á", "\u0300": "à", "\u0309": "å", "\u0303": "ã", "\u0323": "ä"}[tone]
        elif shape == "\u0306":
            out = head + {"": "ê", "\u0301": "é", "\u0300": "è", "\u0309": "ú", "\u0303": "ü", "\u0323": "ë"}[tone]
        else:
            out = head + tone_keys.get(tone, "")
    return out.upper() if letter.isupper() else out


@pytest.mark.parametrize("upper", [False, True])
def test_vni_table_gives_every_letter(upper):
    for letter in every_letter(upper):
        assert convert(_vni_expected(letter), VNI) == letter, letter
    identical = {"í", "ì", "Í", "Ì"}  # VNI writes these exactly as Unicode does
    assert set(vni_table().values()) | identical == set(every_letter()) | set(every_letter(True))


@pytest.mark.parametrize(
    ("legacy", "unicode"),
    [
        ("HuyÖn V¹n Ninh", "Huyện Vạn Ninh"),
        ("B¶o Th¾ng", "Bảo Thắng"),
        ("B¸t X¸t", "Bát Xát"),
        ("M\xadêng Kh\xad¬ng", "Mường Khương"),
        ("Tæng ®iÓm", "Tổng điểm"),
        ("Xin chaøo caùc baïn", "Xin chào các bạn"),
        ("Huyeän Vaïn Ninh", "Huyện Vạn Ninh"),
        ("Ñoaøn Thanh nieân", "Đoàn Thanh niên"),
        ("Tröôøng Sa", "Trường Sa"),
    ],
)
def test_known_words(legacy, unicode):
    assert convert(legacy, detect([legacy])) == unicode


def test_unicode_text_is_never_converted():
    assert detect(["Lê Tú", "Huyện Vạn Ninh", "có", "Hòa"]) is None
    assert convert("Huyện Vạn Ninh", TCVN3) == "Huyện Vạn Ninh"


def test_upper_font_names():
    assert is_upper_font(".VnTimeH") and is_upper_font(".VnArialH ")
    assert not is_upper_font(".VnTime") and not is_upper_font("Times New Roman") and not is_upper_font(None)


@pytest.mark.parametrize(
    ("typed", "seen"),
    [("Huy\u00ea\u0323n\u00a0V\u1ea1n  Ninh ", "Huyện Vạn Ninh"), ("Vạn\u200bNinh", "VạnNinh"), ("a\x07b\tc", "ab c")],
)
def test_invisible_differences_are_normalised(typed, seen):
    assert clean(typed) == seen


def _legacy_copy(src, dst, encode, upper_title: bool):
    """Rewrite every text cell of a workbook in a legacy encoding, as a unit's old PC would."""
    wb = openpyxl.load_workbook(src)
    for ws in wb:
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str):
                    text = cell.value
                    if upper_title and text.isupper() and not text.isascii():
                        cell.value = encode(text.lower())
                        cell.font = Font(name=".VnTimeH", bold=True)
                    else:
                        cell.value = encode(text)
                        cell.font = Font(name=".VnTime")
    wb.save(dst)


def _tcvn3(text: str) -> str:
    inverse = {u: c for c, u in tcvn3_table().items()}
    return "".join(inverse.get(ch, ch) for ch in unicodedata.normalize("NFC", text))


def _vni(text: str) -> str:
    return "".join(_vni_expected(ch) if not ch.isascii() and ch.isalpha() and ch not in "íìÍÌ" else ch for ch in text)


@pytest.mark.parametrize(("encode", "name"), [(_tcvn3, TCVN3), (_vni, VNI)])
def test_a_legacy_workbook_reads_like_a_unicode_one(add, inputs, analysed, encode, name):
    spec = FormSpec(name="Hội Liên hiệp Phụ nữ xã Vạn Thắng", group="Huyện Vạn Ninh", field="Văn hóa - xã hội",
                    model="Dân vận khéo trong xây dựng đời sống văn hóa", scores=[14, 15, 15, 15, 15, 15, 10])
    src = add("goc.xlsx", spec)
    expected = forms_of(analysed()).iloc[0]
    _legacy_copy(src, inputs / "cu.xlsx", encode, upper_title=name == TCVN3)
    src.unlink()
    report = analysed()
    f = forms_of(report).iloc[0]
    assert (f["name"], f.group, f.field, f.model, f.kind, f.scores) == (
        expected["name"], expected.group, expected.field, expected.model, expected.kind, expected.scores)
    assert errors(report) == []
    assert ("Sheet1!A1", "legacy-encoding") in warnings(report)
    (w,) = [x for x in report.findings if x.code == "legacy-encoding"]
    assert w.found == name


def test_uppercase_font_cells_become_capitals(add, inputs, analysed):
    src = add("a.xlsx", FormSpec(name="Hội Nông dân"))
    wb = openpyxl.load_workbook(src)
    ws = wb.active
    ws["C6"] = _tcvn3("hội nông dân xã vạn thắng")
    ws["C6"].font = Font(name=".VnTimeH")
    ws["C8"] = _tcvn3("huyện vạn ninh")
    wb.save(src)
    f = forms_of(analysed()).iloc[0]
    assert f["name"] == "HỘI NÔNG DÂN XÃ VẠN THẮNG"
    assert f.group == "Huyện Vạn Ninh"
