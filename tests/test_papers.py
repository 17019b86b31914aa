"""The Word drafts the office signs: read back with python-docx for names, wording and layout, and
printed with LibreOffice for what a chairman sees."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.shared import Mm, Pt

from pipeline.cli import main
from pipeline.core.rules import RulesError, load_rules
from pipeline.outputs.drafts import office
from pipeline.outputs.templates import FormSpec, write_register

from .helpers import BOX, ROOT, pdf_pages, pdf_words, printed_whole, read_csv
from .test_review import FULL, GROUP, council_meets, write_forms, write_history

VB = Path("2024") / "van_ban"


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture
def decided(add, inputs, rules, tmp_path):
    """A year through the council: A proposed to the province, D awarded on a tie, C refused."""
    write_forms(add)
    write_history(inputs, rules)
    out = tmp_path / "outputs"
    assert _invoke("run", "--inputs", inputs, "--outputs", out).exit_code == 0
    council_meets(out / "2024" / "xet_khen_thuong_2024.xlsx", inputs, out)
    return out


def _table_names(document) -> list[str]:
    return [row.cells[1].text for table in document.tables[1:] for row in table.rows[1:]
            if row.cells[0].text.strip().isdigit()]


def _recipients(document) -> list[str]:
    return [p.text for p in document.tables[1].rows[0].cells[0].paragraphs][1:]


def _paragraph(document, start: str):
    return next(p for p in document.paragraphs if p.text.startswith(start))


def test_the_decision_lists_every_holder_and_follows_the_council(decided, rules):
    d = docx.Document(decided / VB / "quyet_dinh_huyen_van_ninh_2024.docx")
    # Holders of the group's Giấy khen, the one proposed to the province included; C was refused.
    assert _table_names(d) == ["Đơn vị A", "Đơn vị B", "Đơn vị D"]
    article = _paragraph(d, "Điều 1.")
    assert "cho 3 tập thể đã có thành tích" in article.text and article.runs[0].bold  # no "0 cá nhân"
    assert "quyết định của Hội đồng" in d.sections[0].header.paragraphs[0].text
    assert "15/09/2024" in d.sections[0].header.paragraphs[0].text
    heading = d.tables[0].rows[0].cells
    assert [p.text for p in heading[0].paragraphs][:2] == ["ỦY BAN NHÂN DÂN", "HUYỆN VẠN NINH"]
    assert any(p.text.startswith("Số:") and "/QĐ-UBND" in p.text for p in heading[0].paragraphs)
    assert [p.text for p in heading[1].paragraphs][:2] == [rules.document.nation, rules.document.motto]
    signer = [p.text for p in d.tables[1].rows[0].cells[1].paragraphs if p.text]
    assert signer[:2] == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_the_layout_of_the_decree(decided):
    d = docx.Document(decided / VB / "quyet_dinh_huyen_van_ninh_2024.docx")
    s = d.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    margins = {k: round(getattr(s, f"{k}_margin").mm, 1) for k in ("top", "bottom", "left", "right")}
    assert 20 <= margins["top"] <= 25 and 20 <= margins["bottom"] <= 25
    assert 30 <= margins["left"] <= 35 and 15 <= margins["right"] <= 20
    runs = [r for p in d.paragraphs for r in p.runs if r.text.strip()]
    runs += [r for t in d.tables for row in t.rows for c in row.cells for p in c.paragraphs for r in p.runs
             if r.text.strip()]
    normal = d.styles["Normal"].font
    assert {r.font.name or normal.name for r in runs} == {"Times New Roman"}
    body = [r for p in d.paragraphs for r in p.runs if r.text.strip() and p.text.startswith(("Điều", "Căn cứ"))]
    assert body and all(13 <= (r.font.size or normal.size).pt <= 14 for r in body)
    bases = [p for p in d.paragraphs if p.text.startswith(("Căn cứ", "Xét đề nghị"))]
    assert len(bases) == 5 and all(r.italic for p in bases for r in p.runs)
    assert all(p.text.endswith(";") for p in bases[:-1]) and bases[-1].text.endswith(".")
    closing = d.tables[1].rows[0].cells[0].paragraphs
    label = closing[0].runs[0]
    assert closing[0].text == "Nơi nhận:" and label.bold and label.italic and label.font.size == Pt(12)
    items = closing[1:]
    assert all(r.font.size == Pt(11) for p in items for r in p.runs)
    assert items[-1].text.startswith("- Lưu: VT") and items[-1].text.endswith(".")
    assert all(p.text.endswith(";") for p in items[:-1])
    assert d.tables[0].columns[1].width > Mm(85)  # the national name's block: one line of 12 pt


def test_proposals_to_the_province_and_the_minutes(decided):
    group = docx.Document(decided / VB / "to_trinh_huyen_van_ninh_2024.docx")
    assert _table_names(group) == ["Đơn vị A"]
    assert any(p.text.startswith("Kính gửi: Chủ tịch Ủy ban nhân dân tỉnh Khánh Hòa") for p in group.paragraphs)
    province = docx.Document(decided / VB / "to_trinh_tinh_2024.docx")
    assert _table_names(province) == ["Đơn vị A"]
    assert any(GROUP in row.cells[0].text for t in province.tables[1:] for row in t.rows)  # sectioned by group
    minutes = docx.Document(decided / VB / "bien_ban_huyen_van_ninh_2024.docx")
    votes = {row.cells[1].text: (row.cells[3].text, row.cells[4].text, row.cells[5].text)
             for row in minutes.tables[1].rows[1:] if row.cells[0].text.strip().isdigit()}
    assert votes["Đơn vị D"] == ("Giấy khen huyện", "6/7", "nhất trí 85,7%")
    assert votes["Đơn vị C"][0] == "Không khen thưởng"
    assert any("7/9 thành viên" in p.text and "vắng 2" in p.text for p in minutes.paragraphs)


def test_before_the_council_the_drafts_say_they_are_proposals(add, inputs, rules, tmp_path):
    write_forms(add)
    write_history(inputs, rules)
    out = tmp_path / "outputs"
    assert _invoke("run", "--inputs", inputs, "--outputs", out).exit_code == 0
    d = docx.Document(out / VB / "quyet_dinh_huyen_van_ninh_2024.docx")
    assert d.sections[0].header.paragraphs[0].text == rules.papers.common.text("draft_proposal")
    # C and D are tied at the edge of the quota: neither is in the decision until the council settles it.
    assert _table_names(d) == ["Đơn vị A", "Đơn vị B"]


def test_the_wording_comes_from_the_rules_file(add, inputs, tmp_path):
    text = (ROOT / "schemas" / "khanh_hoa.toml").read_text(encoding="utf-8")
    changed = text.replace("Căn cứ Luật Tổ chức chính quyền địa phương",
                           "Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15")
    changed = changed.replace('recipients = ["Như Điều 3",', 'recipients = ["Như Điều 3", "Sở Nội vụ",')
    rules_file = tmp_path / "rules.toml"
    rules_file.write_text(changed, encoding="utf-8")
    write_forms(add)
    out = tmp_path / "outputs"
    assert _invoke("run", "--inputs", inputs, "--outputs", out, "--rules", rules_file).exit_code == 0
    d = docx.Document(out / VB / "quyet_dinh_huyen_van_ninh_2024.docx")
    assert _paragraph(d, "Căn cứ Luật Tổ chức").text == "Căn cứ Luật Tổ chức chính quyền địa phương số 72/2025/QH15;"
    assert "- Sở Nội vụ;" in _recipients(d)


BLOC = "Khối sở, ban, ngành tỉnh"


def test_each_place_s_party_committee_and_no_drafts_for_the_bloc_of_departments(add, inputs, rules, tmp_path):
    places = {"NT": "Thành phố Nha Trang", "NH": "Thị xã Ninh Hòa", "VN": GROUP, "SO": BLOC}
    for code, group in places.items():
        add(f"2024/{code}.xlsx", FormSpec(name=f"Đơn vị {code}", unit_code=code, year=2024, group=group,
                                          scores=FULL, date="20/08/2024"))
    # Two years running: each is proposed to the province.
    write_register(inputs / "lich_su" / "2023.xlsx", rules.registers.history_columns,
                   [[2023, code, f"Đơn vị {code}", "Tập thể", group, "Giấy khen huyện"]
                    for code, group in places.items()])
    out = tmp_path / "outputs"
    assert _invoke("run", "--inputs", inputs, "--outputs", out).exit_code == 0
    committees = {name: next(t for t in _recipients(docx.Document(out / VB / f"quyet_dinh_{name}_2024.docx"))
                             if t.startswith("- Ban Dân vận"))
                  for name in ("thanh_pho_nha_trang", "thi_xa_ninh_hoa", "huyen_van_ninh")}
    assert committees == {"thanh_pho_nha_trang": "- Ban Dân vận Thành ủy;", "thi_xa_ninh_hoa": "- Ban Dân vận Thị ủy;",
                          "huyen_van_ninh": "- Ban Dân vận Huyện ủy;"}
    # The bloc has no People's Committee: each department awards its own Giấy khen.
    assert not list((out / VB).glob("*khoi_so*"))
    assert rules.papers.without_documents == {BLOC}
    province = docx.Document(out / VB / "to_trinh_tinh_2024.docx")
    assert sorted(_table_names(province)) == ["Đơn vị NH", "Đơn vị NT", "Đơn vị SO", "Đơn vị VN"]


@pytest.mark.parametrize(("old", "new", "key"), [
    ('without_documents = ["Khối sở, ban, ngành tỉnh"]', 'without_documents = ["Khối sở ngành"]',
     "papers.without_documents"),
    ('"Thị xã" = "Thị ủy"\n', "", "papers.committees"),
    ('"Thành phố" = "Thành ủy"', '"Thanh pho" = "Thành ủy"', "papers.committees.Thanh pho"),
])
def test_a_group_without_its_committee_or_an_unknown_group_stops_the_run(tmp_path, old, new, key):
    text = (ROOT / "schemas" / "khanh_hoa.toml").read_text(encoding="utf-8")
    assert old in text
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace(old, new), encoding="utf-8")
    with pytest.raises(RulesError, match=key) as raised:
        load_rules(bad)
    assert raised.value.code == "rules-invalid"


def test_a_misspelt_placeholder_stops_the_run_naming_its_key(tmp_path):
    text = (ROOT / "schemas" / "khanh_hoa.toml").read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text.replace('authority = "CHỦ TỊCH ỦY BAN NHÂN DÂN {GROUP}"',
                                'authority = "CHỦ TỊCH ỦY BAN NHÂN DÂN {NHOM}"'), encoding="utf-8")
    with pytest.raises(RulesError, match="papers.decision.authority"):
        load_rules(bad)


@pytest.mark.skipif(office() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or poppler-utils not installed (.ci/run installs both)")
def test_the_printed_decision_is_a4_at_thirteen_points_with_every_name(decided, tmp_path):
    result = _invoke("preview", "--outputs", decided, "--year", 2024)
    assert result.exit_code == 0, result.output
    pdf = decided / "2024" / "pdf" / "van_ban" / "quyet_dinh_huyen_van_ninh_2024.pdf"
    assert pdf.exists()
    pages = pdf_pages(pdf)
    assert all({round(w), round(h)} == {595, 842} for w, h, _ in pages)
    sizes = [h / BOX for _, _, words in pages for h, w in words if w.startswith("Căn")]
    assert sizes and all(12.5 <= s <= 14.5 for s in sizes)
    printed = pdf_words(pdf)
    assert all(printed_whole(name, printed) for name in ("Đơn vị A", "Đơn vị B", "Đơn vị D"))
    assert subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True).returncode == 0
    # The consolidated workbook after the council: every reason, the council's included, printed whole.
    summary = pdf_words(decided / "2024" / "pdf" / "tong_hop_2024.pdf")
    reasons = [r for row in read_csv(decided / "2024" / "ket_qua.csv") for r in row["reasons"].split("; ")]
    assert any("Hội đồng quyết định" in r for r in reasons)
    assert all(printed_whole(r, summary) for r in reasons)


@pytest.mark.skipif(office() is None or shutil.which("pdftotext") is None,
                    reason="LibreOffice or poppler-utils not installed (.ci/run installs both)")
def test_signatures_never_stand_alone_on_a_page(tmp_path):
    """However long the table above them, the minutes' signatures and the decision's signer take
    the last sentence with them to the next page."""
    from pipeline.outputs.drafts import to_pdf
    from pipeline.outputs.letter import Letter

    last = "Cuộc họp kết thúc lúc …… giờ cùng ngày."
    files = []
    for rows in range(24, 40, 2):
        for kind in ("minutes", "decision"):
            letter = Letter()
            letter.line("Đoạn mở đầu của văn bản. " * 12)
            letter.table(["STT", "Tên"], (20, 145), [[i, f"Đơn vị {i}"] for i in range(1, rows + 1)])
            letter.line(last, indent=True, before=6)
            if kind == "minutes":
                letter.signatures(["THƯ KÝ", "CHỦ TỊCH HỘI ĐỒNG"])
            else:
                letter.closing("Nơi nhận:", ["Như Điều 3", "Lưu: VT"], ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"])
            files.append(letter.save(tmp_path / f"{kind}_{rows}.docx"))
    broke = 0
    for pdf in to_pdf(files, tmp_path / "pdf"):
        pages = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                               check=True).stdout.split("\f")
        signed = next(i for i, page in enumerate(pages) if "CHỦ TỊCH" in page)
        assert "Cuộc họp kết thúc" in pages[signed], pdf.name
        broke += signed > 0
    assert broke  # some of the lengths put the signatures on the second page
