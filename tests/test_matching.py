"""Group, field and kind names in the spellings people type."""

from __future__ import annotations

import unicodedata

import pytest

from pipeline.core.text import format_number, key, parse_number


@pytest.mark.parametrize(
    ("typed", "group"),
    [
        ("Huyện Vạn Ninh", "Huyện Vạn Ninh"),
        ("H. Vạn Ninh", "Huyện Vạn Ninh"),
        ("H.Vạn Ninh", "Huyện Vạn Ninh"),
        ("Vạn Ninh", "Huyện Vạn Ninh"),
        ("huyện vạn ninh", "Huyện Vạn Ninh"),
        ("HUYỆN VẠN NINH", "Huyện Vạn Ninh"),
        (unicodedata.normalize("NFD", "Huyện Vạn Ninh"), "Huyện Vạn Ninh"),
        ("  Huyện\u00a0Vạn  Ninh ", "Huyện Vạn Ninh"),
        ("TX Ninh Hoà", "Thị xã Ninh Hòa"),
        ("TX. Ninh Hòa", "Thị xã Ninh Hòa"),
        ("Thị xã Ninh Hoà", "Thị xã Ninh Hòa"),
        ("TP Nha Trang", "Thành phố Nha Trang"),
        ("Tp. Cam Ranh", "Thành phố Cam Ranh"),
        ("Thành phố Nha Trang", "Thành phố Nha Trang"),
        ("Khối sở - ban - ngành tỉnh", "Khối sở, ban, ngành tỉnh"),
        ("Khối sở – ban – ngành tỉnh", "Khối sở, ban, ngành tỉnh"),
        ("Khối sở ban ngành tỉnh", "Khối sở, ban, ngành tỉnh"),
        ("Sở, ban, ngành tỉnh", "Khối sở, ban, ngành tỉnh"),
        ("Cam Lam", "Huyện Cam Lâm"),
        ("Van Ninh", "Huyện Vạn Ninh"),
        ("van ninh", "Huyện Vạn Ninh"),
        ("Ninh Hoa", "Thị xã Ninh Hòa"),
        ("TX Ninh Hoa", "Thị xã Ninh Hòa"),
        ("Khanh Vinh", "Huyện Khánh Vĩnh"),
        ("Dien Khanh", "Huyện Diên Khánh"),
        ("H. Van Ninh", "Huyện Vạn Ninh"),
        ("Huyen Van Ninh", "Huyện Vạn Ninh"),
        ("TP.Nha Trang", "Thành phố Nha Trang"),
        ("VanNinh", "Huyện Vạn Ninh"),
        ("Khoi so ban nganh tinh", "Khối sở, ban, ngành tỉnh"),
    ],
)
def test_group_spellings(rules, typed, group):
    assert rules.match_group(typed) == group


def test_a_name_several_groups_fit_is_not_guessed_and_lists_them():
    from pipeline.core.rules import NameIndex

    index = NameIndex(["Thành phố Cam Ranh", "Huyện Cam Ranh"], {}, [["Huyện", "H"], ["Thành phố", "TP"]])
    assert index.match("Cam Ranh") is None
    assert index.candidates("Cam Ranh") == ["Huyện Cam Ranh", "Thành phố Cam Ranh"]
    assert index.match("TP Cam Ranh") == "Thành phố Cam Ranh"
    assert index.match("h cam ranh") == "Huyện Cam Ranh"


@pytest.mark.parametrize("typed", ["Huyện Hòn Tre", "Ninh", "Thành phố", "", "Vạn Ninh Nha Trang"])
def test_unknown_groups_are_not_guessed(rules, typed):
    assert rules.match_group(typed) is None


@pytest.mark.parametrize(
    ("typed", "field"),
    [
        ("Kinh tế", "Kinh tế"),
        ("kinh tế", "Kinh tế"),
        ("Văn hoá – xã hội", "Văn hóa - xã hội"),
        ("Văn hóa, xã hội", "Văn hóa - xã hội"),
        ("Văn hóa xã hội", "Văn hóa - xã hội"),
        ("Quốc phòng, an ninh", "Quốc phòng - an ninh"),
        ("An ninh - quốc phòng", "Quốc phòng - an ninh"),
        ("XÂY DỰNG HỆ THỐNG CHÍNH TRỊ", "Xây dựng hệ thống chính trị"),
        ("Kinh te", "Kinh tế"),
        ("Van hoa - xa hoi", "Văn hóa - xã hội"),
        ("quoc phong an ninh", "Quốc phòng - an ninh"),
        ("Xay dung he thong chinh tri", "Xây dựng hệ thống chính trị"),
    ],
)
def test_field_spellings(rules, typed, field):
    assert rules.match_field(typed) == field


@pytest.mark.parametrize(
    ("typed", "kind"),
    [("Tập thể", "tap_the"), ("TẬP THỂ", "tap_the"), ("cá nhân", "ca_nhan"), ("Cá nhân điển hình", "ca_nhan"), ("Đơn vị", None)],
)
def test_kind_spellings(rules, typed, kind):
    assert rules.match_kind(typed) == kind


def test_key_folds_tone_placement_but_keeps_letters():
    assert key("Hòa") == key("Hoà") == key(unicodedata.normalize("NFD", "Hoà"))
    assert key("Lâm") != key("Lam")
    assert key("Sơn") != key("Son")


@pytest.mark.parametrize(
    ("value", "number"),
    [(14, 14.0), (13.5, 13.5), ("13,5", 13.5), ("13.5", 13.5), (" 14 ", 14.0), ("mười", None), ("", None),
     ("13,5 điểm", None), (True, None), ("1.234,5", None)],
)
def test_parse_number(value, number):
    assert parse_number(value) == number


def test_format_number_writes_a_decimal_comma():
    assert format_number(13.5) == "13,5"
    assert format_number(14.0) == "14"
