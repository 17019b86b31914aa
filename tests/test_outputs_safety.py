"""Feedback workbooks, safe outputs (formula injection, file names, atomic writes)."""

from __future__ import annotations

import openpyxl
import pytest
import xlwt
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.text import csv_safe, slug
from pipeline.infra.files import atomic_write
from pipeline.outputs.templates import FormSpec

from .helpers import read_csv


def test_feedback_workbook_for_each_rejected_file(add, inputs, run_all):
    add("van_ninh/loi.xlsx", FormSpec(name="UBND xã Vạn Hưng", scores=[16, 15, None, 15, 15, 15, 10]))
    add("van_ninh/tot.xlsx", FormSpec(name="UBND xã Vạn Lương"))
    (inputs / "hong.xlsx").write_bytes(b"garbage")
    report, out = run_all()
    folder = out / "2024" / "phan_hoi"
    assert sorted(p.name for p in folder.iterdir()) == ["hong.xlsx", "van_ninh_loi.xlsx"]

    wb = openpyxl.load_workbook(folder / "van_ninh_loi.xlsx")
    assert wb.sheetnames[0] == "Phản hồi"
    assert _letter(wb) == ["Sheet1!D16", "Sheet1!D18"]
    form = wb["Sheet1"]
    for cell in ("D16", "D18"):
        assert form[cell].fill.fgColor.rgb.endswith("FFC7CE")
        assert form[cell].comment is not None and "tiêu chí" in form[cell].comment.text.lower()
    assert form["D17"].comment is None
    assert form["C6"].value == "UBND xã Vạn Hưng"  # the unit's own form, copied

    broken = openpyxl.load_workbook(folder / "hong.xlsx")
    assert broken.sheetnames == ["Phản hồi"]
    assert _letter(broken) == ["Cả tệp"]
    texts = [v for row in broken["Phản hồi"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert any("«hong.xlsx»" in t for t in texts)


def _letter(wb) -> list[str]:
    """Where each problem the letter lists stands: the rows numbered 1, 2, … of its table."""
    return [r[1] for r in wb["Phản hồi"].iter_rows(values_only=True) if isinstance(r[0], str) and r[0].isdigit()]


def test_feedback_for_a_legacy_xls_is_rebuilt_from_its_values(inputs, run_all, rules):
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Bang")
    ws.write(0, 0, "BẢNG TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “DÂN VẬN KHÉO”")
    for c, name in enumerate(["STT", "Tiêu chí", "Điểm chuẩn", "Điểm tự chấm", "Tài liệu kiểm chứng"]):
        ws.write(2, c, name)
    ws.write(3, 0, 1)
    ws.write(3, 2, 15)
    ws.write(3, 3, "mười")
    book.save(str(inputs / "cu.xls"))
    _, out = run_all(year=2024)
    wb = openpyxl.load_workbook(out / "2024" / "phan_hoi" / "cu.xlsx")
    assert wb.sheetnames == ["Phản hồi", "Bang"]
    assert wb["Bang"]["D4"].value == "mười"
    assert wb["Bang"]["D4"].comment is not None


def test_csv_cells_that_would_run_as_formulas_are_neutralised(add, inputs, run_all):
    for i, name in enumerate(["=1+1", "+1", "-2+3", "@SUM(A1)"]):
        add(f"h{i}.xlsx", FormSpec(name=name, unit_code=f"U{i}"))
    _, out = run_all()
    names = {r["unit_code"]: r["name"] for r in read_csv(out / "2024" / "ket_qua.csv")}
    assert names == {"U0": "'=1+1", "U1": "'+1", "U2": "'-2+3", "U3": "'@SUM(A1)"}
    # Cells are cleaned of leading tabs and returns before they reach a CSV; the guard covers them anyway.
    assert [csv_safe(v) for v in ("\tx", "\rx", "x=1", 5)] == ["'\tx", "'\rx", "x=1", 5]


def test_hostile_text_stays_text_in_feedback_workbooks(add, inputs, run_all):
    add("=HYPERLINK(1).xlsx", FormSpec(name='=HYPERLINK("http://example.invalid","bấm")', scores=[20, 15, 15, 15, 15, 15, 10]))
    _, out = run_all()
    (path,) = (out / "2024" / "phan_hoi").iterdir()
    seen = set()
    for ws in openpyxl.load_workbook(path):
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, str) and "HYPERLINK" in cell.value:
                    assert cell.data_type == "s", (ws.title, cell.coordinate)
                    seen.add(ws.title)
    assert seen == {"Phản hồi", "Sheet1"}


@pytest.mark.parametrize("name", ["../../etc/passwd", "..\\..\\x", "CON", "nul.txt", "a/b", "x" * 500, ""])
def test_file_names_made_from_names_cannot_leave_the_folder(name):
    s = slug(name)
    assert s and "/" not in s and "\\" not in s and ".." not in s and len(s) <= 61
    assert s.split("_")[0].lower() not in {"con", "nul", "prn", "aux"}


def test_group_with_a_hostile_name_writes_inside_the_output_folder(tmp_path):
    from pipeline.core.rules import load_rules
    from pipeline.outputs.templates import write_workbook

    shipped = load_rules().path.read_text(encoding="utf-8")
    rules_path = tmp_path / "r.toml"
    hostile = shipped.replace('"Huyện Trường Sa",', '"Huyện Trường Sa",\n  "../../CON",')
    # A group with no prefix has no party committee for the drafts' recipients: no drafts of its own.
    hostile = hostile.replace('without_documents = [', 'without_documents = ["../../CON", ')
    rules_path.write_text(hostile, encoding="utf-8")
    rules = load_rules(rules_path)
    inputs = tmp_path / "in"
    write_workbook(inputs / "a.xlsx", [FormSpec(group="../../CON")], rules)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out), "--rules", str(rules_path)])
    assert result.exit_code == 0, result.output
    written = {p.relative_to(out).as_posix() for p in out.rglob("*.xlsx")}
    assert "2024/theo_nhom/_con_2024.xlsx" in written
    assert all(not p.startswith("..") for p in written)
    assert not (tmp_path / "CON").exists()


def test_a_crash_while_writing_keeps_the_last_good_workbook(tmp_path):
    target = tmp_path / "tong_hop_2024.xlsx"
    target.write_bytes(b"the last good workbook")

    def crash(path):
        path.write_bytes(b"half a workbook")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, crash)
    assert target.read_bytes() == b"the last good workbook"
    assert [p.name for p in tmp_path.iterdir()] == ["tong_hop_2024.xlsx"]  # no half-written file left


LOOKALIKES = ["thi_xa_ninh_hoa/ubnd_xa_dong_hai.xlsx", "a_x1_x2_b", "_x000D_ typed", "p_xabcd_q", "ô_xFF_ư", "_xg_"]


@pytest.mark.parametrize("large", [False, True], ids=["shared strings", "constant memory"])
def test_text_that_looks_like_an_escape_reads_back_as_written(tmp_path, large):
    """"_xa_" in "thi_xa_ninh_hoa" is no escape: every reader gets the text back, and no underscore
    of it is left where LibreOffice would take it for one (it read "_xa_" as a line break)."""
    import re
    import zipfile

    import python_calamine as pc

    from pipeline.outputs.document import Book

    path = tmp_path / "b.xlsx"
    book = Book(path, large=large, footer=LOOKALIKES[0])
    ws = book.sheet("S")
    for r, text in enumerate(LOOKALIKES):
        ws.write_string(r, 0, text)
    book.print_setup(ws, landscape=True)
    book.close()
    # A footer is read as it stands (LibreOffice reads no escape there): it keeps its underscores.
    assert LOOKALIKES[0] in openpyxl.load_workbook(path)["S"].oddFooter.left.text
    if not large:  # openpyxl decodes no escape in inline strings, xlsxwriter's own "_x005F_x000D_" neither
        assert [r[0] for r in openpyxl.load_workbook(path)["S"].iter_rows(values_only=True)] == LOOKALIKES
    assert [r[0] for r in pc.CalamineWorkbook.from_path(str(path)).get_sheet_by_name("S").to_python()] == LOOKALIKES
    with zipfile.ZipFile(path) as z:
        xml = b"".join(z.read(n) for n in z.namelist() if n.startswith(("xl/sharedStrings", "xl/worksheets/")))
    texts = b"".join(re.findall(rb"<t(?: [^>]*)?>([^<]*)</t>", xml))
    assert texts and not re.search(rb"(?<!_x005F)_x[0-9A-Fa-f]{1,3}_", texts)
