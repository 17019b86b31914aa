"""E-mail drafts (.eml), one per group, and PDF previews — nothing is ever sent.

Part of the write stage, run after `make run`: each group's workbook is attached to a draft
whose subject and cover note come from the rules file, ready to open in Outlook or
Thunderbird, check and send. No server is contacted and no password is asked for.
"""

from __future__ import annotations

import shutil
import subprocess
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from pipeline.core.rules import Rules
from pipeline.infra.files import atomic_write_bytes
from pipeline.outputs.paths import email_draft, group_workbook, year_folder
from pipeline.stages.aggregate import count_outcomes
from pipeline.stages.rank import SUPERSEDED

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
# Headers on one line, up to RFC 5322's limit: where the standard library folds a header between
# two encoded words it drops the space between them ("Khối sở" read back as "Khốisở"; CPython
# gh-144156, fixed only in releases after 3.11). The subject is then one encoded word longer than
# RFC 2047's 75 characters, which mail programs read; bodies are encoded when set and keep 78.
HEADERS = SMTP.clone(max_line_length=998)


def _counts(results: dict[str, dict], group: str, year: int) -> dict[str, int]:
    """The group's figures of ``year``, from each form's outcome the ledger keeps."""
    import pandas as pd

    frame = pd.DataFrame([r for r in results.values() if r["group"] == group and r.get("year") == year],
                         columns=["group", "kind", "rejected", "eligible", "award", "tie_edge"])
    frame["superseded"] = frame.award == SUPERSEDED
    frame["tie_edge"] = frame.tie_edge.fillna("")
    found = count_outcomes(frame).values()
    return {name: sum(c[name] for c in found) for name in ("received", "rejected", "eligible", "awarded", "proposed", "tied")}


def write_drafts(outputs: Path, year: int, rules: Rules, results: dict[str, dict]) -> list[Path]:
    """One .eml per group workbook of ``year``, in ``outputs/<year>/thu/``."""
    folder = year_folder(outputs, year)
    written = []
    deadline = rules.calendar.dossier_deadline(year).strftime("%d/%m/%Y")
    for group in rules.groups:
        workbook = group_workbook(folder, group, year)
        if not workbook.exists():
            continue
        values = {"year": year, "group": group, "deadline": deadline, "attachment": workbook.name,
                  "issuer": " - ".join(rules.document.issuer), **_counts(results, group, year)}
        msg = EmailMessage()
        msg["Subject"] = rules.email.subject.format(**values)
        if group in rules.email.recipients:
            msg["To"] = rules.email.recipients[group]
        msg["X-Unsent"] = "1"  # Outlook opens it as a draft to edit and send
        msg.set_content(rules.email.body.format(**values))
        msg.add_attachment(workbook.read_bytes(), maintype=XLSX[0], subtype=XLSX[1], filename=workbook.name)
        written.append(atomic_write_bytes(email_draft(folder, group, year), msg.as_bytes(policy=HEADERS)))
    return written


def office() -> str | None:
    """The LibreOffice program, if installed."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def to_pdf(workbooks: list[Path], folder: Path, timeout: int = 300) -> list[Path]:
    """Convert workbooks to PDF with LibreOffice (headless), as they would print."""
    program = office()
    if program is None:
        raise FileNotFoundError("soffice")
    folder.mkdir(parents=True, exist_ok=True)
    if workbooks:  # one LibreOffice for them all: it starts in seconds, converts in a fraction
        subprocess.run([program, "--headless", "--convert-to", "pdf", "--outdir", str(folder), *map(str, workbooks)],
                       check=True, capture_output=True, timeout=timeout * max(1, len(workbooks) // 10))
    return [folder / f"{wb.stem}.pdf" for wb in workbooks]
