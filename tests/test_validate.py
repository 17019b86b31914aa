"""Validation: every problem of a form at once, each at its cell, by its code.

The default FormSpec layout puts the information values in column C from row 4 (kind C4,
year C5, name C6, unit code C7, group C8, commune C9, model C10, field C11, period C12,
date C13), the table header on row 15 and the seven criteria on rows 16-22 (self-score in
column D, standard points in C), the total on row 23.
"""

from __future__ import annotations

from pipeline.outputs.templates import FormSpec

from .helpers import codes, errors, forms_of

FULL = [15, 15, 15, 15, 15, 15, 10]


def test_a_clean_form_has_no_findings(add, analysed):
    add("a.xlsx", FormSpec())
    report = analysed()
    assert codes(report) == []
    assert not forms_of(report).rejected.any()


def test_all_problems_of_a_file_at_once(add, analysed):
    scores = [17, 15, None, "mười", 15, -1, 10]
    add("a.xlsx", FormSpec(group="Huyện Hòn Tre", field="Thể thao", year="năm nay", scores=scores))
    assert codes(analysed()) == sorted([
        ("Sheet1!C5", "year-invalid"),
        ("Sheet1!C8", "group-unknown"),
        ("Sheet1!C11", "field-unknown"),
        ("Sheet1!D16", "score-above-max"),
        ("Sheet1!D18", "score-empty"),
        ("Sheet1!D19", "score-not-number"),
        ("Sheet1!D21", "score-negative"),
    ])


def test_an_empty_score_is_not_a_zero(add, analysed):
    add("a.xlsx", FormSpec(scores=[15, 15, 15, 15, 15, 15, None], total="none"))
    report = analysed()
    assert codes(report) == [("Sheet1!D22", "score-empty")]
    assert forms_of(report).rejected.all()


def test_required_information_missing(add, analysed):
    add("a.xlsx", FormSpec(name="", model="", omit={"year", "field"}))
    assert codes(analysed()) == sorted([
        ("Sheet1!C5", "info-missing"),  # name: label present, value empty (one row up: no year row)
        ("Sheet1!C9", "info-missing"),  # model: label present, value empty
        ("Sheet1!A1", "info-missing"),  # year: no label at all -> the form's title cell
        ("Sheet1!A1", "info-missing"),  # field: no label at all
    ])


def test_stated_total_must_equal_the_sum(add, analysed):
    add("a.xlsx", FormSpec(scores=[14, 14, 14, 14, 14, 14, 9], total=95))
    assert codes(analysed()) == [("Sheet1!D23", "total-mismatch")]


def test_a_missing_total_is_computed(add, analysed):
    add("a.xlsx", FormSpec(scores=[14, 14, 14, 14, 14, 14, 9], total="none"))
    report = analysed()
    assert codes(report) == [("Sheet1!D23", "total-computed")]
    (f,) = report.findings
    assert f.severity == "warning" and f.expected == "93"
    assert not forms_of(report).iloc[0].rejected
    assert forms_of(report).iloc[0].total == 93


def test_standard_points_must_be_the_rubrics(add, analysed):
    add("a.xlsx", FormSpec(standards=[15, 15, 15, 15, 15, 10, 15], scores=[15, 15, 15, 15, 15, 10, 10]))
    assert codes(analysed()) == [("Sheet1!C21", "standard-mismatch"), ("Sheet1!C22", "standard-mismatch")]


def test_exactly_the_rubrics_criteria(add, analysed):
    add("a.xlsx", FormSpec(scores=[15, 15, 15, 15, 15, 15], standards=[15, 15, 15, 15, 15, 15]))
    assert codes(analysed()) == [("Sheet1!A15", "criteria-count")]


def test_criteria_in_the_rubrics_order(add, inputs, analysed):
    import openpyxl

    add("a.xlsx", FormSpec())
    wb = openpyxl.load_workbook(inputs / "a.xlsx")
    wb.active["A17"], wb.active["A18"] = "03", "02"
    wb.save(inputs / "a.xlsx")
    assert errors(analysed()) == [("Sheet1!A17", "criterion-order"), ("Sheet1!A18", "criterion-order")]


def test_individual_rubric_is_checked_against_its_own_points(add, analysed):
    add("a.xlsx", FormSpec(kind="ca_nhan", name="Nguyễn Văn An", scores=[15, 15, 20, 10, 10, 15, 16]))
    # Individuals have a "Chức vụ" row, so the table starts one row lower than a collective's.
    assert codes(analysed()) == [("Sheet1!D23", "score-above-max")]


def test_unknown_kind(add, analysed):
    add("a.xlsx", FormSpec(kind_text="Đơn vị"))
    assert codes(analysed()) == [("Sheet1!C4", "kind-unknown")]


def test_a_bad_form_does_not_stop_the_others(add, analysed):
    add("bad.xlsx", FormSpec(scores=[16, 15, 15, 15, 15, 15, 10]))
    add("good.xlsx", FormSpec(name="UBND xã Vạn Long"))
    forms = forms_of(analysed()).set_index("file")
    assert forms.loc["bad.xlsx", "rejected"]
    assert not forms.loc["good.xlsx", "rejected"]
    assert forms.loc["good.xlsx", "eligible"]


def test_findings_carry_file_sheet_found_expected_and_a_vietnamese_message(add, analysed):
    add("sub/a.xlsx", FormSpec(sheet="Bảng 1", scores=[16, 15, 15, 15, 15, 15, 10]))
    (f,) = analysed().findings
    assert (f.file, f.sheet, f.cell, f.found, f.expected, f.severity) == ("sub/a.xlsx", "Bảng 1", "D16", "16", "15", "error")
    assert f.where == "Bảng 1!D16"
    assert "vượt điểm chuẩn" in f.message


def test_a_criterion_row_without_its_number(add, inputs, analysed):
    import openpyxl

    add("a.xlsx", FormSpec())
    wb = openpyxl.load_workbook(inputs / "a.xlsx")
    wb.active["A18"] = None
    wb.active["A19"] = "bốn"
    wb.save(inputs / "a.xlsx")
    assert errors(analysed()) == [("Sheet1!A18", "criterion-order"), ("Sheet1!A19", "criterion-order")]


def test_a_group_several_names_fit_is_refused_naming_them(add, inputs, rules):
    from dataclasses import replace

    from pipeline.core.rules import NameIndex
    from pipeline.run import analyse

    groups = [*rules.groups, "Huyện Cam Ranh"]
    two = replace(rules, groups=tuple(groups), group_index=NameIndex(groups, {}, rules.group_index.prefix_rows))
    add("a.xlsx", FormSpec(group="Cam Ranh"))
    add("b.xlsx", FormSpec(group="TP Cam Ranh", name="UBND phường Cam Lộc"))
    report = analyse(inputs, two)
    assert codes(report) == [("Sheet1!C8", "group-ambiguous")]
    (found,) = report.findings
    assert found.file == "a.xlsx" and found.expected == "Huyện Cam Ranh hoặc Thành phố Cam Ranh"


def test_groups_typed_without_diacritics_are_accepted(add, analysed):
    add("a.xlsx", FormSpec(group="Van Ninh"))
    add("b.xlsx", FormSpec(group="TX Ninh Hoa", name="UBND xã Ninh Đa"))
    report = analysed()
    assert codes(report) == []
    assert sorted(forms_of(report).group) == ["Huyện Vạn Ninh", "Thị xã Ninh Hòa"]
