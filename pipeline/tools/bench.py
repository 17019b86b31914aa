"""The benchmark behind `make bench`: N generated forms, timed stage by stage, against the typical way.

It generates N forms with the demo's own generator (its realistic mix of layouts, kinds, groups
and broken files), runs the real pipeline on them and reports, per stage, seconds, forms per
second and peak memory; then the same intake done the typical way (pandas.read_excel with
openpyxl, one file after another) and the ratio; then an unchanged rerun and its ratio.
"""

from __future__ import annotations

import json
import os
import platform
import random
import resource
import shutil
import threading
import time
from pathlib import Path

from pipeline import __version__
from pipeline.core.rules import Rules
from pipeline.infra.workers import isolated_map, peak_memory_bytes, worker_pids
from pipeline.outputs.templates import write_workbook
from pipeline.run import run
from pipeline.stages.discover import discover
from pipeline.stages.read import read_sheets
from pipeline.stages.read.grid import Sheet
from pipeline.tools.samples import sample_specs


class Timer:
    """Seconds per stage of a run: called with each stage's name as it ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self._last
        self._last = now


def _write_one(job: tuple[Path, list], rules: Rules) -> str:
    path, specs = job
    write_workbook(path, specs, rules)
    return str(path)


def generate(dest: Path, rules: Rules, n: int) -> int:
    """About ``n`` forms under ``dest`` (kept between runs: generating is slower than reading)."""
    stamp = dest / ".generated"
    if stamp.exists() and stamp.read_text() == f"{n} {__version__}":
        return sum(1 for _ in dest.rglob("*.xlsx"))
    shutil.rmtree(dest, ignore_errors=True)
    per_kind = max(1, n // (len(rules.groups) * 2) - 1)
    jobs = [(dest / rel, specs) for rel, specs in sample_specs(rules, random.Random(n), 2024, (per_kind, per_kind))]
    for _ in isolated_map(_write_one, jobs, (rules,)):
        pass
    (dest / "tep_hong.xlsx").write_bytes(b"PK\x03\x04 truncated")  # a broken file or two, as in the demo
    stamp.write_text(f"{n} {__version__}")
    return len(jobs)


def _peak_mb() -> dict[str, float]:
    scale = 1024 if platform.system() == "Linux" else 1  # ru_maxrss: KiB on Linux, bytes on macOS
    me = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * scale / 1024**2
    # Workers that ended (replaced after a crash) count in RUSAGE_CHILDREN; live ones only in /proc.
    ended = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * scale / 1024**2
    live = (peak_memory_bytes() or 0) / 1024**2
    return {"main_mb": round(me, 1), "worker_mb": round(max(ended, live), 1)}


def _rss_bytes(pid: int) -> int:
    """A process's resident memory."""
    with open(f"/proc/{pid}/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _pss_bytes(pid: int) -> int:
    """A process's proportional set size: its own pages, and its share of pages it shares."""
    with open(f"/proc/{pid}/smaps_rollup") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


class _SummedPeak:
    """The largest sum of the memory of this process and its workers, sampled while the block
    runs (Linux; 0 elsewhere). Two sums: resident memory (``mb``), in which the pages that the
    workers share (the modules their fork server loaded) count once per process, an upper
    bound; and proportional memory (``pss_mb``), in which they are divided among the processes
    sharing them: what the run takes from the machine."""

    def __init__(self) -> None:
        self.mb = self.pss_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, name="memory-sampler", daemon=True)

    def __enter__(self) -> _SummedPeak:
        if Path("/proc/self/statm").exists():  # without smaps_rollup (Linux < 4.14), no proportional sum
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _sample(self) -> None:
        top, pss_at = 0, 0.0
        while not self._stop.wait(0.02):
            pids = [os.getpid(), *worker_pids()]
            resident = sum(self._read(_rss_bytes, pids))
            top = max(top, resident)
            self.mb = round(top / 1024**2, 1)
            # Proportional memory costs a walk of the page tables to read (milliseconds at a
            # few hundred megabytes): read only near the resident peak, five times a second.
            now = time.monotonic()
            if resident >= 0.95 * top and now - pss_at >= 0.2:
                pss_at = now
                self.pss_mb = max(self.pss_mb, round(sum(self._read(_pss_bytes, pids)) / 1024**2, 1))

    @staticmethod
    def _read(measure, pids: list[int]) -> list[int]:
        out = []
        for pid in pids:
            try:
                out.append(measure(pid))
            except (OSError, ValueError, IndexError):  # a worker that just ended
                continue
        return out


def _typical_intake(files, rules: Rules) -> float:
    """The intake as a typical script does it: pandas.read_excel (openpyxl), one file after another."""
    import pandas as pd

    start = time.perf_counter()
    for f in files:
        try:
            book = pd.read_excel(f.path, sheet_name=None, header=None, engine="openpyxl")
        except Exception:  # noqa: BLE001 — a broken file costs the typical script nothing more
            continue
        sheets = [Sheet(name, df.astype(object).where(df.notna(), "").values.tolist(), None) for name, df in book.items()]
        read_sheets(f, sheets, rules)
    return time.perf_counter() - start


def _bare_calamine(files) -> float:
    import python_calamine as pc

    start = time.perf_counter()
    for f in files:
        try:
            wb = pc.CalamineWorkbook.from_path(str(f.path))
            for name in wb.sheet_names:
                wb.get_sheet_by_name(name).to_python()
        except Exception:  # noqa: BLE001,S112
            continue
    return time.perf_counter() - start


def bench(n: int, workdir: Path, rules: Rules, baseline: bool = True) -> dict:
    inputs, outputs = workdir / f"n{n}" / "inputs", workdir / f"n{n}" / "outputs"
    generate(inputs, rules, n)
    shutil.rmtree(outputs, ignore_errors=True)
    timer = Timer()
    start = time.perf_counter()
    with _SummedPeak() as summed:
        report = run(inputs, outputs, rules, stage=timer)
    total = time.perf_counter() - start
    forms = sum(len(y.forms) for y in report.years)
    stages = {k: round(v, 3) for k, v in timer.seconds.items()}
    result = {
        "forms": forms, "files": report.files_read, "seconds": round(total, 2),
        "forms_per_second": round(forms / total), "stages": stages, "memory": {**_peak_mb(), "all_processes_mb": summed.mb,
                                                         "all_processes_pss_mb": summed.pss_mb},
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(), "system": platform.platform()},
    }
    files, _ = discover(inputs)
    result["bare_calamine_seconds"] = round(_bare_calamine(files), 2)
    result["intake_vs_bare_calamine"] = round(stages["read"] / result["bare_calamine_seconds"], 2)
    if baseline:
        typical = _typical_intake(files, rules)
        rest = total - stages["read"]
        result["typical_intake_seconds"] = round(typical, 2)
        result["typical_end_to_end_seconds"] = round(typical + rest, 2)
        result["speedup_vs_typical"] = round((typical + rest) / total, 1)
    start = time.perf_counter()
    again = run(inputs, outputs, rules)
    result["rerun_unchanged_seconds"] = round(time.perf_counter() - start, 2)
    result["rerun_ratio"] = round(result["rerun_unchanged_seconds"] / total, 2)
    result["rerun_kept_outputs"] = again.kept is not None
    # The usual monthly case: one file sent again. Only it is parsed; everything is written.
    touched = files[len(files) // 2].path
    os.utime(touched, (time.time(), time.time()))
    start = time.perf_counter()
    run(inputs, outputs, rules)
    result["rerun_one_file_changed_seconds"] = round(time.perf_counter() - start, 2)
    result["rerun_one_file_changed_ratio"] = round(result["rerun_one_file_changed_seconds"] / total, 2)
    out = Path("outputs") / "bench"
    out.mkdir(parents=True, exist_ok=True)
    (out / f"bench_{n}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return result
