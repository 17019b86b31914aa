"""The rules file: what ships, and what a bad one does."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.rules import RulesError, load_rules

from .helpers import ROOT

SEED = ROOT.parent / "shared" / "seeds" / "004_36533bd3008d7c4c.txt"
SHIPPED = ROOT / "schemas" / "khanh_hoa.toml"


def test_shipped_groups_are_spelled_exactly(rules):
    assert list(rules.groups) == [
        "Thành phố Nha Trang", "Thành phố Cam Ranh", "Thị xã Ninh Hòa", "Huyện Vạn Ninh",
        "Huyện Diên Khánh", "Huyện Cam Lâm", "Huyện Khánh Vĩnh", "Huyện Khánh Sơn",
        "Huyện Trường Sa", "Khối sở, ban, ngành tỉnh",
    ]
    assert rules.province == "Khánh Hòa"


def test_shipped_rubrics_thresholds_and_quotas(rules):
    assert [c.points for c in rules.kinds["tap_the"].criteria] == [15, 15, 15, 15, 15, 15, 10]
    assert [c.points for c in rules.kinds["ca_nhan"].criteria] == [15, 15, 20, 10, 10, 15, 15]
    assert rules.eligibility.criterion_min_percent == 90
    assert rules.eligibility.total_min == 90
    assert rules.eligibility.evidence_required is True
    assert rules.awards["giay_khen_huyen"].quota == {"tap_the": 3, "ca_nhan": 5}
    assert rules.awards["de_nghi_bang_khen_tinh"].quota == {"tap_the": 1, "ca_nhan": 2}
    assert rules.calendar.dossier_before == (1, 9)
    assert rules.calendar.registration_before == (15, 2)
    assert len(rules.fields) == 4


@pytest.mark.skipif(not SEED.exists(), reason="shared seeds not beside the project")
def test_criterion_texts_are_the_seed_appendix_word_for_word(rules):
    appendix = SEED.read_text(encoding="utf-8").split("PHỤ LỤC", 1)[1]
    rows = re.findall(r"^(\d\d)\t(.+?)\t(\d+)\t\t(.+)$", appendix, flags=re.M)
    expected = [(int(stt), text.strip(), int(points), ev.strip()) for stt, text, points, ev in rows]
    got = [(c.stt, c.text, c.points, c.evidence) for k in ("tap_the", "ca_nhan") for c in rules.kinds[k].criteria]
    assert got == expected


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = SHIPPED.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("old", "new", "key"),
    [
        ("stt = 7\npoints = 10", "stt = 7\npoints = 12", "kinds.tap_the.criteria"),
        ("quota = { tap_the = 3, ca_nhan = 5 }", "quota = { tap_the = -3, ca_nhan = 5 }", "awards.giay_khen_huyen.quota.tap_the"),
        ("total_min = 90", "total_min = 90\ntotal_minimum = 90", "eligibility.total_minimum"),
        ('"Huyện Cam Lâm",', '"Huyện Cam Lâm",\n  "H. Cam Lâm",', "grouping.groups"),
        ('"Huyện Cam Lâm",', '"Huyện Cam Lâm",\n  "Huyện Cam Lâm",', "grouping.groups"),
        ('dossier_before = "01/09"', 'dossier_before = "31/13"', "calendar.dossier_before"),
        ("quota = { tap_the = 1, ca_nhan = 2 }", "quota = { tap_the = 4, ca_nhan = 2 }", "awards.de_nghi_bang_khen_tinh.quota.tap_the"),
        ("[eligibility]", "[eligibilty]", "eligibilty"),
    ],
)
def test_bad_rules_file_names_the_key(tmp_path, old, new, key):
    with pytest.raises(RulesError) as exc:
        load_rules(_broken(tmp_path, old, new))
    assert f"«{key}»" in str(exc.value)


def test_bad_rules_file_stops_the_run_before_any_file_is_read(tmp_path, add):
    from pipeline.outputs.templates import FormSpec

    add("a.xlsx", FormSpec())
    bad = _broken(tmp_path, "stt = 7\npoints = 10", "stt = 7\npoints = 11")
    out = tmp_path / "outputs"
    result = CliRunner().invoke(main, ["run", "--inputs", str(tmp_path / "inputs"), "--outputs", str(out), "--rules", str(bad)])
    assert result.exit_code != 0
    assert "kinds.tap_the.criteria" in result.output
    assert not out.exists()


def test_missing_rules_file_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(main, ["run", "--rules", str(tmp_path / "nope.toml")])
    assert result.exit_code != 0
    assert "Không đọc được tệp quy định" in result.output
