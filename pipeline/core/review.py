"""The review workbook's shape (xet_khen_thuong_<năm>.xlsx): written by the outputs, read back
by the review stage, so its headings and labels live here, once.

Staff save the filled workbook into ``inputs/xet_khen_thuong/``. A row is known by its key
(``Khóa hồ sơ``: the year and the unit), and checked against the form it was written for (file,
sheet and self-scores), so an appraisal never lands on a form the unit has since replaced.
"""

from __future__ import annotations

REVIEW_DIR = "xet_khen_thuong"  # under inputs/: the staff's filled review workbooks

# Every heading and label of the review workbook. Criterion headings take {stt} ("01").
REVIEW = {
    "sheet_title": "DANH SÁCH XÉT KHEN THƯỞNG ĐIỂN HÌNH “{movement}” NĂM {year} — {group}",
    "note": ("Phòng Nội vụ ghi điểm thẩm định (đã điền sẵn điểm tự chấm) và lý do điều chỉnh; sau cuộc họp, "
             "ghi quyết định của Hội đồng và số phiếu đồng ý. Các ô được phép sửa có nền vàng nhạt. Lưu tệp vào "
             "thư mục inputs/xet_khen_thuong/ rồi chạy lại."),
    "no": "STT",
    "name": "Tên tập thể / cá nhân",
    "self_total": "Tổng điểm tự chấm",
    "score": "Điểm thẩm định tiêu chí {stt}",
    "appraised_total": "Tổng điểm thẩm định",
    "reason": "Lý do điều chỉnh",
    "proposal": "Đề xuất",
    "decision": "Quyết định của Hội đồng",
    "votes": "Số phiếu đồng ý",
    "note_col": "Ghi chú",
    "unit_code": "Mã đơn vị",
    "kind": "Loại",
    "field": "Lĩnh vực",
    "self_score": "Điểm tự chấm tiêu chí {stt}",
    "key": "Khóa hồ sơ (không sửa)",
    "file": "Tệp",
    "sheet": "Trang tính",
    # The meeting's block above the table: each label's value in the cell to its right.
    "date": "Ngày họp:",
    "members": "Số thành viên Hội đồng:",
    "present": "Số thành viên dự họp:",
    # What a meeting's value must be, as a finding says it.
    "need_date": "một ngày, ví dụ 15/09/2024",
    "need_members": "một số nguyên dương",
    "need_present": "một số nguyên",
    "need_at_most": "không quá {members}",
    # How the council's reason names a refused form's proposal when it was no award.
    "none": "không đề xuất",
    "tie": "đồng hạng, Hội đồng xét",
    # The tie preference, short in the narrow proposal cell; the sheet's note says it in full once.
    "tie-preference-woman": "(*) cá nhân nữ",
    "tie-preference-women": "(*) tập thể có từ {percent}% nữ",
    "preference_note": ("(*) Để Hội đồng tham khảo: được ưu tiên khi thành tích như nhau ({basis}); "
                        "chương trình không tự áp dụng."),
}


def review_key(year: int, unit: str) -> str:
    """A row's identity: the year and the unit (its code, or its name, kind and group)."""
    return f"{year}|{unit}"


def review_file_name(year: int) -> str:
    return f"xet_khen_thuong_{year}.xlsx"
