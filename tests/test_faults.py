"""Faults no run may stop at or lose a result to: odd files, odd names, a half-done commit, a
damaged ledger, a reader that crashed (issue: no file, no fault and no full disk stops a run)."""

from __future__ import annotations

import os
import shutil
import zipfile

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.core.errors import LedgerError
from pipeline.outputs import feedback
from pipeline.outputs.templates import FormSpec
from pipeline.run import run
from pipeline.state import commit
from pipeline.state.ledger import LEDGER_NAME, check

from .helpers import codes, read_csv, rewrite_zip

BAD = FormSpec(name="UBND xã Lỗi", scores=[16, 15, 15, 15, 15, 15, 10])  # rejected: a score above its points


def _letter_sheets(path) -> list[str]:
    return openpyxl.load_workbook(path).sheetnames


def test_odd_sheet_names_of_a_rejected_ods_get_a_letter_and_the_run_goes_on(inputs, rules, tmp_path, add):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    long = "Bảng tự chấm điểm của đơn vị thứ nhất năm 2024"
    for name in ("a*b?c", "'trích", long + " A", long + " B"):
        table = Table(name=name)
        row = TableRow()
        cell = TableCell()
        cell.addElement(P(text="BẢNG TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “DÂN VẬN KHÉO”"))
        row.addElement(cell)
        table.addElement(row)
        doc.spreadsheet.addElement(table)
    doc.save(str(inputs / "la.ods"))
    add("tot.xlsx", FormSpec())
    report = run(inputs, tmp_path / "out", rules)
    assert {f.file for f in report.findings} == {"la.ods"}
    sheets = _letter_sheets(tmp_path / "out" / "2024" / "phan_hoi" / "la.xlsx")
    assert sheets[0] == "Phản hồi" and len(sheets) == 5 and len({s.casefold() for s in sheets}) == 5
    assert all(len(s) <= 31 and not set(s) & set("[]:*?/\\") and not s.startswith("'") for s in sheets)


def test_a_rejected_file_gone_before_its_letter_still_gets_a_letter(tmp_path, rules):
    job = feedback.Job(tmp_path / "da_xoa.xlsx", "da_xoa.xlsx", (), tmp_path / "phan_hoi" / "da_xoa.xlsx",
                       rules.document)
    assert _letter_sheets(feedback.build(job)) == ["Phản hồi"]


def test_names_that_are_not_utf8_or_hold_control_characters(inputs, rules, tmp_path, add):
    good = add("tot.xlsx", FormSpec())
    legacy = os.path.join(os.fsencode(inputs), b"Ph\xf2ng N\xe9i v\xf9.xlsx")  # a TCVN3 system's name
    shutil.copy(good, legacy)
    shutil.copy(add("loi.xlsx", BAD), inputs / "chuong\x07.xlsx")
    (inputs / "loi.xlsx").unlink()
    os.unlink(good)
    out = tmp_path / "out"
    run(inputs, out, rules)
    files = sorted(r["file"] for r in read_csv(out / "2024" / "ket_qua.csv"))
    assert files == ["Ph\ufffdng N\ufffdi v\ufffd.xlsx"]
    assert [r["file"] for r in read_csv(out / "2024" / "loi.csv")] == ["chuong\ufffd.xlsx"]
    assert _letter_sheets(out / "2024" / "phan_hoi" / "chuong.xlsx") == ["Phản hồi", "Sheet1"]
    again = run(inputs, out, rules)  # and the cache and memo take such names too
    assert again.kept is not None


def test_a_reader_crash_is_not_kept_as_the_files_verdict(inputs, rules, tmp_path, add, monkeypatch):
    from pipeline.infra.workers import Failure
    from pipeline.stages import read

    add("a.xlsx", FormSpec())
    out = tmp_path / "out"
    monkeypatch.setattr(read, "isolated_map", lambda func, items, *a, **k: ((i, Failure("crash")) for i in range(len(items))))
    first = run(inputs, out, rules)
    assert codes(first) == [("", "reader-crashed")]
    monkeypatch.undo()
    second = run(inputs, out, rules)
    assert codes(second) == [] and [wb.from_cache for wb in second.reads] == [False]


def _generations(tmp_path):
    """An output folder holding an old year folder and ledger, and a staged new generation."""
    out = tmp_path / "out"
    (out / "2024").mkdir(parents=True)
    (out / "2024" / "tong_hop_2024.xlsx").write_text("old")
    (out / LEDGER_NAME).write_text("old ledger")
    staging = commit.new_staging(out)
    (staging / "2024").mkdir()
    (staging / "2024" / "tong_hop_2024.xlsx").write_text("new")
    (staging / LEDGER_NAME).write_text("new ledger")
    return out, staging


def test_a_commit_refused_half_way_is_undone(tmp_path, monkeypatch):
    out, staging = _generations(tmp_path)
    real, calls = os.replace, []

    def refuse_second(src, dst):
        calls.append(dst)
        if len(calls) == 3:  # the year folder moved, its old one aside: then the ledger is refused
            raise PermissionError(13, "held open by another program")
        return real(src, dst)

    monkeypatch.setattr(os, "replace", refuse_second)
    with pytest.raises(PermissionError):
        commit.commit(staging, out)
    monkeypatch.undo()
    assert (out / "2024" / "tong_hop_2024.xlsx").read_text() == "old"
    assert (out / LEDGER_NAME).read_text() == "old ledger"
    assert not (out / commit.JOURNAL).exists()


def test_a_commit_killed_half_way_is_finished_by_the_next_start(tmp_path):
    out, staging = _generations(tmp_path)
    moves = [[f"{staging.name}/2024", "2024"], [f"{staging.name}/{LEDGER_NAME}", LEDGER_NAME]]
    (out / commit.JOURNAL).write_text(__import__("json").dumps({"moves": moves}))
    (staging / ".cu").mkdir()
    os.replace(out / "2024", staging / ".cu" / "2024")  # killed here: the year moved aside, not yet replaced
    commit.recover(out)
    assert (out / "2024" / "tong_hop_2024.xlsx").read_text() == "new"
    assert (out / LEDGER_NAME).read_text() == "new ledger"
    assert not (out / commit.JOURNAL).exists() and not staging.exists()


def test_an_empty_ledger_with_backups_stops_the_run_naming_the_backup(inputs, rules, tmp_path, add):
    add("a.xlsx", FormSpec())
    out = tmp_path / "out"
    run(inputs, out, rules)
    add("b.xlsx", FormSpec(name="B"))
    run(inputs, out, rules)  # backs the first ledger up
    (out / LEDGER_NAME).write_bytes(b"")
    with pytest.raises(LedgerError) as caught:
        check(out / LEDGER_NAME)
    assert caught.value.code == "ledger-empty" and ".sao_luu" in str(caught.value)
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code == 1 and "sao lưu" in result.output
    assert (out / LEDGER_NAME).read_bytes() == b""  # nothing written


def test_damage_the_quick_check_misses_is_a_clear_message(inputs, rules, tmp_path, add):
    import sqlite3

    add("a.xlsx", FormSpec())
    out = tmp_path / "out"
    run(inputs, out, rules)
    with sqlite3.connect(out / LEDGER_NAME) as con:
        con.execute("UPDATE runs SET results = '{not json'")
    con.close()
    add("b.xlsx", FormSpec(name="B"))  # something new: the run reads the ledger's results
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code == 1 and "bị hỏng" in result.output and "Traceback" not in result.output


def test_a_processing_instruction_before_the_doctype_is_still_refused(inputs, good_form, analysed):
    entity = b'<?xml version="1.0"?><?pi <x?><!DOCTYPE x [<!ENTITY a "b">]>'
    rewrite_zip(good_form, inputs / "pi.xlsx", {"xl/workbook.xml": lambda d: entity + d.split(b"?>", 1)[1]})
    assert codes(analysed()) == [("", "xml-entity")]


def test_letters_carry_values_only_never_a_formula_or_a_link(inputs, rules, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A1"] = "BẢNG TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “DÂN VẬN KHÉO”"
    ws["B2"] = '=HYPERLINK("http://example.invalid","bấm vào")'
    ws["C3"] = "=1+1"
    ws["D4"] = "trang"
    ws["D4"].hyperlink = "http://example.invalid/x"
    wb.save(inputs / "lien_ket.xlsx")
    out = tmp_path / "out"
    run(inputs, out, rules)
    (letter,) = out.glob("*/phan_hoi/lien_ket.xlsx")
    copy = openpyxl.load_workbook(letter)["Sheet"]
    assert all(c.data_type != "f" for row in copy.iter_rows() for c in row)
    assert copy["D4"].value == "trang" and copy["D4"].hyperlink is None
    with zipfile.ZipFile(letter) as zf:
        assert not any("hyperlink" in n or "externalLink" in n for n in zf.namelist())
        assert all(b"<f>" not in zf.read(n) for n in zf.namelist() if n.startswith("xl/worksheets/"))


@pytest.fixture
def good_form(add):
    return add("tot.xlsx", FormSpec())


def test_a_file_refused_unparsed_gets_its_letter_without_being_parsed_again(inputs, rules, tmp_path, add):
    add("tot.xlsx", FormSpec())
    bomb = inputs / "bom.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            for _ in range(256):  # 256 MiB of zeros
                part.write(b"\0" * (1 << 20))
    out = tmp_path / "out"
    report = run(inputs, out, rules)
    assert codes(report) == [("", "zip-bomb")]
    assert _letter_sheets(out / "2024" / "phan_hoi" / "bom.xlsx") == ["Phản hồi"]  # the list, no copy


@pytest.fixture
def mounts():
    """Mount helpers for the fault tests (root only: elsewhere they skip, saying so)."""
    import subprocess

    done: list = []

    def mount(*args) -> None:
        if os.geteuid() != 0:
            pytest.skip("needs root to mount a small or read-only file system")
        result = subprocess.run(["mount", *map(str, args)], capture_output=True)
        if result.returncode != 0:
            pytest.skip(f"mount not permitted here: {result.stderr.decode(errors='replace').strip()}")
        done.append(args[-1])

    yield mount
    for target in reversed(done):
        subprocess.run(["umount", "-l", str(target)], capture_output=True)  # lazily: a worker may log there


def _snapshot(out) -> dict:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*")
            if p.is_file() and p.name not in (".khoa", "nhat_ky.log")}


def test_a_read_only_outputs_folder_is_one_clear_message_and_nothing_lost(inputs, rules, tmp_path, add, mounts):
    add("a.xlsx", FormSpec())
    out = tmp_path / "out"
    run(inputs, out, rules)
    before = _snapshot(out)
    mounts("--bind", out, out)
    mounts("-o", "remount,bind,ro", out)
    add("b.xlsx", FormSpec(name="B"))
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code == 1 and "Không ghi được vào thư mục kết quả" in result.output
    assert "Traceback" not in result.output and _snapshot(out) == before


def test_a_full_disk_is_one_clear_message_and_the_previous_outputs_stand(inputs, rules, tmp_path, add, mounts):
    out = tmp_path / "out"
    out.mkdir()
    mounts("-t", "tmpfs", "-o", "size=4m", "tmpfs", out)
    add("a.xlsx", FormSpec())
    run(inputs, out, rules)
    before = _snapshot(out)
    for i in range(40):
        add(f"f{i}.xlsx", FormSpec(name=f"Đơn vị {i}"))
    free = os.statvfs(out).f_bavail * os.statvfs(out).f_frsize
    (out / "day.bin").write_bytes(b"\0" * max(0, free - 120_000))  # leaves room for a little only
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code == 1 and "Không ghi được" in result.output, result.output
    assert "Traceback" not in result.output
    (out / "day.bin").unlink()
    assert {k: v for k, v in _snapshot(out).items() if k != "day.bin"} == before


def test_a_file_replaced_by_a_fifo_while_it_is_read_does_not_hang_the_run(inputs, rules, tmp_path, add, monkeypatch):
    import signal

    from pipeline.infra.workers import Failure
    from pipeline.stages import read

    path = add("a.xlsx", FormSpec())

    def timed_out(func, items, *a, **k):  # the worker's time limit ran out, and the file became a FIFO
        path.unlink()
        os.mkfifo(path)
        return iter([(0, Failure("timeout"))])

    monkeypatch.setattr(read, "isolated_map", timed_out)
    signal.alarm(60)  # a blocking read of the FIFO would hang here for ever
    try:
        report = run(inputs, tmp_path / "out", rules)
    finally:
        signal.alarm(0)
    assert codes(report) == [("", "reader-timeout")]


def test_a_file_the_machine_cannot_open_is_the_staffs_to_fix_not_the_units(inputs, rules, tmp_path, add):
    from pipeline.stages.discover import InputFile
    from pipeline.stages.read import read_workbook

    gone = InputFile(inputs, "da_xoa.xlsx", "da_xoa.xlsx", 1000, 0.0)  # listed, then gone (or no permission)
    read = read_workbook(gone, rules)
    assert [(f.code, f.found) for f in read.findings] == [("file-inaccessible", "No such file or directory")]
    assert "Không phải lỗi của đơn vị" in read.findings[0].message
