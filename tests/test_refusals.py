"""A file that is not what its name says is refused naming what it is; an empty inputs folder or a
year without forms stops with a message, writing nothing."""

from __future__ import annotations

import zipfile

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.outputs.templates import FormSpec

from .helpers import codes

DOCX_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
              '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
              'wordprocessingml.document.main+xml"/></Types>')


def _zip(path, members: dict[str, str]) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, text in members.items():
            zf.writestr(name, text)


def _ole(path, stream: str) -> None:
    """The first bytes of an OLE compound file naming ``stream`` in its directory (as Word's .doc does)."""
    path.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504 + stream.encode("utf-16-le") + b"\0" * 64)


@pytest.mark.parametrize(("make", "found"), [
    (lambda p: _zip(p, {"[Content_Types].xml": DOCX_TYPES, "word/document.xml": "<w:document/>"}), "văn bản Word"),
    (lambda p: _ole(p, "WordDocument"), "văn bản Word"),
    (lambda p: p.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), "tài liệu PDF"),
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 32), "tệp ảnh"),
    (lambda p: p.write_bytes(b"\xff\xd8\xff\xe0" + b"\0" * 32), "tệp ảnh"),
    (lambda p: p.write_bytes("<!DOCTYPE html><html><body><table><tr><td>Điểm</td></tr></table>".encode()),
     "trang web (HTML)"),
    (lambda p: p.write_bytes("STT;Tiêu chí;Điểm chuẩn;Điểm tự chấm\n1;Nắm vững;15;14\n".encode()), "tệp văn bản CSV"),
    (lambda p: _zip(p, {"bang_cham_diem.xlsx": "x", "minh_chung.pdf": "y"}), "tệp nén chứa các tệp khác"),
])
def test_a_file_under_a_spreadsheets_name_is_refused_naming_what_it_is(inputs, analysed, make, found):
    make(inputs / "ho_so.xlsx")
    report = analysed()
    assert codes(report) == [("", "wrong-file-type")]
    (f,) = report.findings
    assert found in f.message and "(.xlsx)" in f.message
    assert "Error" not in f.message and "zip" not in f.message.casefold()


def test_an_empty_inputs_folder_writes_nothing_and_says_so(inputs, tmp_path):
    (inputs / "minh_chung.pdf").write_bytes(b"%PDF-1.4")
    out = tmp_path / "outputs"
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out)])
    assert result.exit_code == 1
    assert "không có tệp bảng tính nào" in result.output and "không ghi gì" in result.output
    assert not [p for p in out.iterdir() if p.is_dir() or p.suffix == ".sqlite"]  # no year folder, no ledger


def test_a_year_no_form_carries_writes_nothing_and_says_so(add, inputs, tmp_path):
    add("a.xlsx", FormSpec())
    out = tmp_path / "outputs"
    result = CliRunner().invoke(main, ["run", "--inputs", str(inputs), "--outputs", str(out), "--year", "2025"])
    assert result.exit_code == 1
    assert "Không có biểu mẫu nào của năm 2025" in result.output and "2024" in result.output
    assert not [p for p in out.iterdir() if p.is_dir() or p.suffix == ".sqlite"]


def test_click_speaks_vietnamese(tmp_path):
    runner = CliRunner()
    for args, words in ((["--help"], ["Cách dùng:", "Tùy chọn", "Lệnh"]),
                        (["run", "--year", "năm nay"], ["Lỗi:", "không phải là một năm"]),
                        (["run", "--khong-co"], ["Không có tùy chọn"]),
                        (["khong-co"], ["Không có lệnh"]),
                        (["check"], ["Thiếu đối số"])):
        result = runner.invoke(main, args)
        text = result.output
        assert all(w in text for w in words), (args, text)
        assert not any(w in text for w in ("Usage:", "Options:", "Error:", "Invalid value", "Show this")), (args, text)
