"""Realistic sample submissions for the demo, the tests and the benchmark.

Every group and both kinds; the layouts units really send (labels in one cell or two, the
header on one row or two, scores typed as text, several forms in one workbook, forms that do
not start at A1); names of groups in the spellings people type; some ineligible forms, some
broken ones, a unit that sent twice, a tie at the edge of a quota; and the clutter of an inbox
folder (Excel lock files, evidence PDFs, hidden files). Group names come from the rules file.
"""

from __future__ import annotations

import os
import random
import unicodedata
from pathlib import Path

from pipeline.core.rules import GROUP_AWARD, Rules
from pipeline.core.text import slug
from pipeline.outputs.templates import FormSpec, write_register, write_workbook

# Sample place and person names (not tied to any rules file).
PLACES = ["An Bình", "Phú Hòa", "Tân Lập", "Hòa Thắng", "Phước Đồng", "Xuân Sơn", "Bình Lộc",
          "Thạnh Mỹ", "Đông Hải", "Ngọc Hiệp", "Vĩnh Trung", "Suối Cát", "Lương Sơn", "Hải Yến"]
ORGS = ["UBND xã {p}", "Hội Nông dân xã {p}", "Đoàn Thanh niên xã {p}", "Hội Liên hiệp Phụ nữ xã {p}",
        "Công an xã {p}", "Trường THCS {p}", "Trạm Y tế xã {p}", "Ban Chỉ huy Quân sự xã {p}"]
SURNAMES = ["Nguyễn", "Trần", "Lê", "Phạm", "Huỳnh", "Võ", "Phan", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Ngọc", "Minh", "Thanh", "Hữu", "Quang", "Thu", "Đức", "Hoàng"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Hùng", "Lan", "Long", "Mai", "Nam", "Oanh",
         "Phúc", "Quyên", "Sơn", "Tâm", "Thảo", "Trung", "Uyên", "Vy", "Yến", "Ánh", "Đạt", "Ơn"]
POSITIONS = ["Chủ tịch Hội Nông dân xã", "Bí thư Đoàn xã", "Trưởng thôn", "Công chức Văn phòng - Thống kê",
             "Chủ tịch Hội Phụ nữ xã", "Trưởng Công an xã", "Giáo viên", "Tổ trưởng tổ dân phố"]
MODELS = ["Dân vận khéo trong xây dựng nông thôn mới", "Dân vận khéo trong cải cách hành chính",
          "Vận động Nhân dân hiến đất mở đường", "Dân vận khéo trong bảo vệ môi trường biển",
          "Tổ an ninh tự quản", "Dân vận khéo trong chuyển đổi số", "Vận động giảm nghèo bền vững"]


def spelling_variants(group: str, rules: Rules) -> list[str]:
    """Ways people type a group's name: abbreviated prefix, no prefix, lower case, NFD, "oà"."""
    out = [group, group.lower(), unicodedata.normalize("NFD", group), group.replace("òa", "oà")]
    for canonical, *short in rules.group_index.prefix_rows:
        if group.startswith(canonical + " ") and short:
            core = group[len(canonical) + 1:]
            out += [f"{short[0]}. {core}", f"{short[0]} {core}", core]
    return out


def _person(rng: random.Random) -> str:
    return f"{rng.choice(SURNAMES)} {rng.choice(MIDDLE)} {rng.choice(GIVEN)}"


def _scores(kind, rng: random.Random, level: str) -> list[float]:
    """Scores for a kind's rubric: "high" passes every threshold, "low" misses one criterion."""
    out = []
    for c in kind.criteria:
        if level == "high":
            loss = rng.choice([0, 0, 0.5, 0.5, 1, 1.5, 2])
            out.append(c.points - min(loss, c.points * 0.1))
        else:
            out.append(c.points - rng.choice([0, 0.5, 1]))
    if level == "low":
        i = rng.randrange(len(out))
        out[i] = round(kind.criteria[i].points * 0.8)
    return out


def sample_specs(rules: Rules, rng: random.Random, year: int, per_group: tuple[int, int] = (4, 6)) -> list[tuple[str, list[FormSpec]]]:
    """(relative path, forms) for a realistic month of submissions."""
    files: list[tuple[str, list[FormSpec]]] = []
    field_names = list(rules.fields)
    kinds = list(rules.kinds)
    for gi, group in enumerate(rules.groups):
        folder = slug(group)
        variants = spelling_variants(group, rules)
        for kind in kinds:
            n = rng.randint(*per_group) + (2 if kind != kinds[0] else 0)
            if gi == 0 and kind == kinds[0]:
                n = 0  # the first group's collectives are the controlled edge cases below
            for i in range(n):
                place = rng.choice(PLACES)
                is_org = kind == kinds[0]
                name = rng.choice(ORGS).format(p=place) if is_org else _person(rng)
                spec = FormSpec(
                    kind=kind,
                    year=year if rng.random() > 0.1 else str(year),
                    name=name,
                    unit_code=f"N{gi + 1:02d}-{kind[:2].upper()}-{i + 1:02d}" if rng.random() < 0.7 else "",
                    position="" if is_org else rng.choice(POSITIONS),
                    group=rng.choice(variants),
                    commune=place,
                    model=rng.choice(MODELS),
                    field=rng.choice(field_names),
                    date=f"{rng.randint(1, 28):02d}/{rng.randint(6, 8):02d}/{year}",
                    scores=_scores(rules.kinds[kind], rng, "high" if rng.random() < 0.8 else "low"),
                    inline_labels=rng.random() < 0.3,
                    two_row_header=rng.random() < 0.3,
                    scores_as_text=rng.random() < 0.15,
                    total=rng.choice(["formula", "formula", "value", "none"]),
                    origin=(rng.choice([0, 0, 1, 2]), rng.choice([0, 0, 1])),
                )
                if rng.random() < 0.1:
                    spec.evidence = [f"Báo cáo số {j}/BC" for j in range(len(spec.scores))]
                    spec.evidence[rng.randrange(len(spec.evidence))] = ""
                files.append((f"{folder}/{kind}_{i + 1:02d}_{slug(name, 30)}.xlsx", [spec]))
        if gi == 0:
            files += _edge_cases(rules, group, folder, year)
    return files


def _edge_cases(rules: Rules, group: str, folder: str, year: int) -> list[tuple[str, list[FormSpec]]]:
    """The cases staff meet every month, on the first group."""
    kinds = list(rules.kinds)
    org, person = kinds[0], kinds[-1]
    quota = rules.awards[GROUP_AWARD].quota[org]
    full = [c.points for c in rules.kinds[org].criteria]
    out: list[tuple[str, list[FormSpec]]] = []
    # Ranked 1 and 2, then two units tied at rank 3 across the edge of a Giấy khen quota of 3:
    # both go to the council as "đồng hạng"; then a unit that sent twice (the later counts).
    ladder = [("dan_dau_1", "UBND xã Xuân Sơn", "TOP-1", 0.0), ("dan_dau_2", "UBND xã Bình Lộc", "TOP-2", 1.0),
              ("dong_hang_1", "Hội Cựu chiến binh xã An Bình", "TIE-1", 2.0),
              ("dong_hang_2", "Hội Cựu chiến binh xã Phú Hòa", "TIE-2", 2.0)]
    for rel, name, code, loss in ladder[: quota + 1]:
        scores = list(full)
        scores[0] -= loss / 2
        scores[1] -= loss / 2
        # One of the tied units says its share of women: the council sees Nghị định 152's preference.
        out.append((f"{folder}/{rel}.xlsx", [FormSpec(kind=org, year=year, name=name, unit_code=code,
                                                     group=group, scores=scores, date=f"10/08/{year}",
                                                     women="75%" if code == "TIE-1" else None)]))
    for when, dropped in (("01/08", (1,)), ("25/08", (1, 2, 3))):
        scores = list(full)
        for k in dropped:
            scores[k] -= 1
        out.append((f"{folder}/gui_lai/UBND_xa_Ninh_Tho_{when.replace('/', '_')}.xlsx", [FormSpec(
            kind=org, year=year, name="UBND xã Ninh Thọ", unit_code="RESENT-01", group=group,
            scores=scores, date=f"{when}/{year}", total="value")]))
    # Several individuals in one workbook, one per sheet.
    kp = rules.kinds[person]
    out.append((f"{folder}/ca_nhan_nhieu_nguoi.xlsx", [
        FormSpec(kind=person, year=year, name=n, group=group, position="Trưởng thôn", sheet=f"CN{k + 1}",
                 scores=[c.points - (0.5 if k else 0) for c in kp.criteria], two_row_header=bool(k))
        for k, n in enumerate(["Lê Thị Hồng", "Phạm Quang Vinh", "Võ Thị Thu Sương"])
    ]))
    # Broken forms: every problem of a file is reported at once, with its cell.
    bad = list(full)
    bad[0] = full[0] + 2
    bad[2] = None
    bad[3] = "mười bốn"
    out.append((f"{folder}/loi_nhieu_cho.xlsx", [FormSpec(kind=org, year=year, name="UBND xã Hòa Bình",
                                                         group="Huyện Hòn Tre", scores=bad, total=99)]))
    out.append((f"{folder}/thieu_nam.xlsx", [FormSpec(kind=person, year="", name="Trần Văn Khải",
                                                      group=group, scores=[c.points for c in kp.criteria])]))
    low = [c.points for c in rules.kinds[org].criteria]
    low[2] = 10
    out.append((f"{folder}/khong_du_diem.xlsx", [FormSpec(kind=org, year=year, name="Hội Người cao tuổi xã Tân Lập",
                                                          group=group, scores=low)]))
    # A form from last year that arrived late: it gets its own year's folder.
    out.append((f"{folder}/nam_truoc.xlsx", [FormSpec(kind=org, year=year - 1, name="UBND xã Xuân Sơn",
                                                      group=group, date=f"20/08/{year - 1}")]))
    return out


def write_samples(dest: Path, rules: Rules, seed: int = 2024, year: int = 2024,
                  per_group: tuple[int, int] = (4, 6)) -> list[Path]:
    """Write the sample submissions (and an inbox's clutter) under ``dest``; return the workbooks."""
    rng = random.Random(seed)
    written = []
    base_time = 1_722_470_400  # 1 August 2024, so file times never depend on the day of the demo
    for i, (rel, specs) in enumerate(sample_specs(rules, rng, year, per_group)):
        path = write_workbook(dest / rel, specs, rules)
        os.utime(path, (base_time + i * 60, base_time + i * 60))
        written.append(path)
    _registers(dest, rules, [s for _, specs in sample_specs(rules, random.Random(seed), year, per_group) for s in specs],
               random.Random(seed + 1), year)
    first = slug(rules.groups[0])
    # The clutter of a folder that emails are saved into.
    (dest / first / "~$dong_hang_1.xlsx").write_bytes(b"\x00lock")
    (dest / first / "bao_cao_thanh_tich.pdf").write_bytes(b"%PDF-1.4\n% sample evidence\n")
    (dest / first / ".DS_Store").write_bytes(b"\x00")
    # Broken files: the run reports them and goes on.
    (dest / first / "tep_hong.xlsx").write_bytes(b"PK\x03\x04 truncated download")
    _not_a_form(dest / first / "danh_sach_can_bo.xlsx")
    return written


def _not_a_form(path: Path) -> None:
    """A real workbook that holds no form (a staff list someone attached by mistake)."""
    import xlsxwriter

    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Danh sách")
    for r, row in enumerate([["STT", "Họ và tên", "Chức vụ"], [1, "Nguyễn Văn An", "Trưởng thôn"]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    wb.close()


def _registers(dest: Path, rules: Rules, specs: list[FormSpec], rng: random.Random, year: int) -> None:
    """Last year's recognitions (about half the units, some known by name only) and the roster
    of expected units (everyone who submitted, and two more per group who have not)."""
    history, roster = [], []
    for spec in specs:
        if not isinstance(spec.year, int) or spec.year != year:
            continue
        kind = rules.kinds[spec.kind].name
        group = rules.match_group(spec.group) or spec.group
        roster.append([spec.unit_code, spec.name, kind, group])
        if spec.unit_code.startswith("TOP-1") or spec.unit_code.startswith("TIE") or rng.random() < 0.5:
            title = rules.registers.titles["giay_khen_huyen"][0]
            history.append([year - 1, spec.unit_code, spec.name, kind, group, title])
    for g in rules.groups:
        for k, kd in rules.kinds.items():
            name = f"UBND xã {rng.choice(PLACES)} (chưa nộp)" if k == "tap_the" else f"{_person(rng)} (chưa nộp)"
            roster.append(["", name, kd.name, g])
    write_register(dest / "lich_su" / f"cong_nhan_{year - 1}.xlsx", rules.registers.history_columns, history)
    write_register(dest / "danh_sach" / f"don_vi_{year}.xlsx", rules.registers.roster_columns, roster)
