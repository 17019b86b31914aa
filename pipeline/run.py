"""The monthly run as one call: discover → read → validate → score → rank → aggregate → write.

This is the library's entry point; the CLI is a thin layer over it. ``run`` writes every output
of a run, and the ledger, into a hidden staging folder inside the output folder, and moves them
into place only when everything has been written: a run that fails or is killed leaves the
previous outputs and the ledger as they were. A lock file keeps two runs from interleaving.
"""

from __future__ import annotations

import datetime as dt
import gc
import os
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from pipeline import __version__
from pipeline.core.errors import BusyError, InputsError, OutputError, PipelineError
from pipeline.core.findings import Finding
from pipeline.core.rules import Rules
from pipeline.core.table import rows
from pipeline.infra.workers import return_freed_memory, warm_up
from pipeline.outputs.books import write_years
from pipeline.stages.aggregate import CHANGES, YearResult, by_year, combine, results
from pipeline.stages.discover import HISTORY_DIR, ROSTER_DIR, InputFile, Skipped, discover, given, registers
from pipeline.stages.rank import holds_group_award, rank
from pipeline.stages.read import Progress, WorkbookRead, frames, read_all
from pipeline.stages.registers import read_registers, validate_register
from pipeline.stages.score import score
from pipeline.stages.validate import validate
from pipeline.state import memo
from pipeline.state.cache import CACHE_NAME, ParseCache
from pipeline.state.ledger import LEDGER_NAME, Ledger, Recognition, check

STAGING_PREFIX = ".dang_ghi-"
BACKUPS = ".sao_luu"
KEEP_BACKUPS = 5
LOCK_NAME = ".khoa"


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

    def changed(self, kind: str) -> int:
        return sum(int((y.changes.change == kind).sum()) for y in self.years if y.changes is not None)


def _history(recognitions: list[Recognition], skip_years: set[int]) -> dict[str, set[int]]:
    """Years each unit held the group's award; a year this run decides again is left to this run."""
    out: dict[str, set[int]] = {}
    for r in recognitions:
        if r.source == "run" and r.year in skip_years:
            continue
        out.setdefault(r.unit, set()).add(r.year)
    return out


def _imported(history: pd.DataFrame) -> list[Recognition]:
    return [
        Recognition(int(r.year_int), r.unit, "import", r.kind_code, r.group_name, r.unit_code, r.name,
                    r.title_code, f"{r.file}!{r.cell_title}")
        for r in history.itertuples()
    ]


class Timer:
    """Seconds per stage, for the benchmark (a run without one records nothing)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def lap(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


@dataclass(frozen=True)
class Registers:
    """The two register folders under inputs/: past recognitions, the roster, what they skipped."""

    history: list[InputFile]
    roster: list[InputFile]
    skipped: list[Skipped]

    def skipped_with(self, skipped: list[Skipped]) -> list[Skipped]:
        return sorted([*skipped, *self.skipped], key=lambda s: s.rel)


def _registers(inputs: Path) -> Registers:
    (history, h_skipped), (roster, r_skipped) = registers(inputs, HISTORY_DIR), registers(inputs, ROSTER_DIR)
    return Registers(history, roster, [*h_skipped, *r_skipped])


def analyse_files(files: list[InputFile], skipped: list[Skipped], rules: Rules, year: int | None = None,
                  inputs: Path | None = None, known: list[Recognition] | None = None,
                  previous: Callable[[dict], dict | None] | None = None, timer: Timer | None = None,
                  progress: Progress | None = None, cache: ParseCache | None = None,
                  found: Registers | None = None) -> RunReport:
    """``found``: the registers under ``inputs``, if the caller has listed them already."""
    timer = timer or Timer()
    reads = read_all(files, rules, progress=progress, cache=cache)
    timer.lap("read")
    forms, criteria = frames([form for wb in reads for form in wb.forms])
    for wb in reads:
        wb.forms = []  # now rows of the frames: at 100 000 forms, a second copy costs a gigabyte
    forms["sha256"] = forms.file.map({wb.file.rel: wb.sha256 for wb in reads}).fillna("").astype(str)
    forms, criteria, findings = validate(forms, criteria, rules)
    timer.lap("validate")
    findings = [*findings, *(f for wb in reads for f in wb.findings)]

    imported: list[Recognition] = []
    roster = None
    if inputs is not None:
        found = found or _registers(inputs)
        h_files, r_files = found.history, found.roster
        skipped = found.skipped_with(skipped)
        history_rows, h_findings = validate_register(read_registers(h_files, rules, history=True), rules, history=True)
        roster, r_findings = validate_register(read_registers(r_files, rules, history=False), rules, history=False)
        imported = _imported(history_rows)
        findings += [*h_findings, *r_findings]
        timer.lap("registers")

    years_now = {int(y) for y in forms.year.dropna()}
    history = _history([*(known or []), *imported], years_now)
    scored = score(forms, criteria, rules)
    timer.lap("score")
    ranked = rank(scored, rules, history)
    timer.lap("rank")
    everything = combine(forms, criteria, ranked)
    current = results(everything)
    # What changed is told against the latest run that decided something else (see Ledger.results_before).
    before = previous(current) if previous is not None else None
    years = by_year(everything, sorted(findings), skipped, len(files), rules, year, before, roster, current)
    timer.lap("aggregate")
    return RunReport(years, len(files), skipped, sorted(findings), reads=reads, imported=imported, results=current)


def analyse(inputs: Path, rules: Rules, year: int | None = None) -> RunReport:
    """Everything but writing (and without the ledger): the run's results, per year."""
    files, skipped = discover(inputs)
    return analyse_files(files, skipped, rules, year, inputs)


def check_files(paths: list[Path], rules: Rules) -> RunReport:
    """The given files only, as a staffer checks them while the sender is on the phone."""
    files, skipped = given(paths)
    return analyse_files(files, skipped, rules)


@contextmanager
def _long_lived_objects() -> Iterator[None]:
    """No cyclic garbage collection while a run builds its data, one collection after it.

    A run keeps every parsed form until it ends, millions of small objects: each automatic
    full collection walks all of them again, which at 10 000 forms cost more than the parsing
    itself. What a run throws away is freed by reference counting; the few reference cycles
    (pandas makes some) wait for the one collection at the end.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect()


@contextmanager
def _locked(outputs: Path) -> Iterator[None]:
    """Hold the output folder's lock for the whole run; a second run refuses at once."""
    path = outputs / LOCK_NAME
    fh = open(path, "a+")  # noqa: SIM115 — held open for the lock's lifetime
    try:
        try:
            import fcntl

            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:  # Windows
            import msvcrt

            msvcrt.locking(fh.fileno(), msvcrt.LK_NBLCK, 1)
    except OSError as exc:
        fh.close()
        raise BusyError(path=outputs) from exc
    try:
        yield
    finally:
        fh.close()


def _clear_stale(outputs: Path) -> None:
    """Staging folders left by a run that was killed: never moved into place, safe to remove."""
    for stale in outputs.glob(f"{STAGING_PREFIX}*"):
        shutil.rmtree(stale, ignore_errors=True)


def _backup(outputs: Path, stamp: str) -> None:
    ledger = outputs / LEDGER_NAME
    if not ledger.exists():
        return
    folder = outputs / BACKUPS
    folder.mkdir(exist_ok=True)
    shutil.copy2(ledger, folder / f"so_theo_doi-{stamp}.sqlite")
    for old in sorted(folder.glob("so_theo_doi-*.sqlite"))[:-KEEP_BACKUPS]:
        old.unlink()


def _commit(staging: Path, outputs: Path, stamp: str) -> None:
    """Move each staged year folder, then the ledger, into place."""
    trash = staging / ".cu"
    trash.mkdir()
    for folder in sorted(p for p in staging.iterdir() if p.is_dir() and p.name.isdigit()):
        target = outputs / folder.name
        if target.exists():
            target.rename(trash / folder.name)
        folder.rename(target)
    _backup(outputs, stamp)
    (outputs / ".bo_nho_dem.json").unlink(missing_ok=True)  # the parse cache of version 0.1
    for name in (CACHE_NAME, memo.MEMO_NAME, LEDGER_NAME):  # a run that kept its outputs has only the ledger
        if (staging / name).exists():
            os.replace(staging / name, outputs / name)


def _file_rows(report: RunReport) -> list[dict]:
    errors = {f.file for f in report.findings if f.is_error}
    with_forms = {f for y in report.years for f in y.forms.file.tolist()}
    rows = []
    for wb in report.reads:
        outcome = "rejected" if wb.file.rel in errors else ("accepted" if wb.file.rel in with_forms else "no-form")
        rows.append({"path": wb.file.rel, "sha256": wb.sha256, "size": wb.file.size, "mtime": wb.file.mtime,
                     "outcome": outcome})
    return rows


def _form_rows(report: RunReport) -> Iterator[dict]:
    # Yielded, not listed: the ledger inserts them one by one, and 100 000 dicts held at once
    # were a tenth of the main process's peak memory.
    wanted = ["sha256", "sheet", "file", "unit", "unit_code", "name", "kind", "group", "field", "year", "total",
              "scores"]
    for y in report.years:
        # The columns first, then the rows: a year's whole frame, filtered, is a copy of all of it.
        for r in rows(y.forms.loc[~y.forms.rejected, wanted]):
            yield {"sha256": r.sha256, "sheet": r.sheet, "path": r.file, "unit": r.unit,
                   "unit_code": r.unit_code, "name": r.name, "kind": r.kind, "group": r.group,
                   "field": r.field, "year": int(r.year), "total": float(r.total), "scores": r.scores}


def _recognitions(report: RunReport) -> list[Recognition]:
    out = []
    wanted = ["award", "tie_edge", "year", "unit", "kind", "group", "unit_code", "name", "file", "sheet"]
    for y in report.years:
        for r in rows(y.forms.loc[~y.forms.rejected & ~y.forms.superseded, wanted]):
            if holds_group_award(r.award, r.tie_edge):
                out.append(Recognition(int(r.year), r.unit, "run", r.kind, r.group, r.unit_code, r.name,
                                       r.award, f"{r.file}!{r.sheet}"))
    return out


def _keep(outputs: Path, staging: Path, report: RunReport, started: dt.datetime) -> None:
    """Every input is as the last run left it: keep its outputs, add a run row to the ledger."""
    ledger = Ledger(staging / LEDGER_NAME)
    try:
        report.run_id = ledger.record_unchanged(
            started.isoformat(timespec="seconds"), dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            dict.fromkeys(CHANGES, 0))
    finally:
        ledger.close()


def _record(ledger: Ledger, report: RunReport, rules: Rules, started: dt.datetime, last: dict | None) -> None:
    main = next(y.year for y in report.years if y.main)
    file_rows = _file_rows(report)
    # A run that decided exactly what the last one did changed nothing, whatever its sheet of
    # changes shows (that sheet tells what changed since the results last changed).
    same = last is not None and last["results"] == report.results
    report.run_id = ledger.record(
        {
            "started_at": started.isoformat(timespec="seconds"),
            "finished_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
            "program_version": __version__, "rules_sha256": rules.sha256, "year": main,
            "files": report.files_read, "forms": sum(len(y.forms) for y in report.years),
            "rejected": report.count("rejected"), "eligible": report.count("eligible"),
            "awarded": report.count("awarded"),
            "seen": [[r["path"], r["sha256"], r["outcome"]] for r in file_rows],
            "results": report.results,
            "changes": {k: 0 if same else report.changed(k) for k in CHANGES},
        },
        file_rows, _form_rows(report), _recognitions(report), report.imported,
        sorted({int(v) for y in report.years for v in y.forms.year.dropna()}),
    )


def _record_in_ledger(staging: Path, report: RunReport, rules: Rules, started: dt.datetime, last: dict | None) -> None:
    """Record the run in the staged ledger, on a connection of its own."""
    ledger = Ledger(staging / LEDGER_NAME)
    try:
        _record(ledger, report, rules, started, last)
    finally:
        ledger.close()


def run(inputs: Path, outputs: Path, rules: Rules, year: int | None = None, today: dt.date | None = None,
        timer: Timer | None = None, progress: Progress | None = None) -> RunReport:
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
    today = today or dt.date.today()
    timer = timer or Timer()
    with _locked(outputs), _long_lived_objects():
        warm_up()
        _clear_stale(outputs)
        check(outputs / LEDGER_NAME)  # a corrupt or newer ledger stops the run here, before any write
        staging = outputs / f"{STAGING_PREFIX}{os.getpid()}"
        staging.mkdir()
        try:
            if (outputs / LEDGER_NAME).exists():
                shutil.copy2(outputs / LEDGER_NAME, staging / LEDGER_NAME)
            files, skipped = discover(inputs)
            found = _registers(inputs)
            extra = [*found.history, *found.roster]
            now = memo.snapshot({"version": __version__, "rules": rules.sha256, "year": year,
                                 "today": today.isoformat()}, [*files, *extra], found.skipped_with(skipped))
            timer.lap("discover")
            summary = memo.kept(outputs, now, [*files, *extra]) if (outputs / LEDGER_NAME).exists() else None
            if summary is not None:
                report = RunReport([], len(files), found.skipped_with(skipped), [], kept=summary)
                _keep(outputs, staging, report, started)
                timer.lap("ledger")
            else:
                ledger = Ledger(staging / LEDGER_NAME)
                cache = ParseCache(outputs / CACHE_NAME, rules.sha256, new=staging / CACHE_NAME)
                try:
                    last = ledger.last_run()
                    report = analyse_files(files, skipped, rules, year, inputs, ledger.recognitions(),
                                           ledger.results_before, timer, progress, cache, found)
                finally:
                    ledger.close()
                    cache.close()
                # The ledger first, then the workbooks. Recorded beside them (from a thread while
                # the workers built), its rows and its JSON took 100 MB of the main process at
                # 100 000 forms just as the workers held their largest workbooks; in turn, it costs
                # about 0.2 s at 10 000 forms. What the analysis freed is given back before it, and
                # what the ledger took after it.
                return_freed_memory()
                _record_in_ledger(staging, report, rules, started, last)
                # Each form's outcome, this run's and the last's, was for the ledger only.
                report.results, last = {}, None
                return_freed_memory()
                report.written += write_years(report.years, staging, rules, today, inputs)
                timer.lap("write+ledger")
                memo.save(staging, now, {wb.file.rel: wb.sha256 for wb in report.reads}, [*files, *extra],
                          report.written, report.summary())
                timer.lap("memo")
            _commit(staging, outputs, started.strftime("%Y%m%d-%H%M%S"))
        except OSError as exc:
            raise OutputError(path=outputs, reason=exc.strerror or exc) from exc
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    report.written = [outputs / p.relative_to(staging) for p in report.written]
    return report


__all__ = ["PipelineError", "RunReport", "analyse", "check_files", "run"]
