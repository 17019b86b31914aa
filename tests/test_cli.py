"""The real CLI on an inputs folder: both CSV files, the workbooks, the summary, exit codes."""

from __future__ import annotations

import hashlib

import openpyxl
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.outputs.templates import FormSpec, write_register

from .helpers import column, read_csv, table

KET_QUA = ["file", "sheet", "unit_code", "name", "kind", "group", "field", "year", "total",
           "eligible", "reasons", "rank", "award", "reason_codes", "appraised_total", "proposed_award", "decided_by"]


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def _month(add, inputs, rules):
    add("van_ninh/a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VN-01", group="H. Vạn Ninh"))
    add("van_ninh/b.xlsx", FormSpec(name="UBND xã Vạn Phú", scores=[14, 14, 14, 14, 14, 14, 9]))
    add("van_ninh/c.xlsx", FormSpec(name="Hội Nông dân xã Vạn Long", scores=[12, 15, 15, 15, 15, 15, 10]))
    add("cam_lam/nhieu.xlsx",
        FormSpec(kind="ca_nhan", name="Trần Thị Mai", group="Cam Lâm", sheet="CN1"),
        FormSpec(kind="ca_nhan", name="Lê Văn Tám", group="Cam Lâm", sheet="CN2", scores=[16, 15, 20, 10, 10, 15, 15]))
    add("cu/nam_truoc.xlsx", FormSpec(name="UBND xã Vạn Giã", year=2023))
    add("thieu_nam.xlsx", FormSpec(name="UBND xã Đại Lãnh", year=""))
    write_register(inputs / "lich_su" / "2023.xlsx", rules.registers.history_columns, [
        [2023, "VN-01", "UBND xã Vạn Thắng", "Tập thể", "Huyện Vạn Ninh", "Giấy khen huyện"],
        [2023, "", "Trần Thị Mai", "Cá nhân", "H. Cam Lâm", "Giấy khen cấp huyện"],
    ])
    (inputs / "van_ninh" / "~$a.xlsx").write_bytes(b"lock")
    (inputs / "van_ninh" / "minh_chung.pdf").write_bytes(b"%PDF-1.4")
    (inputs / ".an.xlsx").write_bytes(b"hidden")
    (inputs / "hong.xlsx").write_bytes(b"not a workbook")


def test_monthly_run_end_to_end(add, inputs, tmp_path, rules):
    _month(add, inputs, rules)
    out = tmp_path / "outputs"
    before = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs.rglob("*") if p.is_file()}
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    assert "Đã đọc 7 tệp bảng tính; bỏ qua 3 tệp khác." in result.output
    assert "Năm 2024: 6 biểu mẫu — hợp lệ 4, bị từ chối 2, đủ điều kiện 3, được khen thưởng 3" in result.output

    rows = read_csv(out / "2024" / "ket_qua.csv")
    assert list(rows[0]) == KET_QUA
    # As Excel on Windows opens it with the Vietnamese letters intact: a BOM, then CRLF lines.
    raw = (out / "2024" / "ket_qua.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbffile,sheet,") and raw.count(b"\r\n") == len(rows) + 1
    by_name = {r["name"]: r for r in rows}
    assert set(by_name) == {"UBND xã Vạn Thắng", "UBND xã Vạn Phú", "Hội Nông dân xã Vạn Long", "Trần Thị Mai"}
    assert by_name["UBND xã Vạn Thắng"] == {
        "file": "van_ninh/a.xlsx", "sheet": "Sheet1", "unit_code": "VN-01", "name": "UBND xã Vạn Thắng",
        "kind": "tap_the", "group": "Huyện Vạn Ninh", "field": "Kinh tế", "year": "2024", "total": "100",
        "eligible": "true", "reasons": "Đề nghị Bằng khen tỉnh: xếp hạng 1, chỉ tiêu 1 tập thể", "rank": "1",
        "award": "de_nghi_bang_khen_tinh", "reason_codes": "proposal-within-quota", "appraised_total": "100",
        "proposed_award": "de_nghi_bang_khen_tinh", "decided_by": "proposal",
    }
    assert by_name["UBND xã Vạn Phú"]["award"] == "giay_khen_huyen"
    assert by_name["Hội Nông dân xã Vạn Long"]["eligible"] == "false"
    assert by_name["Hội Nông dân xã Vạn Long"]["reason_codes"] == "criterion-below"
    assert by_name["Hội Nông dân xã Vạn Long"]["reasons"].startswith("Tiêu chí 01: 12 điểm")
    assert by_name["Hội Nông dân xã Vạn Long"]["rank"] == ""
    assert by_name["Trần Thị Mai"]["kind"] == "ca_nhan" and by_name["Trần Thị Mai"]["group"] == "Huyện Cam Lâm"

    errors = read_csv(out / "2024" / "loi.csv")
    assert list(errors[0]) == ["file", "sheet", "cell", "message", "code", "severity"]
    assert [(e["file"], e["sheet"], e["cell"], e["code"], e["severity"]) for e in errors] == [
        ("cam_lam/nhieu.xlsx", "CN2", "D17", "score-above-max", "lỗi"),
        ("hong.xlsx", "", "", "not-a-spreadsheet", "lỗi"),
        ("thieu_nam.xlsx", "Sheet1", "C5", "info-missing", "lỗi"),
    ]
    assert all(e["message"] for e in errors)
    assert not any("~$" in e["file"] or e["file"].endswith(".pdf") for e in errors)

    # Forms of another year get their own folder; findings of no year go to the run's year.
    assert [r["name"] for r in read_csv(out / "2023" / "ket_qua.csv")] == ["UBND xã Vạn Giã"]
    assert read_csv(out / "2023" / "loi.csv") == []
    assert sorted(p.relative_to(out / "2023").as_posix() for p in (out / "2023").rglob("*.xlsx")) == [
        "theo_nhom/huyen_van_ninh_2023.xlsx", "tong_hop_2023.xlsx", "xet_khen_thuong_2023.xlsx"]
    assert sorted(p.name for p in (out / "2024" / "phan_hoi").iterdir()) == [
        "cam_lam_nhieu.xlsx", "hong.xlsx", "thieu_nam.xlsx"]

    wb = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")
    assert wb.sheetnames[:2] == ["Tổng quan", "Tổng hợp"]
    assert {"Huyện Vạn Ninh", "Huyện Cam Lâm", "Khen thưởng", "Không đủ điều kiện", "Hồ sơ bị từ chối", "Tệp bỏ qua"} <= set(wb.sheetnames)
    summary = wb["Tổng hợp"]
    header, body = table(summary)
    assert header[:3] == ["STT", "Huyện/thị xã/thành phố", "Loại"]
    total_row = list(body[-1])
    assert total_row[1] == "Tổng cộng" and total_row[3:] == [6, 2, 4, 0, 3, 3, 2, 0, 0]
    skipped = [r[0] for r in table(wb["Tệp bỏ qua"])[1]]
    assert skipped == [".an.xlsx", "van_ninh/minh_chung.pdf", "van_ninh/~$a.xlsx"]
    assert wb["Huyện Vạn Ninh"].auto_filter.ref

    groups = sorted(p.name for p in (out / "2024" / "theo_nhom").iterdir())
    assert groups == ["huyen_cam_lam_2024.xlsx", "huyen_van_ninh_2024.xlsx"]
    vn = openpyxl.load_workbook(out / "2024" / "theo_nhom" / "huyen_van_ninh_2024.xlsx")
    names = set(column(vn["Huyện Vạn Ninh"], "Tên tập thể / cá nhân"))
    assert "Trần Thị Mai" not in names and "UBND xã Vạn Thắng" in names

    after = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs.rglob("*") if p.is_file()}
    assert after == before


def test_year_option_decides_the_run_year(add, inputs, tmp_path):
    add("a.xlsx", FormSpec(year=2024))
    add("b.xlsx", FormSpec(name="Khác", year=""))
    out = tmp_path / "outputs"
    # A year no form carries is a typing mistake: nothing is written.
    assert CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out), "--year", "2025"]
                              ).exit_code == 1
    assert not (out / "2025").exists()
    assert _invoke("run", "--inputs", inputs, "--outputs", out, "--year", 2024).exit_code == 0
    assert [r["cell"] for r in read_csv(out / "2024" / "loi.csv")] == ["C5"]  # a form of no year: the run's
    assert len(read_csv(out / "2024" / "ket_qua.csv")) == 1


def test_the_year_most_forms_carry_is_the_run_year(add, inputs, tmp_path):
    add("a.xlsx", FormSpec(year=2023))
    add("b.xlsx", FormSpec(name="B", year=2024))
    add("c.xlsx", FormSpec(name="C", year=2024))
    (inputs / "hong.xlsx").write_bytes(b"x")
    out = tmp_path / "outputs"
    _invoke("run", "--inputs", inputs, "--outputs", out)
    assert [r["file"] for r in read_csv(out / "2024" / "loi.csv")] == ["hong.xlsx"]


def test_unwritable_output_folder_exits_non_zero(add, inputs, tmp_path):
    add("a.xlsx", FormSpec())
    blocker = tmp_path / "outputs"
    blocker.write_text("a file, not a folder")
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(blocker)])
    assert result.exit_code != 0
    assert "Không tạo được thư mục kết quả" in result.output


def test_rejected_forms_do_not_fail_the_run(add, inputs, tmp_path):
    add("a.xlsx", FormSpec(scores=[20, 15, 15, 15, 15, 15, 10]))
    result = _invoke("run", "--inputs", inputs, "--outputs", tmp_path / "o")
    assert result.exit_code == 0
    assert "bị từ chối 1" in result.output


def test_empty_inputs_folder_stops_writing_nothing(inputs, tmp_path):
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(tmp_path / "o")])
    assert result.exit_code == 1 and "không có tệp bảng tính nào" in result.output
    assert not (tmp_path / "o" / "so_theo_doi.sqlite").exists()


def test_text_from_a_workbook_never_becomes_a_formula_or_link(add, inputs, tmp_path):
    hostile = ['=HYPERLINK("http://example.invalid","bấm")', "+1", "-2+3", "@SUM(A1)"]
    for i, name in enumerate(hostile):
        add(f"h{i}.xlsx", FormSpec(name=name, unit_code=name, model=name))
    out = tmp_path / "outputs"
    _invoke("run", "--inputs", inputs, "--outputs", out)
    for path in [out / "2024" / "tong_hop_2024.xlsx", *(out / "2024" / "theo_nhom").iterdir()]:
        wb = openpyxl.load_workbook(path)
        for ws in wb:
            for row in ws.iter_rows():
                for cell in row:
                    if cell.value in hostile:
                        assert cell.data_type == "s", (path.name, ws.title, cell.coordinate)
                    assert not (isinstance(cell.value, str) and cell.value.startswith("=") and cell.value not in hostile)
                    assert cell.hyperlink is None


def test_demo_command(tmp_path):
    result = _invoke("demo", "--dir", tmp_path / "demo")
    assert result.exit_code == 0, result.output
    out = tmp_path / "demo" / "outputs" / "2024"
    rows = read_csv(out / "ket_qua.csv")
    awards = {r["award"] for r in rows}
    assert {"de_nghi_bang_khen_tinh", "giay_khen_huyen", "dong_hang", "superseded", ""} <= awards
    assert {r["kind"] for r in rows} == {"tap_the", "ca_nhan"}
    assert len({r["group"] for r in rows}) == 10
    assert any(r["eligible"] == "false" for r in rows)
    assert read_csv(out / "loi.csv")
    assert "Mở bảng tổng hợp" in result.output


def test_check_prints_each_form_and_every_finding_with_its_cell(add, inputs, tmp_path):
    path = add("a.xlsx", FormSpec(name="UBND xã Vạn Hưng", scores=[16, 15, None, 15, 15, 15, 10]),
               FormSpec(sheet="B", name="Hội Nông dân", scores=[12, 15, 15, 15, 15, 15, 10]))
    (inputs / "minh_chung.pdf").write_bytes(b"%PDF")
    result = _invoke("check", path, inputs / "minh_chung.pdf")
    assert result.exit_code == 1  # a form is rejected
    out = result.output
    assert "Trang «Sheet1»: Tập thể «UBND xã Vạn Hưng»" in out and "BỊ TỪ CHỐI" in out
    assert "[Lỗi] Sheet1!D16:" in out and "[Lỗi] Sheet1!D18:" in out
    assert "Trang «B»: Tập thể «Hội Nông dân»" in out and "chưa đủ điều kiện: Tiêu chí 01" in out
    assert "Bỏ qua: Không phải bảng tính" in out
    assert not (tmp_path / "outputs").exists()  # check writes nothing


def test_check_keeps_the_order_given_and_exits_zero_when_all_is_well(add, inputs):
    z = add("z.xlsx", FormSpec(name="UBND xã Z"))
    a = add("a.xlsx", FormSpec(name="UBND xã A", scores=[12, 15, 15, 15, 15, 15, 10]))
    result = _invoke("check", z, a)
    assert result.exit_code == 0, result.output  # not eligible is not rejected
    files = [line for line in result.output.splitlines() if line.startswith("Tệp: ")]
    assert files == [f"Tệp: {z}", f"Tệp: {a}"]
    broken = inputs / "hong.xlsx"
    broken.write_bytes(b"not a workbook")
    assert _invoke("check", broken).exit_code == 1


def test_progress_is_reported_per_file_and_quiet_off_a_terminal(add, inputs, rules, tmp_path):
    from pipeline.run import run

    for i in range(3):
        add(f"{i}.xlsx", FormSpec(name=f"Đơn vị {i}"))
    seen = []
    run(inputs, tmp_path / "o", rules, progress=lambda done, total, forms: seen.append((done, total, forms)))
    assert [s[0] for s in seen] == [1, 2, 3] and seen[-1] == (3, 3, 3)
    result = _invoke("run", "--inputs", inputs, "--outputs", tmp_path / "o2")
    assert "Đang đọc" not in result.output  # CliRunner is no terminal: no bar
