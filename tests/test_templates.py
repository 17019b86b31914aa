"""The blank forms: what they contain, and that a filled-in one reads back exactly."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.run import analyse

from .helpers import codes, forms_of


@pytest.fixture
def templates(tmp_path):
    result = CliRunner().invoke(main, ["templates", "--outputs", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    return tmp_path / "out" / "mau"


def _cells(ws):
    """label text (without colon) -> the value cell to its right; criterion rows by STT."""
    labels, rows = {}, {}
    for row in ws.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.endswith(":") and cell.column == 2:
                labels[cell.value[:-1]] = ws.cell(cell.row, 3)
            if isinstance(cell.value, str) and cell.column == 1 and cell.value.isdigit():
                rows[int(cell.value)] = cell.row
    return labels, rows


def test_two_blank_forms_from_the_rules_file(templates, rules):
    assert sorted(p.name for p in templates.iterdir()) == [
        "mau_ca_nhan.xlsx", "mau_danh_sach.xlsx", "mau_lich_su.xlsx", "mau_tap_the.xlsx"]
    history = openpyxl.load_workbook(templates / "mau_lich_su.xlsx").active
    assert [c.value for c in history[1]] == ["Năm", "Mã đơn vị", "Tên", "Loại", "Huyện/thị xã/thành phố", "Danh hiệu"]
    roster = openpyxl.load_workbook(templates / "mau_danh_sach.xlsx").active
    assert [c.value for c in roster[1]] == ["Mã đơn vị", "Tên", "Loại", "Huyện/thị xã/thành phố"]
    for code, kind in rules.kinds.items():
        wb = openpyxl.load_workbook(templates / f"mau_{code}.xlsx")
        ws = wb[kind.name]
        labels, rows = _cells(ws)
        assert [ws.cell(rows[c.stt], 2).value for c in kind.criteria] == [c.text for c in kind.criteria]
        assert [ws.cell(rows[c.stt], 3).value for c in kind.criteria] == [c.points for c in kind.criteria]
        # The evidence guidance of each criterion is a comment on its evidence cell.
        assert [ws.cell(rows[c.stt], 5).comment.text for c in kind.criteria] == [c.evidence for c in kind.criteria]
        # Self-scores: data validation 0 … standard points, unlocked; everything else locked.
        validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
        for c in kind.criteria:
            ref = f"D{rows[c.stt]}"
            assert validations[ref].type == "decimal"
            assert (float(validations[ref].formula1), float(validations[ref].formula2)) == (0, c.points)
            assert ws[ref].protection.locked is False
        total = ws.cell(rows[len(kind.criteria)] + 1, 4)
        assert total.value == f"=SUM(D{rows[1]}:D{rows[len(kind.criteria)]})"
        assert total.protection.locked is not False
        assert ws.protection.sheet is True
        # Drop-down lists for kind, group and field.
        kinds_dv = validations[labels["Loại điển hình"].coordinate]
        assert kinds_dv.type == "list" and "Tập thể" in kinds_dv.formula1 and "Cá nhân" in kinds_dv.formula1
        assert validations[labels["Huyện/thị xã/thành phố"].coordinate].formula1.startswith("DanhMuc!")
        assert validations[labels["Lĩnh vực"].coordinate].formula1.startswith("DanhMuc!")
        lists = wb["DanhMuc"]
        assert lists.sheet_state == "hidden"
        assert [c.value for c in lists["A"][1:]] == list(rules.groups)
        assert [c.value for c in lists["B"][1:] if c.value] == list(rules.fields)
        assert ws.page_setup.paperSize == 9


@pytest.mark.parametrize("code", ["tap_the", "ca_nhan"])
def test_a_filled_in_template_reads_back_exactly_what_was_typed(templates, tmp_path, rules, code):
    kind = rules.kinds[code]
    wb = openpyxl.load_workbook(templates / f"mau_{code}.xlsx")
    ws = wb[kind.name]
    labels, rows = _cells(ws)
    typed = {
        "Năm đánh giá": 2024,
        kind.name_label: "Nguyễn Thị Ánh" if code == "ca_nhan" else "UBND xã Vạn Thắng",
        "Mã đơn vị": "VN-VT-01",
        "Huyện/thị xã/thành phố": "Huyện Vạn Ninh",
        "Xã/phường/thị trấn": "Vạn Thắng",
        "Tên mô hình, điển hình": "Dân vận khéo trong xây dựng nông thôn mới",
        "Lĩnh vực": "Văn hóa - xã hội",
        "Thời gian triển khai": "01/2023 - 12/2024",
        "Ngày lập": dt.datetime(2024, 8, 20),
    }
    if code == "ca_nhan":
        typed["Chức vụ, đơn vị công tác"] = "Chủ tịch Hội Phụ nữ xã"
    for label, value in typed.items():
        labels[label].value = value
    scores = [c.points - (0.5 if i % 2 else 0) for i, c in enumerate(kind.criteria)]
    for c, s in zip(kind.criteria, scores, strict=True):
        ws.cell(rows[c.stt], 4).value = s
        ws.cell(rows[c.stt], 5).value = f"Báo cáo số {c.stt}/BC-UBND"
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    wb.save(inputs / "da_dien.xlsx")

    report = analyse(inputs, rules)
    # Saved by a program that keeps formulas but not their results: the total is computed.
    assert codes(report) == [(f"{kind.name}!D{rows[len(kind.criteria)] + 1}", "total-computed")]
    f = forms_of(report).iloc[0]
    assert (f.kind, f.year, f["name"], f.unit_code, f.group, f.commune, f.model, f.field, f.period, f.date) == (
        code, 2024, typed[kind.name_label], "VN-VT-01", "Huyện Vạn Ninh", "Vạn Thắng",
        typed["Tên mô hình, điển hình"], "Văn hóa - xã hội", "01/2023 - 12/2024", dt.date(2024, 8, 20))
    if code == "ca_nhan":
        assert f.position == "Chủ tịch Hội Phụ nữ xã"
    assert f.scores == scores
    assert f.total == sum(scores)
