"""A run's inputs and outputs remembered, so that a rerun on unchanged files rewrites nothing.

After each run, a small JSON file in the output folder records what the run saw — every input
file's path, size, modification time and SHA-256, the files it skipped, the rules file's hash,
the program's version, the year asked for and the date printed on the documents — and every
output it wrote, with its size and modification time. The next run on the same output folder
compares: when every input is as it was (same size, time and hash) and every output is still
the one written (nobody deleted or re-saved it), the outputs already hold exactly what this run
would write, and are kept. Anything else, and the run reads and writes as usual.

JSON, not pickle: the output folder is shared, and nothing read from it may run code.
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.infra.files import atomic_write_text
from pipeline.stages.discover import InputFile, Skipped
from pipeline.stages.read.checks import file_sha256

MEMO_NAME = ".lan_chay_truoc.json"


def snapshot(key: dict, files: list[InputFile], skipped: list[Skipped]) -> dict:
    """What a run is about to read, without reading it: paths, sizes, times (hashes come later)."""
    return {
        "key": key,
        "files": {f.rel: [f.size, f.mtime] for f in files},
        "skipped": sorted([s.rel, s.reason] for s in skipped),
    }


def kept(outputs: Path, now: dict, files: list[InputFile]) -> dict | None:
    """The last run's summary if its outputs are still exactly what this run would write."""
    try:
        memo = json.loads((outputs / MEMO_NAME).read_text(encoding="utf-8"))
        if (memo["key"], memo["skipped"]) != (now["key"], now["skipped"]):
            return None
        if {rel: entry[:2] for rel, entry in memo["files"].items()} != now["files"]:
            return None
        for rel, (size, mtime_ns) in memo["outputs"].items():
            st = (outputs / rel).stat()
            if (st.st_size, st.st_mtime_ns) != (size, mtime_ns):
                return None
        # Same size and time: now the content, since a file can change and keep both.
        if any(file_sha256(f.path) != memo["files"][f.rel][2] for f in files):
            return None
        return memo["summary"]
    except (OSError, ValueError, KeyError, TypeError, IndexError):
        return None  # no memo, an unusable one, or an output gone: read and write as usual


def save(staging: Path, now: dict, hashes: dict[str, str], files: list[InputFile], written: list[Path],
         summary: dict) -> None:
    """Record what this run saw and wrote (``written``: paths inside ``staging``)."""
    entries = {}
    for f in files:
        # A file this run could not read has no hash: the next run reads it again.
        digest = hashes[f.rel] if f.rel in hashes else file_sha256(f.path)
        entries[f.rel] = [f.size, f.mtime, digest]
    outputs = {}
    for path in written:
        st = path.stat()
        outputs[path.relative_to(staging).as_posix()] = [st.st_size, st.st_mtime_ns]
    memo = {**now, "files": entries, "outputs": outputs, "summary": summary}
    atomic_write_text(staging / MEMO_NAME, json.dumps(memo, ensure_ascii=False, sort_keys=True))
