"""The two-year rule, imported history, the roster of expected units, late forms, what changed."""

from __future__ import annotations

from dataclasses import replace

import openpyxl
import pytest

from pipeline.core.rules import Calendar, TwoYearRule, load_rules
from pipeline.outputs.templates import FormSpec, write_register
from pipeline.run import run

from .helpers import codes, column, forms_of, read_csv, table

FULL = [15, 15, 15, 15, 15, 15, 10]


def _ladder(add, year=2024, group="Huyện Vạn Ninh"):
    """Three collectives ranked 1, 2, 3 in one group."""
    for code, loss in [("A", 0), ("B", 1), ("C", 2)]:
        scores = list(FULL)
        scores[0] -= loss / 2
        scores[1] -= loss / 2
        add(f"{year}_{code}.xlsx", FormSpec(name=f"Đơn vị {code}", unit_code=code, year=year, group=group, scores=scores))


def _history(inputs, rules, rows):
    write_register(inputs / "lich_su" / "cu.xlsx", rules.registers.history_columns, rows)


def _awards(report, year=2024):
    f = forms_of(report, year)
    return dict(zip(f.unit_code, f.award, strict=True))


def test_proposal_needs_the_previous_years_recognition(add, inputs, rules, analysed):
    _ladder(add)
    _history(inputs, rules, [[2023, "B", "Đơn vị B", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"]])
    report = analysed()
    assert _awards(report) == {"A": "giay_khen_huyen", "B": "de_nghi_bang_khen_tinh", "C": "giay_khen_huyen"}
    notes = dict(zip(forms_of(report).unit_code, forms_of(report).note, strict=True))
    assert {u: n.code for u, n in notes.items()} == {
        "A": "two-year", "B": "proposal-within-quota", "C": "award-within-quota"}


def test_a_tied_pair_one_proposed_the_other_told_why_not(add, inputs, rules, analysed):
    """Tied at 95.5: B meets the two-year rule and is proposed; A, equal, is told why it is not."""
    for code in ("A", "B"):
        add(f"{code}.xlsx", FormSpec(name=f"Đơn vị {code}", unit_code=code, scores=[15, 15, 15, 14, 13.5, 14, 9]))
    add("C.xlsx", FormSpec(name="Đơn vị C", unit_code="C", scores=[14, 14, 14, 14, 14, 14, 9]))
    add("D.xlsx", FormSpec(name="Đơn vị D", unit_code="D", scores=[13.5, 13.5, 13.5, 13.5, 13.5, 13.5, 9]))
    _history(inputs, rules, [[2023, "B", "Đơn vị B", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"]])
    f = forms_of(analysed()).set_index("unit_code")
    assert f.loc["A", "total"] == f.loc["B", "total"] == 95.5 and f.loc["A", "rank"] == f.loc["B", "rank"] == 1
    outcome = {u: (f.loc[u, "award"], f.loc[u, "note"].code) for u in "ABCD"}
    assert outcome == {
        "A": ("giay_khen_huyen", "two-year"),
        "B": ("de_nghi_bang_khen_tinh", "proposal-within-quota"),
        "C": ("giay_khen_huyen", "award-within-quota"),
        "D": ("", "outside-quota"),
    }
    assert f.loc["D", "note"].message == "Ngoài chỉ tiêu Giấy khen huyện: xếp hạng 4, chỉ tiêu 3 tập thể"


def test_a_recognition_two_years_back_is_not_enough(add, inputs, rules, analysed):
    _ladder(add)
    _history(inputs, rules, [[2022, "A", "Đơn vị A", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"]])
    assert "de_nghi_bang_khen_tinh" not in _awards(analysed()).values()


def test_the_rule_can_be_switched_off(add, inputs, rules, tmp_path):
    _ladder(add)
    off = replace(rules, two_year_rule=TwoYearRule(enabled=False, years=2))
    report = run(inputs, tmp_path / "out", off)
    assert _awards(report)["A"] == "de_nghi_bang_khen_tinh"


def test_history_from_the_ledger_of_an_earlier_run(add, inputs, rules, tmp_path):
    out = tmp_path / "out"
    _ladder(add, year=2023)
    run(inputs, out, rules, year=2023)
    for p in inputs.glob("2023_*"):
        p.unlink()
    _ladder(add, year=2024)
    report = run(inputs, out, rules, year=2024)
    # 2023 gave Giấy khen to A, B, C: in 2024 the top one is proposed.
    assert _awards(report)["A"] == "de_nghi_bang_khen_tinh"


def test_history_from_forms_of_last_year_in_the_same_run(add, inputs, rules, analysed):
    _ladder(add, year=2023)
    _ladder(add, year=2024)
    assert _awards(analysed(2024), 2024)["A"] == "de_nghi_bang_khen_tinh"


def test_units_without_a_code_are_matched_by_name_and_listed(add, inputs, rules, run_all):
    add("x.xlsx", FormSpec(name="Hội Nông dân xã Vạn Phú", group="Huyện Vạn Ninh"))
    _history(inputs, rules, [[2023, "", "hội nông dân xã Vạn Phú", "Tập thể", "H. Vạn Ninh", "Giấy khen cấp huyện"]])
    report, out = run_all()
    f = forms_of(report).iloc[0]
    assert f.award == "de_nghi_bang_khen_tinh" and f.by_name
    wb = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")
    listed = column(wb["Đối chiếu theo tên"], "Tên tập thể / cá nhân")
    assert listed == ["Hội Nông dân xã Vạn Phú"]


def test_bad_history_rows_get_findings_and_are_not_forms(add, inputs, rules, run_all):
    add("a.xlsx", FormSpec())
    _history(inputs, rules, [
        ["năm ngoái", "X", "Đơn vị X", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"],
        [2023, "", "", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"],
        [2023, "Y", "Đơn vị Y", "Nhóm", "Huyện Hòn Tre", "Huân chương"],
        [2023, "Z", "Đơn vị Z", "Cá nhân", "TP Nha Trang", "BK tỉnh"],
    ])
    write_register(inputs / "lich_su" / "sai.xlsx", ("Cột", "Khác"), [[1, 2]])
    report, out = run_all()
    assert sorted((f.file, f.where, f.code) for f in report.findings) == [
        ("lich_su/cu.xlsx", "Danh sách!A2", "register-year-invalid"),
        ("lich_su/cu.xlsx", "Danh sách!C3", "register-name-missing"),
        ("lich_su/cu.xlsx", "Danh sách!D4", "register-kind-unknown"),
        ("lich_su/cu.xlsx", "Danh sách!E4", "register-group-unknown"),
        ("lich_su/cu.xlsx", "Danh sách!F4", "register-title-unknown"),
        ("lich_su/sai.xlsx", "", "register-no-header"),
    ]
    assert [r.unit for r in report.imported] == ["code:z"]
    assert len(forms_of(report)) == 1  # history files are never read as forms
    assert {e["file"] for e in read_csv(out / "2024" / "loi.csv")} == {"lich_su/cu.xlsx", "lich_su/sai.xlsx"}


def test_roster_gives_who_has_not_submitted(add, inputs, rules, run_all):
    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VT"))
    add("b.xlsx", FormSpec(name="UBND xã Vạn Phú", scores=[20, 15, 15, 15, 15, 15, 10]))  # rejected, but sent
    write_register(inputs / "danh_sach" / "ds.xlsx", rules.registers.roster_columns, [
        ["VT", "UBND xã Vạn Thắng", "Tập thể", "Huyện Vạn Ninh"],
        ["", "UBND xã Vạn Phú", "Tập thể", "Huyện Vạn Ninh"],
        ["VL", "UBND xã Vạn Long", "Tập thể", "Huyện Vạn Ninh"],
        ["", "Nguyễn Thị Hoa", "Cá nhân", "TP Cam Ranh"],
    ])
    report, out = run_all()
    (year,) = report.years
    assert sorted(year.not_submitted["name"]) == ["Nguyễn Thị Hoa", "UBND xã Vạn Long"]
    summary = year.summary.set_index(["group", "kind"])
    assert summary.loc[("Huyện Vạn Ninh", "tap_the"), "not_submitted"] == 1
    assert summary.loc[("Thành phố Cam Ranh", "ca_nhan"), "not_submitted"] == 1
    wb = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")
    assert column(wb["Chưa nộp"], "Tên tập thể / cá nhân") == ["Nguyễn Thị Hoa", "UBND xã Vạn Long"]  # rules order


@pytest.mark.parametrize("blocks", [False, True])
def test_late_forms_are_flagged_and_may_be_blocked(add, rules, tmp_path, inputs, blocks):
    import datetime as dt

    add("a.xlsx", FormSpec(date=dt.date(2024, 9, 3)))
    add("b.xlsx", FormSpec(name="Đúng hạn", date=dt.date(2024, 8, 31)))
    strict = replace(rules, calendar=replace(rules.calendar, late_blocks_eligibility=blocks))
    report = run(inputs, tmp_path / "out", strict)
    assert codes(report) == [("Sheet1!C13", "late")]
    late = forms_of(report).set_index("file").loc["a.xlsx"]
    assert bool(late.eligible) is not blocks
    if blocks:
        assert [(r.cell, r.code, r.found, r.expected) for r in late.reasons] == [
            ("C13", "late", "03/09/2024", "01/09/2024")]


def test_what_changed_since_the_previous_run(add, inputs, rules, tmp_path):
    out = tmp_path / "out"
    add("a.xlsx", FormSpec(name="A", unit_code="A"))
    add("b.xlsx", FormSpec(name="B", unit_code="B", scores=[14, 15, 15, 15, 15, 15, 10]))
    add("c.xlsx", FormSpec(name="C", unit_code="C"))
    run(inputs, out, rules)
    (inputs / "c.xlsx").unlink()
    add("b.xlsx", FormSpec(name="B", unit_code="B", scores=[13, 15, 15, 15, 15, 15, 10]))
    add("d.xlsx", FormSpec(name="D", unit_code="D"))
    report = run(inputs, out, rules)
    got = sorted((c.change, c.file) for c in report.years[0].changes.itertuples())
    assert got == [("award", "b.xlsx"), ("new", "d.xlsx"), ("replaced", "b.xlsx"), ("total", "b.xlsx"),
                   ("withdrawn", "c.xlsx")]
    wb = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")
    kinds = [r[0] for r in table(wb["Thay đổi"])[1]]
    assert "Đã rút (không còn trong thư mục hồ sơ)" in kinds and "Mới nộp" in kinds


def test_unchanged_files_are_recognised_by_their_hash(add, inputs, rules, tmp_path):
    import os

    out = tmp_path / "out"
    path = add("a.xlsx", FormSpec())
    run(inputs, out, rules)
    os.utime(path, (1_800_000_000, 1_800_000_000))  # touched, not changed
    report = run(inputs, out, rules)
    assert report.changed("replaced") == 0 and report.changed("new") == 0


def test_rules_file_settings_exist():
    rules = load_rules()
    assert rules.two_year_rule == TwoYearRule(enabled=True, years=2)
    assert isinstance(rules.calendar, Calendar) and rules.calendar.late_blocks_eligibility is False
