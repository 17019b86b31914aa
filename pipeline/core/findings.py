"""Problems found in the data, and the reasons behind outcomes, as values: one Finding each.

A finding is never an exception: the run collects them and goes on. Exceptions are kept for
"the run cannot go on" (``pipeline.core.errors``). Every sentence the pipeline says about a form
— a problem, a warning, or why it was not eligible, not awarded, tied or superseded — lives in
the tables below, under a stable code that outputs carry and tests assert.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ERROR = "error"
WARNING = "warning"
REASON = "reason"  # not a problem: why an accepted form's outcome is what it is

# code -> (severity, Vietnamese template). Templates may use {found}, {expected}, {label}, {stt}.
MESSAGES: dict[str, tuple[str, str]] = {
    "file-unreadable": (
        ERROR,
        "Không mở được tệp: cấu trúc bên trong tệp bị hỏng. Đề nghị đơn vị mở tệp bằng Excel, lưu lại "
        "(.xlsx) và gửi lại.",
    ),
    "file-inaccessible": (
        ERROR,
        "Chương trình không mở được tệp này trên máy ({found}) — cán bộ kiểm tra quyền đọc tệp, hoặc tệp "
        "có đang mở ở chương trình khác, rồi chạy lại. Không phải lỗi của đơn vị.",
    ),
    "password-protected": (
        ERROR,
        "Tệp được đặt mật khẩu — đề nghị đơn vị gửi lại bản không đặt mật khẩu.",
    ),
    "not-a-spreadsheet": (
        ERROR,
        "Tệp mang tên bảng tính nhưng nội dung không phải bảng tính ({found}) — có thể là tệp khác "
        "bị đổi tên hoặc tải về chưa hết. Đề nghị đơn vị gửi lại tệp Excel.",
    ),
    "wrong-file-type": (
        ERROR,
        "Tệp mang tên bảng tính nhưng thực ra là {found} — đề nghị đơn vị gửi {expected} thay cho tệp này "
        "(tài liệu kiểm chứng gửi kèm riêng).",
    ),
    "file-too-large": (
        ERROR,
        "Tệp quá lớn ({found}; giới hạn {expected}) so với một bảng tự chấm điểm — không đọc. "
        "Đề nghị đơn vị gửi riêng biểu mẫu.",
    ),
    "zip-bomb": (
        ERROR,
        "Tệp nén bất thường: giải nén ra {found} (giới hạn {expected}) — có thể là tệp độc hại, không đọc.",
    ),
    "xml-entity": (
        ERROR,
        "Tệp chứa khai báo DOCTYPE/ENTITY trong phần XML ({found}) — có thể là tệp độc hại, không đọc.",
    ),
    "reader-crashed": (
        ERROR,
        "Tệp hỏng nặng đến mức làm dừng chương trình đọc — đề nghị đơn vị mở lại bằng Excel, "
        "lưu thành .xlsx và gửi lại.",
    ),
    "reader-timeout": (
        ERROR,
        "Đọc tệp quá {expected} giây mà chưa xong — tệp bất thường, không đọc. Đề nghị đơn vị gửi lại "
        "bản chỉ có biểu mẫu.",
    ),
    "program-error": (
        ERROR,
        "Lỗi của chương trình khi đọc tệp này — không phải lỗi của đơn vị. Chi tiết kỹ thuật đã ghi vào "
        "nhật ký (nhat_ky.log trong thư mục kết quả); đề nghị báo cho người quản trị chương trình.",
    ),
    "letter-failed": (
        ERROR,
        "Không lập được phiếu phản hồi cho tệp này — chi tiết ở nhật ký (nhat_ky.log); các lỗi của tệp vẫn "
        "có trong bảng tổng hợp và loi.csv.",
    ),
    "empty-workbook": (ERROR, "Tệp không có trang tính nào có dữ liệu."),
    "no-form-found": (
        ERROR,
        "Không tìm thấy bảng tự đánh giá chấm điểm nào trong tệp: cần có dòng tiêu đề bảng "
        "gồm các cột {expected}.",
    ),
    "table-not-found": (
        ERROR,
        "Trang tính có tiêu đề biểu mẫu nhưng không tìm thấy dòng tiêu đề bảng tiêu chí "
        "({expected}).",
    ),
    "info-missing": (ERROR, "Thiếu thông tin «{label}» — đề nghị đơn vị ghi bổ sung."),
    "kind-unknown": (ERROR, "Loại điển hình «{found}» không hợp lệ: cần là {expected}."),
    "year-invalid": (ERROR, "Năm đánh giá «{found}» không hợp lệ: cần là một năm, ví dụ {expected}."),
    "group-unknown": (
        ERROR,
        "«{found}» không có trong danh sách {label} của quy định: cần là một trong {expected}.",
    ),
    "field-unknown": (ERROR, "Lĩnh vực «{found}» không hợp lệ: cần là một trong {expected}."),
    "group-ambiguous": (
        ERROR, "«{found}» có thể là {expected} — đề nghị đơn vị ghi đầy đủ tên {label}.",
    ),
    "field-ambiguous": (
        ERROR, "«{found}» có thể là {expected} — đề nghị đơn vị ghi đầy đủ tên {label}.",
    ),
    "criteria-count": (
        ERROR,
        "Bảng có {found} tiêu chí, mẫu quy định cho loại điển hình này có {expected} tiêu chí.",
    ),
    "criterion-order": (
        ERROR,
        "Số thứ tự tiêu chí là «{found}», theo mẫu dòng này phải là tiêu chí {expected}.",
    ),
    "standard-mismatch": (
        ERROR,
        "Điểm chuẩn của tiêu chí {stt} là «{found}», theo quy định phải là {expected}.",
    ),
    "score-empty": (ERROR, "Tiêu chí {stt} chưa chấm điểm (ô điểm tự chấm để trống)."),
    "score-not-number": (
        ERROR,
        "Điểm tự chấm của tiêu chí {stt} là «{found}», không phải là số (ví dụ đúng: 13,5).",
    ),
    "score-negative": (ERROR, "Điểm tự chấm của tiêu chí {stt} là {found}, không được âm."),
    "score-above-max": (
        ERROR,
        "Điểm tự chấm của tiêu chí {stt} là {found}, vượt điểm chuẩn {expected}.",
    ),
    "total-not-number": (ERROR, "Tổng điểm ghi «{found}» không phải là số."),
    "scores-as-text": (
        ERROR,
        "Tổng điểm hiện {found} vì điểm các tiêu chí được nhập dạng chữ (Excel không cộng ô chữ); cộng các "
        "tiêu chí được {expected}. Đề nghị nhập lại điểm dạng số để tổng điểm tự cộng đúng.",
    ),
    "total-mismatch": (
        ERROR,
        "Tổng điểm ghi {found}, nhưng cộng điểm các tiêu chí được {expected}.",
    ),
    "legacy-encoding": (
        WARNING,
        "Văn bản gõ bằng bảng mã {found} (phông chữ cũ) đã được chuyển sang Unicode; "
        "nên kiểm tra lại tên và nội dung trong bảng tổng hợp.",
    ),
    "total-computed": (WARNING, "Không ghi tổng điểm; đã cộng các tiêu chí được {expected}."),
    "date-from-text": (WARNING, "Ngày lập ghi dạng chữ «{found}», đã hiểu là ngày {expected}."),
    "register-no-header": (
        ERROR,
        "Không tìm thấy dòng tiêu đề gồm các cột {expected} — tệp trong thư mục {label} phải có "
        "đúng một dòng tiêu đề như mẫu.",
    ),
    "register-year-invalid": (ERROR, "Năm «{found}» không hợp lệ: cần là một năm, ví dụ {expected}."),
    "register-name-missing": (ERROR, "Dòng không có cả mã đơn vị lẫn tên: không biết là đơn vị nào."),
    "register-kind-unknown": (ERROR, "Loại «{found}» không hợp lệ: cần là {expected}."),
    "register-group-unknown": (
        ERROR, "«{found}» không có trong danh sách {label} của quy định: cần là một trong {expected}.",
    ),
    "register-title-unknown": (ERROR, "Danh hiệu «{found}» không hợp lệ: cần là {expected}."),
    "late": (
        WARNING,
        "Nộp muộn: ngày lập {found}, hạn nộp hồ sơ là trước ngày {expected}.",
    ),
    # The staff's review workbooks (inputs/xet_khen_thuong/): appraisal and the council's decisions.
    "review-no-table": (
        ERROR,
        "Không tìm thấy bảng xét khen thưởng: cần có cột «{expected}» như trong tệp chương trình đã lập "
        "(outputs/<năm>/xet_khen_thuong_<năm>.xlsx).",
    ),
    "review-misplaced": (
        ERROR,
        "Đây là bảng xét khen thưởng của cán bộ, không phải biểu mẫu của đơn vị — lưu tệp vào thư mục "
        "{expected} để chương trình đọc điểm thẩm định và quyết định của Hội đồng.",
    ),
    "review-duplicate": (WARNING, "Hồ sơ này cũng có trong tệp «{expected}», lưu sau — lấy theo tệp đó."),
    "review-row-unknown": (
        WARNING,
        "Dòng có khóa «{found}» không ứng với hồ sơ nào còn trong thư mục hồ sơ (đã rút hoặc đổi tên) — "
        "bỏ qua dòng này.",
    ),
    "review-form-replaced": (
        WARNING,
        "Đơn vị đã gửi hồ sơ khác thay cho hồ sơ «{expected}» mà dòng này thẩm định — điểm thẩm định và "
        "quyết định của dòng không được áp dụng; đề nghị thẩm định lại trên bảng mới.",
    ),
    "appraisal-not-number": (
        ERROR, "Điểm thẩm định tiêu chí {stt} là «{found}», không phải là số — giữ điểm tự chấm.",
    ),
    "appraisal-out-of-range": (
        ERROR, "Điểm thẩm định tiêu chí {stt} là {found}, ngoài khoảng từ 0 đến {expected} — giữ điểm tự chấm.",
    ),
    "appraisal-no-reason": (WARNING, "Điểm thẩm định khác điểm tự chấm nhưng chưa ghi lý do điều chỉnh."),
    "decision-unknown": (ERROR, "Quyết định «{found}» không hợp lệ: cần là {expected} — chưa áp dụng."),
    "meeting-missing": (
        ERROR, "Chưa ghi «{label}» của cuộc họp Hội đồng — các quyết định trên trang này chưa được áp dụng.",
    ),
    "meeting-invalid": (
        ERROR,
        "«{label}» ghi «{found}», không hợp lệ (cần {expected}) — các quyết định trên trang này chưa được "
        "áp dụng.",
    ),
    "no-quorum": (
        ERROR,
        "Cuộc họp có {found} trên {members} thành viên dự họp, chưa đủ {expected} — các quyết định trên "
        "trang này chưa được áp dụng.",
    ),
    "votes-missing": (ERROR, "Chưa ghi số phiếu đồng ý — quyết định khen thưởng chưa được áp dụng."),
    "votes-invalid": (
        ERROR,
        "Số phiếu đồng ý «{found}» không hợp lệ: cần là số nguyên từ 0 đến {expected} (số thành viên dự "
        "họp) — quyết định chưa được áp dụng.",
    ),
    "no-majority": (
        ERROR,
        "{found} phiếu đồng ý trên {present} thành viên dự họp, chưa quá {expected} — quyết định khen "
        "thưởng chưa được áp dụng.",
    ),
    "decision-ineligible": (
        ERROR,
        "Hồ sơ không đủ điều kiện ({found}) — không khen thưởng được; quyết định chưa được áp dụng.",
    ),
    "decision-over-quota": (
        ERROR,
        "Các quyết định làm số {award} của {kind} vượt chỉ tiêu: {found} trên {expected} suất — quyết "
        "định này chưa được áp dụng.",
    ),
    "decision-tie-unsettled": (
        ERROR,
        "Hội đồng chưa quyết định hết {n} hồ sơ đồng hạng {rank} ở ngưỡng {award} — các quyết định của "
        "nhóm đồng hạng này chưa được áp dụng.",
    ),
    "decision-two-year": (
        ERROR,
        "Chưa đủ {years} năm liên tục được công nhận cấp huyện — không đề nghị {award} được; quyết định "
        "chưa được áp dụng.",
    ),
    "date-invalid": (
        WARNING,
        "Ngày lập «{found}» không đọc được (cần dạng ngày/tháng/năm, ví dụ {expected}); "
        "bỏ qua ngày này.",
    ),
}

# What a file sent under a spreadsheet's name really is (checks.file_type), as the unit is told.
FILE_TYPES: dict[str, str] = {
    "pdf": "một tài liệu PDF",
    "word": "một văn bản Word",
    "powerpoint": "một bài trình chiếu PowerPoint",
    "opendocument-text": "một văn bản OpenDocument (.odt)",
    "image": "một tệp ảnh",
    "html": "một trang web (HTML)",
    "csv": "một tệp văn bản CSV",
    "archive": "một tệp nén chứa các tệp khác",
    "spreadsheet": "tệp Excel của bảng tự chấm điểm (.xlsx)",
}

# How a unit fixes each problem: the last column of the feedback letter.
FIXES: dict[str, str] = {
    "file-unreadable": "Mở tệp bằng Excel, lưu lại dạng .xlsx (Tệp > Lưu thành) rồi gửi lại.",
    "password-protected": "Bỏ mật khẩu của tệp (Tệp > Thông tin > Bảo vệ sổ làm việc) rồi gửi lại.",
    "not-a-spreadsheet": "Gửi đúng tệp Excel của bảng tự chấm điểm (.xlsx), không đổi tên tệp khác.",
    "wrong-file-type": "Gửi tệp Excel của bảng tự chấm điểm (.xlsx); tài liệu kiểm chứng gửi kèm riêng.",
    "file-too-large": "Gửi riêng tệp bảng tự chấm điểm, không kèm dữ liệu khác.",
    "zip-bomb": "Gửi riêng tệp bảng tự chấm điểm, lưu lại bằng Excel.",
    "xml-entity": "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại.",
    "reader-crashed": "Mở tệp bằng Excel, lưu lại dạng .xlsx rồi gửi lại.",
    "reader-timeout": "Gửi riêng tệp bảng tự chấm điểm, lưu lại bằng Excel.",
    "empty-workbook": "Điền bảng tự chấm điểm theo biểu mẫu rồi gửi lại.",
    "no-form-found": "Dùng biểu mẫu của Ban Thi đua - Khen thưởng, giữ nguyên dòng tiêu đề bảng.",
    "table-not-found": "Giữ nguyên dòng tiêu đề bảng tiêu chí của biểu mẫu (STT, Tiêu chí, Điểm chuẩn, …).",
    "info-missing": "Ghi thông tin còn thiếu vào ô được tô màu.",
    "kind-unknown": "Ghi «Tập thể» hoặc «Cá nhân».",
    "year-invalid": "Ghi năm đánh giá bằng số, ví dụ 2024.",
    "group-unknown": "Ghi đúng tên huyện/thị xã/thành phố.",
    "group-ambiguous": "Ghi đầy đủ tên, kể cả «Huyện», «Thị xã» hay «Thành phố».",
    "field-unknown": "Ghi một trong các lĩnh vực của kế hoạch.",
    "field-ambiguous": "Ghi đầy đủ tên lĩnh vực.",
    "criteria-count": "Giữ đủ các dòng tiêu chí của biểu mẫu, không thêm, không bớt.",
    "criterion-order": "Giữ đúng số thứ tự tiêu chí như biểu mẫu.",
    "standard-mismatch": "Ghi lại điểm chuẩn đúng như biểu mẫu.",
    "score-empty": "Chấm điểm tiêu chí này (ghi số điểm tự chấm).",
    "score-not-number": "Ghi điểm bằng số, ví dụ 13,5.",
    "score-negative": "Ghi điểm từ 0 trở lên.",
    "score-above-max": "Ghi điểm không vượt điểm chuẩn của tiêu chí.",
    "total-not-number": "Ghi tổng điểm bằng số, hoặc để công thức cộng.",
    "total-mismatch": "Sửa tổng điểm cho bằng tổng điểm các tiêu chí.",
    "scores-as-text": "Ghi điểm dạng số (không đặt dấu nháy hay định dạng chữ) để tổng điểm tự cộng đúng.",
}

OR = " hoặc "  # between the names a finding says are expected
EMPTY = "(trống)"  # what a finding says was found in an empty cell

# Reasons attached to accepted forms: why one is not eligible, and how the ranking decided.
REASONS: dict[str, str] = {
    "criterion-below": "Tiêu chí {stt}: {score} điểm, chưa đạt {percent}% điểm chuẩn (cần từ {need} điểm)",
    "total-below": "Tổng điểm {total}, chưa đạt {need} điểm",
    "criterion-below-appraised": (
        "Tiêu chí {stt}: {score} điểm thẩm định (tự chấm {self_score}), chưa đạt {percent}% điểm chuẩn "
        "(cần từ {need} điểm)"
    ),
    "total-below-appraised": "Tổng điểm thẩm định {total} (tự chấm {self_total}), chưa đạt {need} điểm",
    "council-award": "Hội đồng quyết định: {award} ({votes}/{present} phiếu đồng ý, họp ngày {date})",
    "council-refused": "Hội đồng quyết định: {no_award} (họp ngày {date}); đề xuất của chương trình: {proposal}",
    "tie-preference-woman": (
        "Để Hội đồng tham khảo: cá nhân nữ — được ưu tiên khi thành tích như nhau ({basis}); "
        "chương trình không tự áp dụng"
    ),
    "tie-preference-women": (
        "Để Hội đồng tham khảo: tập thể có {percent}% nữ — được ưu tiên khi thành tích như nhau ({basis}); "
        "chương trình không tự áp dụng"
    ),
    "evidence-missing": (
        "Tiêu chí {stt} không có tài liệu kiểm chứng — được xem như không hoàn thành nhiệm vụ "
        "và hạ kết quả bình xét thi đua xuống một bậc"
    ),
    "tie-award": (
        "Đồng hạng {rank} với {n} hồ sơ ở ngưỡng {award}: còn {slots} trong {quota} suất "
        "dành cho {kind} — Hội đồng xét"
    ),
    "tie-proposal": (
        "Đạt {award_low}; đồng hạng {rank} với {n} hồ sơ ở ngưỡng {award}: còn {slots} trong "
        "{quota} suất dành cho {kind} — Hội đồng xét"
    ),
    "outside-quota": "Ngoài chỉ tiêu {award}: xếp hạng {rank}, chỉ tiêu {quota} {kind}",
    "award-within-quota": "Trong chỉ tiêu {award}: xếp hạng {rank}, chỉ tiêu {quota} {kind}",
    "proposal-within-quota": "{award}: xếp hạng {rank}, chỉ tiêu {quota} {kind}",
    "superseded": "Đã có hồ sơ nộp sau của cùng đơn vị: {by_file} ({by_sheet})",
    "late": "Nộp muộn: ngày lập {date}, hạn nộp hồ sơ là trước ngày {deadline}",
    "two-year": (
        "Xếp hạng {rank} nhưng chưa đủ {years} năm liên tục được công nhận cấp huyện — giữ {award}, "
        "không đề nghị"
    ),
}


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one place of one submitted file."""

    file: str
    sheet: str
    cell: str
    code: str
    severity: str
    found: str
    expected: str
    message: str

    @property
    def where(self) -> str:
        """Excel-style address of the problem, e.g. ``Sheet1!D18``."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        return self.sheet or ""

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def finding(
    code: str,
    file: str,
    sheet: str = "",
    cell: str = "",
    found: object = "",
    expected: object = "",
    **context: object,
) -> Finding:
    """Build a finding from the table of messages; unknown codes are a programming error."""
    severity, template = MESSAGES[code]
    found_s, expected_s = str(found), str(expected)
    message = template.format(found=found_s, expected=expected_s, **context)
    return Finding(file, sheet, cell, code, severity, found_s, expected_s, message)


def reason(code: str, file: str = "", sheet: str = "", cell: str = "", found: object = "", expected: object = "",
           **context: object) -> Finding:
    """The reason behind an outcome, as a Finding of severity REASON, from the table of reasons."""
    found_s, expected_s = str(found), str(expected)
    message = REASONS[code].format(found=found_s, expected=expected_s, **context)
    return Finding(file, sheet, cell, code, REASON, found_s, expected_s, message)


def messages(found: list[Finding]) -> list[str]:
    return [f.message for f in found]


def codes(found: list[Finding]) -> list[str]:
    return [f.code for f in found]


def cell_order(cell: str) -> tuple[int, str]:
    """"D18" -> (18, "  D"): row first, then column, as a person reads a sheet."""
    m = re.match(r"([A-Z]+)(\d+)$", cell or "")
    return (int(m[2]), m[1].rjust(3)) if m else (0, "")


def in_order(findings) -> list[Finding]:
    """Findings by file, sheet, then cell in reading order."""
    return sorted(findings, key=lambda f: (f.file, f.sheet, cell_order(f.cell), f.code))


def flatten(findings: list[Finding]) -> list[tuple[str, str]]:
    """(where, code) pairs, sorted: what tests and people compare."""
    return sorted((f.where, f.code) for f in findings)

# Why a file in the inputs folder was passed over. Skipped files are not findings: they are
# listed so staff can see nothing was lost, and never reported as broken submissions.
SKIPS: dict[str, str] = {
    "lock-file": "Tệp khóa tạm của Excel (~$…), không phải hồ sơ",
    "hidden": "Tệp ẩn hoặc tệp hệ thống",
    "not-spreadsheet": "Không phải bảng tính (có thể là tài liệu kiểm chứng kèm theo)",
    "not-regular": "Không phải tệp thông thường (đường ống, thiết bị hay liên kết hỏng)",
    "missing": "Không tìm thấy tệp",
}
