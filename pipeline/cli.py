"""Command line: a thin layer over the library. The only module that imports click."""

from __future__ import annotations

from pathlib import Path

import click

from .findings import SKIPS
from .ledger import LedgerError
from .rules import DEFAULT_RULES, RulesError, load_rules
from .run import BusyError, RunReport, check_files, run
from .text import format_number
from .workers import WorkerError
from .write import OutputError

# Library errors that mean "the run cannot go on"; problems in submitted files are findings.
FATAL = (OutputError, WorkerError, LedgerError, BusyError)

RULES_OPTION = click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_RULES,
    show_default="schemas/khanh_hoa.toml", help="Tệp quy định (TOML).",
)


def _rules(path: Path):
    try:
        return load_rules(path)
    except RulesError as exc:
        raise click.ClickException(str(exc)) from exc


def _summary(report: RunReport, outputs: Path) -> None:
    click.echo(f"Đã đọc {report.files_read} tệp bảng tính; bỏ qua {len(report.skipped)} tệp khác.")
    for y in report.years:
        t = y.summary[y.summary.group.isna()].iloc[0]
        click.echo(
            f"Năm {y.year}: {t.received} biểu mẫu — hợp lệ {t.valid}, bị từ chối {t.rejected}, "
            f"đủ điều kiện {t.eligible}, được khen thưởng {t.awarded} "
            f"(đề nghị Bằng khen {t.proposed}), đồng hạng chờ Hội đồng xét {t.tied}."
        )
    if report.unreadable:
        click.echo(f"{report.unreadable} tệp không đọc được hoặc không có biểu mẫu: xem loi.csv.")
    if report.run_id and report.run_id > 1:
        click.echo(
            f"So với lần chạy trước: {report.changed('new')} biểu mẫu mới, {report.changed('replaced')} nộp lại, "
            f"{report.changed('withdrawn')} đã rút, {report.changed('total')} đổi tổng điểm, "
            f"{report.changed('award')} đổi kết quả."
        )
    absent = sum(len(y.not_submitted) for y in report.years if y.not_submitted is not None)
    if absent:
        click.echo(f"{absent} đơn vị trong danh sách chưa nộp: xem trang «Chưa nộp».")
    click.echo(f"Kết quả ghi tại: {outputs}/" + ", ".join(str(y.year) for y in report.years))


@click.group()
@click.version_option(package_name="dan-van-kheo")
def main() -> None:
    """Tổng hợp bảng tự chấm điểm phong trào thi đua “Dân vận khéo”.

    Ví dụ: pipeline run --inputs inputs --outputs outputs
    """


@main.command("run")
@click.option("--inputs", type=click.Path(path_type=Path), default=Path("inputs"),
              show_default=True, help="Thư mục chứa các tệp đơn vị gửi (đọc cả thư mục con).")
@click.option("--outputs", type=click.Path(path_type=Path), default=Path("outputs"),
              show_default=True, help="Thư mục ghi kết quả.")
@RULES_OPTION
@click.option("--year", type=click.IntRange(1900, 2199), default=None,
              help="Năm đánh giá; mặc định là năm mà nhiều biểu mẫu ghi nhất.")
def run_cmd(inputs: Path, outputs: Path, rules_path: Path, year: int | None) -> None:
    """Đọc, kiểm tra, xếp hạng mọi biểu mẫu và ghi bảng tổng hợp.

    Ví dụ: pipeline run --inputs inputs --outputs outputs --year 2024

    Biểu mẫu lỗi không làm dừng việc chạy: chúng được liệt kê trong loi.csv và
    trong trang "Hồ sơ bị từ chối". Lệnh chỉ báo lỗi (mã thoát khác 0) khi
    không thể chạy: tệp quy định sai, không ghi được thư mục kết quả.
    """
    rules = _rules(rules_path)
    try:
        report = run(inputs, outputs, rules, year)
    except FATAL as exc:
        raise click.ClickException(str(exc)) from exc
    _summary(report, outputs)


@main.command("templates")
@click.option("--outputs", type=click.Path(path_type=Path), default=Path("outputs"),
              show_default=True, help="Biểu mẫu trống được ghi vào <outputs>/mau/.")
@RULES_OPTION
def templates_cmd(outputs: Path, rules_path: Path) -> None:
    """Ghi biểu mẫu trống (tập thể, cá nhân) để gửi các đơn vị.

    Ví dụ: pipeline templates --outputs outputs
    """
    from .templates import write_templates

    rules = _rules(rules_path)
    try:
        paths = write_templates(outputs / "mau", rules)
    except OSError as exc:
        raise click.ClickException(f"Không ghi được biểu mẫu vào {outputs / 'mau'}: {exc}") from exc
    for p in paths:
        click.echo(f"Đã ghi biểu mẫu trống: {p}")


@main.command("demo")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("build/demo"),
              show_default=True, help="Thư mục nháp: hồ sơ mẫu vào <dir>/inputs, kết quả vào <dir>/outputs.")
@RULES_OPTION
def demo_cmd(folder: Path, rules_path: Path) -> None:
    """Tạo bộ hồ sơ mẫu (đủ các nhóm, hai loại, có hồ sơ lỗi) rồi chạy trên bộ đó.

    Ví dụ: pipeline demo --dir build/demo
    """
    from .samples import write_samples

    rules = _rules(rules_path)
    inputs, outputs = folder / "inputs", folder / "outputs"
    n = len(write_samples(inputs, rules))
    click.echo(f"Đã tạo {n} tệp hồ sơ mẫu trong {inputs}.")
    try:
        report = run(inputs, outputs, rules)
    except FATAL as exc:
        raise click.ClickException(str(exc)) from exc
    _summary(report, outputs)
    for y in report.years:
        click.echo(f"Mở bảng tổng hợp: {outputs / str(y.year) / f'tong_hop_{y.year}.xlsx'}")


@main.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@RULES_OPTION
def check_cmd(files: tuple[Path, ...], rules_path: Path) -> None:
    """Kiểm tra ngay một vài tệp (không ghi gì): in từng biểu mẫu và mọi lỗi kèm ô.

    Dùng khi đơn vị còn đang gọi điện: xem ngay tệp họ gửi có lỗi gì.

    Ví dụ: pipeline check inputs/van_ninh/ubnd_xa_van_thang.xlsx
    """
    rules = _rules(rules_path)
    try:
        report = check_files(list(files), rules)
    except FATAL as exc:
        raise click.ClickException(str(exc)) from exc
    forms = [row for y in report.years for _, row in y.forms.iterrows()]
    for s in report.skipped:
        click.echo(f"Tệp: {s.rel}\n  Bỏ qua: {SKIPS[s.reason]}.")
    for rel in sorted({f.file for f in report.findings} | {r.file for r in forms}):
        click.echo(f"Tệp: {rel}")
        for r in (r for r in forms if r.file == rel):
            who = f"{rules.kind_name(r.kind) or '?'} «{r['name'] or '?'}» — {r.group or r.group_raw or '?'}, năm {r.year_raw or '?'}"
            if r.rejected:
                state = "BỊ TỪ CHỐI, cần sửa các lỗi dưới đây"
            elif r.eligible:
                state = f"hợp lệ, {format_number(r.total)} điểm, đủ điều kiện đề nghị khen thưởng"
            else:
                state = f"hợp lệ, {format_number(r.total)} điểm, chưa đủ điều kiện: " + "; ".join(r.reasons)
            click.echo(f"  Trang «{r.sheet}»: {who}: {state}.")
        for f in sorted((f for f in report.findings if f.file == rel), key=lambda f: (f.sheet, _row_col(f.cell))):
            label = "Lỗi" if f.is_error else "Cảnh báo"
            where = f" {f.where}" if f.where else ""
            click.echo(f"  [{label}]{where}: {f.message}")
    rejected = sum(1 for r in forms if r.rejected)
    unreadable = report.unreadable
    click.echo(
        f"Tổng cộng: {len(forms)} biểu mẫu, {len(forms) - rejected} hợp lệ, {rejected} bị từ chối"
        + (f"; {unreadable} tệp không đọc được hoặc không có biểu mẫu." if unreadable else ".")
    )


def _row_col(cell: str) -> tuple[int, int, str]:
    digits = "".join(ch for ch in cell if ch.isdigit())
    letters = "".join(ch for ch in cell if ch.isalpha())
    return (int(digits) if digits else 0, len(letters), letters)
