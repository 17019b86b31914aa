"""Stage 7: every output of a run, per year, in ``outputs/<year>/``.

The consolidated workbook, one workbook per group, the two CSV files and a feedback letter per
rejected file. Every workbook is built in a worker process, one per task; every file is written
beside its final place and moved in when complete.
"""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core.errors import OutputError
from pipeline.core.findings import Finding, in_order
from pipeline.core.rules import Rules
from pipeline.core.text import slug
from pipeline.infra.files import atomic_write
from pipeline.infra.memory import return_freed_memory
from pipeline.infra.workers import Failure, Limits, isolated_map
from pipeline.outputs import feedback
from pipeline.outputs.csvs import write_csvs
from pipeline.outputs.document import Book
from pipeline.outputs.lists import (
    by_name_sheet,
    changes_sheet,
    missing_sheet,
    rejected_sheet,
    skipped_sheet,
    warnings_sheet,
)
from pipeline.outputs.overview import overview_sheet
from pipeline.outputs.paths import consolidated_workbook, feedback_folder, group_workbook, year_folder
from pipeline.outputs.record import records
from pipeline.outputs.tables import awards_sheet, ineligible_sheet, ranked_sheet, summary_sheet
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult, summarise


def _subtitle(rules: Rules, result: YearResult, today: dt.date) -> str:
    files = result.files_read or result.forms.file.nunique()
    return LABELS["subtitle"].format(province=rules.province, date=today.strftime("%d/%m/%Y"), n=files)


def _feedback_jobs(result: YearResult, inputs: Path, folder: Path) -> list[feedback.Job]:
    """A phiếu phản hồi per rejected file, in ``<year>/phan_hoi/``."""
    by_file: dict[str, list[Finding]] = {}
    for f in in_order(result.findings):
        by_file.setdefault(f.file, []).append(f)
    jobs, names = [], set()
    for rel, findings in by_file.items():
        name = slug(rel.rsplit(".", 1)[0], limit=80)
        while name in names:
            name += "_"
        names.add(name)
        jobs.append(feedback.Job(inputs / rel, rel, tuple(findings), feedback_folder(folder) / f"{name}.xlsx"))
    return jobs


@dataclass(frozen=True)
class BookJob:
    """One output workbook to build in a worker process: the consolidated one, or a group's."""

    path: Path
    group: str | None  # None: the consolidated workbook
    result: YearResult
    records: list
    rules: Rules
    today: dt.date
    subtitle: str


def build_book(job: BookJob) -> str:
    """Build one workbook (in a worker: xlsxwriter is pure Python, two cores write twice as fast)."""
    result, records, rules, subtitle = job.result, job.records, job.rules, job.subtitle
    movement = rules.movement.upper()
    if job.group is None:
        title = LABELS["title"].format(movement=movement, year=result.year)
        groups_present = [g for g in rules.groups if any(r.group == g for r in records)]

        def consolidated(path: Path) -> None:
            book = Book(path, rules, job.today, large=len(records) > Book.LARGE)
            overview_sheet(book, result, records, rules, subtitle)
            summary_sheet(book, result, result.summary, rules, title, subtitle)
            for g in groups_present:
                gt = LABELS["title_group"].format(movement=movement, year=result.year, group=g)
                ranked_sheet(book, g, records, rules, gt, subtitle)
            awards_sheet(book, records, rules, title, subtitle)
            ineligible_sheet(book, records, rules, title, subtitle)
            rejected_sheet(book, result.findings, title, subtitle)
            warnings_sheet(book, result.warnings, title, subtitle)
            changes_sheet(book, result, rules, title, subtitle)
            if result.not_submitted is not None:
                missing_sheet(book, result, rules, title, subtitle)
            by_name_sheet(book, records, rules, title)
            skipped_sheet(book, result.skipped, title, subtitle)
            book.close()

        atomic_write(job.path, consolidated)
        return str(job.path)

    g = job.group
    forms = records  # a group's job holds that group's part of the year only (see _group_jobs)
    gt = LABELS["title_group"].format(movement=movement, year=result.year, group=g)

    def group_book(path: Path) -> None:
        book = Book(path, rules, job.today, large=len(records) > Book.LARGE)
        summary_sheet(book, result, result.summary, rules, gt, subtitle)
        ranked_sheet(book, g, forms, rules, gt, subtitle)
        awards_sheet(book, forms, rules, gt, subtitle)
        ineligible_sheet(book, forms, rules, gt, subtitle)
        rejected_sheet(book, result.findings, gt, subtitle)
        warnings_sheet(book, result.warnings, gt, subtitle)
        book.close()

    atomic_write(job.path, group_book)
    return str(job.path)


def _group_jobs(folder: Path, result: YearResult, records: list, rules: Rules, today: dt.date,
                subtitle: str) -> list[BookJob]:
    """Each group's workbook job with only that group's records, findings and summary: each job
    is pickled to a worker, and the whole year sent once per group cost more than writing the
    workbook. Workbooks are built from records; the forms frame is not sent at all."""
    group_of = {(r.file, r.sheet): r.group for r in records}
    parts: dict[str, tuple[list, list, list]] = {}
    for r in records:
        parts.setdefault(r.group, ([], [], []))[0].append(r)
    for i, found in ((1, result.findings), (2, result.warnings)):
        for f in found:
            g = group_of.get((f.file, f.sheet))
            if g in parts:
                parts[g][i].append(f)
    jobs = []
    for g in rules.groups:
        if g not in parts:
            continue
        forms, findings, warnings = parts[g]
        missing = None if result.not_submitted is None else result.not_submitted[result.not_submitted.group == g]
        part = replace(
            result, forms=result.forms.iloc[:0], not_submitted=missing, changes=None, skipped=[],
            summary=summarise(result.forms[result.forms.group == g], rules, groups=[g], missing=missing),
            findings=findings, warnings=warnings,
        )
        jobs.append(BookJob(group_workbook(folder, g, result.year), g, part, forms, rules, today,
                             subtitle))
    return jobs


def _build(job: BookJob | feedback.Job) -> str:
    """Build one output workbook in a worker: a summary workbook, or a unit's feedback workbook."""
    return feedback.build(job) if isinstance(job, feedback.Job) else build_book(job)


# A feedback workbook opens an untrusted file again: it gets the reader's time limit. A summary
# workbook is built from checked data; at 100 000 forms it takes a while.
_FEEDBACK_SECONDS = Limits().seconds_per_file
_BOOK_SECONDS = 3600.0


def _seconds(job: BookJob | feedback.Job) -> float:
    return _FEEDBACK_SECONDS if isinstance(job, feedback.Job) else _BOOK_SECONDS


def write_years(results: list[YearResult], outputs: Path, rules: Rules, today: dt.date | None = None,
                inputs: Path | None = None) -> list[Path]:
    """Every output of every year, in ``outputs/<year>/``; returns the paths written.

    Every workbook, of every year, goes to the workers in one batch: the summary workbooks
    largest first, so that a year with a handful of late forms is built beside the main year's
    workbooks, not before them; then the feedback workbooks, which are small.
    """
    today = today or dt.date.today()
    written: list[Path] = []
    try:
        books, csvs = [], []
        for result in results:
            folder = year_folder(outputs, result.year)
            folder.mkdir(parents=True, exist_ok=True)
            forms = records(result.forms)
            subtitle = _subtitle(rules, result, today)
            whole = replace(result, forms=result.forms.iloc[:0])  # built from records (see _group_jobs)
            books += [BookJob(consolidated_workbook(folder, result.year), None, whole, forms, rules, today, subtitle),
                      *_group_jobs(folder, result, forms, rules, today, subtitle)]
            csvs.append((result, folder, forms))
            written += [folder / "ket_qua.csv", folder / "loi.csv"]
        # The sort is stable: a year's consolidated workbook goes before its groups'.
        books.sort(key=lambda job: -len(job.records))
        notes = [j for r in results for j in _feedback_jobs(r, inputs, year_folder(outputs, r.year))] if inputs is not None else []
        jobs: list[BookJob | feedback.Job] = [*books, *notes]
        feedback_written = []
        # The CSVs are written by a thread while the workers build the workbooks, which leaves
        # this thread nothing to do but wait for them. One workbook per task, handed out as
        # workers free up.
        def csv_files() -> None:
            for c in csvs:
                write_csvs(*c)
            return_freed_memory()

        with ThreadPoolExecutor(max_workers=1) as side:
            done_csvs = side.submit(csv_files)
            # What pickling the largest jobs for the workers took is given back as soon as they
            # are sent, and what the CSVs took once they are written: at 100 000 forms, the main
            # process otherwise held 120 MB more while the workers built the largest workbooks.
            for index, done in isolated_map(_build, jobs, (), Limits(chunk=1), seconds=_seconds,
                                            started=return_freed_memory):
                job = jobs[index]
                if isinstance(job, BookJob):
                    if isinstance(done, Failure):
                        raise OutputError(code="output-failed", path=job.path, reason=done.detail or done.reason)
                elif isinstance(done, str):
                    feedback_written.append(Path(done))
                elif done.reason == "error":
                    raise OutputError(code="output-failed", path=job.target, reason=done.detail)
                # A file that crashes or hangs the reader a second time still has its findings in
                # loi.csv and in the consolidated workbook; it gets no feedback workbook.
            done_csvs.result()
        written = sorted(feedback_written) + written + [job.path for job in books]
    except OSError as exc:
        raise OutputError(path=outputs, reason=exc.strerror or exc) from exc
    return written
