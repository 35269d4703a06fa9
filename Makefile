VENV ?= .venv
WATCH ?= 1
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

OCR_STAMP := $(VENV)/.installed-ocr
RAY_STAMP := $(VENV)/.installed-ray

.PHONY: install install-dev ocr ray browser fonts lint run index test test-precision bench-quality bench-speed bench-scale bench-load bench-ray clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet torch==2.13.0
	$(PIP) install --quiet -e .
	HF_HUB_OFFLINE=1 $(PY) -m qa.encoders.onnx || true  # the questions' ONNX encoder, so qa ask never loads torch
	touch $(STAMP)

install-dev: $(DEV_STAMP)

$(DEV_STAMP): $(STAMP)
	$(PIP) install --quiet -e '.[dev]'
	touch $(DEV_STAMP)

# OCR for scanned PDFs and images: rapidocr-onnxruntime with its models, and OpenCV (about 330 MB).
ocr: $(OCR_STAMP)

$(OCR_STAMP): $(STAMP)
	$(PIP) install --quiet -e '.[ocr]'
	touch $(OCR_STAMP)

# Ray core, for `qa index --ray`; each node of a cluster needs qa installed with it.
ray: $(RAY_STAMP)

$(RAY_STAMP): $(STAMP)
	$(PIP) install --quiet -e '.[ray]'
	touch $(RAY_STAMP)

browser:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# A Chinese font, for the tests that OCR a Chinese sentence they draw.
fonts:
	@test -f /usr/share/fonts/truetype/wqy/wqy-microhei.ttc || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null)

index: install
	$(VENV)/bin/qa index

run: index
	QA_WATCH=$(WATCH) $(PY) app.py

# ruff (lint and format) and mypy, as configured in pyproject.toml; .ci/run runs this before the tests.
lint: install-dev
	$(VENV)/bin/ruff check qa tests benchmarks app.py
	$(VENV)/bin/ruff format --check qa tests benchmarks app.py
	$(VENV)/bin/mypy

test: install-dev browser fonts
	$(PY) -m pytest -q

bench-quality: install
	$(PIP) install --quiet -e '.[bench]'
	$(PY) benchmarks/quality.py

bench-speed: install
	$(PIP) install --quiet -e '.[bench]'
	$(PY) benchmarks/speed.py

bench-scale: install
	$(PY) benchmarks/scale.py

bench-load: install-dev
	$(PY) benchmarks/load.py

bench-ray: install-dev
	$(PY) benchmarks/ray_index.py

clean:
	rm -rf index $(VENV)

# The precision-sensitive tests again at each precision this CPU computes natively.
test-precision: install-dev
	QA_PRECISION=float32 $(PY) -m pytest -q -m precision
	@if grep -qE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then QA_PRECISION=bfloat16 $(PY) -m pytest -q -m precision; \
	else echo "bfloat16: skipped, this CPU has no AVX-512 BF16 or AMX"; fi
