"""Hostile and broken files: each is one clear finding, in bounded time and memory; the run goes on."""

from __future__ import annotations

import hashlib
import shutil
import zipfile

import openpyxl
import pytest

from pipeline.outputs.templates import FormSpec
from pipeline.stages.discover import discover
from pipeline.stages.read import read_workbook

from .helpers import forms_of, rewrite_zip


@pytest.fixture
def good(add):
    return add("good.xlsx", FormSpec(name="Đơn vị tốt"))


def _only(report, file):
    return [(f.where, f.code) for f in report.findings if f.file == file]


def test_decompression_bomb_is_refused_before_it_is_inflated(inputs, good, analysed):
    bomb = inputs / "bom.xlsx"
    with zipfile.ZipFile(bomb, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            zeros = b"\0" * (1 << 20)
            for _ in range(1024):  # 1 GiB that deflates to under 5 MB
                part.write(zeros)
    assert bomb.stat().st_size < 5 * 1024**2
    report = analysed()
    assert _only(report, "bom.xlsx") == [("", "zip-bomb")]
    assert len(forms_of(report)) == 1


def test_xml_entity_bomb_is_refused(inputs, good, analysed):
    src = inputs / "good.xlsx"
    laughs = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
              + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10) for i in range(1, 10))
              + b"]>")
    rewrite_zip(src, inputs / "laughs.xlsx", {"xl/sharedStrings.xml": lambda d: laughs + d.split(b"?>", 1)[1]})
    assert _only(analysed(), "laughs.xlsx") == [("", "xml-entity")]


def test_a_million_row_sheet_is_refused_unread(inputs, good, analysed):
    path = inputs / "trieu_dong.xlsx"
    shutil.copy(inputs / "good.xlsx", path)
    with zipfile.ZipFile(inputs / "good.xlsx") as zin, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            if item.filename == "xl/worksheets/sheet1.xml":
                with zout.open(item.filename, "w", force_zip64=True) as part:
                    part.write(b'<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                    for r in range(1, 1_000_001, 1000):
                        part.write(b"".join(b'<row r="%d"><c r="A%d"><v>1</v></c></row>' % (i, i) for i in range(r, r + 1000)))
                    part.write(b"</sheetData></worksheet>")
            else:
                zout.writestr(item, zin.read(item.filename))
    assert _only(analysed(), "trieu_dong.xlsx") == [("", "file-too-large")]


def test_huge_cells_and_thousands_of_columns_are_bounded(inputs, analysed, add):
    path = add("rong.xlsx", FormSpec(name="A" * 100_000))
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for c in range(1, 5000):
        ws.cell(40, c, c)
    wb.save(path)
    report = analysed()
    (name,) = forms_of(report)["name"]
    assert len(name) <= 2001 and name.endswith("…")


@pytest.mark.parametrize(
    ("content", "code"),
    [
        (b"", "not-a-spreadsheet"),
        (b"<html><table><tr><td>1</td></tr></table></html>", "wrong-file-type"),
        (b"%PDF-1.4 renamed", "wrong-file-type"),
        (b"PK\x03\x04\x14\x00\x00\x00truncated", "not-a-spreadsheet"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "file-unreadable"),
    ],
)
def test_broken_files_get_one_finding(inputs, good, analysed, content, code):
    (inputs / "x.xlsx").write_bytes(content)
    report = analysed()
    assert _only(report, "x.xlsx") == [("", code)]
    assert len(forms_of(report)) == 1


def test_truncated_workbook(inputs, good, analysed):
    data = (inputs / "good.xlsx").read_bytes()
    (inputs / "cut.xlsx").write_bytes(data[: len(data) // 2])
    assert [c for _, c in _only(analysed(), "cut.xlsx")] in (["not-a-spreadsheet"], ["file-unreadable"])


def test_empty_workbook(inputs, good, analysed):
    openpyxl.Workbook().save(inputs / "trong.xlsx")
    assert _only(analysed(), "trong.xlsx") == [("", "empty-workbook")]


def test_special_files_in_the_inputs_folder_are_not_opened(inputs, good):
    import os

    os.mkfifo(inputs / "pipe.xlsx")  # opening a FIFO would block the run forever
    files, skipped = discover(inputs)
    assert [f.rel for f in files] == ["good.xlsx"]
    assert "pipe.xlsx" in {s.rel for s in skipped}


def test_inputs_are_byte_identical_after_a_run(inputs, good, run_all):
    (inputs / "x.xlsx").write_bytes(b"garbage")
    before = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs.iterdir()}
    stamps = {p.name: p.stat().st_mtime_ns for p in inputs.iterdir()}
    run_all()
    assert {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in inputs.iterdir()} == before
    assert {p.name: p.stat().st_mtime_ns for p in inputs.iterdir()} == stamps


def test_a_reader_crash_or_hang_costs_one_file(inputs, rules):
    from pipeline.infra.workers import Failure, Limits, isolated_map

    results = dict(isolated_map(_misbehave, ["ok", "abort", "ok2", "hang", "ok3"], (), Limits(seconds_per_file=2, chunk=5)))
    assert results[0] == "ok" and results[2] == "ok2" and results[4] == "ok3"
    assert results[1] == Failure("crash") and results[3] == Failure("timeout")


def test_a_worker_that_replaces_a_crashed_one_gets_the_arguments_too():
    """Arguments go to a worker with its first chunk only; its replacement needs them again."""
    from pipeline.infra.workers import Failure, Limits, isolated_map

    items = ["a", "b", "abort", "c", "d", "e"]
    results = dict(isolated_map(_with_suffix, items, ("+x",), Limits(chunk=2, workers=1)))
    assert results == {0: "a+x", 1: "b+x", 2: Failure("crash"), 3: "c+x", 4: "d+x", 5: "e+x"}
    assert dict(isolated_map(_with_suffix, ["f", "g", "h"], ("+y",), Limits(chunk=1, workers=1))) == {
        0: "f+y", 1: "g+y", 2: "h+y"}  # a new call, new arguments, the same worker


def test_the_caller_hears_when_every_worker_has_its_first_task():
    """write_years gives back the memory that pickling the largest jobs took as soon as they are
    sent, before any result comes back."""
    from pipeline.infra.workers import Limits, isolated_map

    calls, results, seen_at_first_result = [], {}, None
    for index, result in isolated_map(_misbehave, ["a", "b", "c", "d"], (), Limits(chunk=1),
                                      started=lambda: calls.append(len(calls))):
        if seen_at_first_result is None:
            seen_at_first_result = list(calls)
        results[index] = result
    assert seen_at_first_result == [0] and calls == [0]  # once, before the first result
    assert results == {0: "a", 1: "b", 2: "c", 3: "d"}


def _with_suffix(item: str, suffix: str) -> str:
    return _misbehave(item) + suffix


def _misbehave(item: str) -> str:
    import os
    import time

    if item == "abort":
        os.abort()
    if item == "hang":
        time.sleep(60)
    if item == "slow":
        time.sleep(1.5)  # longer than the batch's limit, within its own
    return item


def test_a_long_lived_worker_frees_what_its_tasks_leave_in_cycles():
    """Workers run without automatic collection; garbage in reference cycles (openpyxl leaves
    some) must still be freed, or a long run ends in MemoryError under the worker's limit."""
    from pipeline.infra.workers import Limits, isolated_map

    limits = Limits(memory_bytes=300 * 1024**2, chunk=4, workers=1)
    results = dict(isolated_map(_leave_cycles, list(range(40)), (), limits))  # 40 x ~40 MB of cycles
    assert results == {i: i for i in range(40)}


def _leave_cycles(item: int) -> int:
    for _ in range(250_000):
        node: list = [b"x" * 100]
        node.append(node)
    return item


def test_workers_start_without_loading_the_stages(tmp_path):
    """Every worker imports the program's main module again (multiprocessing does, for the
    functions it may be sent). Under the `pipeline` command that is pipeline.cli: had it
    imported pandas and pandera, reading would start a second later."""
    import subprocess
    import sys

    (tmp_path / "probe.py").write_text(
        "import sys\n\ndef loaded(_):\n"
        "    return [m for m in ('pandas', 'pandera', 'openpyxl') if m in sys.modules]\n")
    (tmp_path / "command.py").write_text(  # what the installed `pipeline` script runs, and a probe
        "from pipeline.cli import main\nimport probe\nfrom pipeline.infra.workers import isolated_map\n"
        "if __name__ == '__main__':\n    print([r for _, r in isolated_map(probe.loaded, [0])])\n")
    done = subprocess.run([sys.executable, "command.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "[[]]", done.stderr


def test_read_workbook_never_raises_on_garbage(tmp_path, rules):
    from pipeline.stages.discover import InputFile

    path = tmp_path / "g.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(range(256)) * 8)
    result = read_workbook(InputFile.at(path, "g.xls", path.stat().st_size, 0.0), rules)
    assert [f.code for f in result.findings] == ["file-unreadable"]


def test_zip_directory_pointing_outside_the_file(inputs, good, analysed):
    """A central directory whose member starts past the end of the file: refused, not a crash."""
    data = bytearray((inputs / "good.xlsx").read_bytes())
    at = data.index(b"PK\x01\x02")  # the first member's directory entry
    data[at + 42:at + 46] = (len(data) + 1000).to_bytes(4, "little")  # its local header's offset
    (inputs / "lech.xlsx").write_bytes(bytes(data))
    assert _only(analysed(), "lech.xlsx") == [("", "not-a-spreadsheet")]
