"""Reading forms: labels by their text, both information layouts, headers anywhere."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from pipeline.outputs.templates import FormSpec

from .helpers import codes, errors, forms_of


def _one(report):
    forms = forms_of(report)
    assert len(forms) == 1
    return forms.iloc[0]


def test_label_and_value_in_two_cells(add, analysed):
    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VN-VT-01", commune="Vạn Thắng"))
    f = _one(analysed())
    assert (f["name"], f.unit_code, f.group, f.kind, f.year, f.field) == (
        "UBND xã Vạn Thắng", "VN-VT-01", "Huyện Vạn Ninh", "tap_the", 2024, "Kinh tế")
    assert f.date == dt.date(2024, 8, 20)
    assert f.total == 100


def test_label_and_value_in_one_cell(add, analysed):
    add("a.xlsx", FormSpec(inline_labels=True, name="Hội Nông dân xã Vạn Phú", date=dt.date(2024, 7, 2)))
    f = _one(analysed())
    assert f["name"] == "Hội Nông dân xã Vạn Phú"
    assert f.year == 2024
    assert f.date == dt.date(2024, 7, 2)


def test_two_row_merged_header_anywhere_on_the_sheet(add, analysed):
    add("a.xlsx", FormSpec(two_row_header=True, origin=(4, 2), scores=[14, 14, 14, 14, 14, 14, 9]))
    report = analysed()
    f = _one(report)
    assert f.total == 93
    assert codes(report) == []


def test_two_row_header_written_by_openpyxl(inputs, analysed, rules):
    """A form typed by hand in another program: merged header cells, values typed as text."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Bang cham"
    ws["A1"] = "BẢNG TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “DÂN VẬN KHÉO”"
    ws["A2"] = "2. Đối với cá nhân điển hình \"Dân vận khéo\"."
    info = [("Năm", "2024"), ("Họ và tên", "Trần Thị Mai"), ("Huyện", "H. Diên Khánh"),
            ("Tên mô hình", "Dân vận khéo trong chuyển đổi số"), ("Lĩnh vực", "Văn hoá - Xã hội"),
            ("Ngày tự chấm", "05.08.2024")]
    for i, (label, value) in enumerate(info, start=4):
        ws.cell(i, 1, f"{label}:")
        ws.cell(i, 3, value)
    ws["A11"], ws["B11"], ws["C11"], ws["E11"] = "STT", "Tiêu chí", "Điểm", "Tài liệu kiểm chứng"
    ws["C12"], ws["D12"] = "Chuẩn", "Tự chấm"
    for rng in ("A11:A12", "B11:B12", "C11:D11", "E11:E12"):
        ws.merge_cells(rng)
    for i, c in enumerate(rules.kinds["ca_nhan"].criteria):
        r = 13 + i
        ws.cell(r, 1, i + 1)
        ws.cell(r, 2, c.text)
        ws.cell(r, 3, c.points)
        ws.cell(r, 4, str(c.points - 0.5).replace(".", ","))
        ws.cell(r, 5, "Báo cáo số 5/BC")
    ws.cell(20, 2, "Tổng cộng")
    wb.save(inputs / "tay.xlsx")
    report = analysed()
    f = _one(report)
    # No total typed, date typed as text: both read, both listed as warnings, nothing rejected.
    assert codes(report) == [("Bang cham!C9", "date-from-text"), ("Bang cham!D20", "total-computed")]
    assert not f.rejected
    assert (f.kind, f["name"], f.group, f.field, f.total) == ("ca_nhan", "Trần Thị Mai", "Huyện Diên Khánh", "Văn hóa - xã hội", 96.5)
    assert f.date == dt.date(2024, 8, 5)


def test_scores_typed_as_text_with_a_decimal_comma(add, analysed):
    add("a.xlsx", FormSpec(scores=[13.5, 15, 15, 15, 15, 15, 10], scores_as_text=True))
    assert _one(analysed()).total == 98.5


def test_formula_total_uses_its_cached_value(add, analysed):
    add("a.xlsx", FormSpec(scores=[14, 14, 14, 14, 14, 14, 9], total="formula"))
    report = analysed()
    assert codes(report) == []
    assert _one(report).stated_total == 93


def test_several_forms_in_one_workbook_one_per_sheet(add, analysed):
    add("xa.xlsx", *[FormSpec(kind="ca_nhan", name=n, sheet=f"CN{i}") for i, n in enumerate(["An", "Bình", "Chi"])])
    forms = forms_of(analysed())
    assert sorted(forms.sheet) == ["CN0", "CN1", "CN2"]
    assert sorted(forms["name"]) == ["An", "Bình", "Chi"]


def test_sheets_without_a_form_are_ignored_and_hidden_forms_are_read(add, inputs, analysed):
    add("a.xlsx", FormSpec(sheet="Form"), FormSpec(sheet="An", hidden=True, name="Ẩn"))
    wb = openpyxl.load_workbook(inputs / "a.xlsx")
    wb.create_sheet("Ghi chu")["A1"] = "Ghi chú của đơn vị"
    wb.save(inputs / "a.xlsx")
    report = analysed()
    assert sorted(forms_of(report).sheet) == ["An", "Form"]
    assert errors(report) == []


def test_kind_is_read_from_the_title_when_no_label_says_it(add, analysed):
    add("a.xlsx", FormSpec(kind="ca_nhan", omit={"kind"}, name="Lê Văn Tám"))
    report = analysed()
    assert _one(report).kind == "ca_nhan"
    assert codes(report) == []


@pytest.mark.parametrize(
    ("typed", "date", "told"),
    [("20/08/2024", dt.date(2024, 8, 20), False), ("20-08-2024", dt.date(2024, 8, 20), True),
     ("20.8.2024", dt.date(2024, 8, 20), True), ("20/8/24", dt.date(2024, 8, 20), True),
     ("ngày 5 tháng 8 năm 2024", dt.date(2024, 8, 5), True), (dt.date(2024, 1, 31), dt.date(2024, 1, 31), False)],
)
def test_dates_day_first(add, analysed, typed, date, told):
    """Text typed exactly as FORM.md shows a date (20/08/2024) is read without a word; any other
    spelling is read too, with a warning that says which date it was taken to be."""
    add("a.xlsx", FormSpec(date=typed))
    report = analysed()
    assert _one(report).date == date
    assert [c for _, c in codes(report)] == (["date-from-text"] if told else [])


def test_workbook_without_a_form_is_one_finding(inputs, analysed):
    wb = openpyxl.Workbook()
    wb.active["A1"] = "Danh sách cán bộ"
    wb.save(inputs / "list.xlsx")
    assert codes(analysed()) == [("", "no-form-found")]


def test_corrupt_file_is_one_finding_and_the_run_goes_on(add, inputs, analysed):
    (inputs / "hong.xlsx").write_bytes(b"PK\x03\x04 not really")
    add("ok.xlsx", FormSpec())
    report = analysed()
    assert codes(report) == [("", "not-a-spreadsheet")]
    assert len(forms_of(report)) == 1


def test_scores_typed_as_text_are_named_as_the_cause_of_a_short_total(add, analysed):
    """Excel's SUM leaves text out: the total shows 0 though the scores add up to 94,5."""
    add("a.xlsx", FormSpec(scores=[13.5, 14, 14, 14, 14, 15, 10], scores_as_text=True, total=0))
    report = analysed()
    assert codes(report) == [("Sheet1!D23", "scores-as-text")]
    (f,) = report.findings
    assert (f.found, f.expected) == ("0", "94,5")


@pytest.mark.parametrize("numbers", [
    ["1.", "2.", "3.", "4.", "5.", "6.", "7."],
    ["I", "II", "III", "IV", "V", "VI", "VII"],
    [f"Tiêu chí {i}" for i in range(1, 8)],
    [str(i) for i in range(1, 8)],
])
def test_criteria_numbered_as_units_number_them(add, analysed, numbers):
    add("a.xlsx", FormSpec(numbers=numbers))
    assert codes(analysed()) == []


@pytest.mark.parametrize(("role", "heading"), [
    ("score", "Điểm tự đánh giá"), ("score", "Tự chấm"), ("standard", "Điểm tối đa"), ("standard", "Thang điểm"),
    ("evidence", "Tài liệu minh chứng"), ("criterion", "Nội dung tiêu chí"), ("stt", "TT"),
])
def test_common_wordings_of_the_table_header(add, analysed, role, heading):
    add("a.xlsx", FormSpec(headers={role: heading}))
    report = analysed()
    assert codes(report) == [] and len(forms_of(report)) == 1
