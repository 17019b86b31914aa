"""The monthly run as one call: discover → read → validate → score → rank → aggregate → write.

This is the library's entry point; the CLI is a thin layer over it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from .aggregate import YearResult, by_year, combine
from .discover import InputFile, Skipped, discover, given
from .findings import Finding
from .rank import rank
from .read import frames, read_all
from .rules import Rules
from .score import score
from .validate import validate
from .write import OutputError, write_year


@dataclass
class RunReport:
    years: list[YearResult]
    files_read: int
    skipped: list[Skipped]
    findings: list[Finding]
    written: list[Path] = field(default_factory=list)

    def count(self, name: str) -> int:
        return sum(int(y.summary[y.summary.group.isna()].iloc[0][name]) for y in self.years)

    @property
    def unreadable(self) -> int:
        """Files that gave no form at all (unreadable, or no form in them)."""
        return len({f.file for f in self.findings if not f.sheet})


def analyse(inputs: Path, rules: Rules, year: int | None = None) -> RunReport:
    """Everything but writing: the run's results, per year."""
    files, skipped = discover(inputs)
    return analyse_files(files, skipped, rules, year)


def check(paths: list[Path], rules: Rules) -> RunReport:
    """The given files only, as a staffer checks them while the sender is on the phone."""
    files, skipped = given(paths)
    return analyse_files(files, skipped, rules)


def analyse_files(files: list[InputFile], skipped: list[Skipped], rules: Rules, year: int | None = None) -> RunReport:
    reads = read_all(files, rules)
    parsed = [form for wb in reads for form in wb.forms]
    forms, criteria = frames(parsed, rules)
    forms, criteria, findings = validate(forms, criteria, rules)
    findings = sorted([*findings, *(f for wb in reads for f in wb.findings)])
    ranked = rank(score(forms, criteria, rules), rules)
    everything = combine(forms, criteria, ranked)
    years = by_year(everything, findings, skipped, len(files), rules, year)
    return RunReport(years, len(files), skipped, findings)


def run(inputs: Path, outputs: Path, rules: Rules, year: int | None = None, today: dt.date | None = None) -> RunReport:
    """Read every form under ``inputs`` and write every output under ``outputs``."""
    if not inputs.is_dir():
        raise OutputError(f"Không tìm thấy thư mục hồ sơ {inputs}.")
    try:
        outputs.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"Không tạo được thư mục kết quả {outputs}: {exc.strerror or exc}.") from exc
    report = analyse(inputs, rules, year)
    for result in report.years:
        report.written += write_year(result, outputs, rules, today, inputs)
    return report
