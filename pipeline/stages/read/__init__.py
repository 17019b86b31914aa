"""Stage 2: read every form of every workbook into named records, each in a worker process.

The sub-modules follow one file through the stage: ``checks`` (its bytes, before any parse),
``sheets`` (the reader back-ends behind one function), ``grid`` (a sheet as text and values),
``form`` (finding the form by its labels), ``records`` (coerced values, then the frames) and
``transport`` (the read as JSON, for the workers and the parse cache).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable

from pipeline.core import encodings
from pipeline.core.findings import Finding, finding
from pipeline.core.review import REVIEW, REVIEW_DIR
from pipeline.core.rules import Rules
from pipeline.infra.workers import Failure, Limits, isolated_map
from pipeline.stages.discover import InputFile
from pipeline.stages.read.checks import checked_bytes, file_sha256
from pipeline.stages.read.form import Layout, ParsedForm, read_sheet
from pipeline.stages.read.grid import Grid, Sheet
from pipeline.stages.read.records import FormRecord, frames, record
from pipeline.stages.read.sheets import PasswordProtected, Unreadable, open_workbook, upper_font_cells
from pipeline.stages.read.transport import WorkbookRead, from_text, to_text

__all__ = ["FormRecord", "Progress", "WorkbookRead", "frames", "read_all", "read_each", "read_workbook", "staff_grids"]

log = logging.getLogger("pipeline")

REVIEW_KEY = REVIEW["key"]  # the review workbook's key heading, as a grid's text holds it

# Findings whose ``found`` is a library's own words: logged for staff, never shown to a unit.
TECHNICAL = ("file-unreadable", "not-a-spreadsheet")

_LAYOUTS: dict[str, Layout] = {}


def layout_for(rules: Rules) -> Layout:
    """One layout (and its caches of header texts) per rules file, kept for the worker's life."""
    if rules.sha256 not in _LAYOUTS:
        _LAYOUTS[rules.sha256] = Layout(rules)
    return _LAYOUTS[rules.sha256]


def _grid(sheet: Sheet, file: InputFile) -> Grid:
    grid = Grid(sheet.rows, sheet.merged)
    if grid.encoding == encodings.TCVN3:
        upper = upper_font_cells(file.path, sheet.name)
        if upper:
            grid = Grid(sheet.rows, sheet.merged, upper)
    return grid


def read_sheets(file: InputFile, sheets: list[Sheet], rules: Rules) -> WorkbookRead:
    """The forms of a workbook's sheets, or the one finding that says why there is none."""
    layout = layout_for(rules)
    out = WorkbookRead(file)
    any_data = review = False
    for sheet in sheets:
        grid = _grid(sheet, file)
        got = read_sheet(grid, sheet.name, file, layout)
        if isinstance(got, ParsedForm):
            out.forms.append(record(got, rules))
        elif got is not None:
            out.findings.append(got)
        else:
            any_data = any_data or grid.has_data()
            review = review or any(REVIEW_KEY in row for row in grid.texts)
    if not out.forms and not out.findings:
        if review:
            # The staff's own review workbook saved among the units' files: said so, no letter.
            out.findings.append(finding("review-misplaced", file.rel, expected=f"inputs/{REVIEW_DIR}/"))
        elif any_data:
            out.findings.append(finding("no-form-found", file.rel, expected=layout.header_names))
        else:
            out.findings.append(finding("empty-workbook", file.rel))
    return out


def read_workbook(file: InputFile, rules: Rules) -> WorkbookRead:
    """All forms of one workbook, or the one finding that says why it gave none; with its hash.

    The file is read once: its bytes give the hash, the pre-checks and the parse.
    """
    data, refused = checked_bytes(file)
    if refused:
        result = WorkbookRead(file, findings=[refused])
    else:
        try:
            result = read_sheets(file, open_workbook(file.path, data), rules)
        except PasswordProtected:
            result = WorkbookRead(file, findings=[finding("password-protected", file.rel)])
        except Unreadable as exc:
            # The reader's own words are for the log, not for the unit (see read_all).
            result = WorkbookRead(file, findings=[finding("file-unreadable", file.rel, found=exc.detail)])
    if data is not None:
        result.sha256 = hashlib.sha256(data).hexdigest()
    elif refused.code != "file-inaccessible":  # too large to read whole: hashed in blocks
        result.sha256 = file_sha256(file.path)
    return result


def staff_grids(file: InputFile) -> tuple[list[tuple[str, Grid]], Finding | None]:
    """The sheets of a staff's own workbook (a register, a review workbook) as grids, or the
    finding that refused its bytes. A workbook no reader opens gives no sheet: the caller says
    what it did not find there."""
    data, refused = checked_bytes(file)
    if refused:
        return [], refused
    try:
        sheets = open_workbook(file.path, data)
    except (PasswordProtected, Unreadable):
        return [], None
    return [(sheet.name, Grid(sheet.rows, sheet.merged)) for sheet in sheets], None


def read_each(func: Callable, files: list[InputFile], args: tuple, empty: Callable[[InputFile], object]) -> list:
    """``func(file, *args)`` for every staff workbook, each in a worker; where a worker crashed,
    ``empty(file)`` with the finding ``reader-crashed``."""
    out = [empty(f) for f in files]
    if not files:
        return out
    for i, result in isolated_map(func, files, args):
        if isinstance(result, Failure):
            out[i].findings.append(finding("reader-crashed", files[i].rel))
        else:
            out[i] = result
    return out


def _read_in_worker(file: InputFile, rules: Rules) -> tuple[str, str]:
    """read_workbook's result as text and its hash: the parent decodes it once and keeps the
    very text in the parse cache. The file is not sent back: the parent has it."""
    result = read_workbook(file, rules)
    return to_text(result), result.sha256


Progress = Callable[[int, int, int], None]  # (files done, files in all, forms found so far)


def _failed(file: InputFile, failure: Failure, limits: Limits) -> WorkbookRead:
    """The finding for a file whose worker came back without a result. Never cached: a crash or
    a time-out may be this run's (the machine's memory, its load), so the next run reads again."""
    if failure.reason == "error":
        log.error("Program error while reading %s:\n%s", file.rel, failure.trace or failure.detail)
        return WorkbookRead(file, findings=[finding("program-error", file.rel)])
    code = "reader-timeout" if failure.reason == "timeout" else "reader-crashed"
    return WorkbookRead(file, findings=[finding(code, file.rel, expected=f"{limits.seconds_per_file:g}")])


def read_all(files: list[InputFile], rules: Rules, limits: Limits | None = None,
             progress: Progress | None = None, cache=None) -> list[WorkbookRead]:
    """Every workbook, each read in a worker process; a crash or a hang costs only its file.

    With a ``cache`` (pipeline.state.cache.ParseCache), unchanged files are taken from it unparsed.
    """
    results: list[WorkbookRead | None] = [None] * len(files)
    strings: dict[str, str] = {}
    limits = limits or Limits()
    done = forms = 0
    todo = []
    for i, f in enumerate(files):
        cached = cache.get(f, strings) if cache is not None else None
        if cached is None:
            todo.append(i)
            continue
        cached.from_cache = True
        results[i] = cached
        done += 1
        forms += len(cached.forms)
        if progress is not None:
            progress(done, len(files), forms)
    for j, result in isolated_map(_read_in_worker, [files[i] for i in todo], (rules,), limits):
        file = files[todo[j]]
        if isinstance(result, Failure):
            read = _failed(file, result, limits)
        else:
            text, sha256 = result
            read = from_text(file, text, sha256, strings)
            for f in read.findings:
                if f.code in TECHNICAL:
                    log.warning("%s: %s (%s)", file.rel, f.code, f.found)
            if cache is not None:
                cache.put(read, text)
        results[todo[j]] = read
        done += 1
        forms += len(read.forms)
        if progress is not None:
            progress(done, len(files), forms)
    return results  # type: ignore[return-value]
