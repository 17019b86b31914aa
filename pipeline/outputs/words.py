"""Every fixed word the outputs show a person: workbook headings, letters, blank forms.

Names of groups, kinds, fields and awards, rubric texts and legal references are not here: they
come from the rules file. Findings and the reasons for outcomes have their own table, with
their codes, in ``pipeline.core.findings``.
"""

# The summary workbooks.
LABELS = {
    "title": "TỔNG HỢP KẾT QUẢ TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “{movement}” NĂM {year}",
    "title_group": "KẾT QUẢ TỰ ĐÁNH GIÁ CHẤM ĐIỂM ĐIỂN HÌNH “{movement}” NĂM {year} — {group}",
    "subtitle": "Tỉnh {province} · Lập ngày {date} từ {n} tệp hồ sơ",
    "sheet_summary": "Tổng hợp",
    "sheet_overview": "Tổng quan",
    "overview_title": "TỔNG QUAN PHONG TRÀO THI ĐUA “{movement}” NĂM {year}",
    "figure": "Chỉ tiêu",
    "count": "Số lượng",
    "fig_received": "Biểu mẫu đã nhận",
    "fig_rejected": "Biểu mẫu bị từ chối (cần đơn vị sửa, gửi lại)",
    "fig_eligible": "Biểu mẫu đủ điều kiện",
    "fig_awarded": "Đề xuất {award}",
    "fig_proposed": "Trong đó {proposal}",
    "fig_tied": "Đồng hạng chờ Hội đồng xét",
    "fig_groups_missing": "{group_label} chưa có biểu mẫu nào",
    "fig_units_missing": "Đơn vị trong danh sách chưa nộp",
    "chart_kind": "{kind}: theo {group_label}",
    "chart_field": "Biểu mẫu hợp lệ theo lĩnh vực",
    "series_received": "Đã nhận",
    "series_eligible": "Đủ điều kiện",
    "series_awarded": "Khen thưởng",
    "sheet_awards": "Khen thưởng",
    "sheet_ineligible": "Không đủ điều kiện",
    "sheet_rejected": "Hồ sơ bị từ chối",
    "sheet_skipped": "Tệp bỏ qua",
    "sheet_warnings": "Cảnh báo",
    "sheet_changes": "Thay đổi",
    "sheet_missing": "Chưa nộp",
    "sheet_by_name": "Đối chiếu theo tên",
    "not_submitted": "Chưa nộp",
    "change": "Thay đổi",
    "before": "Trước",
    "after": "Sau",
    "change_new": "Mới nộp",
    "change_replaced": "Nộp lại (tệp đã thay đổi)",
    "change_withdrawn": "Đã rút (không còn trong thư mục hồ sơ)",
    "change_total": "Đổi tổng điểm",
    "change_award": "Đổi kết quả khen thưởng",
    "first_run": "Lần chạy đầu tiên trên thư mục kết quả này: chưa có gì để so sánh.",
    "by_name_note": "Đơn vị không có mã: đã nhận là một với đơn vị cùng tên, loại và nhóm đã được công nhận năm trước. Đề nghị kiểm tra.",
    "no": "STT",
    "kind": "Loại",
    "received": "Số hồ sơ nhận",
    "rejected": "Bị từ chối",
    "valid": "Hợp lệ",
    "superseded": "Đã thay thế",
    "eligible": "Đủ điều kiện",
    "tied": "Đồng hạng",
    "total_row": "Tổng cộng",
    "unknown": "(Chưa xác định)",
    "rank": "Hạng",
    "name": "Tên tập thể / cá nhân",
    "unit_code": "Mã đơn vị",
    "commune": "Xã/phường/thị trấn",
    "field": "Lĩnh vực",
    "model": "Tên mô hình, điển hình",
    "criterion": "TC{stt}",
    "total": "Tổng điểm",
    "is_eligible": "Đủ điều kiện",
    "yes": "Có",
    "no_": "Không",
    "award": "Khen thưởng",
    "note": "Lý do / ghi chú",
    "file": "Tệp",
    "sheet": "Trang tính",
    "cell": "Ô",
    "severity": "Mức",
    "error": "Lỗi",
    "warning": "Cảnh báo",
    "message": "Nội dung",
    "reason": "Lý do bỏ qua",
    "award_tie": "Đồng hạng — Hội đồng xét",
    "award_superseded": "Đã thay bằng hồ sơ nộp sau",
    "nothing": "Không có.",
    "sign_hint": "(Ký, ghi rõ họ tên)",
}


# The feedback letter (phiếu phản hồi) sent back with a rejected file.
FEEDBACK = {
    "sheet": "Phản hồi",
    "title": "PHIẾU PHẢN HỒI HỒ SƠ TỰ CHẤM ĐIỂM",
    "intro": "Tệp «{file}» chưa được tiếp nhận vì các lỗi dưới đây. Đề nghị đơn vị sửa các ô được tô màu "
             "(đưa chuột vào ô để xem ghi chú) rồi gửi lại.",
    "columns": ["STT", "Trang tính", "Ô", "Mức", "Nội dung"],
    "error": "Lỗi",
    "warning": "Cảnh báo",
    "author": "Ban Thi đua - Khen thưởng",
}


# The severity column of loi.csv.
CSV_WORDS = {"error": "lỗi", "warning": "cảnh báo"}
