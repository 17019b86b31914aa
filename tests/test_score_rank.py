"""Eligibility (90 % per criterion, total ≥ 90, evidence), superseded forms, ranks and quotas."""

from __future__ import annotations

import os
from dataclasses import replace

import pytest

from pipeline.core.rules import TwoYearRule, load_rules
from pipeline.core.text import slug
from pipeline.outputs.templates import FormSpec

from .helpers import forms_of

FULL = [15, 15, 15, 15, 15, 15, 10]


@pytest.fixture
def rules():
    """Quotas on their own: the two-year rule has its own tests (test_history.py)."""
    return replace(load_rules(), two_year_rule=TwoYearRule(enabled=False, years=2))


def scores_for(total: float, kind_points=FULL) -> list[float]:
    """Scores that add up to ``total`` while every criterion stays at or above 90 %."""
    scores = list(kind_points)
    loss = sum(kind_points) - total
    for i, p in enumerate(kind_points):
        step = min(loss, p * 0.1)
        scores[i] -= step
        loss -= step
    assert abs(loss) < 1e-9
    return scores


def outcome(report):
    return forms_of(report).set_index("name")


@pytest.mark.parametrize(("score", "eligible"), [(13.5, True), (13.4, False), (13, False)])
def test_each_criterion_needs_ninety_percent(add, analysed, score, eligible):
    add("a.xlsx", FormSpec(scores=[score, 15, 15, 15, 15, 15, 10]))
    f = forms_of(analysed()).iloc[0]
    assert bool(f.eligible) is eligible
    if not eligible:
        assert [(r.cell, r.code, r.expected) for r in f.reasons] == [("D16", "criterion-below", "13,5")]


def test_ten_point_criterion_needs_nine(add, analysed):
    add("a.xlsx", FormSpec(scores=[15, 15, 15, 15, 15, 15, 8.5]))
    assert not forms_of(analysed()).iloc[0].eligible


def test_total_of_ninety_passes_and_below_fails(add, analysed):
    add("a.xlsx", FormSpec(name="A", scores=scores_for(90)))
    add("b.xlsx", FormSpec(name="B", scores=[13.5, 13.5, 13.5, 13.5, 13.5, 13.5, 9]))  # 90 exactly
    add("c.xlsx", FormSpec(name="C", scores=[13.5, 13.5, 13.5, 13.5, 13.5, 13.5, 9.5], kind="tap_the"))
    out = outcome(analysed())
    assert out.loc["A", "eligible"] and out.loc["B", "eligible"] and out.loc["C", "eligible"]


def test_individual_total_below_ninety(add, analysed):
    add("a.xlsx", FormSpec(kind="ca_nhan", name="An", scores=[13.5, 13.5, 18, 9, 9, 13.5, 13]))
    f = forms_of(analysed()).iloc[0]
    assert not f.eligible
    assert ("total-below", "89,5", "90") in [(r.code, r.found, r.expected) for r in f.reasons]


def test_every_reason_is_given(add, analysed):
    evidence = ["Báo cáo 1", "", "Báo cáo 3", "Báo cáo 4", "Báo cáo 5", "Báo cáo 6", ""]
    add("a.xlsx", FormSpec(scores=[12, 15, 15, 15, 15, 15, 10], evidence=evidence))
    f = forms_of(analysed()).iloc[0]
    assert not f.eligible
    assert sorted((r.cell, r.code) for r in f.reasons) == [
        ("D16", "criterion-below"), ("E17", "evidence-missing"), ("E22", "evidence-missing")]
    assert all("hạ kết quả bình xét" in r.message for r in f.reasons if r.code == "evidence-missing")


def test_latest_form_of_a_unit_counts_by_date(add, analysed):
    add("z_old.xlsx", FormSpec(name="UBND xã X", unit_code="X-1", date="01/08/2024", scores=scores_for(100)))
    add("a_new.xlsx", FormSpec(name="UBND xã X (bản sửa)", unit_code="x-1", date="20/08/2024", scores=scores_for(95)))
    forms = forms_of(analysed()).set_index("file")
    assert forms.loc["z_old.xlsx", "award"] == "superseded"
    assert forms.loc["a_new.xlsx", "rank"] == 1
    note = forms.loc["z_old.xlsx", "note"]
    assert note.code == "superseded" and "a_new.xlsx" in note.message


def test_latest_form_by_file_time_when_dates_are_equal(add, analysed):
    old = add("b.xlsx", FormSpec(name="UBND xã Y", scores=scores_for(99)))
    new = add("a.xlsx", FormSpec(name="ubnd xã y", scores=scores_for(96)))
    os.utime(old, (1_700_000_000, 1_700_000_000))
    os.utime(new, (1_700_100_000, 1_700_100_000))
    forms = forms_of(analysed()).set_index("file")
    assert forms.loc["b.xlsx", "award"] == "superseded"
    assert forms.loc["a.xlsx", "award"] == "de_nghi_bang_khen_tinh"


def test_same_name_in_another_group_is_another_unit(add, analysed):
    add("a.xlsx", FormSpec(name="Hội Nông dân xã", group="Huyện Vạn Ninh"))
    add("b.xlsx", FormSpec(name="Hội Nông dân xã", group="Huyện Cam Lâm"))
    assert not forms_of(analysed()).superseded.any()


def _ladder(add, totals, kind="tap_the", group="Huyện Vạn Ninh"):
    points = FULL if kind == "tap_the" else [15, 15, 20, 10, 10, 15, 15]
    for i, total in enumerate(totals):
        add(f"{slug(group)}_{kind}_{i:02d}.xlsx", FormSpec(kind=kind, name=f"Đơn vị {i:02d}", group=group, scores=scores_for(total, points)))


def test_quotas_three_collectives_one_proposed(add, analysed):
    _ladder(add, [100, 99, 98, 97, 96])
    out = outcome(analysed())
    assert list(out.sort_values("rank").award) == [
        "de_nghi_bang_khen_tinh", "giay_khen_huyen", "giay_khen_huyen", "", ""]
    assert list(out.sort_values("rank")["rank"]) == [1, 2, 3, 4, 5]


def test_quotas_five_individuals_two_proposed(add, analysed):
    _ladder(add, [100, 99, 98, 97, 96, 95, 94], kind="ca_nhan")
    out = outcome(analysed()).sort_values("rank")
    assert list(out.award) == ["de_nghi_bang_khen_tinh"] * 2 + ["giay_khen_huyen"] * 3 + ["", ""]


def test_a_tie_across_the_award_edge_goes_to_the_council(add, analysed):
    _ladder(add, [100, 99, 97, 97, 95])
    out = outcome(analysed()).sort_values(["rank", "name"])
    assert list(out["rank"]) == [1, 2, 3, 3, 5]
    assert list(out.award) == ["de_nghi_bang_khen_tinh", "giay_khen_huyen", "dong_hang", "dong_hang", ""]
    # The quota is never silently exceeded.
    assert (out.award.isin(["giay_khen_huyen", "de_nghi_bang_khen_tinh"])).sum() <= 3


def test_a_tie_across_the_proposal_edge_keeps_the_award(add, analysed):
    _ladder(add, [99, 99, 97, 95])
    report = analysed()
    out = outcome(report).sort_values(["rank", "name"])
    assert list(out.award) == ["dong_hang", "dong_hang", "giay_khen_huyen", ""]
    assert list(out.tie_edge) == ["proposal", "proposal", "", ""]
    summary = report.years[0].summary.set_index(["group", "kind"])
    assert summary.loc[("Huyện Vạn Ninh", "tap_the"), "awarded"] == 3
    assert summary.loc[("Huyện Vạn Ninh", "tap_the"), "proposed"] == 0
    assert summary.loc[("Huyện Vạn Ninh", "tap_the"), "tied"] == 2


def test_a_tie_inside_the_quota_is_no_tie_for_the_council(add, analysed):
    _ladder(add, [100, 98, 98, 96])
    out = outcome(analysed()).sort_values(["rank", "name"])
    assert list(out.award) == ["de_nghi_bang_khen_tinh", "giay_khen_huyen", "giay_khen_huyen", ""]


def test_ranks_are_per_group_and_kind_and_ineligible_forms_have_none(add, analysed):
    _ladder(add, [95, 94], group="Huyện Vạn Ninh")
    _ladder(add, [93], group="Huyện Cam Lâm")
    add("low.xlsx", FormSpec(name="Thấp", group="Huyện Cam Lâm", scores=[10, 15, 15, 15, 15, 15, 10]))
    out = forms_of(analysed())
    assert sorted(out[out.group == "Huyện Vạn Ninh"]["rank"].tolist()) == [1, 2]
    cam_lam = out[out.group == "Huyện Cam Lâm"].set_index("name")
    assert cam_lam.loc["Đơn vị 00", "rank"] == 1
    assert cam_lam["rank"].isna().sum() == 1 and cam_lam.loc["Thấp", "award"] == ""
