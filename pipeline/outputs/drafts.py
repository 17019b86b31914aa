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

from pipeline.core.rules import PROPOSAL, Rules
from pipeline.core.text import slug
from pipeline.stages.rank import TIE, holds_group_award

XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def _counts(results: dict[str, dict], group: str, year: int) -> dict[str, int]:
    mine = [r for r in results.values() if r["group"] == group and r.get("year") == year]
    current = [r for r in mine if not r["rejected"] and r["award"] != "superseded"]
    return {
        "received": len(mine),
        "rejected": sum(r["rejected"] for r in mine),
        "eligible": sum(r["eligible"] for r in current),
        "awarded": sum(holds_group_award(r["award"], r.get("tie_edge", "")) for r in current),
        "proposed": sum(r["award"] == PROPOSAL for r in current),
        "tied": sum(r["award"] == TIE for r in current),
    }


def write_drafts(outputs: Path, year: int, rules: Rules, results: dict[str, dict]) -> list[Path]:
    """One .eml per group workbook of ``year``, in ``outputs/<year>/thu/``."""
    folder = outputs / str(year)
    written = []
    deadline = rules.calendar.dossier_deadline(year).strftime("%d/%m/%Y")
    for group in rules.groups:
        workbook = folder / "theo_nhom" / f"{slug(group)}_{year}.xlsx"
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
        target = folder / "thu" / f"{slug(group)}_{year}.eml"
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = target.with_name(f".{target.name}.tmp")
        tmp.write_bytes(msg.as_bytes(policy=SMTP))
        tmp.replace(target)
        written.append(target)
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
    done = []
    for wb in workbooks:
        subprocess.run([program, "--headless", "--convert-to", "pdf", "--outdir", str(folder), str(wb)],
                       check=True, capture_output=True, timeout=timeout)
        done.append(folder / f"{wb.stem}.pdf")
    return done
