"""Reading and checking the rules file: a mistake stops the run before any submission is read,
with a message that names the offending key."""

from __future__ import annotations

import hashlib
import re
import tomllib
from fractions import Fraction
from pathlib import Path
from typing import Any

from pipeline.core.errors import RulesError
from pipeline.core.rules.model import (
    DEFAULT_RULES,
    GROUP_AWARD,
    HISTORY_TITLES,
    INFO_FIELDS,
    OPTIONAL_LABELS,
    PROPOSAL,
    TABLE_COLUMNS,
    Award,
    Calendar,
    Council,
    Criterion,
    Document,
    Eligibility,
    Email,
    FormLayout,
    Kind,
    Registers,
    Rules,
    TwoYearRule,
)
from pipeline.core.rules.names import NameIndex
from pipeline.core.rules.papers import load_papers
from pipeline.core.text import clean

_DAY_MONTH = re.compile(r"^(\d{1,2})/(\d{1,2})$")
_SHARE = re.compile(r"^\s*(\d+)\s*/\s*(\d+)\s*$")


class Reader:
    """Walks the parsed TOML, refusing unknown keys and wrong types with the key's full path."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, where: str, what: str) -> RulesError:
        return RulesError(f"Tệp quy định {self.path.name}: khóa «{where}» {what}.", code="rules-invalid")

    def table(self, data: Any, where: str, allowed: set[str] | None, required: set[str]) -> dict:
        if not isinstance(data, dict):
            raise self.fail(where, "phải là một bảng (table)")
        if allowed is not None:
            for k in data:
                if k not in allowed:
                    name = f"{where}.{k}" if where else k
                    raise self.fail(name, "không có trong quy định — kiểm tra lỗi chính tả")
        for k in sorted(required):
            if k not in data:
                raise self.fail(f"{where}.{k}" if where else k, "bị thiếu")
        return data

    def text(self, data: dict, k: str, where: str) -> str:
        value = data[k]
        if not isinstance(value, str) or not clean(value):
            raise self.fail(f"{where}.{k}", "phải là một chuỗi chữ không rỗng")
        return clean(value)

    def texts(self, data: dict, k: str, where: str) -> list[str]:
        value = data[k]
        if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and clean(v) for v in value
        ):
            raise self.fail(f"{where}.{k}", "phải là một danh sách chuỗi chữ không rỗng")
        return [clean(v) for v in value]

    def number(self, data: dict, k: str, where: str, minimum: float = 0) -> float:
        value = data[k]
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < minimum:
            raise self.fail(f"{where}.{k}", f"phải là một số không nhỏ hơn {minimum:g} (đang là {value!r})")
        return float(value)

    def whole(self, data: dict, k: str, where: str) -> int:
        value = data[k]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise self.fail(f"{where}.{k}", f"phải là một số nguyên không âm (đang là {value!r})")
        return value

    def day_month(self, data: dict, k: str, where: str) -> tuple[int, int]:
        m = _DAY_MONTH.match(str(data[k]))
        if not m or not (1 <= int(m[2]) <= 12 and 1 <= int(m[1]) <= 31):
            raise self.fail(f"{where}.{k}", f"phải có dạng ngày/tháng, ví dụ \"01/09\" (đang là {data[k]!r})")
        return int(m[1]), int(m[2])

    def aliases(self, data: dict, where: str, names: list[str]) -> dict[str, list[str]]:
        table = self.table(data.get("aliases", {}), f"{where}.aliases", None, set())
        out = {}
        for name, _spellings in table.items():
            if clean(name) not in names:
                raise self.fail(f"{where}.aliases.{name}", "không phải là tên có trong danh sách")
            out[clean(name)] = self.texts(table, name, f"{where}.aliases")
        return out


def _kinds(r: Reader, data: dict) -> dict[str, Kind]:
    kinds_raw = r.table(data["kinds"], "kinds", None, set())
    if not kinds_raw:
        raise r.fail("kinds", "phải có ít nhất một loại điển hình")
    kinds: dict[str, Kind] = {}
    for code, kd in kinds_raw.items():
        where = f"kinds.{code}"
        kd = r.table(
            kd, where, {"name", "title", "name_label", "total", "criteria", "person"}, {"name", "total", "criteria"}
        )
        total = r.number(kd, "total", where, minimum=1)
        if not isinstance(kd["criteria"], list) or not kd["criteria"]:
            raise r.fail(f"{where}.criteria", "phải có ít nhất một tiêu chí")
        criteria = []
        for i, c in enumerate(kd["criteria"], start=1):
            cw = f"{where}.criteria[{i}]"
            c = r.table(c, cw, {"stt", "points", "text", "evidence"}, {"stt", "points", "text"})
            stt = r.whole(c, "stt", cw)
            if stt != i:
                raise r.fail(f"{cw}.stt", f"phải là {i}: các tiêu chí đánh số liên tục từ 1 (đang là {stt})")
            evidence = r.text(c, "evidence", cw) if "evidence" in c else ""
            criteria.append(Criterion(stt, r.number(c, "points", cw, minimum=0), r.text(c, "text", cw), evidence))
        points = sum(c.points for c in criteria)
        if abs(points - total) > 1e-9:
            raise r.fail(
                f"{where}.criteria",
                f"có tổng điểm chuẩn {points:g}, khác tổng điểm {total:g} ghi ở {where}.total",
            )
        title = r.text(kd, "title", where) if "title" in kd else ""
        name_label = r.text(kd, "name_label", where) if "name_label" in kd else ""
        person = kd.get("person", False)
        if not isinstance(person, bool):
            raise r.fail(f"{where}.person", "phải là true hoặc false")
        kinds[code] = Kind(code, r.text(kd, "name", where), title, name_label, total, tuple(criteria), person)

    return kinds


def _groups(r: Reader, grouping: dict) -> tuple[list[str], NameIndex]:
    groups = r.texts(grouping, "groups", "grouping")
    prefixes = grouping.get("prefixes", [])
    if not isinstance(prefixes, list) or not all(
        isinstance(p, list) and p and all(isinstance(s, str) and clean(s) for s in p) for p in prefixes
    ):
        raise r.fail("grouping.prefixes", "phải là danh sách các dòng [tiền tố chuẩn, cách viết tắt, …]")
    prefixes = [[clean(s) for s in p] for p in prefixes]
    group_aliases = r.aliases(grouping, "grouping", groups)
    group_index = NameIndex(groups, group_aliases, prefixes)
    for dup in group_index.duplicates(groups):
        raise r.fail("grouping.groups", f"có nhóm «{dup}» bị trùng")

    return groups, group_index


def _fields(r: Reader, data: dict) -> tuple[list[str], NameIndex]:
    fields_t = r.table(data["fields"], "fields", {"names", "aliases"}, {"names"})
    fields = r.texts(fields_t, "names", "fields")
    field_index = NameIndex(fields, r.aliases(fields_t, "fields", fields), [])
    for dup in field_index.duplicates(fields):
        raise r.fail("fields.names", f"có lĩnh vực «{dup}» bị trùng")

    return fields, field_index


def _eligibility(r: Reader, data: dict) -> Eligibility:
    el_keys = {"criterion_min_percent", "total_min", "evidence_required"}
    el = r.table(data["eligibility"], "eligibility", el_keys, el_keys)
    percent = r.number(el, "criterion_min_percent", "eligibility")
    if percent > 100:
        raise r.fail("eligibility.criterion_min_percent", "không được lớn hơn 100")
    if not isinstance(el["evidence_required"], bool):
        raise r.fail("eligibility.evidence_required", "phải là true hoặc false")
    eligibility = Eligibility(percent, r.number(el, "total_min", "eligibility"), el["evidence_required"])

    return eligibility


def _awards(r: Reader, data: dict, kinds: dict[str, Kind]) -> dict[str, Award]:
    awards_raw = r.table(data["awards"], "awards", {GROUP_AWARD, PROPOSAL}, {GROUP_AWARD, PROPOSAL})
    awards: dict[str, Award] = {}
    for code, aw in awards_raw.items():
        where = f"awards.{code}"
        aw = r.table(aw, where, {"name", "short", "quota"}, {"name", "quota"})
        quota_t = r.table(aw["quota"], f"{where}.quota", set(kinds), set(kinds))
        quota = {k: r.whole(quota_t, k, f"{where}.quota") for k in kinds}
        short = r.text(aw, "short", where) if "short" in aw else r.text(aw, "name", where)
        awards[code] = Award(code, r.text(aw, "name", where), short, quota)
    for k in kinds:
        if awards[PROPOSAL].quota[k] > awards[GROUP_AWARD].quota[k]:
            raise r.fail(
                f"awards.{PROPOSAL}.quota.{k}",
                f"không được lớn hơn awards.{GROUP_AWARD}.quota.{k}: chỉ đề nghị trong số được Giấy khen",
            )

    return awards


def _calendar(r: Reader, data: dict) -> Calendar:
    cal_keys = {"registration_before", "dossier_before", "evaluation_quarter", "report_before"}
    cal = r.table(data["calendar"], "calendar", cal_keys | {"late_blocks_eligibility"}, cal_keys)
    late = cal.get("late_blocks_eligibility", False)
    if not isinstance(late, bool):
        raise r.fail("calendar.late_blocks_eligibility", "phải là true hoặc false")
    quarter = r.whole(cal, "evaluation_quarter", "calendar")
    if not 1 <= quarter <= 4:
        raise r.fail("calendar.evaluation_quarter", "phải từ 1 đến 4")
    calendar = Calendar(
        r.day_month(cal, "registration_before", "calendar"),
        r.day_month(cal, "dossier_before", "calendar"),
        quarter,
        r.day_month(cal, "report_before", "calendar"),
        late,
    )

    return calendar


def _two_year_rule(r: Reader, data: dict) -> TwoYearRule:
    tyr = r.table(data["two_year_rule"], "two_year_rule",
                  {"enabled", "years"}, {"enabled", "years"})
    if not isinstance(tyr["enabled"], bool):
        raise r.fail("two_year_rule.enabled", "phải là true hoặc false")
    years = r.whole(tyr, "years", "two_year_rule")
    if years < 1:
        raise r.fail("two_year_rule.years", "phải từ 1 trở lên")
    two_year_rule = TwoYearRule(tyr["enabled"], years)

    return two_year_rule


def _registers(r: Reader, data: dict) -> Registers:
    reg = r.table(data["registers"], "registers",
                  {"history_columns", "roster_columns", "titles"}, {"history_columns", "roster_columns", "titles"})
    titles_t = r.table(reg["titles"], "registers.titles", set(HISTORY_TITLES), set(HISTORY_TITLES))
    history_columns = r.texts(reg, "history_columns", "registers")
    roster_columns = r.texts(reg, "roster_columns", "registers")
    if len(history_columns) != 6:
        raise r.fail("registers.history_columns", "phải có đúng 6 cột: năm, mã, tên, loại, nhóm, danh hiệu")
    if len(roster_columns) != 4:
        raise r.fail("registers.roster_columns", "phải có đúng 4 cột: mã, tên, loại, nhóm")
    registers = Registers(
        tuple(history_columns), tuple(roster_columns),
        {t: tuple(r.texts(titles_t, t, "registers.titles")) for t in HISTORY_TITLES},
    )

    return registers


def _form(r: Reader, data: dict) -> FormLayout:
    form = r.table(
        data["form"], "form", {"title", "total_row", "required", "labels", "columns"},
        {"title", "total_row", "labels", "columns"},
    )
    labels_t = r.table(form["labels"], "form.labels", set(INFO_FIELDS), set(INFO_FIELDS) - set(OPTIONAL_LABELS))
    columns_t = r.table(form["columns"], "form.columns", set(TABLE_COLUMNS), set(TABLE_COLUMNS))
    required = r.texts(form, "required", "form") if "required" in form else ["kind", "year", "name", "group"]
    for name in required:
        if name not in INFO_FIELDS:
            raise r.fail("form.required", f"có trường «{name}» không tồn tại (các trường: {', '.join(INFO_FIELDS)})")
    layout = FormLayout(
        title=r.text(form, "title", "form"),
        total_row=tuple(r.texts(form, "total_row", "form")),
        required=tuple(required),
        labels={f: tuple(r.texts(labels_t, f, "form.labels")) if f in labels_t else () for f in INFO_FIELDS},
        columns={c: tuple(r.texts(columns_t, c, "form.columns")) for c in TABLE_COLUMNS},
    )

    return layout


def _document(r: Reader, data: dict) -> Document:
    doc_keys = {"issuer", "nation", "motto", "place", "signer_title", "signer_name", "preparer"}
    doc = r.table(data["document"], "document", doc_keys, doc_keys - {"signer_name"})
    document = Document(
        tuple(r.texts(doc, "issuer", "document")), r.text(doc, "nation", "document"), r.text(doc, "motto", "document"),
        r.text(doc, "place", "document"), r.text(doc, "signer_title", "document"),
        clean(doc.get("signer_name", "")), r.text(doc, "preparer", "document"))
    return document


def _email(r: Reader, data: dict, groups: list[str]) -> Email:
    mail = r.table(data["email"], "email",
                   {"subject", "body", "recipients"}, {"subject", "body"})
    recipients = r.table(mail.get("recipients", {}), "email.recipients", None, set())
    for g, address in recipients.items():
        if clean(g) not in groups:
            raise r.fail(f"email.recipients.{g}", "không phải là nhóm có trong grouping.groups")
        if not isinstance(address, str) or "@" not in address:
            raise r.fail(f"email.recipients.{g}", "phải là một địa chỉ thư điện tử")
    email = Email(r.text(mail, "subject", "email"), str(mail["body"]).strip(),
                  {clean(g): a.strip() for g, a in recipients.items()})

    return email


def _share(r: Reader, data: dict, k: str, where: str) -> Fraction:
    m = _SHARE.match(str(data[k]))
    if not m or int(m[2]) == 0 or int(m[1]) > int(m[2]):
        raise r.fail(f"{where}.{k}", f"phải là một phân số không lớn hơn 1, ví dụ \"2/3\" (đang là {data[k]!r})")
    return Fraction(int(m[1]), int(m[2]))


def _council(r: Reader, data: dict) -> Council:
    keys = {"members", "quorum", "majority", "no_award", "woman", "women_percent", "preference_basis"}
    c = r.table(data["council"], "council", keys, keys)
    members = r.whole(c, "members", "council")
    if members < 1:
        raise r.fail("council.members", "phải từ 1 trở lên")
    percent = r.number(c, "women_percent", "council")
    if percent > 100:
        raise r.fail("council.women_percent", "không được lớn hơn 100")
    return Council(members, _share(r, c, "quorum", "council"),
                   _share(r, c, "majority", "council"), r.text(c, "no_award", "council"),
                   tuple(r.texts(c, "woman", "council")), percent, r.text(c, "preference_basis", "council"))


def _check_committees(r: Reader, rules: Rules) -> Rules:
    """Every group with drafts of its own has a party committee when the drafts name it."""
    if rules.papers.uses("committee"):
        for group in rules.groups:
            if rules.papers.has_documents(group) and not rules.committee(group):
                raise r.fail("papers.committees", f"chưa ghi cấp ủy ứng với tiền tố tên nhóm «{group}», trong "
                             "khi lời văn có dùng {committee}: thêm tiền tố vào [papers.committees], hoặc ghi "
                             "nhóm vào papers.without_documents nếu nhóm không có văn bản riêng")
    return rules


def load_rules(path: str | Path | None = None) -> Rules:
    """Read and check a rules file. Raises RulesError naming the key at fault."""
    path = Path(path) if path else DEFAULT_RULES
    try:
        raw_bytes = path.read_bytes()
    except OSError as exc:
        raise RulesError(f"Không đọc được tệp quy định {path}: {exc.strerror or exc}.") from exc
    try:
        data = tomllib.loads(raw_bytes.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RulesError(f"Tệp quy định {path.name} sai cú pháp TOML: {exc}.") from exc
    r = Reader(path)
    top = {"province", "grouping", "fields", "eligibility", "awards", "calendar", "form", "kinds",
           "two_year_rule", "registers", "document", "email", "council", "papers"}
    r.table(data, "", top, top)

    province = r.table(data["province"], "province", {"name", "movement"}, {"name", "movement"})
    kinds = _kinds(r, data)
    grouping = r.table(
        data["grouping"], "grouping", {"label", "prefixes", "groups", "aliases"}, {"label", "groups"}
    )
    groups, group_index = _groups(r, grouping)
    fields, field_index = _fields(r, data)
    return _check_committees(r, Rules(
        path=path,
        sha256=hashlib.sha256(raw_bytes).hexdigest(),
        province=r.text(province, "name", "province"),
        movement=r.text(province, "movement", "province"),
        group_label=r.text(grouping, "label", "grouping"),
        groups=tuple(groups),
        fields=tuple(fields),
        eligibility=_eligibility(r, data),
        awards=_awards(r, data, kinds),
        calendar=_calendar(r, data),
        form=_form(r, data),
        kinds=kinds,
        two_year_rule=_two_year_rule(r, data),
        registers=_registers(r, data),
        document=_document(r, data),
        email=_email(r, data, groups),
        council=_council(r, data),
        papers=load_papers(r, data, groups, [row[0] for row in group_index.prefix_rows]),
        group_index=group_index,
        field_index=field_index,
        kind_index=NameIndex([kd.name for kd in kinds.values()], {}, []),
    ))
