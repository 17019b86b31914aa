"""The robustness corpus: 150 real files from other projects' test suites, none of them a form.

Every file either yields forms, "no form found", or a clear refusal — never a traceback, and
never the end of the run. Where any of python-calamine, openpyxl or xlrd can read a file, the
pipeline reads it (so it may say "no form", never "unreadable").
"""

from __future__ import annotations

import csv

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.run import analyse

from .helpers import ROOT

CORPUS = ROOT.parent / "shared" / "corpus" / "excel"
pytestmark = pytest.mark.skipif(not (CORPUS / "EXPECT.tsv").exists(), reason="shared corpus not beside the project")

READ = {"no-form-found", "empty-workbook"}
REFUSED = {"password-protected", "not-a-spreadsheet", "wrong-file-type", "file-unreadable", "reader-crashed", "reader-timeout",
           "zip-bomb", "xml-entity", "file-too-large"}


@pytest.fixture(scope="module")
def expect():
    with (CORPUS / "EXPECT.tsv").open(encoding="utf-8") as fh:
        return {row["path"]: row for row in csv.DictReader(fh, delimiter="\t")}


@pytest.fixture(scope="module")
def report(rules):
    return analyse(CORPUS, rules)


def _by_file(report):
    out = {}
    for f in report.findings:
        out.setdefault(f.file, []).append(f)
    return out


def test_every_file_is_read_or_clearly_refused(report, expect):
    by_file = _by_file(report)
    skipped = {s.rel for s in report.skipped}
    for path in expect:
        assert path in by_file or path in skipped, path
        for f in by_file.get(path, []):
            assert f.code in READ | REFUSED, (path, f.code)
            assert "Traceback" not in f.message and f.message.strip()


def test_what_any_reader_can_read_the_pipeline_reads(report, expect):
    by_file = _by_file(report)
    readable = [p for p, row in expect.items()
                if any(row[r].startswith("ok") for r in ("calamine", "openpyxl", "xlrd", "openpyxl_readonly"))]
    assert len(readable) > 100
    for path in readable:
        codes = {f.code for f in by_file.get(path, [])}
        assert codes <= READ, (path, codes)


def test_encrypted_files_are_asked_for_again_without_a_password(report, expect):
    by_file = _by_file(report)
    encrypted = [p for p, row in expect.items() if "PasswordError" in row["calamine"]]
    assert len(encrypted) >= 10
    for path in encrypted:
        assert [f.code for f in by_file[path]] == ["password-protected"], path


def test_files_that_abort_the_reader_cost_only_themselves(report):
    by_file = _by_file(report)
    for path in ("ExcelDataReader/Test_git_issue_382_oom.xls", "PhpSpreadsheet/oleloop.xls"):
        assert [f.code for f in by_file[path]] == ["reader-crashed"], path


def test_whole_corpus_through_one_cli_run(tmp_path):
    out = tmp_path / "outputs"
    result = CliRunner().invoke(main, ["run", "--inputs", str(CORPUS), "--outputs", str(out), "--year", "2024"])
    assert result.exit_code == 0, result.output
    with (out / "2024" / "loi.csv").open(encoding="utf-8-sig") as fh:
        rows = list(csv.DictReader(fh))
    assert len({r["file"] for r in rows}) >= 140
