"""Summaries ready to print, sign and email: read back with openpyxl as a secretary would check them."""

from __future__ import annotations

import datetime as dt
import email
from email import policy

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.text import person_sort_key, vi_sort_key
from pipeline.outputs.document import date_line
from pipeline.outputs.drafts import office
from pipeline.outputs.templates import FormSpec
from pipeline.run import run

from .helpers import column, table

MM = 1 / 25.4


@pytest.fixture
def printed(add, inputs, rules, tmp_path):
    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VT"))
    add("b.xlsx", FormSpec(name="Ủy ban MTTQ xã Đại Lãnh", scores=[12, 15, 15, 15, 15, 15, 10]))
    add("c.xlsx", FormSpec(name="Hội Nông dân xã An Bình", scores=[12, 15, 15, 15, 15, 15, 10]))
    add("d.xlsx", FormSpec(name="Đoàn Thanh niên xã Vạn Phú", scores=[12, 15, 15, 15, 15, 15, 10]))
    add("e.xlsx", FormSpec(kind="ca_nhan", name="Trần Văn Bình", scores=[15, 15, 19, 10, 10, 15, 15]))
    add("f.xlsx", FormSpec(kind="ca_nhan", name="Nguyễn Thị Ánh", scores=[15, 15, 19, 10, 10, 15, 15]))
    out = tmp_path / "outputs"
    run(inputs, out, rules, today=dt.date(2024, 9, 5))
    return out


def test_every_sheet_prints_on_a4_with_the_decrees_margins(printed):
    for path in [printed / "2024" / "tong_hop_2024.xlsx", *(printed / "2024" / "theo_nhom").iterdir()]:
        for ws in openpyxl.load_workbook(path):
            assert ws.page_setup.paperSize == 9, (path.name, ws.title)
            # At full scale: the printed columns fit the page, so 11 pt prints as 11 pt.
            assert ws.page_setup.scale in (None, 100) and not ws.sheet_properties.pageSetUpPr.fitToPage
            m = ws.page_margins
            assert 20 * MM - 0.01 <= m.top <= 25 * MM and 20 * MM - 0.01 <= m.bottom <= 25 * MM
            assert 30 * MM - 0.01 <= m.left <= 35 * MM and 15 * MM - 0.01 <= m.right <= 20 * MM
            assert "&P" in ws.oddFooter.right.text and "Lập ngày" in ws.oddFooter.left.text  # the run, off the body


def test_letterhead_date_line_title_and_signature(printed, rules):
    wb = openpyxl.load_workbook(printed / "2024" / "tong_hop_2024.xlsx")
    ws = wb["Huyện Vạn Ninh"]
    cells = {c.value: c for row in ws.iter_rows() for c in row if isinstance(c.value, str)}
    assert cells["UBND TỈNH KHÁNH HÒA"].column == 1
    issuer = cells["BAN THI ĐUA - KHEN THƯỞNG"]
    assert issuer.font.b and issuer.font.name == "Times New Roman" and issuer.font.sz == 12  # the decree: 12-13
    nation = cells["CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"]
    motto = cells["Độc lập - Tự do - Hạnh phúc"]
    assert nation.font.b and motto.font.b and motto.row == nation.row + 1
    # The decree's short rules under the issuing body and under the motto: a top border one row below.
    ruled = [c for c in ws[motto.row + 1] if c.border.top.style == "thin"]
    assert ruled and {c.column < nation.column for c in ruled} == {True, False}
    assert nation.column > issuer.column
    assert "Khánh Hòa, ngày 05 tháng 9 năm 2024" in cells and cells["Khánh Hòa, ngày 05 tháng 9 năm 2024"].font.i
    title = next(c for v, c in cells.items() if v.startswith("KẾT QUẢ TỰ ĐÁNH GIÁ"))
    assert title.font.b and title.alignment.horizontal == "center"
    preparer, signer = cells["NGƯỜI LẬP BIỂU"], cells["TRƯỞNG BAN"]
    assert preparer.row == signer.row and preparer.row > ws.max_row - 10 and signer.font.b
    header, rows = table(ws)
    head = int(ws.freeze_panes[1:]) - 1
    assert header[0] == "Hạng" and ws.print_title_rows == f"${head}:${head}"  # repeated on every page
    assert ws.page_setup.orientation == "landscape"
    fonts = {c.font.name for row in ws.iter_rows() for c in row if c.value is not None}
    assert fonts == {"Times New Roman"}
    table_sizes = {c.font.sz for row in ws.iter_rows(min_row=int(ws.freeze_panes[1:])) for c in row
                   if c.value is not None and c.row <= int(ws.freeze_panes[1:]) + len(rows)}
    assert table_sizes <= {11, 12}


def test_date_line_pads_days_below_ten_and_the_months_one_and_two():
    assert date_line("Khánh Hòa", dt.date(2024, 9, 5)) == "Khánh Hòa, ngày 05 tháng 9 năm 2024"
    assert date_line("Vạn Ninh", dt.date(2024, 12, 25)) == "Vạn Ninh, ngày 25 tháng 12 năm 2024"
    assert date_line("Vạn Ninh", dt.date(2026, 2, 1)) == "Vạn Ninh, ngày 01 tháng 02 năm 2026"
    assert date_line("Vạn Ninh", dt.date(2026, 1, 10)) == "Vạn Ninh, ngày 10 tháng 01 năm 2026"


def test_vietnamese_alphabetical_order():
    words = ["Đoàn", "Dung", "Anh", "An", "Ăn", "Âu", "Bình", "ơi", "ôi", "oi", "Hạ", "Hà", "Há", "Ha"]
    assert sorted(words, key=vi_sort_key) == ["An", "Anh", "Ăn", "Âu", "Bình", "Dung", "Đoàn",
                                              "Ha", "Hà", "Há", "Hạ", "oi", "ôi", "ơi"]
    people = ["Trần Văn Bình", "Nguyễn Thị Ánh", "Lê Văn An", "Phạm Ăn"]
    assert sorted(people, key=person_sort_key) == ["Lê Văn An", "Nguyễn Thị Ánh", "Phạm Ăn", "Trần Văn Bình"]


def test_lists_not_ordered_by_rank_are_in_vietnamese_order(printed):
    wb = openpyxl.load_workbook(printed / "2024" / "tong_hop_2024.xlsx")
    names = column(wb["Không đủ điều kiện"], "Tên tập thể / cá nhân")
    assert names == ["Đoàn Thanh niên xã Vạn Phú", "Hội Nông dân xã An Bình", "Ủy ban MTTQ xã Đại Lãnh"]
    ws = wb["Huyện Vạn Ninh"]
    kinds, ranked = column(ws, "Loại"), column(ws, "Tên tập thể / cá nhân")
    individuals = [n for k, n in zip(kinds, ranked, strict=True) if k == "Cá nhân"]
    assert individuals == ["Nguyễn Thị Ánh", "Trần Văn Bình"]  # equal rank: by given name, Ánh before Bình
    assert kinds == sorted(kinds, key=["Tập thể", "Cá nhân"].index)  # the rules file's order of kinds


def test_overview_sheet_first_with_live_charts(printed):
    wb = openpyxl.load_workbook(printed / "2024" / "tong_hop_2024.xlsx")
    assert wb.sheetnames[:2] == ["Tổng quan", "Tổng hợp"]
    ws = wb["Tổng quan"]
    figures = {r[0]: r[4] for r in ws.iter_rows(values_only=True) if isinstance(r[0], str) and isinstance(r[4], int)}
    assert figures["Biểu mẫu đã nhận"] == 6 and figures["Biểu mẫu đủ điều kiện"] == 3
    assert len(ws._charts) == 3  # per kind by group, and by field: native, live charts


def test_conditional_formatting_where_the_eye_needs_it(printed):
    wb = openpyxl.load_workbook(printed / "2024" / "tong_hop_2024.xlsx")
    assert any(rule.type == "cellIs" for rng in wb["Tổng hợp"].conditional_formatting for rule in rng.rules)
    ranked = wb["Huyện Vạn Ninh"]
    assert any(rule.type == "containsText" for rng in ranked.conditional_formatting for rule in rng.rules)
    low = [c for row in ranked.iter_rows() for c in row if c.value == 12]
    assert low and all(c.font.color.rgb.endswith("C00000") for c in low)  # 12 of 15: under 90 %, in red


def test_email_drafts_one_per_group_nothing_sent(printed, rules):
    result = CliRunner().invoke(main, ["email", "--outputs", str(printed)])
    assert result.exit_code == 0, result.output
    (draft,) = (printed / "2024" / "thu").iterdir()
    msg = email.message_from_bytes(draft.read_bytes(), policy=policy.default)
    assert msg["Subject"] == "Kết quả tự chấm điểm điển hình “Dân vận khéo” năm 2024 — Huyện Vạn Ninh"
    assert msg["X-Unsent"] == "1" and msg["To"] is None
    body = msg.get_body().get_content()
    assert "Đã nhận 6 biểu mẫu" in body and "trước ngày 01/09/2024" in body
    (attachment,) = msg.iter_attachments()
    assert attachment.get_filename() == "huyen_van_ninh_2024.xlsx"
    assert attachment.get_content() == (printed / "2024" / "theo_nhom" / "huyen_van_ninh_2024.xlsx").read_bytes()


def test_every_subject_reads_back_word_for_word(add, inputs, rules, tmp_path):
    """A long subject (the bloc's) reads back as written: no space between two words is lost."""
    for i, group in enumerate(rules.groups):
        add(f"{i}.xlsx", FormSpec(name=f"UBND xã {i}", unit_code=f"X{i}", group=group))
    out = tmp_path / "outputs"
    run(inputs, out, rules, today=dt.date(2024, 9, 5))
    assert CliRunner().invoke(main, ["email", "--outputs", str(out)]).exit_code == 0
    subjects = {}
    for draft in (out / "2024" / "thu").iterdir():
        raw = draft.read_bytes()
        assert max(len(line) for line in raw.splitlines()) <= 998  # RFC 5322's limit
        subjects[draft.name] = email.message_from_bytes(raw, policy=policy.default)["Subject"]
    assert sorted(subjects.values()) == sorted(rules.email.subject.format(year=2024, group=g) for g in rules.groups)


@pytest.mark.skipif(office() is None, reason="LibreOffice not installed")
def test_preview_converts_to_pdf(printed, inputs, rules):
    (inputs / "hong.xlsx").write_bytes(b"not a workbook")  # a rejected file: its letter is previewed too
    run(inputs, printed, rules, today=dt.date(2024, 9, 5))
    result = CliRunner().invoke(main, ["preview", "--outputs", str(printed)])
    assert result.exit_code == 0, result.output
    pdf = printed / "2024" / "pdf" / "tong_hop_2024.pdf"
    assert pdf.read_bytes().startswith(b"%PDF")
    letters = sorted(p.name for p in (printed / "2024" / "pdf" / "phan_hoi").iterdir())
    assert letters == sorted(p.stem + ".pdf" for p in (printed / "2024" / "phan_hoi").iterdir()) and letters


def _ranked_columns(n: int):
    from pipeline.outputs.geometry import Column

    return [Column("Hạng", 4, "int"), Column("Tên", 16), Column("Xã", 8.5),
            *[Column(f"TC{i:02d}", 4, "num") for i in range(1, n + 1)],
            Column("Tổng", 5, "num"), Column("Khen thưởng", 10), Column("Lý do", 18), Column("Tệp", 20, printed=False)]


def test_a_table_wider_than_the_page_narrows_its_text_columns_instead_of_failing(tmp_path, rules):
    """A province with thirteen criteria: the ranked sheet's text columns give way, the type stays 11 pt."""
    from pipeline.outputs.document import Book
    from pipeline.outputs.geometry import fits, fitted, heading_width

    columns = _ranked_columns(13)
    assert not fits(columns, landscape=True)
    book = Book(tmp_path / "rong.xlsx", rules.document)
    book.table(book.sheet("Rộng"), "TIÊU ĐỀ", columns, [[1, "UBND xã A", "A", *[13.5] * 13, 95, "Giấy khen", "Lý do"]])
    book.close()
    narrow = fitted(columns, landscape=True)
    assert fits(narrow, landscape=True) and min(c.width for c in narrow if c.kind == "text") >= 6
    assert [c.width for c in narrow if c.kind != "text"] == [max(c.width, heading_width(c.heading))
                                                             for c in columns if c.kind != "text"]
    ws = openpyxl.load_workbook(tmp_path / "rong.xlsx")["Rộng"]
    assert ws.page_setup.scale in (None, 100) and not ws.sheet_properties.pageSetUpPr.fitToPage


def test_a_narrower_table_widens_its_text_columns_to_the_page_and_no_heading_word_breaks():
    """Three criteria leave room: the names and reasons get it, and every column holds its heading's
    longest word in Excel's narrower print ("TC01", not "TC0" over "1")."""
    from pipeline.outputs.geometry import column_pt, fitted, inner_pt, room_pt, word_pt

    columns = _ranked_columns(3)
    wide = fitted(columns, landscape=True)
    printed = [c for c in wide if c.printed]
    assert abs(sum(column_pt(c.width) for c in printed) - room_pt(True)) < 1
    assert all(w.width > c.width for w, c in zip(wide, columns, strict=True) if c.printed and c.kind == "text")
    assert all(inner_pt(c.width) >= max(word_pt(w) for w in c.heading.split()) - 1e-9 for c in printed)
    assert word_pt("TC01") > inner_pt(4)  # the width the sheet asked for would break it


def test_a_row_of_wide_capitals_is_as_tall_as_its_lines(tmp_path):
    """A name in capitals of the widest letters: counted as average letters it would seem to fit
    one line, and its row was left one line tall (the second line cut)."""
    from pipeline.outputs.document import Book
    from pipeline.outputs.geometry import LINE_PT, Column, fitted, inner_pt, lines_needed

    columns = [Column("Tên", 20), Column("Lý do", 60)]
    width = fitted(columns, landscape=True)[0].width  # as the page's width gives it
    name = "W" * int(inner_pt(width) / (0.8 * 11))  # fits as letters of 0.8 em; "W" takes 0.94
    assert lines_needed(name, width) == 2
    book = Book(tmp_path / "w.xlsx")
    book.table(book.sheet("S"), "T", columns, [[name, ""], ["An", ""]])
    book.close()
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["S"]
    row = next(c.row for r in ws.iter_rows() for c in r if c.value == name)
    assert (ws.row_dimensions[row].height or 15) >= 2 * LINE_PT


def test_one_line_says_what_wrapping_would(rules):
    """The quick test of the row heights agrees with wrapping, text by text, at every width."""
    from pipeline.outputs.geometry import lines_needed, one_line

    texts = [c.text for k in rules.kinds.values() for c in k.criteria] + [
        "Nguyễn Thị Minh Khai", "WWW MMM", "thi_xa_ninh_hoa/ubnd_xa_dong_hai.xlsx", "Giấy khen huyện", "", "a\nb"]
    for width in (4, 6.5, 10, 14.4, 20, 33, 60):
        assert [one_line(t, width) for t in texts] == [lines_needed(t, width) == 1 and "\n" not in t for t in texts]
