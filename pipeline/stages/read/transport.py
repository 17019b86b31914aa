"""A workbook's read as JSON text: how a worker sends it back, and how the parse cache keeps it.

JSON, not pickle: the cache lives in a shared folder, and nothing read from it may run code.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from pipeline.core.findings import Finding
from pipeline.stages.discover import InputFile
from pipeline.stages.read.records import CriterionRecord, FormRecord, FormRow


@dataclass(slots=True)  # one per file, kept for the whole run
class WorkbookRead:
    file: InputFile
    forms: list[FormRecord] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    sha256: str = ""
    from_cache: bool = False  # taken from the parse cache, not parsed by this run


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


_ENCODER = json.JSONEncoder(default=_encode, ensure_ascii=False, check_circular=False)
_DECODER = json.JSONDecoder(object_hook=_decode)


def to_text(wb: WorkbookRead) -> str:
    """A workbook's forms and findings as JSON (named tuples become arrays)."""
    return _ENCODER.encode({"forms": wb.forms, "findings": [vars(f) for f in wb.findings]})


def _shared(values: list, strings: dict[str, str]) -> list:
    share = strings.setdefault
    return [share(v, v) if type(v) is str else v for v in values]


def from_text(file: InputFile, text: str, sha256: str, strings: dict[str, str] | None = None) -> WorkbookRead:
    """``to_text`` undone. With ``strings``, each text another form already holds is replaced by
    that one object: every form repeats the rubric's criterion texts, the cell addresses and the
    states, and shared, 100 000 forms take half the memory."""
    data = _DECODER.decode(text)
    strings = {} if strings is None else strings
    forms = [FormRecord(FormRow._make(_shared(row, strings)),
                        [CriterionRecord._make(_shared(c, strings)) for c in crits])
             for row, crits in data["forms"]]
    return WorkbookRead(file, forms, [Finding(**f) for f in data["findings"]], sha256)
