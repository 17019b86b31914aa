"""The monthly run as one call: discover → read → validate → score → rank → aggregate → write.

This is the library's entry point; the CLI is a thin layer over it. ``run`` writes every output
of a run, and the ledger, into a hidden staging folder inside the output folder, and makes them
current all at once when everything has been written (``pipeline.state.commit``): a run that
fails or is killed leaves the previous outputs and the ledger as they were. A lock file keeps
two runs from interleaving.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.core.errors import InputsError, OutputError, PipelineError
from pipeline.core.findings import Finding
from pipeline.core.review import REVIEW_DIR
from pipeline.core.rules import GROUP_AWARD, PROPOSAL, Rules
from pipeline.infra import workers
from pipeline.infra.lock import locked
from pipeline.infra.memory import long_lived_objects, return_freed_memory
from pipeline.infra.workers import warm_up
from pipeline.outputs.books import write_years
from pipeline.stages.aggregate import YearResult, by_year, combine, results
from pipeline.stages.discover import HISTORY_DIR, ROSTER_DIR, InputFile, Skipped, discover, given, registers
from pipeline.stages.rank import rank
from pipeline.stages.read import Progress, WorkbookRead, frames, read_all
from pipeline.stages.registers import read_registers, validate_register
from pipeline.stages.review import Review, appraise, read_reviews
from pipeline.stages.score import score
from pipeline.stages.validate import validate
from pipeline.state import commit, memo
from pipeline.state.cache import CACHE_NAME, ParseCache
from pipeline.state.ledger import LEDGER_NAME, Ledger, Recognition, check
from pipeline.state.record import record_run, record_unchanged

LOG_NAME = "nhat_ky.log"
Stage = Callable[[str], None]  # told the name of each stage as it ends (the benchmark times them)


@dataclass
class RunReport:
    years: list[YearResult]
    files_read: int
    skipped: list[Skipped]
    findings: list[Finding]
    reads: list[WorkbookRead] = field(default_factory=list, repr=False)  # per file; its forms are in the frames
    results: dict[str, dict] = field(default_factory=dict, repr=False)  # each form's outcome, for the ledger (emptied once recorded)
    imported: list[Recognition] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)
    run_id: int | None = None
    # Set when every input was as the last run left it and its outputs were kept: the figures
    # below then come from that run's summary, and ``years`` is empty (nothing was analysed).
    kept: dict | None = None

    def totals(self) -> list[tuple[int, dict[str, int]]]:
        """(year, the totals row of its summary) for every year of the run."""
        if self.kept is not None:
            return [(t["year"], t) for t in self.kept["years"]]
        return [(y.year, {k: int(v) for k, v in y.summary[y.summary.group.isna()].iloc[0].items()
                          if k not in ("group", "kind")}) for y in self.years]

    def count(self, name: str) -> int:
        return sum(t[name] for _, t in self.totals())

    @property
    def unreadable(self) -> int:
        """Files that gave no form at all (unreadable, or no form in them)."""
        if self.kept is not None:
            return self.kept["unreadable"]
        return len({f.file for f in self.findings if not f.sheet})

    @property
    def not_submitted(self) -> int:
        """Units of the roster with no form this year."""
        if self.kept is not None:
            return self.kept["not_submitted"]
        return sum(len(y.not_submitted) for y in self.years if y.not_submitted is not None)

    def summary(self) -> dict:
        """What ``kept`` holds when the next run keeps this run's outputs."""
        return {"years": [{"year": y, **t} for y, t in self.totals()], "unreadable": self.unreadable,
                "not_submitted": self.not_submitted}

    @property
    def decided(self) -> int:
        """Forms whose outcome the council decided (0 when the outputs were kept)."""
        return sum(int(y.forms.decided.sum()) for y in self.years)

    @property
    def review_refused(self) -> int:
        """Problems in the staff's review workbooks that kept a score or a decision from applying."""
        return sum(1 for f in self.findings if f.is_error and f.file.split("/", 1)[0] == REVIEW_DIR)

    def changed(self, kind: str) -> int:
        return sum(int((y.changes.change == kind).sum()) for y in self.years if y.changes is not None)


def _history(recognitions: list[Recognition], skip_years: set[int]) -> dict[str, set[int]]:
    """Years each unit held the group's award; a year this run decides again is left to this run.

    Where the council decided a unit's year, its decision is the record (a refusal included);
    the tool's proposal counts only where no decision was recorded.
    """
    out: dict[str, set[int]] = {}
    decided = {(r.year, r.unit) for r in recognitions if r.source == "decision"}
    for r in recognitions:
        if r.source in ("run", "decision") and r.year in skip_years:
            continue
        if r.source == "run" and (r.year, r.unit) in decided:
            continue
        if r.source == "decision" and r.title not in (GROUP_AWARD, PROPOSAL):
            continue
        out.setdefault(r.unit, set()).add(r.year)
    return out


def _imported(history: pd.DataFrame) -> list[Recognition]:
    return [
        Recognition(int(r.year_int), r.unit, "import", r.kind_code, r.group_name, r.unit_code, r.name,
                    r.title_code, f"{r.file}!{r.cell_title}")
        for r in history.itertuples()
    ]


@dataclass(frozen=True)
class Registers:
    """The staff's folders under inputs/: past recognitions, the roster, the review workbooks, and
    what they skipped."""

    history: list[InputFile]
    roster: list[InputFile]
    review: list[InputFile]
    skipped: list[Skipped]

    @property
    def files(self) -> list[InputFile]:
        return [*self.history, *self.roster, *self.review]

    def skipped_with(self, skipped: list[Skipped]) -> list[Skipped]:
        return sorted([*skipped, *self.skipped], key=lambda s: s.rel)


def _registers(inputs: Path) -> Registers:
    (history, h_skipped), (roster, r_skipped) = registers(inputs, HISTORY_DIR), registers(inputs, ROSTER_DIR)
    review, v_skipped = registers(inputs, REVIEW_DIR)
    return Registers(history, roster, review, [*h_skipped, *r_skipped, *v_skipped])


def _read_registers(found: Registers, rules: Rules) -> tuple[list[Recognition], pd.DataFrame, list[Finding]]:
    """Past recognitions, the roster of expected units, and the findings in both."""
    history_rows, h_findings = validate_register(read_registers(found.history, rules, history=True), rules, history=True)
    roster, r_findings = validate_register(read_registers(found.roster, rules, history=False), rules, history=False)
    return _imported(history_rows), roster, [*h_findings, *r_findings]


def analyse_files(files: list[InputFile], skipped: list[Skipped], rules: Rules, year: int | None = None,
                  inputs: Path | None = None, known: list[Recognition] | None = None,
                  previous: Callable[[dict], dict | None] | None = None, stage: Stage | None = None,
                  progress: Progress | None = None, cache: ParseCache | None = None,
                  found: Registers | None = None) -> RunReport:
    """Every stage but writing. ``found``: the registers under ``inputs``, if already listed."""
    stage = stage or (lambda name: None)
    reads = read_all(files, rules, progress=progress, cache=cache)
    stage("read")
    forms, criteria = frames([form for wb in reads for form in wb.forms])
    for wb in reads:
        wb.forms = []  # now rows of the frames: at 100 000 forms, a second copy costs a gigabyte
    forms["sha256"] = forms.file.map({wb.file.rel: wb.sha256 for wb in reads}).fillna("").astype(str)
    forms, criteria, findings = validate(forms, criteria, rules)
    findings = [*findings, *(f for wb in reads for f in wb.findings)]
    stage("validate")
    imported, roster, review = [], None, Review()
    if inputs is not None:
        found = found or _registers(inputs)
        skipped = found.skipped_with(skipped)
        imported, roster, register_findings = _read_registers(found, rules)
        review = read_reviews(found.review)
        findings += [*register_findings, *review.findings]
        stage("registers")
    forms, criteria, appraisal = appraise(forms, criteria, review, rules)
    scored = score(forms, criteria, rules)
    stage("score")
    ranked, decisions = rank(scored, rules, _history([*(known or []), *imported], {int(y) for y in forms.year.dropna()}),
                             review)
    findings = sorted([*findings, *appraisal, *decisions])
    stage("rank")
    everything = combine(forms, criteria, ranked, review)
    current = results(everything)
    # What changed is told against the latest run that decided something else (see Ledger.results_before).
    before = previous(current) if previous is not None else None
    years = by_year(everything, sorted(findings), skipped, len(files), rules, year, before, roster, current)
    for y in years:
        y.meetings = review.meetings_by_group(y.forms)
    stage("aggregate")
    return RunReport(years, len(files), skipped, sorted(findings), reads=reads, imported=imported, results=current)


def analyse(inputs: Path, rules: Rules, year: int | None = None) -> RunReport:
    """Everything but writing (and without the ledger): the run's results, per year."""
    files, skipped = discover(inputs)
    return analyse_files(files, skipped, rules, year, inputs)


def check_files(paths: list[Path], rules: Rules) -> RunReport:
    """The given files only, as a staffer checks them while the sender is on the phone."""
    files, skipped = given(paths)
    return analyse_files(files, skipped, rules)


@dataclass(frozen=True)
class _Run:
    """What one run is given."""

    inputs: Path
    outputs: Path
    rules: Rules
    year: int | None
    today: dt.date
    started: dt.datetime
    stage: Stage
    progress: Progress | None


def _analyse_and_write(r: _Run, staging: Path, files, skipped, found: Registers, now: dict,
                       extra: list[InputFile]) -> RunReport:
    ledger = Ledger(staging / LEDGER_NAME)
    cache = ParseCache(r.outputs / CACHE_NAME, r.rules.sha256, new=staging / CACHE_NAME)
    try:
        last = ledger.last_run()
        report = analyse_files(files, skipped, r.rules, r.year, r.inputs, ledger.recognitions(),
                               ledger.results_before, r.stage, r.progress, cache, found)
    finally:
        ledger.close()
        cache.close()
    _has_forms_of(report, r.year)
    # The ledger first, then the workbooks: each form's outcome is needed by the ledger only, and
    # is dropped before the workers build the largest workbooks.
    return_freed_memory()
    record_run(staging, report, r.rules, r.started, last)
    report.results, last = {}, None
    return_freed_memory()
    sources = {wb.file.rel: wb.file.path for wb in report.reads}
    report.written += write_years(report.years, staging, r.rules, r.today, sources)
    r.stage("write+ledger")
    memo.save(staging, now, {wb.file.rel: wb.sha256 for wb in report.reads}, [*files, *extra], report.written,
              report.summary())
    r.stage("memo")
    return report


def _has_forms_of(report: RunReport, year: int | None) -> None:
    """A year asked for that no form carries, while forms carry others, is a mistake to tell, not
    an empty year to write."""
    if year is None:
        return
    years = sorted({int(v) for y in report.years for v in y.forms.year.dropna()})
    # No form of any year (every file refused): the run still lists what to send back.
    if years and year not in years:
        raise InputsError(code="year-empty", year=year, years=", ".join(map(str, years)))


def _staged(r: _Run, staging: Path) -> RunReport:
    """The run's whole generation of outputs, in ``staging``."""
    if (r.outputs / LEDGER_NAME).exists():
        shutil.copy2(r.outputs / LEDGER_NAME, staging / LEDGER_NAME)
    files, skipped = discover(r.inputs)
    if not files:
        raise InputsError(code="inputs-empty", path=r.inputs, skipped=len(skipped))
    found = _registers(r.inputs)
    extra = found.files
    now = memo.snapshot({"version": __version__, "rules": r.rules.sha256, "year": r.year,
                         "today": r.today.isoformat()}, [*files, *extra], found.skipped_with(skipped))
    r.stage("discover")
    summary = memo.kept(r.outputs, now, [*files, *extra]) if (r.outputs / LEDGER_NAME).exists() else None
    if summary is None:
        return _analyse_and_write(r, staging, files, skipped, found, now, extra)
    report = RunReport([], len(files), found.skipped_with(skipped), [], kept=summary)
    record_unchanged(staging, report, r.started)
    r.stage("ledger")
    return report


def _log_to(path: Path) -> logging.Handler | None:
    """The run's log file: library warnings and program errors, for whoever maintains the tool."""
    try:
        handler = logging.FileHandler(path, encoding="utf-8", delay=True)  # made at the first record
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.getLogger().addHandler(handler)
    logging.captureWarnings(True)
    return handler


def run(inputs: Path, outputs: Path, rules: Rules, year: int | None = None, today: dt.date | None = None,
        stage: Stage | None = None, progress: Progress | None = None) -> RunReport:
    """Read every form under ``inputs``; write every output, and the ledger, under ``outputs``.

    When every input file is as the last run left it (and its outputs are untouched), nothing is
    read or written again: the report's ``kept`` holds that run's figures.
    """
    if not inputs.is_dir():
        raise InputsError(path=inputs)
    try:
        outputs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(code="outputs-uncreatable", path=outputs, reason=exc.strerror or exc) from exc
    started = dt.datetime.now().astimezone()
    r = _Run(inputs, outputs, rules, year, today or dt.date.today(), started, stage or (lambda name: None), progress)
    with locked(outputs), long_lived_objects():
        handler = _log_to(outputs / LOG_NAME)
        workers.log_to(str(outputs / LOG_NAME) if handler is not None else "")
        try:
            warm_up()
            commit.recover(outputs)
            check(outputs / LEDGER_NAME)  # a corrupt or newer ledger stops the run here, before any write
            staging = commit.new_staging(outputs)
            try:
                report = _staged(r, staging)
                commit.backup_ledger(outputs, LEDGER_NAME, started.strftime("%Y%m%d-%H%M%S"))
                commit.commit(staging, outputs)
            except (OSError, sqlite3.Error) as exc:  # a full disk, a read-only folder, in files or in SQLite
                raise OutputError(path=outputs, reason=getattr(exc, "strerror", None) or exc) from exc
            finally:
                commit.discard(staging, outputs)
        finally:
            workers.log_to("")
            if handler is not None:
                logging.getLogger().removeHandler(handler)
                logging.captureWarnings(False)
                handler.close()
    report.written = [outputs / p.relative_to(staging) for p in report.written]
    return report


__all__ = ["PipelineError", "RunReport", "analyse", "check_files", "run"]
