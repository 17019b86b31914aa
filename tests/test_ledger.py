"""The ledger and repeatable runs: nothing lost, nothing doubled, nothing half-written."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.errors import BusyError
from pipeline.infra.lock import locked
from pipeline.outputs.templates import FormSpec
from pipeline.state.ledger import LEDGER_NAME, MIGRATIONS, SCHEMA_VERSION, Ledger

from .helpers import read_csv


def _snapshot(folder):
    """Every visible file under ``folder`` with its hash (staging and lock files are hidden)."""
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*"))
            if p.is_file() and not any(part.startswith(".") for part in p.relative_to(folder).parts)}


def _counts(out):
    con = sqlite3.connect(out / LEDGER_NAME)
    try:
        return {t: con.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in ("runs", "files", "forms", "recognitions")}
    finally:
        con.close()


def _month(add):
    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VT"))
    add("b.xlsx", FormSpec(name="UBND xã Vạn Phú", scores=[14, 15, 15, 15, 15, 15, 10]))
    add("c.xlsx", FormSpec(kind="ca_nhan", name="Lê Văn Tám", scores=[16, 15, 20, 10, 10, 15, 15]))


def test_the_ledger_records_the_run(add, run_all):
    _month(add)
    report, out = run_all()
    assert (out / LEDGER_NAME).exists()
    assert _counts(out) == {"runs": 1, "files": 3, "forms": 2, "recognitions": 2}
    con = sqlite3.connect(out / LEDGER_NAME)
    (path, size, sha, outcome) = con.execute("SELECT path, size, sha256, outcome FROM files WHERE path='c.xlsx'").fetchone()
    assert outcome == "rejected" and len(sha) == 64 and size > 0
    (rules_sha, version) = con.execute("SELECT rules_sha256, program_version FROM runs").fetchone()
    assert len(rules_sha) == 64 and version
    scores = con.execute("SELECT scores FROM forms WHERE name='UBND xã Vạn Phú'").fetchone()[0]
    assert scores == "[14.0, 15.0, 15.0, 15.0, 15.0, 15.0, 10.0]"
    con.close()


def test_running_twice_changes_nothing_but_one_run_row(add, run_all):
    _month(add)
    _, out = run_all()
    csvs = {n: (out / "2024" / n).read_bytes() for n in ("ket_qua.csv", "loi.csv")}
    before = _counts(out)
    report, out = run_all()
    assert {n: (out / "2024" / n).read_bytes() for n in csvs} == csvs
    assert _counts(out) == {**before, "runs": before["runs"] + 1}
    assert report.changed("new") == report.changed("replaced") == report.changed("withdrawn") == 0


def test_ledger_is_backed_up_before_each_run_keeping_the_last_few(add, run_all):
    add("a.xlsx", FormSpec())
    for _ in range(7):
        _, out = run_all()
    backups = sorted((out / ".sao_luu").iterdir())
    assert 1 <= len(backups) <= 5
    assert all(p.name.startswith("so_theo_doi-") for p in backups)


def test_a_corrupt_ledger_stops_the_run_and_nothing_is_written(add, inputs, tmp_path):
    add("a.xlsx", FormSpec())
    out = tmp_path / "outputs"
    out.mkdir()
    (out / LEDGER_NAME).write_bytes(b"this is not a database" * 100)
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code != 0 and "bị hỏng" in result.output
    assert _snapshot(out) == {LEDGER_NAME: hashlib.sha256(b"this is not a database" * 100).hexdigest()}


def test_a_ledger_from_a_newer_program_stops_the_run(add, inputs, run_all, tmp_path):
    add("a.xlsx", FormSpec())
    _, out = run_all()
    con = sqlite3.connect(out / LEDGER_NAME)
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(SCHEMA_VERSION + 1),))
    con.commit()
    con.close()
    before = _snapshot(out)
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code != 0 and "phiên bản chương trình mới hơn" in result.output
    assert _snapshot(out) == before


def test_an_older_ledger_is_migrated_forward_keeping_its_rows(tmp_path):
    path = tmp_path / LEDGER_NAME
    con = sqlite3.connect(path)
    for sql in MIGRATIONS[0]:
        con.execute(sql)
    con.execute("INSERT INTO meta VALUES ('schema_version', '1')")
    con.execute("INSERT INTO recognitions VALUES (2023, 'code:vt', 'import', 'tap_the', 'Huyện Vạn Ninh', 'VT', 'X', 'giay_khen_huyen', 'f')")
    con.commit()
    con.close()
    ledger = Ledger(path)
    assert [r.unit for r in ledger.recognitions()] == ["code:vt"]
    indexes = {r[0] for r in ledger.con.execute("SELECT name FROM sqlite_master WHERE type='index'")}
    assert {"recognitions_by_unit", "forms_by_unit"} <= indexes
    assert ledger.con.execute("SELECT value FROM meta").fetchone()[0] == str(SCHEMA_VERSION)
    ledger.close()


def test_two_runs_at_once_never_interleave(add, inputs, tmp_path):
    add("a.xlsx", FormSpec())
    out = tmp_path / "outputs"
    out.mkdir()
    with locked(out):
        result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
        assert result.exit_code != 0 and "Một lượt chạy khác đang ghi" in result.output
        with pytest.raises(BusyError):
            with locked(out):
                pass
    assert not (out / "2024").exists()


def test_a_run_killed_midway_leaves_outputs_and_ledger_as_they_were(inputs, rules, tmp_path):
    from pipeline.tools.samples import write_samples

    write_samples(inputs, rules, per_group=(2, 3))
    out = tmp_path / "outputs"
    first = subprocess.run([sys.executable, "-m", "pipeline", "run", "--inputs", str(inputs), "--outputs", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert first.returncode == 0, first.stderr
    before = _snapshot(out)
    (inputs / "thanh_pho_nha_trang" / "dan_dau_1.xlsx").unlink()  # something to change
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", "run", "--inputs", str(inputs), "--outputs", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(out.glob(".dang_ghi-*/2024")) and time.monotonic() < deadline:
        time.sleep(0.02)  # wait until it is writing its outputs
    assert proc.poll() is None, "the run finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    assert _snapshot(out) == before
    # The next run clears what the killed one left and records normally.
    again = subprocess.run([sys.executable, "-m", "pipeline", "run", "--inputs", str(inputs), "--outputs", str(out)],
                           capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    assert not list(out.glob(".dang_ghi-*"))
    assert _counts(out)["runs"] == 2


def test_runs_command_lists_runs_and_what_changed(add, inputs, run_all, tmp_path):
    _month(add)
    run_all()
    (inputs / "b.xlsx").unlink()
    add("d.xlsx", FormSpec(name="UBND xã Vạn Long", unit_code="VL"))
    _, out = run_all()
    result = CliRunner().invoke(main, ["runs", "--outputs", str(out)])
    assert result.exit_code == 0
    lines = result.output.splitlines()
    assert len(lines) == 2 and lines[0].startswith("#1") and lines[1].startswith("#2")
    assert "1 mới" in lines[1] and "1 đã rút" in lines[1]


def test_lich_su_shows_a_units_record_across_years(add, run_all):
    add("a.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VN-VT-01", year=2023))
    add("b.xlsx", FormSpec(name="UBND xã Vạn Thắng", unit_code="VN-VT-01", year=2024, scores=[14, 15, 15, 15, 15, 15, 10]))
    _, out = run_all()
    result = CliRunner().invoke(main, ["lich-su", "vn-vt-01", "--outputs", str(out)])
    assert result.exit_code == 0, result.output
    assert "«UBND xã Vạn Thắng» (mã VN-VT-01)" in result.output
    assert "2023: biểu mẫu a.xlsx (Sheet1), 100 điểm" in result.output
    assert "2024: biểu mẫu b.xlsx (Sheet1), 99 điểm" in result.output
    assert "2024: Đề nghị Bằng khen tỉnh" in result.output  # recognised in 2023, so proposed in 2024
    missing = CliRunner().invoke(main, ["lich-su", "không có", "--outputs", str(out)])
    assert "Không tìm thấy" in missing.output
    plain = CliRunner().invoke(main, ["lich-su", "ubnd xa van thang", "--outputs", str(out)])
    assert "«UBND xã Vạn Thắng» (mã VN-VT-01)" in plain.output  # typed without diacritics
    none = CliRunner().invoke(main, ["runs", "--outputs", str(out / "khac")])
    assert none.exit_code != 0 and "Chưa có sổ theo dõi" in none.output


def test_ket_qua_csv_is_deterministic_across_fresh_output_folders(add, inputs, rules, tmp_path):
    from pipeline.run import run

    _month(add)
    run(inputs, tmp_path / "o1", rules)
    run(inputs, tmp_path / "o2", rules)
    for name in ("ket_qua.csv", "loi.csv"):
        assert (tmp_path / "o1" / "2024" / name).read_bytes() == (tmp_path / "o2" / "2024" / name).read_bytes()
    assert read_csv(tmp_path / "o1" / "2024" / "ket_qua.csv")


def test_unchanged_files_are_not_parsed_again(add, inputs, rules, tmp_path):
    from dataclasses import replace

    from pipeline.run import run

    def parsed(report):
        return sorted(wb.file.rel for wb in report.reads if not wb.from_cache)

    add("a.xlsx", FormSpec(name="A", date=dt.date(2024, 8, 1)))
    add("b.xlsx", FormSpec(name="B"))
    out = tmp_path / "out"
    first = run(inputs, out, rules)
    assert parsed(first) == ["a.xlsx", "b.xlsx"]
    add("b.xlsx", FormSpec(name="B", scores=[14, 15, 15, 15, 15, 15, 10]))  # changed
    second = run(inputs, out, rules)
    assert parsed(second) == ["b.xlsx"]  # a.xlsx came from the cache
    a1 = first.years[0].forms.set_index("file").loc["a.xlsx"]
    a2 = second.years[0].forms.set_index("file").loc["a.xlsx"]
    assert (a1["name"], a1.date, a1.total, a1.scores) == (a2["name"], a2.date, a2.total, a2.scores)
    # A different rules file invalidates everything.
    third = run(inputs, out, replace(rules, sha256="0" * 64))
    assert parsed(third) == ["a.xlsx", "b.xlsx"]


def _mtimes(out):
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in sorted((out / "2024").rglob("*")) if p.is_file()}


def test_a_rerun_on_unchanged_files_keeps_every_output(add, inputs, rules, tmp_path):
    from pipeline.run import run

    _month(add)
    out = tmp_path / "outputs"
    first = run(inputs, out, rules, today=dt.date(2024, 9, 5))
    before, written, rows = _snapshot(out), _mtimes(out), _counts(out)
    again = run(inputs, out, rules, today=dt.date(2024, 9, 5))
    assert first.kept is None and again.kept is not None
    assert _mtimes(out) == written  # not one output rewritten...
    assert {k: v for k, v in _snapshot(out).items() if k != LEDGER_NAME} == {
        k: v for k, v in before.items() if k != LEDGER_NAME}
    assert again.count("awarded") == first.count("awarded") and again.unreadable == first.unreadable
    assert _counts(out) == {**rows, "runs": 2}  # ...and one more run row in the ledger
    runs = Ledger(out / LEDGER_NAME, readonly=True).runs()
    assert runs[1]["forms"] == runs[0]["forms"] and set(runs[1]["changes"].values()) == {0}
    result = CliRunner().invoke(main, ["runs", "--outputs", str(out)])
    assert result.output.splitlines()[1].startswith("#2") and result.output.splitlines()[1].endswith("thay đổi: không")


def test_an_output_deleted_or_an_input_touched_means_a_full_run(add, inputs, rules, tmp_path):
    from pipeline.run import run

    _month(add)
    out = tmp_path / "outputs"
    day = dt.date(2024, 9, 5)
    run(inputs, out, rules, today=day)
    (out / "2024" / "ket_qua.csv").unlink()
    assert run(inputs, out, rules, today=day).kept is None
    assert (out / "2024" / "ket_qua.csv").exists()
    os.utime(inputs / "a.xlsx", (1_800_000_000, 1_800_000_000))  # same content, another time
    assert run(inputs, out, rules, today=day).kept is None
    assert run(inputs, out, rules, today=day).kept is not None
    assert run(inputs, out, rules, today=dt.date(2024, 9, 6)).kept is None  # the documents' date changes
    with open(inputs / "a.xlsx", "r+b") as fh:  # same size and time, other bytes
        stat = os.stat(fh.fileno())
        fh.seek(-1, os.SEEK_END)
        last = fh.read(1)
        fh.seek(-1, os.SEEK_END)
        fh.write(bytes([last[0] ^ 1]))
    os.utime(inputs / "a.xlsx", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert run(inputs, out, rules, today=dt.date(2024, 9, 6)).kept is None


def test_the_changes_sheet_survives_a_rerun_that_changes_nothing(add, inputs, rules, tmp_path):
    from pipeline.run import run

    _month(add)
    out = tmp_path / "outputs"
    run(inputs, out, rules)
    add("d.xlsx", FormSpec(name="UBND xã Vạn Long", unit_code="VL"))
    second = run(inputs, out, rules)
    os.utime(inputs / "a.xlsx", (1_800_000_000, 1_800_000_000))  # a full run, deciding the same
    third = run(inputs, out, rules)
    for report in (second, third):
        assert [(c.change, c.file) for c in report.years[0].changes.itertuples()] == [("new", "d.xlsx")]
    runs = Ledger(out / LEDGER_NAME, readonly=True).runs()
    assert [r["changes"]["new"] for r in runs] == [0, 1, 0]


def test_the_cli_says_when_it_kept_the_outputs(add, inputs, tmp_path):
    _month(add)
    args = ["run", "--inputs", str(inputs), "--outputs", str(tmp_path / "o")]
    first, again = CliRunner().invoke(main, args), CliRunner().invoke(main, args)
    assert first.exit_code == 0 and again.exit_code == 0, again.output
    assert "Không tệp nào thay đổi" not in first.output and "Không tệp nào thay đổi" in again.output
    # The same figures either way.
    assert [line for line in first.output.splitlines() if line.startswith("Năm 2024")] == [
        line for line in again.output.splitlines() if line.startswith("Năm 2024")]


def test_a_kept_run_ends_cleanly_even_before_its_workers_have_started(add, inputs, tmp_path):
    """The worker pool starts in the background; a run that keeps its outputs ends before it is
    needed, and must leave no traceback behind on the staffer's screen."""
    _month(add)
    args = [sys.executable, "-m", "pipeline", "run", "--inputs", str(inputs), "--outputs", str(tmp_path / "o")]
    first = subprocess.run(args, capture_output=True, text=True, timeout=300)
    again = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert first.returncode == 0 and again.returncode == 0
    assert "Không tệp nào thay đổi" in again.stdout
    assert again.stderr == "" and first.stderr == ""
