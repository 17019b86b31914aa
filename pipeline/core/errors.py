"""The one way a run stops: an exception carrying a stable code and its Vietnamese message.

Everything wrong in a submitted file is a Finding and the run goes on; these are for "the run
cannot go on" only (the rules file, the folders, the ledger, the worker processes). The CLI
turns each into a message and a non-zero exit, and nothing else.
"""

from __future__ import annotations

# code -> Vietnamese template. Templates may use the keyword arguments given at the raise.
STOPS: dict[str, str] = {
    "inputs-missing": "Không tìm thấy thư mục hồ sơ {path}.",
    "inputs-empty": (
        "Thư mục hồ sơ {path} không có tệp bảng tính nào ({skipped} tệp khác được bỏ qua) — không ghi gì. "
        "Lưu các tệp đơn vị gửi vào thư mục này rồi chạy lại."
    ),
    "year-empty": (
        "Không có biểu mẫu nào của năm {year} (các biểu mẫu đã nhận ghi năm: {years}) — không ghi gì. "
        "Kiểm tra lại năm đã chỉ (YEAR=…)."
    ),
    "outputs-uncreatable": "Không tạo được thư mục kết quả {path}: {reason}.",
    "outputs-unwritable": (
        "Không ghi được vào thư mục kết quả {path}: {reason}. Nếu đang mở một bảng kết quả bằng Excel, "
        "hãy đóng lại rồi chạy lại."
    ),
    "output-failed": "Không ghi được {path}: {reason}.",
    "busy": (
        "Một lượt chạy khác đang ghi vào {path} — đợi lượt đó xong rồi chạy lại "
        "(không chạy hai lượt cùng lúc trên một thư mục kết quả)."
    ),
    "ledger-corrupt": (
        "Sổ theo dõi {path} bị hỏng ({reason}). Không ghi gì. Khôi phục bản sao lưu gần nhất trong "
        "{backups} (đổi tên thành {name}) rồi chạy lại."
    ),
    "ledger-empty": (
        "Sổ theo dõi {path} trống hoặc không đọc được, trong khi bản sao lưu vẫn còn lịch sử. Không ghi gì. "
        "Khôi phục bản sao lưu gần nhất {backup} (chép đè thành {name}) rồi chạy lại."
    ),
    "ledger-newer": (
        "Sổ theo dõi {path} do phiên bản chương trình mới hơn tạo (lược đồ {version}, chương trình này "
        "hiểu đến {known}). Không ghi gì; hãy cập nhật chương trình."
    ),
    "ledger-missing": "Chưa có sổ theo dõi {path}: chưa chạy lần nào trên thư mục kết quả này.",
    "workers-failed": "Không khởi động được tiến trình đọc tệp (multiprocessing).",
}


class PipelineError(Exception):
    """The run cannot go on. ``code`` is stable; ``str(error)`` is the message for a person."""

    default_code = "pipeline"

    def __init__(self, message: str | None = None, *, code: str | None = None, **context: object):
        self.code = code or self.default_code
        super().__init__(message if message is not None else STOPS[self.code].format(**context))


class RulesError(PipelineError):
    """The rules file cannot be used."""

    default_code = "rules-invalid"


class InputsError(PipelineError):
    """The inputs folder is not there."""

    default_code = "inputs-missing"


class OutputError(PipelineError):
    """The output folder cannot be written."""

    default_code = "outputs-unwritable"


class BusyError(PipelineError):
    """Another run is writing into the same output folder."""

    default_code = "busy"


class LedgerError(PipelineError):
    """The ledger is damaged, newer than this program, or missing where it is needed."""

    default_code = "ledger"


class WorkerError(PipelineError):
    """Worker processes cannot be started."""

    default_code = "workers-failed"
