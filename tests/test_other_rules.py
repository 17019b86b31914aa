"""Nothing about the groups is hard-coded: the whole run on a rules file of emulation clusters."""

from __future__ import annotations

import openpyxl
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.rules import load_rules
from pipeline.outputs.templates import FormSpec, write_workbook

from .helpers import ROOT, read_csv, table

CLUSTERS = ROOT / "schemas" / "vi_du_cum_thi_dua.toml"


def test_whole_run_on_a_province_grouped_by_clusters(tmp_path):
    rules = load_rules(CLUSTERS)
    inputs = tmp_path / "inputs"
    write_workbook(inputs / "a.xlsx", [FormSpec(name="UBND phường Nha Trang", group="Cụm 1")], rules)
    write_workbook(inputs / "b.xlsx", [FormSpec(name="UBND xã Vạn Ninh", group="cụm thi đua số 1", scores=[14, 15, 15, 15, 15, 15, 10])], rules)
    write_workbook(inputs / "c.xlsx", [FormSpec(kind="ca_nhan", name="Phạm Thị Lan", group="Khối sở - ban - ngành")], rules)
    write_workbook(inputs / "d.xlsx", [FormSpec(name="UBND xã Cam Lâm", group="Huyện Cam Lâm")], rules)
    out = tmp_path / "outputs"
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out), "--rules", str(CLUSTERS)])
    assert result.exit_code == 0, result.output

    rows = {r["name"]: r for r in read_csv(out / "2024" / "ket_qua.csv")}
    assert rows["UBND phường Nha Trang"]["group"] == "Cụm thi đua số 1"
    # First year on this rules file: no one has two consecutive years yet, so no proposal.
    assert rows["UBND phường Nha Trang"]["award"] == "giay_khen_huyen"
    assert rows["UBND phường Nha Trang"]["reason_codes"] == "two-year"
    assert rows["UBND xã Vạn Ninh"]["award"] == "giay_khen_huyen"
    assert rows["Phạm Thị Lan"]["group"] == "Khối thi đua các sở, ban, ngành"
    # A district of the old map is not a group of this province.
    (err,) = read_csv(out / "2024" / "loi.csv")
    assert (err["file"], err["cell"]) == ("d.xlsx", "C8")
    assert "Cụm, khối thi đua" in err["message"]

    wb = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")
    assert "Cụm thi đua số 1" in wb.sheetnames
    header, body = table(wb["Tổng hợp"])
    assert header[1] == "Cụm, khối thi đua" and "Giấy khen cụm, khối" in header
    groups_in_summary = {r[1] for r in body}
    assert "Huyện Vạn Ninh" not in groups_in_summary
    assert sorted(p.name for p in (out / "2024" / "theo_nhom").iterdir()) == [
        "cum_thi_dua_so_1_2024.xlsx", "khoi_thi_dua_cac_so_ban_nganh_2024.xlsx"]
    # A cluster is no local government: no decision, proposal or minutes under a People's Committee.
    assert not list(out.glob("2024/van_ban/*.docx"))
    assert rules.papers.without_documents == set(rules.groups)
