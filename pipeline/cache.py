"""Part of the read stage: parsed workbooks remembered between runs, in the output folder.

A file whose size, modification time and SHA-256 are those of the last run is not parsed
again; its forms and findings come from here. The cache is keyed to the rules file's hash and
the program's version, so changing either parses everything anew. It is JSON (not pickle):
the output folder is shared, and nothing read from it may run code.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

from . import __version__
from .discover import InputFile
from .findings import Finding
from .read import WorkbookRead

CACHE_NAME = ".bo_nho_dem.json"


def _encode(value: object) -> object:
    if isinstance(value, dt.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, (dt.time, dt.timedelta)):
        return {"$text": str(value)}
    raise TypeError(type(value))


def _decode(obj: dict) -> object:
    if "$datetime" in obj:
        return dt.datetime.fromisoformat(obj["$datetime"])
    if "$date" in obj:
        return dt.date.fromisoformat(obj["$date"])
    if "$text" in obj:
        return obj["$text"]
    return obj


def _to_json(wb: WorkbookRead) -> dict:
    # vars(), not dataclasses.asdict(): no deep copy, the JSON encoder only reads.
    return {"forms": wb.forms, "findings": [vars(f) for f in wb.findings], "sha256": wb.sha256}


def _from_json(file: InputFile, data: dict) -> WorkbookRead:
    forms = [(tuple(row), [tuple(c) for c in crits]) for row, crits in data["forms"]]
    findings = [Finding(**f) for f in data["findings"]]
    return WorkbookRead(file, forms, findings, data["sha256"])


class ParseCache:
    def __init__(self, path: Path, rules_sha256: str):
        self.path = path
        self.stamp = {"rules": rules_sha256, "version": __version__}
        self.entries: dict[str, dict] = {}
        self.fresh: dict[str, dict] = {}
        try:
            data = json.loads(path.read_text(encoding="utf-8"), object_hook=_decode)
            if data.get("stamp") == self.stamp:
                self.entries = data["files"]
        except (OSError, ValueError, KeyError, TypeError):
            self.entries = {}  # no cache, or an unusable one: parse everything

    def get(self, file: InputFile) -> WorkbookRead | None:
        entry = self.entries.get(file.rel)
        if not entry or entry["size"] != file.size or entry["mtime"] != file.mtime:
            return None
        try:
            digest = hashlib.sha256(file.path.read_bytes()).hexdigest()
        except OSError:
            return None
        if digest != entry["read"]["sha256"]:
            return None
        try:
            result = _from_json(file, entry["read"])
        except (TypeError, KeyError, ValueError):
            return None
        self.fresh[file.rel] = entry
        return result

    def put(self, result: WorkbookRead) -> None:
        self.fresh[result.file.rel] = {"size": result.file.size, "mtime": result.file.mtime, "read": result}

    def save(self, path: Path) -> None:
        """Only the files of this run are kept: a withdrawn file leaves the cache too."""
        tmp = path.with_name(f".{path.name}.tmp")
        files = {rel: {**e, "read": _to_json(e["read"]) if isinstance(e["read"], WorkbookRead) else e["read"]}
                 for rel, e in self.fresh.items()}
        tmp.write_text(json.dumps({"stamp": self.stamp, "files": files}, default=_encode, ensure_ascii=False),
                       encoding="utf-8")
        tmp.replace(path)
