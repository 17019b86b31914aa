"""Where each output of a year stands, for every module that writes or reads one."""

from __future__ import annotations

from pathlib import Path

from pipeline.core.review import review_file_name
from pipeline.core.text import slug


def year_folder(outputs: Path, year: int) -> Path:
    return outputs / str(year)


def consolidated_workbook(folder: Path, year: int) -> Path:
    return folder / f"tong_hop_{year}.xlsx"


def group_workbook(folder: Path, group: str, year: int) -> Path:
    """A group's own workbook, to send to that group."""
    return folder / "theo_nhom" / f"{slug(group)}_{year}.xlsx"


def review_workbook(folder: Path, year: int) -> Path:
    """The review workbook staff fill in and save into inputs/xet_khen_thuong/."""
    return folder / review_file_name(year)


def email_draft(folder: Path, group: str, year: int) -> Path:
    return folder / "thu" / f"{slug(group)}_{year}.eml"


def feedback_folder(folder: Path) -> Path:
    return folder / "phan_hoi"


def pdf_folder(folder: Path) -> Path:
    return folder / "pdf"
