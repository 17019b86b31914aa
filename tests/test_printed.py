"""The pages as they print: LibreOffice turns the workbooks into PDF, poppler reads every word's box.

pdftotext -bbox-layout gives each word's box; its height is 1.3 times the printed type size for
Times New Roman (Liberation Serif on Linux): 11 pt text measures 14.3, 14 pt 18.2, 10 pt 13.0.
"""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess

import openpyxl
import pytest

from pipeline.core.review import REVIEW
from pipeline.outputs.drafts import office
from pipeline.outputs.templates import FormSpec, write_templates
from pipeline.run import run

from .helpers import BOX, pdf_pages, pdf_words, printed_whole, read_csv, struck_words

pytestmark = pytest.mark.skipif(
    office() is None or shutil.which("pdftotext") is None,
    reason="LibreOffice or poppler-utils not installed (.ci/run installs both): printed pages not checked",
)

LONG_FOLDER, LONG_NAME = "thi_xa_ninh_hoa", "tap_the_02_hoi_phu_nu_xa_an_binh.xlsx"


@pytest.fixture(scope="module")
def pdfs(tmp_path_factory, rules):
    tmp = tmp_path_factory.mktemp("printed")
    inputs, out = tmp / "inputs", tmp / "outputs"
    from pipeline.outputs.templates import write_workbook

    def add(rel, *specs):
        write_workbook(inputs / rel, list(specs), rules)

    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VT"))
    add("b.xlsx", FormSpec(name="Ủy ban Mặt trận Tổ quốc Việt Nam xã Đại Lãnh", scores=[12, 15, 15, 15, 15, 15, 10],
                           evidence=["", "Báo cáo", "Báo cáo", "Báo cáo", "Báo cáo", "Báo cáo", ""]))
    add("x.xlsx", FormSpec(name="Hội Nông dân xã Vạn Long", unit_code="X", scores=[15, 15, 15, 15, 14, 14, 10]))
    for code in ("C", "D"):  # tied at the edge of the Giấy khen quota
        add(f"{code}.xlsx", FormSpec(name=f"Hội Cựu chiến binh xã {code}", unit_code=code,
                                     scores=[15, 15, 15, 14, 13.5, 14, 9]))
    add("e.xlsx", FormSpec(kind="ca_nhan", name="Trần Văn Bình", scores=[15, 15, 19, 10, 10, 15, 15]))
    add("f.xlsx", FormSpec(kind="ca_nhan", name="Nguyễn Thị Ánh", group="Cam Lam", scores=[15, 15, 19, 10, 10, 15, 15]))
    add("van_hung.xlsx", FormSpec(name="UBND xã Vạn Hưng", group="Huyện Hòn Tre", scores=[16, 15, None, 15, 15, 15, 10]))
    add("nha_trang.xlsx", FormSpec(name="UBND phường Lộc Thọ", unit_code="LT", group="Thành phố Nha Trang"))
    # A long name in a folder, with a warning (no total): "_xa_" is what LibreOffice once read as a line break.
    add(f"{LONG_FOLDER}/{LONG_NAME}", FormSpec(name="Hội LHPN xã An Bình", unit_code="AB", group="Thị xã Ninh Hòa",
                                               total="none"))
    run(inputs, out, rules, today=dt.date(2026, 3, 5))
    write_templates(out / "mau", rules)
    books = [out / "2024" / "tong_hop_2024.xlsx", out / "2024" / "theo_nhom" / "huyen_van_ninh_2024.xlsx",
             out / "2024" / "phan_hoi" / "van_hung.xlsx", out / "mau" / "mau_tap_the.xlsx", out / "mau" / "mau_ca_nhan.xlsx",
             out / "2024" / "xet_khen_thuong_2024.xlsx"]
    pdf = tmp / "pdf"
    subprocess.run([office(), "--headless", "--convert-to", "pdf", "--outdir", str(pdf), *map(str, books)],
                   check=True, capture_output=True, timeout=600)
    # The same workbooks as Excel prints them: its columns are narrower (column_pt, excel_pt).
    excel = [as_excel_prints(p, tmp / "excel") for p in books[:2] + books[-1:]]
    subprocess.run([office(), "--headless", "--convert-to", "pdf", "--outdir", str(pdf / "excel"), *map(str, excel)],
                   check=True, capture_output=True, timeout=600)
    return ({p.stem: pdf / f"{p.stem}.pdf" for p in books} | {f"excel:{p.stem}": pdf / "excel" / f"{p.stem}.pdf" for p in excel}
            | {"csv": out / "2024" / "ket_qua.csv", "loi_csv": out / "2024" / "loi.csv"})


def as_excel_prints(book, folder):
    """A copy of ``book`` whose columns LibreOffice prints as wide as Excel prints the original's."""
    from pipeline.outputs.geometry import excel_pt, width_for
    from pipeline.outputs.literal import keep_literal

    wb = openpyxl.load_workbook(book)
    for ws in wb.worksheets:
        for dim in ws.column_dimensions.values():
            if dim.width:
                dim.width = width_for(excel_pt(dim.width))
    folder.mkdir(exist_ok=True)
    wb.save(folder / book.name)
    keep_literal(folder / book.name)  # openpyxl writes "_xa_" as it is, which LibreOffice misreads
    return folder / book.name


@pytest.mark.parametrize("name", ["tong_hop_2024", "huyen_van_ninh_2024", "van_hung", "mau_tap_the", "mau_ca_nhan",
                                  "xet_khen_thuong_2024"])
def test_every_word_prints_at_eleven_points_or_more(pdfs, name):
    sizes = [h for _, _, words in pdf_pages(pdfs[name]) for h, _ in words]
    assert sizes and min(sizes) / BOX >= 10.9, (name, min(sizes) / BOX)


def test_titles_print_at_thirteen_to_fourteen_points(pdfs):
    titles = [h for _, _, words in pdf_pages(pdfs["tong_hop_2024"]) for h, w in words if w == "TỔNG"]
    assert titles and all(13 <= h / BOX <= 14.2 for h in titles)


def test_signed_pages_fit_a4_landscape_or_portrait(pdfs):
    for name in ("tong_hop_2024", "huyen_van_ninh_2024", "van_hung", "mau_tap_the", "xet_khen_thuong_2024"):
        for width, height, _ in pdf_pages(pdfs[name]):
            assert {round(width), round(height)} == {595, 842}, name


def _cut(rows, printed) -> list[str]:
    """The names and reasons of ``rows`` not printed whole."""
    return [t for row in rows for t in [row["name"], *row["reasons"].split("; ")] if not printed_whole(t, printed)]


def test_no_name_and_no_reason_is_cut(pdfs):
    assert _cut(read_csv(pdfs["csv"]), pdf_words(pdfs["tong_hop_2024"])) == []


def test_printed_as_narrow_as_excel_prints_no_name_reason_or_heading_word_is_cut(pdfs, rules):
    """Excel prints a column about 5 % narrower than LibreOffice: the row heights and the columns'
    least widths are reckoned for it. (Printed in columns of the default Calibri, where a machine
    lacks it, LibreOffice printed a third wider than Excel, and this page broke "TC01" in two.)"""
    from pipeline.outputs.words import LABELS

    consolidated = pdf_words(pdfs["excel:tong_hop_2024"])
    assert _cut(read_csv(pdfs["csv"]), consolidated) == []
    headings = [LABELS["rank"], LABELS["name"], LABELS["award"], LABELS["note"],
                *[LABELS["criterion"].format(stt=f"{i:02d}") for i in range(1, 8)]]
    group = pdf_words(pdfs["excel:huyen_van_ninh_2024"])
    assert all(printed_whole(h, consolidated) and printed_whole(h, group) for h in headings)
    review = pdf_words(pdfs["excel:xet_khen_thuong_2024"])
    assert all(printed_whole(REVIEW[k], review) for k in ("no", "name", "self_total", "appraised_total",
                                                         "reason", "proposal", "decision", "votes"))
    assert printed_whole(REVIEW["score"].format(stt="07"), review)
    for printed in (consolidated, group, review):
        assert printed_whole(rules.document.nation, printed) and printed_whole(rules.document.motto, printed)


@pytest.mark.parametrize("name", ["tong_hop_2024", "huyen_van_ninh_2024", "van_hung", "mau_tap_the", "xet_khen_thuong_2024",
                                  "excel:tong_hop_2024", "excel:huyen_van_ninh_2024", "excel:xet_khen_thuong_2024"])
def test_no_word_runs_over_a_tables_rule(pdfs, name):
    """Every row is as tall as its text wraps, in LibreOffice's columns and in Excel's narrower ones:
    no word printed across a border (the overview's "Khen thưởng" did, over two lines in a row of one;
    so did a file's name, broken after its folder and again in the middle)."""
    assert struck_words(pdfs[name]) == []


def test_a_files_name_prints_whole_breaking_only_after_its_folder(pdfs):
    """The warnings list the file by its name; "_xa_" in it stays text in LibreOffice (it read it
    as an escaped line break, and printed "thi" over "ninh_hoa/")."""
    for name in ("tong_hop_2024", "excel:tong_hop_2024"):
        assert printed_whole(f"{LONG_FOLDER}/ {LONG_NAME}", pdf_words(pdfs[name])), name


def test_the_review_workbook_prints_every_name_and_the_meeting_block(pdfs):
    printed = pdf_words(pdfs["xet_khen_thuong_2024"])
    names = {r["name"] for r in read_csv(pdfs["csv"])}
    assert names and all(printed_whole(n, printed) for n in names)
    for label in (REVIEW["date"], REVIEW["members"], REVIEW["present"], REVIEW["decision"]):
        assert printed_whole(label, printed), label


def test_every_reason_has_a_code_and_the_letter_lists_every_problem(pdfs):
    rows = read_csv(pdfs["csv"])
    assert all(r["reason_codes"] for r in rows if r["eligible"] == "true")
    codes = {r["name"]: r["reason_codes"] for r in rows}
    assert codes["Hội Cựu chiến binh xã C"] == codes["Hội Cựu chiến binh xã D"] == "tie-award"
    letter = pdf_words(pdfs["van_hung"])
    problems = [r for r in read_csv(pdfs["loi_csv"]) if r["file"] == "van_hung.xlsx"]
    assert problems and all(printed_whole(p["message"], letter) for p in problems)


def test_every_criterion_of_the_blank_forms_showsprinted_whole(pdfs, rules):
    for name, kind in (("mau_tap_the", "tap_the"), ("mau_ca_nhan", "ca_nhan")):
        printed = pdf_words(pdfs[name])
        for criterion in rules.kinds[kind].criteria:
            assert printed_whole(criterion.text, printed), (name, criterion.stt)
        assert printed_whole("NGƯỜI TỰ CHẤM ĐIỂM", printed) and printed_whole("XÁC NHẬN CỦA THỦ TRƯỞNG ĐƠN VỊ", printed)


def test_page_one_keeps_its_charts_whole_however_many_forms_have_no_group(tmp_path, rules):
    """Seven forms of no known group: page one lists what fits above the charts and counts the
    rest (each is on the rejected forms' sheet with its reason); the charts are not cut by the
    page's end, and page two opens with the fields' chart."""
    from pipeline.outputs.overview import UNKNOWN_LINES
    from pipeline.outputs.templates import write_workbook
    from pipeline.outputs.words import LABELS

    inputs, out = tmp_path / "inputs", tmp_path / "outputs"
    write_workbook(inputs / "a.xlsx", [FormSpec(name="UBND xã Vạn Thắng", unit_code="VT")], rules)
    for i in range(7):
        write_workbook(inputs / f"khong_ro/{i}.xlsx", [FormSpec(name=f"UBND xã Số {i}", unit_code=f"U{i}",
                                                                group="Huyện Hòn Tre")], rules)
    run(inputs, out, rules, today=dt.date(2026, 3, 5))
    book = out / "2024" / "tong_hop_2024.xlsx"
    ws = openpyxl.load_workbook(book)[LABELS["sheet_overview"]]
    listed = [v for (v,) in ws.iter_rows(min_col=1, max_col=1, values_only=True) if isinstance(v, str) and " — " in v]
    more = LABELS["unknown_more"].format(n=7 - (UNKNOWN_LINES - 1), sheet=LABELS["sheet_rejected"])
    assert len(listed) == UNKNOWN_LINES - 1 and any(v == more for (v,) in ws.iter_rows(max_col=1, values_only=True))
    subprocess.run([office(), "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(book)],
                   check=True, capture_output=True, timeout=300)
    pages = subprocess.run(["pdftotext", "-layout", str(tmp_path / "tong_hop_2024.pdf"), "-"], capture_output=True,
                           text=True, check=True).stdout.split("\f")
    assert pages[1].split()[:4] == LABELS["chart_field"].split()[:4]
    assert struck_words(tmp_path / "tong_hop_2024.pdf") == []


def test_a_long_title_breaks_before_its_group_never_inside_it(pdfs, rules):
    """"… NĂM 2024 — Thành phố Nha" over "Trang" split the place the page is for; a title too
    long for one line breaks before the dash."""
    starts = {g.split()[0] for g in rules.groups}
    for name in ("xet_khen_thuong_2024", "excel:xet_khen_thuong_2024", "tong_hop_2024"):
        text = subprocess.run(["pdftotext", str(pdfs[name]), "-"], capture_output=True, text=True, check=True).stdout
        titled = [line.split("— ", 1)[1] for line in text.splitlines()
                  if "— " in line and line.split("— ", 1)[1].split(" ", 1)[0] in starts]
        assert titled and set(titled) <= set(rules.groups), (name, titled)
