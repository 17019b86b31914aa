"""Legacy .xls, macro-enabled .xlsm and LibreOffice .ods forms read like .xlsx ones."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile

import pandas as pd
import pytest
import python_calamine as pc
import xlwt

from pipeline.outputs.templates import FormSpec

from .helpers import ROOT, codes, forms_of, rewrite_zip

BROKEN = FormSpec(name="UBND xã Vạn Hưng", unit_code="VH-01", scores=[16, 15, None, 15, 15, 15, 10], date="20/08/2024")


def _grid(path):
    wb = pc.CalamineWorkbook.from_path(str(path))
    return wb.get_sheet_by_index(0).to_python(skip_empty_area=False)


def _write_xls(grid, path):
    book = xlwt.Workbook(encoding="utf-8")
    ws = book.add_sheet("Sheet1")
    for r, row in enumerate(grid):
        for c, v in enumerate(row):
            if isinstance(v, dt.date):
                ws.write(r, c, v, xlwt.easyxf(num_format_str="DD/MM/YYYY"))
            elif v != "":
                ws.write(r, c, v)
    book.save(str(path))


def _outcome(report):
    f = forms_of(report).iloc[0]
    return (f["name"], f.unit_code, f.group, f.kind, f.year, f.date, f.scores, codes(report))


def test_xls_form_reads_like_xlsx(add, inputs, analysed):
    src = add("goc.xlsx", BROKEN)
    expected = _outcome(analysed())
    _write_xls(_grid(src), inputs / "cu.xls")
    src.unlink()
    assert _outcome(analysed()) == expected
    assert ("Sheet1!D16", "score-above-max") in expected[-1] and ("Sheet1!D18", "score-empty") in expected[-1]


def test_ods_form_reads_like_xlsx(add, inputs, analysed):
    src = add("goc.xlsx", BROKEN)
    expected = _outcome(analysed())
    grid = [[None if v == "" else v for v in row] for row in _grid(src)]
    with pd.ExcelWriter(inputs / "lo.ods", engine="odf") as writer:
        pd.DataFrame(grid).to_excel(writer, sheet_name="Sheet1", header=False, index=False)
    src.unlink()
    assert _outcome(analysed()) == expected


def test_xlsm_form_is_read_and_its_macros_never_run(add, inputs, analysed):
    src = add("goc.xlsx", BROKEN)
    expected = _outcome(analysed())
    target = inputs / "macro.xlsm"
    rewrite_zip(src, target, {"[Content_Types].xml": lambda d: d.replace(
        b"spreadsheetml.sheet.main+xml", b"sheet.macroEnabled.main+xml")})
    with zipfile.ZipFile(target, "a") as z:
        z.writestr("xl/vbaProject.bin", b"Attribute VB_Name = \"Auto_Open\"\nShell \"calc.exe\"")
    src.unlink()
    assert _outcome(analysed()) == expected


def test_dates_in_the_1904_system(add, inputs, analysed):
    src = add("a.xlsx", FormSpec(date=dt.date(2024, 8, 20)))
    def to_1904(data: bytes) -> bytes:
        # The same day as a 1904-system serial: 1462 days fewer than in the 1900 system.
        assert b"<v>45524</v>" in data
        return data.replace(b"<v>45524</v>", b"<v>44062</v>")

    rewrite_zip(src, inputs / "mac.xlsx", {
        "xl/workbook.xml": lambda d: d.replace(b"<workbookPr", b'<workbookPr date1904="1"'),
        "xl/worksheets/sheet1.xml": to_1904,
    })
    src.unlink()
    assert forms_of(analysed()).iloc[0].date == dt.date(2024, 8, 20)


def test_legacy_biff4_xls_is_read_by_the_fallback_reader(inputs, analysed):
    biff4 = ROOT.parent / "shared" / "corpus" / "excel" / "xlrd" / "biff4_no_format_no_window2.xls"
    if not biff4.exists():
        pytest.skip("shared corpus not beside the project")
    shutil.copy(biff4, inputs / "biff4.xls")
    # python-calamine refuses BIFF4; xlrd reads it, so the pipeline reads it (and finds no form).
    assert [f.code for f in analysed().findings] == ["no-form-found"]
