"""From proposal to decision: the review workbook, the appraisal, the council's decisions, the
next year's two-year rule — through the real CLI, on workbooks built in tmp_path."""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.review import REVIEW
from pipeline.outputs.templates import FormSpec, write_register
from pipeline.run import analyse
from pipeline.stages.rank import TIE

from .helpers import column, read_csv

FULL = [15, 15, 15, 15, 15, 15, 10]
GROUP = "Huyện Vạn Ninh"
# A 100 (held 2023: proposed), B 99, C and D tied at 97.5 for the last Giấy khen, E 92.5 outside
# the quota, F ineligible (criterion 01 below 90 %).
UNITS = {
    "A": FULL,
    "B": [14.5, 14.5, 15, 15, 15, 15, 10],
    "C": [14, 13.5, 15, 15, 15, 15, 10],
    "D": [14, 13.5, 15, 15, 15, 15, 10],
    "E": [14, 14, 14, 14, 14, 13.5, 9],
    "F": [12, 15, 15, 15, 15, 15, 10],
}
MEETING = {"date": "15/09/2024", "members": 9, "present": 7}


def _invoke(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def write_forms(add, year=2024, units=UNITS):
    for code, scores in units.items():
        add(f"{year}/{code}.xlsx", FormSpec(name=f"Đơn vị {code}", unit_code=code, year=year, group=GROUP,
                                           scores=list(scores), date=f"20/08/{year}"))


def write_history(inputs, rules):
    write_register(inputs / "lich_su" / "2023.xlsx", rules.registers.history_columns,
                   [[2023, "A", "Đơn vị A", "Tập thể", GROUP, "Giấy khen huyện"]])


def fill(written: Path, dest: Path, rows: dict[str, dict], meeting: dict | None = None) -> dict[str, str]:
    """Fill the review workbook the run wrote, as staff do, and save it as ``dest``.

    ``rows``: unit code -> {"scores": {criterion: value}, "reason", "decision", "votes", "note"}.
    Returns the cell of each value written, keyed "A.decision", "A.score1", "present", …
    """
    wb = openpyxl.load_workbook(written)
    ws = wb[GROUP]
    cells: dict[str, str] = {}
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REVIEW["no"])
    col = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    for name, label in (("date", REVIEW["date"]), ("members", REVIEW["members"]), ("present", REVIEW["present"])):
        r = next(r for r in range(1, head) if ws.cell(r, 1).value == label)
        cells[name] = ws.cell(r, 4).coordinate
        if meeting is not None and name in meeting:
            ws.cell(r, 4).value = meeting[name]
    for r in range(head + 1, ws.max_row + 1):
        code = ws.cell(r, col[REVIEW["unit_code"]]).value
        if not code:
            continue
        wanted = rows.get(code, {})
        for stt, value in wanted.get("scores", {}).items():
            cell = ws.cell(r, col[REVIEW["score"].format(stt=f"{stt:02d}")])
            cell.value = value
            cells[f"{code}.score{stt}"] = cell.coordinate
        for name, heading in (("reason", "reason"), ("decision", "decision"), ("votes", "votes"), ("note", "note_col")):
            cell = ws.cell(r, col[REVIEW[heading]])
            cells[f"{code}.{name}"] = cell.coordinate
            if name in wanted:
                cell.value = wanted[name]
    dest.parent.mkdir(parents=True, exist_ok=True)
    wb.save(dest)
    return cells


def _by_unit(out: Path, year=2024) -> dict[str, dict]:
    return {r["unit_code"]: r for r in read_csv(out / str(year) / "ket_qua.csv")}


def _problems(out: Path, year=2024) -> set[tuple[str, str, str]]:
    return {(r["file"], r["cell"], r["code"]) for r in read_csv(out / str(year) / "loi.csv")}


# The council's meeting of the tests: A proposed to the province, C refused, D awarded on the tie.
DECISIONS = {
    "A": {"decision": "Đề nghị Bằng khen tỉnh", "votes": 7},
    "C": {"decision": "Không khen thưởng", "votes": 1},
    "D": {"decision": "Giấy khen huyện", "votes": 6},
}


def council_meets(written: Path, inputs: Path, out: Path):
    """Staff record the meeting and its decisions in the review workbook; the next run."""
    fill(written, inputs / REVIEW_FILE, DECISIONS, MEETING)
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    return result


@pytest.fixture
def proposed(add, inputs, rules, tmp_path):
    """The month's run before the appraisal: the review workbook it wrote, and the outputs."""
    write_forms(add)
    write_history(inputs, rules)
    out = tmp_path / "outputs"
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    return out / "2024" / "xet_khen_thuong_2024.xlsx", out


REVIEW_FILE = "xet_khen_thuong/xet_khen_thuong_2024.xlsx"


def test_the_run_writes_a_review_workbook_with_every_current_form(proposed):
    written, out = proposed
    wb = openpyxl.load_workbook(written)
    ws = wb[GROUP]
    assert ws.protection.sheet  # staff change only the unlocked cells
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REVIEW["no"])
    headings = [ws.cell(head, c).value for c in range(1, ws.max_column + 1)]
    for h in (REVIEW["reason"], REVIEW["proposal"], REVIEW["decision"], REVIEW["votes"], REVIEW["note_col"],
              REVIEW["unit_code"], REVIEW["key"], *(REVIEW["score"].format(stt=f"{i:02d}") for i in range(1, 8))):
        assert h in headings
    codes = [ws.cell(r, headings.index(REVIEW["unit_code"]) + 1).value for r in range(head + 1, ws.max_row + 1)]
    assert [c for c in codes if c] == ["A", "B", "C", "D", "E", "F"]
    score = headings.index(REVIEW["score"].format(stt="01")) + 1
    decision = headings.index(REVIEW["decision"]) + 1
    first = codes.index("A") + head + 1
    assert ws.cell(first, score).value == 15 and ws.cell(first, score).protection.locked is False
    assert ws.cell(first, headings.index(REVIEW["name"]) + 1).protection.locked is not False
    lists = [dv for dv in ws.data_validations.dataValidation if dv.type == "list"]
    assert any(ws.cell(first, decision).coordinate in dv.sqref for dv in lists)
    assert "Không khen thưởng" in lists[0].formula1
    labels = [ws.cell(r, 1).value for r in range(1, head)]
    assert {REVIEW["date"], REVIEW["members"], REVIEW["present"]} <= set(labels)
    members = next(r for r in range(1, head) if ws.cell(r, 1).value == REVIEW["members"])
    assert ws.cell(members, 4).value == 9  # from the rules file


def test_a_tie_shows_the_preference_for_women_as_a_reason_never_applied(add, inputs, rules, tmp_path):
    """C (80 % women) and D (60 %, under the rules file's 70 %) tie at the award's edge: C's reason
    says the preference, the tie stays for the council; the review sheet marks C briefly and says
    the basis once, above the table, so the narrow proposal cell keeps its row low."""
    for code, scores in UNITS.items():
        add(f"2024/{code}.xlsx", FormSpec(name=f"Đơn vị {code}", unit_code=code, year=2024, group=GROUP,
                                         scores=list(scores), date="20/08/2024",
                                         women={"C": "80%", "D": "60%"}.get(code)))
    write_history(inputs, rules)
    out = tmp_path / "outputs"
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    units = _by_unit(out)
    assert "tie-preference-women" in units["C"]["reason_codes"].split(";")
    assert "tie-preference" not in units["D"]["reason_codes"]
    assert units["C"]["award"] == units["D"]["award"] == TIE  # left to the council
    ws = openpyxl.load_workbook(out / "2024" / "xet_khen_thuong_2024.xlsx")[GROUP]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REVIEW["no"])
    col = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    proposal = {ws.cell(r, col[REVIEW["unit_code"]]).value: ws.cell(r, col[REVIEW["proposal"]]).value
                for r in range(head + 1, ws.max_row + 1)}
    mark = REVIEW["tie-preference-women"].format(percent=70)
    assert proposal["C"].endswith("\n" + mark) and mark not in proposal["D"]
    notes = [ws.cell(r, 1).value or "" for r in range(1, head)]
    assert any(REVIEW["preference_note"].format(basis=rules.council.preference_basis) in n for n in notes)


def test_appraisal_lowers_a_score_and_the_ranking_follows(proposed, inputs, tmp_path):
    written, out = proposed
    cells = fill(written, inputs / REVIEW_FILE, {
        "B": {"scores": {3: 13}, "reason": "Thiếu minh chứng số liệu tiêu chí 03"},
        "E": {"scores": {7: 8.5}},  # changed without a reason
    })
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    units = _by_unit(out)
    assert (units["B"]["total"], units["B"]["appraised_total"], units["B"]["eligible"]) == ("99", "97", "false")
    assert units["B"]["reason_codes"] == "criterion-below-appraised"
    # B out: C and D, tied at rank 2, both fit the quota of 3.
    assert {u: units[u]["award"] for u in "ACD"} == {
        "A": "de_nghi_bang_khen_tinh", "C": "giay_khen_huyen", "D": "giay_khen_huyen"}
    assert units["E"]["appraised_total"] == "92" and units["E"]["total"] == "92.5"
    assert (REVIEW_FILE, cells["E.reason"], "appraisal-no-reason") in _problems(out)
    # The staff's appraisal comes back in the next copy of the review workbook.
    again = openpyxl.load_workbook(written)[GROUP]
    values = [c.value for row in again.iter_rows() for c in row]
    assert "Thiếu minh chứng số liệu tiêu chí 03" in values
    # The self-scores stay beside the appraised ones in the summary's ranking.
    ranked = openpyxl.load_workbook(out / "2024" / "tong_hop_2024.xlsx")[GROUP]
    names, appraised, selfs = (column(ranked, h) for h in ("Tên tập thể / cá nhân", "Tổng điểm thẩm định",
                                                           "Tổng điểm tự chấm"))
    assert (appraised[names.index("Đơn vị B")], selfs[names.index("Đơn vị B")]) == (97, 99)


def test_council_decides_and_next_year_follows_the_decision(proposed, inputs, tmp_path, add, rules):
    written, out = proposed
    assert _by_unit(out)["C"]["award"] == _by_unit(out)["D"]["award"] == "dong_hang"
    result = council_meets(written, inputs, out)
    assert "Hội đồng đã quyết định 3 hồ sơ" in result.output
    units = _by_unit(out)
    assert {u: (units[u]["award"], units[u]["proposed_award"], units[u]["decided_by"]) for u in "ABCD"} == {
        "A": ("de_nghi_bang_khen_tinh", "de_nghi_bang_khen_tinh", "council"),
        "B": ("giay_khen_huyen", "giay_khen_huyen", "proposal"),
        "C": ("", "dong_hang", "council"),
        "D": ("giay_khen_huyen", "dong_hang", "council"),
    }
    assert "council-refused" in units["C"]["reason_codes"] and "council-award" in units["D"]["reason_codes"]
    assert not [p for p in _problems(out) if p[0].startswith("xet_khen_thuong")]
    # The next copy starts where staff left off: decisions, votes and the meeting carried over.
    again = openpyxl.load_workbook(written)[GROUP]
    values = [c.value for row in again.iter_rows() for c in row]
    assert "15/09/2024" in values and "Giấy khen huyện" in values and 6 in values

    # The next year: the 2024 dossiers are archived; the ledger remembers what was decided.
    shutil.rmtree(inputs / "2024")
    (inputs / REVIEW_FILE).unlink()
    write_forms(add, 2025, {"C": FULL, "D": [14.5, 14.5, 15, 15, 15, 15, 10], "B": [14.5, 14, 15, 15, 15, 15, 10]})
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    nxt = _by_unit(out, 2025)
    # C ranks first but the council refused it in 2024; D, second, was awarded by the council.
    assert nxt["C"]["award"] == "giay_khen_huyen" and "two-year" in nxt["C"]["reason_codes"]
    assert nxt["D"]["award"] == "de_nghi_bang_khen_tinh"
    history = _invoke("lich-su", "D", "--outputs", out)
    assert "2024: Giấy khen huyện (Hội đồng quyết định" in history.output
    history = _invoke("lich-su", "C", "--outputs", out)
    assert "2024: Không khen thưởng (Hội đồng quyết định" in history.output
    history = _invoke("lich-su", "A", "--outputs", out)  # both: the tool's proposal and the council's decision
    assert "2024: Đề nghị Bằng khen tỉnh (đề xuất của chương trình" in history.output
    assert "2024: Đề nghị Bằng khen tỉnh (Hội đồng quyết định" in history.output


REFUSALS = [
    # (rows, meeting, unit whose award must stay the proposal, cell key, code)
    ({"D": {"decision": "Giấy khen huyện", "votes": 6}, "C": {"decision": "Không khen thưởng"}},
     {**MEETING, "present": 5}, "D", "present", "no-quorum"),
    ({"D": {"decision": "Giấy khen huyện", "votes": 6}, "C": {"decision": "Không khen thưởng"}},
     {"members": 9, "present": 7}, "D", "date", "meeting-missing"),
    ({"D": {"decision": "Giấy khen huyện"}, "C": {"decision": "Không khen thưởng"}}, MEETING, "D", "D.votes",
     "votes-missing"),
    ({"D": {"decision": "Giấy khen huyện", "votes": 3}, "C": {"decision": "Không khen thưởng"}}, MEETING, "D",
     "D.votes", "no-majority"),
    ({"D": {"decision": "Giấy khen huyện", "votes": 8}, "C": {"decision": "Không khen thưởng"}}, MEETING, "D",
     "D.votes", "votes-invalid"),
    ({"F": {"decision": "Giấy khen huyện", "votes": 7}}, MEETING, "F", "F.decision", "decision-ineligible"),
    ({"E": {"decision": "Giấy khen huyện", "votes": 7}, "C": {"decision": "Giấy khen huyện", "votes": 7},
      "D": {"decision": "Không khen thưởng"}}, MEETING, "E", "E.decision", "decision-over-quota"),
    ({"D": {"decision": "Giấy khen huyện", "votes": 7}}, MEETING, "D", "C.decision", "decision-tie-unsettled"),
    ({"D": {"decision": "Bằng khen", "votes": 7}}, MEETING, "D", "D.decision", "decision-unknown"),
    ({"B": {"decision": "Đề nghị Bằng khen tỉnh", "votes": 7}}, MEETING, "B", "B.decision", "decision-two-year"),
    ({"B": {"scores": {1: "mười"}, "reason": "Sai số liệu"}}, None, "B", "B.score1", "appraisal-not-number"),
    ({"B": {"scores": {1: 16}, "reason": "Sai số liệu"}}, None, "B", "B.score1", "appraisal-out-of-range"),
]


@pytest.mark.parametrize(("rows", "meeting", "unit", "cell", "code"), REFUSALS, ids=[r[-1] for r in REFUSALS])
def test_every_refusal_is_a_finding_on_its_cell_and_the_proposal_stands(proposed, inputs, rules, rows, meeting,
                                                                          unit, cell, code):
    written, _ = proposed
    cells = fill(written, inputs / REVIEW_FILE, rows, meeting)
    report = analyse(inputs, rules)
    found = {(f.file, f.sheet, f.cell, f.code) for f in report.findings}
    assert (REVIEW_FILE, GROUP, cells[cell], code) in found
    assert report.review_refused >= 1  # the CLI tells staff how many did not apply
    forms = report.years[-1].forms.set_index("unit_code")
    assert forms.loc[unit, "award"] == forms.loc[unit, "proposed"] and not forms.loc[unit, "decided"]
    if code.startswith("appraisal"):
        assert forms.loc[unit, "total"] == 99  # the self-score kept where the appraised one is unusable


def test_two_copies_the_later_counts_and_a_warning_says_so(proposed, inputs, rules):
    import os

    written, _ = proposed
    fill(written, inputs / "xet_khen_thuong" / "ban_cu.xlsx", {"B": {"scores": {3: 13}, "reason": "Bản cũ"}})
    fill(written, inputs / REVIEW_FILE, {"B": {"scores": {3: 14}, "reason": "Bản mới"}})
    old = inputs / "xet_khen_thuong" / "ban_cu.xlsx"
    os.utime(old, (1_700_000_000, 1_700_000_000))
    report = analyse(inputs, rules)
    found = {(f.file, f.cell, f.code) for f in report.findings}
    assert ("xet_khen_thuong/ban_cu.xlsx", _key_cell(written, "B"), "review-duplicate") in found
    forms = report.years[-1].forms.set_index("unit_code")
    assert forms.loc["B", "total"] == 98 and forms.loc["B", "eligible"]


def _key_cell(written: Path, code: str) -> str:
    ws = openpyxl.load_workbook(written)[GROUP]
    head = next(r for r in range(1, ws.max_row + 1) if ws.cell(r, 1).value == REVIEW["no"])
    col = {ws.cell(head, c).value: c for c in range(1, ws.max_column + 1)}
    row = next(r for r in range(head + 1, ws.max_row + 1) if ws.cell(r, col[REVIEW["unit_code"]]).value == code)
    return ws.cell(row, col[REVIEW["key"]]).coordinate


def test_an_appraisal_of_a_form_since_replaced_is_not_applied(proposed, inputs, rules, add):
    written, _ = proposed
    fill(written, inputs / REVIEW_FILE, {"B": {"scores": {3: 13}, "reason": "Thiếu minh chứng"}})
    add("2024/B.xlsx", FormSpec(name="Đơn vị B", unit_code="B", group=GROUP, scores=[15, 14, 15, 15, 15, 15, 10],
                                date="25/08/2024"))
    report = analyse(inputs, rules)
    found = {(f.file, f.cell, f.code) for f in report.findings}
    assert (REVIEW_FILE, _key_cell(written, "B"), "review-form-replaced") in found
    forms = report.years[-1].forms.set_index("unit_code")
    assert forms.loc["B", "total"] == 99 and forms.loc["B", "eligible"]


def test_a_review_workbook_written_row_by_row_reads_back_the_same(proposed, inputs, rules, tmp_path):
    """Over Book.LARGE forms the workbook is written in xlsxwriter's constant-memory mode (rows in
    order): the meeting's block, the rows, the live totals and the unlocked cells must all be there."""
    import datetime as dt

    from pipeline.outputs.document import Book
    from pipeline.outputs.record import records
    from pipeline.outputs.reviewbook import write_review
    from pipeline.stages.discover import InputFile
    from pipeline.stages.review import read_review

    written, _ = proposed
    fill(written, inputs / REVIEW_FILE, {"D": {"decision": "Giấy khen huyện", "votes": 6}}, MEETING)
    report = analyse(inputs, rules)
    year = report.years[-1]
    current = [r for r in records(year.forms) if not r.rejected and not r.superseded]
    reads = {}
    for large in (False, True):
        path = tmp_path / f"large_{large}.xlsx"
        book = Book(path, rules.document, dt.date(2024, 9, 20), large=large)
        write_review(book, current, rules, 2024, year.meetings)
        book.close()
        st = path.stat()
        reads[large] = read_review(InputFile.at(path, path.name, st.st_size, st.st_mtime))
    small, large = reads[False], reads[True]
    assert [r.key for r in large.rows] == [r.key for r in small.rows] and len(large.rows) == 6
    assert [(m.date, m.members, m.present) for m in large.meetings] == [("15/09/2024", 9, 7)]
    decided = {r.key: (r.decision, r.votes) for r in large.rows if r.decision}
    assert list(decided.values()) == [("Giấy khen huyện", 6)]
    ws = openpyxl.load_workbook(tmp_path / "large_True.xlsx")[GROUP]
    formulas = [c.value for row in ws.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=SUM")]
    assert len(formulas) == 6


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice not installed (.ci/run installs it)")
@pytest.mark.parametrize("suffix", ["xlsx", "ods"])
def test_a_review_workbook_saved_by_libreoffice_reads_the_same(proposed, inputs, tmp_path, suffix):
    """Staff who fill the workbook in LibreOffice (or save it as .ods) lose nothing."""
    import subprocess

    from pipeline.outputs.drafts import office
    from pipeline.stages.discover import InputFile
    from pipeline.stages.review import read_review

    written, _ = proposed
    filled = tmp_path / "filled" / "xet.xlsx"
    fill(written, filled, DECISIONS, MEETING)
    out = tmp_path / "lo"
    subprocess.run([office(), "--headless", "--convert-to", suffix, "--outdir", str(out), str(filled)], check=True,
                   capture_output=True, timeout=300)

    def read(path: Path):
        st = path.stat()
        rd = read_review(InputFile.at(path, path.name, st.st_size, st.st_mtime))
        return ([(r.key, r.decision, r.votes, r.scores) for r in rd.rows],
                [(m.date, m.members, m.present, m.cell_present) for m in rd.meetings])

    assert read(out / f"xet.{suffix}") == read(filled)


@pytest.mark.skipif(shutil.which("soffice") is None and shutil.which("libreoffice") is None,
                    reason="LibreOffice not installed (.ci/run installs it)")
def test_a_review_workbook_opened_and_saved_in_libreoffice_still_matches_its_forms(add, inputs, tmp_path):
    """A folder named "thi_xa_…": LibreOffice reads "_xa_" in a workbook Excel saved (openpyxl here,
    which writes it alike) as a line break, and saves it so. The rows are still the forms' rows:
    before, each belonged to a form "since replaced", and the council's decisions were refused."""
    import subprocess

    from pipeline.outputs.drafts import office

    for code in ("A", "B"):
        add(f"thi_xa_ninh_hoa/ubnd_xa_{code.lower()}.xlsx", FormSpec(name=f"UBND xã {code}", unit_code=code, group=GROUP))
    out = tmp_path / "outputs"
    assert _invoke("run", "--inputs", inputs, "--outputs", out).exit_code == 0
    filled = tmp_path / "filled" / "xet_khen_thuong_2024.xlsx"
    fill(out / "2024" / "xet_khen_thuong_2024.xlsx", filled, {"B": {"decision": "Không khen thưởng", "votes": 5}},
         MEETING)
    subprocess.run([office(), "--headless", "--convert-to", "xlsx", "--outdir", str(inputs / "xet_khen_thuong"),
                    str(filled)], check=True, capture_output=True, timeout=300)
    assert _invoke("run", "--inputs", inputs, "--outputs", out).exit_code == 0
    assert not [p for p in _problems(out) if p[0].startswith("xet_khen_thuong")]
    assert (_by_unit(out)["B"]["award"], _by_unit(out)["B"]["decided_by"]) == ("", "council")


def test_a_review_workbook_saved_among_the_forms_is_told_where_it_belongs(proposed, inputs, tmp_path):
    written, out = proposed
    fill(written, inputs / "xet_khen_thuong_2024.xlsx", DECISIONS, MEETING)  # not in xet_khen_thuong/
    result = _invoke("run", "--inputs", inputs, "--outputs", out)
    assert result.exit_code == 0, result.output
    assert ("xet_khen_thuong_2024.xlsx", "", "review-misplaced") in _problems(out)
    assert not list((out / "2024").glob("phan_hoi/*.xlsx"))  # the staff's own file: no letter to a unit
    assert _by_unit(out)["D"]["award"] == "dong_hang"  # and its decisions are not read from there
