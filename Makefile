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

help:
	@echo "make demo        hồ sơ mẫu + chạy thử (kết quả trong build/demo/outputs)"
	@echo "make run         chạy hằng tháng: $(INPUTS)/ -> $(OUTPUTS)/  (INPUTS=… OUTPUTS=… YEAR=…)"
	@echo "make check FILE=tệp.xlsx   kiểm tra ngay một tệp, không ghi gì"
	@echo "make templates   ghi biểu mẫu trống vào $(OUTPUTS)/mau/"
	@echo "make email       soạn sẵn thư (.eml) gửi từng nhóm, không gửi gì"
	@echo "make preview     chuyển bảng tổng hợp sang PDF (cần LibreOffice)"
	@echo "make test        kiểm thử (ruff + pytest), như CI"

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/pipeline run --inputs "$(INPUTS)" --outputs "$(OUTPUTS)" --rules "$(RULES)" $(if $(YEAR),--year $(YEAR))

check: $(STAMP)
	@test -n "$(FILE)" || { echo 'Cần chỉ tệp: make check FILE="inputs/ten_tep.xlsx"'; exit 2; }
	$(BIN)/pipeline check --rules "$(RULES)" $(FILE)

demo: $(STAMP)
	rm -rf build/demo
	$(BIN)/pipeline demo --dir build/demo --rules "$(RULES)"

templates: $(STAMP)
	$(BIN)/pipeline templates --outputs "$(OUTPUTS)" --rules "$(RULES)"

email: $(STAMP)
	$(BIN)/pipeline email --outputs "$(OUTPUTS)" --rules "$(RULES)" $(if $(YEAR),--year $(YEAR))

preview: $(STAMP)
	$(BIN)/pipeline preview --outputs "$(OUTPUTS)" $(if $(YEAR),--year $(YEAR))

N ?= 10000
bench: $(STAMP)
	$(BIN)/pipeline bench -n $(N)

lint: $(STAMP)
	$(BIN)/ruff check pipeline schemas tests

test: lint
	$(BIN)/python -m pytest

clean:
	rm -rf build .pytest_cache .ruff_cache
