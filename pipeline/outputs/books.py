"""Stage 7: every output of a run, per year, in ``outputs/<year>/``.

The feedback letters first (a letter that cannot be built becomes a finding on its file), then
the consolidated workbook, one workbook per group and the two CSV files. Every workbook is built
in a worker process, one per task; every file is written beside its final place and moved in
when complete.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

from pipeline.core.errors import OutputError
from pipeline.core.findings import Finding, finding, in_order
from pipeline.core.rules import Rules
from pipeline.core.text import slug
from pipeline.infra.files import atomic_write
from pipeline.infra.memory import long_lived_objects, return_freed_memory
from pipeline.infra.workers import Failure, Limits, isolated_map
from pipeline.outputs import feedback
from pipeline.outputs.csvs import write_csvs
from pipeline.outputs.document import Book
from pipeline.outputs.lists import (
    by_name_sheet,
    changes_sheet,
    missing_sheet,
    registers_sheet,
    rejected_sheet,
    skipped_sheet,
    warnings_sheet,
)
from pipeline.outputs.overview import overview_sheet
from pipeline.outputs.papers import write_papers
from pipeline.outputs.paths import (
    consolidated_workbook,
    feedback_folder,
    group_workbook,
    review_workbook,
    year_folder,
)
from pipeline.outputs.record import records
from pipeline.outputs.reviewbook import write_review
from pipeline.outputs.tables import awards_sheet, ineligible_sheet, ranked_sheet, summary_sheet
from pipeline.outputs.words import LABELS
from pipeline.stages.aggregate import YearResult, summarise
from pipeline.stages.discover import REGISTER_DIRS

log = logging.getLogger("pipeline")

NOT_THE_UNITS = ("file-inaccessible", "program-error", "letter-failed", "review-misplaced")


def is_register(f: Finding) -> bool:
    """A finding in the staff's own files (inputs/lich_su, inputs/danh_sach, inputs/xet_khen_thuong),
    not a unit's file."""
    return f.file.split("/", 1)[0] in REGISTER_DIRS or f.code == "review-misplaced"


def _footer(result: YearResult, today: dt.date) -> str:
    files = result.files_read or result.forms.file.nunique()
    return LABELS["footer"].format(date=today.strftime("%d/%m/%Y"), n=files)


def _feedback_jobs(result: YearResult, sources: dict[str, Path], folder: Path, rules: Rules,
                   today: dt.date) -> list[feedback.Job]:
    """A phiếu phản hồi per rejected file (the registers excepted), in ``<year>/phan_hoi/``."""
    names: dict[str, list[str]] = {}
    for file, name in zip(result.forms.file.tolist(), result.forms["name"].tolist(), strict=True):
        if name and name not in names.setdefault(file, []):
            names[file].append(name)
    by_file: dict[str, list[Finding]] = {}
    for f in in_order(result.findings):
        if not is_register(f) and f.file in sources:
            by_file.setdefault(f.file, []).append(f)
    # A file the staff's own machine could not open, or this program failed on, is no unit's fault.
    by_file = {rel: found for rel, found in by_file.items() if any(f.code not in NOT_THE_UNITS for f in found)}
    jobs, taken = [], set()
    for rel, findings in by_file.items():
        name = slug(rel.rsplit(".", 1)[0], limit=80)
        while name in taken:
            name += "_"
        taken.add(name)
        jobs.append(feedback.Job(sources[rel], rel, tuple(findings), feedback_folder(folder) / f"{name}.xlsx",
                                 rules.document, today, ", ".join(names.get(rel, []))))
    return jobs


@dataclass(frozen=True)
class BookJob:
    """One output workbook to build in a worker process: the consolidated one, or a group's."""

    path: Path
    group: str | None  # None: the consolidated workbook (or the review workbook)
    result: YearResult
    records: list
    rules: Rules
    today: dt.date
    footer: str
    review: bool = False  # the review workbook staff fill in


def _review(job: BookJob, path: Path) -> None:
    book = Book(path, job.rules.document, job.today, large=len(job.records) > Book.LARGE, footer=job.footer)
    write_review(book, job.records, job.rules, job.result.year, job.result.meetings)
    book.close()


def _consolidated(job: BookJob, path: Path) -> None:
    result, forms, rules = job.result, job.records, job.rules
    movement = rules.movement.upper()
    title = LABELS["title"].format(movement=movement, year=result.year)
    book = Book(path, rules.document, job.today, large=len(forms) > Book.LARGE, footer=job.footer)
    overview_sheet(book, result, forms, rules)
    summary_sheet(book, result, result.summary, rules, title)
    for g in [g for g in rules.groups if any(r.group == g for r in forms)]:
        ranked_sheet(book, g, forms, rules, LABELS["title_group"].format(movement=movement, year=result.year, group=g))
    awards_sheet(book, forms, rules, title)
    ineligible_sheet(book, forms, rules, title)
    rejected_sheet(book, [f for f in result.findings if not is_register(f)], title)
    warnings_sheet(book, result.warnings, title)
    changes_sheet(book, result, rules, title)
    if result.not_submitted is not None:
        missing_sheet(book, result, rules, title)
    by_name_sheet(book, forms, rules, title)
    registers = [f for f in result.findings if is_register(f)]
    if registers:
        registers_sheet(book, registers, title)
    skipped_sheet(book, result.skipped, title)
    book.close()


def _group_book(job: BookJob, path: Path) -> None:
    result, forms, rules, g = job.result, job.records, job.rules, job.group
    title = LABELS["title_group"].format(movement=rules.movement.upper(), year=result.year, group=g)
    book = Book(path, rules.document, job.today, large=len(forms) > Book.LARGE, footer=job.footer)
    summary_sheet(book, result, result.summary, rules, title)
    ranked_sheet(book, g, forms, rules, title)
    awards_sheet(book, forms, rules, title)
    ineligible_sheet(book, forms, rules, title)
    rejected_sheet(book, result.findings, title)
    if result.not_submitted is not None:
        missing_sheet(book, result, rules, title)
    warnings_sheet(book, result.warnings, title)
    book.close()


def build_book(job: BookJob) -> str:
    """Build one workbook (in a worker: xlsxwriter is pure Python, two cores write twice as fast)."""
    build = _review if job.review else _consolidated if job.group is None else _group_book
    with long_lived_objects(collect=False):
        atomic_write(job.path, lambda path: build(job, path))
    return str(job.path)


def _group_jobs(folder: Path, result: YearResult, records: list, rules: Rules, today: dt.date,
                footer: str) -> list[BookJob]:
    """Each group's workbook job with only that group's records, findings, units still missing and
    summary: each job is pickled to a worker, and the whole year sent once per group cost more
    than writing the workbook. Workbooks are built from records; the forms frame is not sent."""
    group_of = {(r.file, r.sheet): r.group for r in records}
    parts: dict[str, tuple[list, list, list]] = {g: ([], [], []) for g in rules.groups}
    for r in records:
        parts.setdefault(r.group, ([], [], []))[0].append(r)
    for i, found in ((1, result.findings), (2, result.warnings)):
        for f in found:
            g = group_of.get((f.file, f.sheet))
            if g in parts:
                parts[g][i].append(f)
    jobs = []
    for g in rules.groups:
        forms, findings, warnings = parts[g]
        missing = None if result.not_submitted is None else result.not_submitted[result.not_submitted.group == g]
        if not forms and (missing is None or missing.empty):
            continue
        part = replace(
            result, forms=result.forms.iloc[:0], not_submitted=missing, changes=None, skipped=[],
            summary=summarise(result.forms[result.forms.group == g], rules, groups=[g], missing=missing),
            findings=findings, warnings=warnings,
        )
        jobs.append(BookJob(group_workbook(folder, g, result.year), g, part, forms, rules, today, footer))
    return jobs


# A summary workbook is built from checked data; at 100 000 forms it takes a while. (A letter
# opens an untrusted file again: it keeps the reader's time limit, Limits' default.)
_BOOK_SECONDS = 3600.0


def _letters(results: list[YearResult], sources: dict[str, Path], outputs: Path, rules: Rules,
             today: dt.date) -> list[Path]:
    """Every feedback letter of every year. One that cannot be built is a finding on its file."""
    written = []
    for result in results:
        jobs = _feedback_jobs(result, sources, year_folder(outputs, result.year), rules, today)
        for index, done in isolated_map(feedback.build, jobs, (), Limits(chunk=1)):
            if isinstance(done, str):
                written.append(Path(done))
                continue
            job = jobs[index]
            log.error("Feedback letter for %s not built (%s):\n%s", job.rel, done.reason, done.trace or done.detail)
            result.findings.append(finding("letter-failed", job.rel))
    return written


def write_years(results: list[YearResult], outputs: Path, rules: Rules, today: dt.date | None = None,
                sources: dict[str, Path] | None = None) -> list[Path]:
    """Every output of every year, in ``outputs/<year>/``; returns the paths written.

    ``sources``: each input's path by the name the findings give it, for the feedback letters.

    A thread writes the Word drafts from the start (they need no finding), while the workers
    build the letters: a letter that fails is a finding, reported everywhere else. Then every
    workbook, of every year, goes to the workers in one batch, the largest first, while the
    thread writes the CSV files.
    """
    today = today or dt.date.today()
    try:
        years = [(result, year_folder(outputs, result.year), records(result.forms)) for result in results]
        for _, folder, _ in years:
            folder.mkdir(parents=True, exist_ok=True)
        with ThreadPoolExecutor(max_workers=1) as side:
            drafts = side.submit(lambda: [p for result, folder, forms in years
                                          for p in write_papers(result, folder, forms, rules, today)])
            letters = _letters(results, sources, outputs, rules, today) if sources else []
            books = _book_jobs(years, rules, today)
            csvs = side.submit(_csvs, years)
            for index, done in isolated_map(build_book, books, (), Limits(chunk=1, seconds_per_file=_BOOK_SECONDS),
                                            started=return_freed_memory):
                if isinstance(done, Failure):
                    raise OutputError(code="output-failed", path=books[index].path, reason=done.detail or done.reason)
            written = drafts.result() + csvs.result()
    except OSError as exc:
        raise OutputError(path=outputs, reason=exc.strerror or exc) from exc
    return sorted(letters) + written + [job.path for job in books]


def _book_jobs(years: list[tuple[YearResult, Path, list]], rules: Rules, today: dt.date) -> list[BookJob]:
    """Every year's workbooks, the largest first (stable: a year's consolidated workbook first)."""
    books = []
    for result, folder, forms in years:
        footer = _footer(result, today)
        whole = replace(result, forms=result.forms.iloc[:0])  # built from records (see _group_jobs)
        # The review workbook needs neither the reasons nor the ranked scores: each record is sent
        # to its worker lighter (at 100 000 forms, two workers hold every record at once).
        current = [r._replace(reasons=(), note=None, decision_note=None, scores=())
                   for r in forms if not r.rejected and not r.superseded]
        books += [BookJob(consolidated_workbook(folder, result.year), None, whole, forms, rules, today, footer),
                  *_group_jobs(folder, result, forms, rules, today, footer),
                  BookJob(review_workbook(folder, result.year), None, whole, current, rules, today, footer,
                          review=True)]
    books.sort(key=lambda job: -len(job.records))
    return books


def _csvs(years: list[tuple[YearResult, Path, list]]) -> list[Path]:
    written = []
    for result, folder, forms in years:
        write_csvs(result, folder, forms)
        written += [folder / "ket_qua.csv", folder / "loi.csv"]
    return_freed_memory()
    return written


__all__ = ["BookJob", "build_book", "is_register", "write_years"]
