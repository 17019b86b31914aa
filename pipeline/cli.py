"""Command line: a thin layer over the library. The only module that imports click."""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.core.errors import PipelineError
from pipeline.core.findings import SKIPS, in_order
from pipeline.core.rules import DEFAULT_RULES, load_rules
from pipeline.core.text import format_number

# The stages (pandas, pandera, the writer) are imported by the commands that use them, not
# here: each worker process imports the program's main module again, which is this one, and
# with pandas it took over a second before the first file was read. `--help` is quick as well.
if TYPE_CHECKING:
    from pipeline.run import RunReport

RULES_OPTION = click.option(
    "--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_RULES,
    show_default="schemas/khanh_hoa.toml", help="Tệp quy định (TOML).",
)


def _rules(path: Path):
    try:
        return load_rules(path)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc


def _summary(report: RunReport, outputs: Path) -> None:
    if report.kept is not None:
        click.echo("Không tệp nào thay đổi kể từ lần chạy trước: các bảng kết quả đã ghi vẫn đúng, giữ nguyên.")
    click.echo(f"Đã đọc {report.files_read} tệp bảng tính; bỏ qua {len(report.skipped)} tệp khác.")
    for year, t in report.totals():
        click.echo(
            f"Năm {year}: {t['received']} biểu mẫu — hợp lệ {t['valid']}, bị từ chối {t['rejected']}, "
            f"đủ điều kiện {t['eligible']}, được khen thưởng {t['awarded']} "
            f"(đề nghị Bằng khen {t['proposed']}), đồng hạng chờ Hội đồng xét {t['tied']}."
        )
    if report.unreadable:
        click.echo(f"{report.unreadable} tệp không đọc được hoặc không có biểu mẫu: xem loi.csv.")
    if report.run_id and report.run_id > 1 and report.kept is None:
        click.echo(
            f"So với lần chạy trước có kết quả khác: {report.changed('new')} biểu mẫu mới, "
            f"{report.changed('replaced')} nộp lại, {report.changed('withdrawn')} đã rút, "
            f"{report.changed('total')} đổi tổng điểm, {report.changed('award')} đổi kết quả."
        )
    if report.not_submitted:
        click.echo(f"{report.not_submitted} đơn vị trong danh sách chưa nộp: xem trang «Chưa nộp».")
    click.echo(f"Kết quả ghi tại: {outputs}/" + ", ".join(str(year) for year, _ in report.totals()))


@contextlib.contextmanager
def _progress_bar():
    """On a terminal, a bar with files done, forms per second and time left; elsewhere (CI, cron,
    `make run > log`) nothing at all."""
    if not sys.stderr.isatty():
        yield None
        return
    start = time.monotonic()
    with click.progressbar(length=1, label="Đang đọc hồ sơ", file=sys.stderr, show_eta=True, show_pos=True,
                           item_show_func=lambda text: text) as bar:

        def progress(done: int, total: int, forms: int) -> None:
            bar.length = total
            rate = forms / max(time.monotonic() - start, 1e-6)
            bar.update(1, f"{rate:,.0f} biểu mẫu/giây")

        yield progress


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
    from pipeline.run import run

    rules = _rules(rules_path)
    with _progress_bar() as progress:
        try:
            report = run(inputs, outputs, rules, year, progress=progress)
        except PipelineError as exc:
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
    from pipeline.outputs.templates import write_templates

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
    from pipeline.run import run
    from pipeline.tools.samples import write_samples

    rules = _rules(rules_path)
    inputs, outputs = folder / "inputs", folder / "outputs"
    n = len(write_samples(inputs, rules))
    click.echo(f"Đã tạo {n} tệp hồ sơ mẫu trong {inputs}.")
    try:
        report = run(inputs, outputs, rules)
    except PipelineError as exc:
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
    from pipeline.run import check_files

    rules = _rules(rules_path)
    try:
        report = check_files(list(files), rules)
    except PipelineError as exc:
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
                state = f"hợp lệ, {format_number(r.total)} điểm, chưa đủ điều kiện: " + "; ".join(f.message for f in r.reasons)
            click.echo(f"  Trang «{r.sheet}»: {who}: {state}.")
        for f in in_order(f for f in report.findings if f.file == rel):
            label = "Lỗi" if f.is_error else "Cảnh báo"
            where = f" {f.where}" if f.where else ""
            click.echo(f"  [{label}]{where}: {f.message}")
    rejected = sum(1 for r in forms if r.rejected)
    unreadable = report.unreadable
    click.echo(
        f"Tổng cộng: {len(forms)} biểu mẫu, {len(forms) - rejected} hợp lệ, {rejected} bị từ chối"
        + (f"; {unreadable} tệp không đọc được hoặc không có biểu mẫu." if unreadable else ".")
    )



OUTPUTS_OPTION = click.option("--outputs", type=click.Path(path_type=Path), default=Path("outputs"), show_default=True,
                              help="Thư mục kết quả có sổ theo dõi (so_theo_doi.sqlite).")


def _ledger(outputs: Path):
    from pipeline.state.ledger import LEDGER_NAME, Ledger

    try:
        return Ledger(outputs / LEDGER_NAME, readonly=True)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc


@main.command("lich-su")
@click.argument("query")
@OUTPUTS_OPTION
@RULES_OPTION
def history_cmd(query: str, outputs: Path, rules_path: Path) -> None:
    """Quá trình của một đơn vị qua các năm: biểu mẫu, điểm, danh hiệu (tìm theo mã hoặc tên).

    Ví dụ: pipeline lich-su VN-VT-01
           pipeline lich-su "UBND xã Vạn Thắng" --outputs /mnt/chung/ket_qua
    """
    rules = _rules(rules_path)
    ledger = _ledger(outputs)
    try:
        units = ledger.find_units(query)
        if not units:
            click.echo(f"Không tìm thấy đơn vị nào có mã hoặc tên chứa «{query}» trong sổ theo dõi.")
            return
        forms, recs = ledger.unit_history(units)
    finally:
        ledger.close()
    for unit in units:
        mine_forms = [f for f in forms if f.unit == unit]
        mine_recs = [r for r in recs if r.unit == unit]
        first = mine_forms[0] if mine_forms else None
        name = first.name if first else mine_recs[0].name
        kind = first.kind if first else mine_recs[0].kind
        group = first.group if first else mine_recs[0].group
        codes = {f.unit_code for f in mine_forms if f.unit_code} | {r.unit_code for r in mine_recs if r.unit_code}
        code = "mã " + ", ".join(sorted(codes)) if codes else "không có mã"
        click.echo(f"{rules.kind_name(kind)} «{name}» ({code}), {group}")
        for year in sorted({f.year for f in mine_forms} | {r.year for r in mine_recs}):
            for f in (f for f in mine_forms if f.year == year):
                click.echo(f"  {year}: biểu mẫu {f.path} ({f.sheet}), {format_number(f.total)} điểm")
            for r in (r for r in mine_recs if r.year == year):
                title = rules.awards[r.title].short if r.title in rules.awards else rules.registers.titles.get(
                    r.title, (r.title,))[0]
                source = "nhập từ " + r.detail if r.source == "import" else "theo lần chạy, " + r.detail
                click.echo(f"  {year}: {title} ({source})")


@main.command("runs")
@OUTPUTS_OPTION
def runs_cmd(outputs: Path) -> None:
    """Các lần chạy trước trên thư mục kết quả này, và mỗi lần thay đổi những gì.

    Ví dụ: pipeline runs --outputs outputs
    """
    ledger = _ledger(outputs)
    try:
        runs = ledger.runs()
    finally:
        ledger.close()
    for r in runs:
        c = r["changes"]
        changed = (f"{c.get('new', 0)} mới, {c.get('replaced', 0)} nộp lại, {c.get('withdrawn', 0)} đã rút, "
                   f"{c.get('total', 0)} đổi điểm, {c.get('award', 0)} đổi kết quả") if any(c.values()) else "không"
        click.echo(
            f"#{r['id']}  {r['finished_at'][:16].replace('T', ' ')}  năm {r['year']}  phiên bản {r['program_version']}"
            f"  quy định {r['rules_sha256'][:8]}: {r['files']} tệp, {r['forms']} biểu mẫu, {r['rejected']} bị từ chối,"
            f" {r['eligible']} đủ điều kiện, {r['awarded']} khen thưởng; thay đổi: {changed}"
        )


@main.command("bench")
@click.option("-n", "--forms", "n", type=click.IntRange(10, 1_000_000), default=10_000, show_default=True,
              help="Số biểu mẫu sinh ra để đo.")
@click.option("--dir", "folder", type=click.Path(path_type=Path), default=Path("build/bench"), show_default=True)
@click.option("--no-baseline", is_flag=True, help="Bỏ phần đo cách đọc thông thường (pandas + openpyxl).")
@RULES_OPTION
def bench_cmd(n: int, folder: Path, no_baseline: bool, rules_path: Path) -> None:
    """Đo tốc độ: sinh N biểu mẫu, chạy toàn bộ, so với cách đọc thông thường.

    Ví dụ: pipeline bench -n 10000
    """
    from pipeline.tools.bench import bench

    result = bench(n, folder, _rules(rules_path), baseline=not no_baseline)
    f = result["forms"]
    click.echo(f"{'giai đoạn':<12}{'giây':>9}{'biểu mẫu/giây':>16}")
    for stage, seconds in result["stages"].items():
        rate = f"{f / seconds:,.0f}" if seconds > 0 else "-"
        click.echo(f"{stage:<12}{seconds:>9.2f}{rate:>16}")
    click.echo(f"{'tổng':<12}{result['seconds']:>9.2f}{result['forms_per_second']:>16,}")
    click.echo(f"Bộ nhớ đỉnh: tiến trình chính {result['memory']['main_mb']} MB, "
               f"tiến trình đọc {result['memory']['worker_mb']} MB; "
               f"mọi tiến trình cùng lúc {result['memory']['all_processes_mb']} MB "
               f"(chia đều phần dùng chung: {result['memory']['all_processes_pss_mb']} MB).")
    click.echo(f"Đọc (intake) / đọc trơn bằng python-calamine: {result['intake_vs_bare_calamine']}×.")
    if "speedup_vs_typical" in result:
        click.echo(f"Cách thông thường (pandas.read_excel + openpyxl): {result['typical_end_to_end_seconds']} giây; "
                   f"nhanh hơn {result['speedup_vs_typical']}×.")
    click.echo(f"Chạy lại khi không tệp nào đổi: {result['rerun_unchanged_seconds']} giây "
               f"({result['rerun_ratio']} lần thời gian lần đầu).")
    click.echo(f"Chạy lại khi một tệp được gửi lại: {result['rerun_one_file_changed_seconds']} giây "
               f"({result['rerun_one_file_changed_ratio']} lần thời gian lần đầu).")
    click.echo(f"Đã ghi outputs/bench/bench_{n}.json")


def _year(outputs: Path, year: int | None) -> int:
    if year:
        return year
    years = sorted(int(p.name) for p in outputs.glob("[0-9][0-9][0-9][0-9]") if p.is_dir())
    if not years:
        raise click.ClickException(f"Chưa có kết quả nào trong {outputs}: chạy `make run` trước.")
    return years[-1]


@main.command("email")
@OUTPUTS_OPTION
@click.option("--year", type=click.IntRange(1900, 2199), default=None, help="Năm; mặc định năm mới nhất.")
@RULES_OPTION
def email_cmd(outputs: Path, year: int | None, rules_path: Path) -> None:
    """Soạn sẵn thư (.eml) gửi từng nhóm, kèm bảng của nhóm đó; không gửi gì.

    Mở tệp .eml bằng Outlook hoặc Thunderbird, kiểm tra rồi bấm gửi.

    Ví dụ: pipeline email --outputs outputs
    """
    from pipeline.outputs.drafts import write_drafts

    rules = _rules(rules_path)
    year = _year(outputs, year)
    ledger = _ledger(outputs)
    try:
        last = ledger.last_run()
    finally:
        ledger.close()
    drafts = write_drafts(outputs, year, rules, last["results"] if last else {})
    for d in drafts:
        click.echo(f"Đã soạn thư: {d}")
    if not drafts:
        click.echo(f"Không có bảng nhóm nào trong {outputs / str(year) / 'theo_nhom'}.")


@main.command("preview")
@OUTPUTS_OPTION
@click.option("--year", type=click.IntRange(1900, 2199), default=None, help="Năm; mặc định năm mới nhất.")
def preview_cmd(outputs: Path, year: int | None) -> None:
    """Chuyển các bảng tổng hợp sang PDF bằng LibreOffice để xem trước khi in.

    Ví dụ: pipeline preview --outputs outputs
    """
    from pipeline.outputs.drafts import office, to_pdf

    year = _year(outputs, year)
    if office() is None:
        raise click.ClickException(
            "Chưa cài LibreOffice. Trên Debian/Ubuntu: sudo apt-get install libreoffice-calc; "
            "trên Windows: tải tại https://www.libreoffice.org rồi chạy lại."
        )
    folder = outputs / str(year)
    books = sorted([*folder.glob("tong_hop_*.xlsx"), *(folder / "theo_nhom").glob("*.xlsx")])
    for pdf in to_pdf(books, folder / "pdf"):
        click.echo(f"Đã ghi: {pdf}")
