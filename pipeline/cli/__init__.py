"""Command line: a thin layer over the library. The only package that imports click.

Every word it prints comes from ``pipeline.outputs.words.CLI``; ``vietnamese`` makes click's
own words (usage, options, errors) Vietnamese as well. Library errors that stop a run
(``PipelineError``) become a message and a non-zero exit, and nothing else.
"""

from __future__ import annotations

import contextlib
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import click

from pipeline.cli.vietnamese import HELP_OPTION, Count, Group, Year
from pipeline.core.errors import PipelineError
from pipeline.core.findings import SKIPS, in_order
from pipeline.core.rules import DEFAULT_RULES, load_rules
from pipeline.core.text import format_number
from pipeline.outputs.words import CLI

# The stages (pandas, pandera, the writer) are imported by the commands that use them, not
# here: each worker process imports the program's main module again, which is this one, and
# with pandas it took over a second before the first file was read. `--help` is quick as well.
if TYPE_CHECKING:
    from pipeline.run import RunReport

RULES_OPTION = click.option("--rules", "rules_path", type=click.Path(dir_okay=False, path_type=Path),
                            metavar=CLI["metavar_file"], default=DEFAULT_RULES, help=CLI["opt_rules"])
OUTPUTS_OPTION = click.option("--outputs", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("outputs"),
                              help=CLI["opt_outputs_ledger"])


def _rules(path: Path):
    try:
        return load_rules(path)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc


def _summary(report: RunReport, outputs: Path) -> None:
    if report.kept is not None:
        click.echo(CLI["kept"])
    click.echo(CLI["read"].format(files=report.files_read, skipped=len(report.skipped)))
    for year, t in report.totals():
        click.echo(CLI["year_line"].format(**{**t, "year": year}))
    if report.unreadable:
        click.echo(CLI["unreadable"].format(n=report.unreadable))
    if report.decided:
        click.echo(CLI["decided"].format(n=report.decided))
    if report.review_refused:
        click.echo(CLI["review_refused"].format(n=report.review_refused))
    if report.run_id and report.run_id > 1 and report.kept is None:
        click.echo(CLI["changed"].format(**{k: report.changed(k) for k in ("new", "replaced", "withdrawn", "total",
                                                                            "award")}))
    if report.not_submitted:
        click.echo(CLI["not_submitted"].format(n=report.not_submitted))
    click.echo(CLI["written_at"].format(path=outputs, years=", ".join(str(year) for year, _ in report.totals())))


@contextlib.contextmanager
def _progress_bar():
    """On a terminal, a bar with files done, forms per second and time left; elsewhere (CI, cron,
    `make run > log`) nothing at all."""
    if not sys.stderr.isatty():
        yield None
        return
    start = time.monotonic()
    with click.progressbar(length=1, label=CLI["progress"], file=sys.stderr, show_eta=True, show_pos=True,
                           item_show_func=lambda text: text) as bar:

        def progress(done: int, total: int, forms: int) -> None:
            bar.length = total
            bar.update(1, CLI["rate"].format(rate=forms / max(time.monotonic() - start, 1e-6)))

        yield progress


@click.group(cls=Group)
@click.version_option(package_name="dan-van-kheo", help=CLI["version_option"], message=CLI["version"])
@HELP_OPTION
def main() -> None:
    """Tổng hợp bảng tự chấm điểm phong trào thi đua “Dân vận khéo”.

    Ví dụ: pipeline run --inputs inputs --outputs outputs
    """


@main.command("run")
@click.option("--inputs", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("inputs"), help=CLI["opt_inputs"])
@click.option("--outputs", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("outputs"), help=CLI["opt_outputs"])
@RULES_OPTION
@click.option("--year", type=Year(), default=None, help=CLI["opt_year"])
@HELP_OPTION
def run_cmd(inputs: Path, outputs: Path, rules_path: Path, year: int | None) -> None:
    """Đọc, kiểm tra, xếp hạng mọi biểu mẫu và ghi bảng tổng hợp.

    Ví dụ: pipeline run --inputs inputs --outputs outputs --year 2024

    Biểu mẫu lỗi không làm dừng việc chạy: chúng được liệt kê trong loi.csv và
    trong trang "Hồ sơ bị từ chối". Lệnh chỉ báo lỗi (mã thoát khác 0) khi
    không thể chạy: tệp quy định sai, thư mục hồ sơ trống, không ghi được thư
    mục kết quả.
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
@click.option("--outputs", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("outputs"), help=CLI["opt_templates_outputs"])
@RULES_OPTION
@HELP_OPTION
def templates_cmd(outputs: Path, rules_path: Path) -> None:
    """Ghi biểu mẫu trống (tập thể, cá nhân) để gửi các đơn vị.

    Ví dụ: pipeline templates --outputs outputs
    """
    from pipeline.outputs.templates import write_templates

    rules = _rules(rules_path)
    try:
        paths = write_templates(outputs / "mau", rules)
    except OSError as exc:
        raise click.ClickException(CLI["templates_failed"].format(path=outputs / "mau", reason=exc.strerror or exc)) from exc
    for p in paths:
        click.echo(CLI["template_written"].format(path=p))


@main.command("demo")
@click.option("--dir", "folder", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("build/demo"), help=CLI["opt_demo_dir"])
@RULES_OPTION
@HELP_OPTION
def demo_cmd(folder: Path, rules_path: Path) -> None:
    """Tạo bộ hồ sơ mẫu (đủ các nhóm, hai loại, có hồ sơ lỗi) rồi chạy trên bộ đó.

    Ví dụ: pipeline demo --dir build/demo
    """
    from pipeline.run import run
    from pipeline.tools.samples import write_samples

    rules = _rules(rules_path)
    inputs, outputs = folder / "inputs", folder / "outputs"
    click.echo(CLI["samples_written"].format(n=len(write_samples(inputs, rules)), path=inputs))
    try:
        report = run(inputs, outputs, rules)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    _summary(report, outputs)
    for y in report.years:
        click.echo(CLI["open_summary"].format(path=outputs / str(y.year) / f"tong_hop_{y.year}.xlsx"))


def _form_state(r, rules) -> str:
    if r.rejected:
        return CLI["check_rejected"]
    if r.eligible:
        return CLI["check_eligible"].format(total=format_number(r.total))
    return CLI["check_ineligible"].format(total=format_number(r.total), reasons="; ".join(f.message for f in r.reasons))


@main.command("check")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path), metavar=CLI["metavar_files"])
@RULES_OPTION
@HELP_OPTION
def check_cmd(files: tuple[Path, ...], rules_path: Path) -> None:
    """Kiểm tra ngay một vài tệp (không ghi gì): in từng biểu mẫu và mọi lỗi kèm ô.

    Dùng khi đơn vị còn đang gọi điện: xem ngay tệp họ gửi có lỗi gì. Mã
    thoát khác 0 khi có tệp hay biểu mẫu bị từ chối.

    Ví dụ: pipeline check inputs/van_ninh/ubnd_xa_van_thang.xlsx
    """
    from pipeline.run import check_files

    rules = _rules(rules_path)
    try:
        report = check_files(list(files), rules)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc
    forms = [row for y in report.years for row in y.forms.itertuples()]
    skipped = {s.rel: s for s in report.skipped}
    order = list(dict.fromkeys([*(wb.file.rel for wb in report.reads), *skipped]))
    given = {str(p): i for i, p in enumerate(files)}
    for rel in sorted(order, key=lambda rel: given.get(rel, len(given))):
        click.echo(CLI["check_file"].format(file=rel))
        if rel in skipped:
            click.echo(CLI["check_skipped"].format(reason=SKIPS[skipped[rel].reason]))
        for r in (r for r in forms if r.file == rel):
            who = CLI["check_who"].format(kind=rules.kind_name(r.kind) or "?", name=r.name or "?",
                                          group=r.group or r.group_raw or "?", year=r.year_raw or "?")
            click.echo(CLI["check_form"].format(sheet=r.sheet, who=who, state=_form_state(r, rules)))
        for f in in_order(f for f in report.findings if f.file == rel):
            click.echo(CLI["check_finding"].format(severity=CLI["severity_error" if f.is_error else "severity_warning"],
                                                   where=f" {f.where}" if f.where else "", message=f.message))
    rejected = sum(1 for r in forms if r.rejected)
    click.echo(CLI["check_total"].format(forms=len(forms), valid=len(forms) - rejected, rejected=rejected)
               + (CLI["check_unreadable"].format(n=report.unreadable) if report.unreadable else "") + ".")
    if rejected or report.unreadable:
        raise click.exceptions.Exit(1)


def _ledger(outputs: Path):
    from pipeline.state.ledger import LEDGER_NAME, Ledger

    try:
        return Ledger(outputs / LEDGER_NAME, readonly=True)
    except PipelineError as exc:
        raise click.ClickException(str(exc)) from exc


SOURCES = {"import": "imported", "run": "run", "decision": "decision"}


def _title(r, rules) -> str:
    from pipeline.outputs.record import award_label

    if r.source == "decision" and not r.title:
        return rules.council.no_award
    return award_label(r.title, rules) or rules.registers.titles.get(r.title, (r.title,))[0]


@main.command("lich-su")
@click.argument("query", metavar=CLI["metavar_query"])
@OUTPUTS_OPTION
@RULES_OPTION
@HELP_OPTION
def history_cmd(query: str, outputs: Path, rules_path: Path) -> None:
    """Quá trình của một đơn vị qua các năm: biểu mẫu, điểm, danh hiệu (tìm theo mã hoặc tên,
    có dấu hay không dấu).

    Ví dụ: pipeline lich-su VN-VT-01
           pipeline lich-su "UBND xã Vạn Thắng" --outputs /mnt/chung/ket_qua
    """
    rules = _rules(rules_path)
    ledger = _ledger(outputs)
    try:
        units = ledger.find_units(query)
        if not units:
            click.echo(CLI["history_none"].format(query=query))
            return
        forms, recs = ledger.unit_history(units)
    finally:
        ledger.close()
    for unit in units:
        mine_forms = [f for f in forms if f.unit == unit]
        mine_recs = [r for r in recs if r.unit == unit]
        about = mine_forms[0] if mine_forms else mine_recs[0]
        codes = sorted({f.unit_code for f in mine_forms if f.unit_code} | {r.unit_code for r in mine_recs if r.unit_code})
        code = CLI["history_codes"].format(codes=", ".join(codes)) if codes else CLI["history_no_code"]
        click.echo(CLI["history_unit"].format(kind=rules.kind_name(about.kind), name=about.name, code=code,
                                              group=about.group))
        for year in sorted({f.year for f in mine_forms} | {r.year for r in mine_recs}):
            for f in (f for f in mine_forms if f.year == year):
                click.echo(CLI["history_form"].format(year=year, path=f.path, sheet=f.sheet, total=format_number(f.total)))
            for r in (r for r in mine_recs if r.year == year):
                source = CLI[f"history_{SOURCES.get(r.source, 'run')}"].format(detail=r.detail)
                click.echo(CLI["history_title"].format(year=year, title=_title(r, rules), source=source))


@main.command("runs")
@OUTPUTS_OPTION
@HELP_OPTION
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
        changes = CLI["runs_changes"].format(**{k: c.get(k, 0) for k in ("new", "replaced", "withdrawn", "total", "award")}
                                             ) if any(c.values()) else CLI["runs_no_change"]
        click.echo(CLI["runs_line"].format(
            id=r["id"], finished=r["finished_at"][:16].replace("T", " "), year=r["year"], version=r["program_version"],
            rules=r["rules_sha256"][:8], files=r["files"], forms=r["forms"], rejected=r["rejected"],
            eligible=r["eligible"], awarded=r["awarded"], changes=changes))


@main.command("bench")
@click.option("-n", "--forms", "n", type=Count(10, 1_000_000), default=10_000, help=CLI["opt_bench_n"])
@click.option("--dir", "folder", type=click.Path(path_type=Path), metavar=CLI["metavar_folder"], default=Path("build/bench"), help=CLI["opt_bench_dir"])
@click.option("--no-baseline", is_flag=True, help=CLI["opt_no_baseline"])
@RULES_OPTION
@HELP_OPTION
def bench_cmd(n: int, folder: Path, no_baseline: bool, rules_path: Path) -> None:
    """Đo tốc độ: sinh N biểu mẫu, chạy toàn bộ, so với cách đọc thông thường.

    Ví dụ: pipeline bench -n 10000
    """
    from pipeline.tools.bench import bench

    result = bench(n, folder, _rules(rules_path), baseline=not no_baseline)
    f = result["forms"]
    click.echo(CLI["bench_head"].format(stage=CLI["bench_stage"], seconds=CLI["bench_seconds"], rate=CLI["bench_rate"]))
    for stage, seconds in result["stages"].items():
        rate = f"{f / seconds:,.0f}" if seconds > 0 else "-"
        click.echo(CLI["bench_head"].format(stage=stage, seconds=f"{seconds:.2f}", rate=rate))
    click.echo(CLI["bench_head"].format(stage=CLI["bench_total"], seconds=f"{result['seconds']:.2f}",
                                        rate=f"{result['forms_per_second']:,}"))
    m = result["memory"]
    click.echo(CLI["bench_memory"].format(main=m["main_mb"], worker=m["worker_mb"], all=m["all_processes_mb"],
                                          pss=m["all_processes_pss_mb"]))
    click.echo(CLI["bench_intake"].format(ratio=result["intake_vs_bare_calamine"]))
    if "speedup_vs_typical" in result:
        click.echo(CLI["bench_typical"].format(seconds=result["typical_end_to_end_seconds"],
                                               ratio=result["speedup_vs_typical"]))
    click.echo(CLI["bench_rerun"].format(seconds=result["rerun_unchanged_seconds"], ratio=result["rerun_ratio"]))
    click.echo(CLI["bench_one"].format(seconds=result["rerun_one_file_changed_seconds"],
                                       ratio=result["rerun_one_file_changed_ratio"]))
    click.echo(CLI["bench_written"].format(path=f"outputs/bench/bench_{n}.json"))


def _year(outputs: Path, year: int | None) -> int:
    if year:
        return year
    years = sorted(int(p.name) for p in outputs.glob("[0-9][0-9][0-9][0-9]") if p.is_dir())
    if not years:
        raise click.ClickException(CLI["no_results"].format(path=outputs))
    return years[-1]


@main.command("email")
@OUTPUTS_OPTION
@click.option("--year", type=Year(), default=None, help=CLI["opt_year_latest"])
@RULES_OPTION
@HELP_OPTION
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
        click.echo(CLI["draft_written"].format(path=d))
    if not drafts:
        click.echo(CLI["no_group_books"].format(path=outputs / str(year) / "theo_nhom"))


@main.command("preview")
@OUTPUTS_OPTION
@click.option("--year", type=Year(), default=None, help=CLI["opt_year_latest"])
@HELP_OPTION
def preview_cmd(outputs: Path, year: int | None) -> None:
    """Chuyển các bảng tổng hợp, bảng từng nhóm, phiếu phản hồi và các văn bản dự thảo (Quyết
    định, Tờ trình, Biên bản) sang PDF bằng LibreOffice để xem trước khi in.

    Ví dụ: pipeline preview --outputs outputs
    """
    from pipeline.outputs.drafts import office, to_pdf

    year = _year(outputs, year)
    if office() is None:
        raise click.ClickException(CLI["no_office"])
    folder = outputs / str(year)
    books = sorted([*folder.glob("tong_hop_*.xlsx"), *(folder / "theo_nhom").glob("*.xlsx")])
    letters = sorted((folder / "phan_hoi").glob("*.xlsx"))
    papers = sorted((folder / "van_ban").glob("*.docx"))
    for pdf in [*to_pdf(books, folder / "pdf"), *to_pdf(letters, folder / "pdf" / "phan_hoi"),
                *to_pdf(papers, folder / "pdf" / "van_ban")]:
        click.echo(CLI["pdf_written"].format(path=pdf))
