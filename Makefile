# Every target creates the virtual environment first if it is missing, so a fresh clone
# needs nothing but Python 3.11+ and make. `make test` is exactly what CI runs (.ci/run).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

INPUTS  ?= inputs
OUTPUTS ?= outputs
RULES   ?= schemas/khanh_hoa.toml
YEAR    ?=
FILE    ?=

.PHONY: help venv run check demo templates email preview test lint bench clean

# Staff commands report their own failure in Vietnamese and leave make's exit status at 0, since
# make would add its English "*** Error" line after it; scripts that need the exit status call
# .venv/bin/pipeline directly (see the README).
STAFF = || { status=$$?; echo "Lệnh chưa hoàn thành (mã lỗi $$status) — xem thông báo ở trên."; }

help:
	@echo "make demo        hồ sơ mẫu + chạy thử (kết quả trong build/demo/outputs)"
	@echo "make run         chạy hằng tháng: $(INPUTS)/ -> $(OUTPUTS)/  (INPUTS=… OUTPUTS=… YEAR=…)"
	@echo "make check FILE=tệp.xlsx   kiểm tra ngay một tệp, không ghi gì"
	@echo "make templates   ghi biểu mẫu trống vào $(OUTPUTS)/mau/"
	@echo "make email       soạn sẵn thư (.eml) gửi từng nhóm, không gửi gì"
	@echo "make preview     chuyển bảng tổng hợp sang PDF (cần LibreOffice)"
	@echo "make test        kiểm thử (ruff + pytest), như CI"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV) || { echo "Không tạo được môi trường Python ($(VENV)): cần Python 3.11 trở lên."; exit 1; }
	@echo "Đang cài đặt các thư viện cần thiết vào $(VENV)…"
	@$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]' 2>$(VENV)/cai_dat.log \
	  || { echo "Không cài được thư viện (xem $(VENV)/cai_dat.log)."; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	@$(BIN)/pipeline run --inputs "$(INPUTS)" --outputs "$(OUTPUTS)" --rules "$(RULES)" $(if $(YEAR),--year $(YEAR)) $(STAFF)

check: $(STAMP)
	@if [ -z "$(FILE)" ]; then echo 'Cần chỉ tệp: make check FILE="inputs/ten_tep.xlsx"'; else \
	  $(BIN)/pipeline check --rules "$(RULES)" $(FILE) $(STAFF); fi

demo: $(STAMP)
	@rm -rf build/demo
	@$(BIN)/pipeline demo --dir build/demo --rules "$(RULES)" $(STAFF)

templates: $(STAMP)
	@$(BIN)/pipeline templates --outputs "$(OUTPUTS)" --rules "$(RULES)" $(STAFF)

email: $(STAMP)
	@$(BIN)/pipeline email --outputs "$(OUTPUTS)" --rules "$(RULES)" $(if $(YEAR),--year $(YEAR)) $(STAFF)

preview: $(STAMP)
	@$(BIN)/pipeline preview --outputs "$(OUTPUTS)" $(if $(YEAR),--year $(YEAR)) $(STAFF)

N ?= 10000
bench: $(STAMP)
	$(BIN)/pipeline bench -n $(N)

lint: $(STAMP)
	$(BIN)/ruff check pipeline schemas tests

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf build .pytest_cache .ruff_cache
