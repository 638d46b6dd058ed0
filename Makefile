# Set-up and the two jobs of the README. Everything a fresh Debian/Ubuntu machine needs is
# installed from here: Tesseract through apt, the rest through pip into .venv.

VENV    ?= .venv
PYTHON  ?= python3
PY      := $(VENV)/bin/python
# OCR reads a page in its own language: English, French and the other common European ones.
OCR_LANGS := eng fra deu spa ita por nld osd
APT_PKGS := tesseract-ocr $(addprefix tesseract-ocr-,$(OCR_LANGS))
# The browser test drives Debian's Chromium through Playwright (never `playwright install`); the
# database tests start a real PostgreSQL server from Debian's package.
TEST_APT_PKGS := chromium postgresql fonts-dejavu-core
DEMO    ?= pagesight-demo
# One thread each: on a small machine, BLAS and torch threads only fight each other.
export OPENBLAS_NUM_THREADS ?= 1
export OMP_NUM_THREADS ?= 1
export HF_HUB_OFFLINE ?= 1

.PHONY: setup system-deps test-deps demo test bench clean test-fast

setup: system-deps $(VENV)/.installed

system-deps:
	@missing=""; command -v tesseract >/dev/null 2>&1 || missing=tesseract; \
	for lang in $(OCR_LANGS); do tesseract --list-langs 2>/dev/null | grep -qx "$$lang" || missing="$$missing $$lang"; done; \
	if [ -n "$$missing" ]; then \
		echo "installing $(APT_PKGS) (OCR for scanned pages; missing:$$missing)"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(APT_PKGS); \
	fi

test-deps:
	@if ! command -v chromium >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1 \
			|| [ ! -f /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ]; then \
		echo "installing $(TEST_APT_PKGS) (the chat page's browser test, the PostgreSQL tests)"; \
		SUDO=""; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq --no-install-recommends $(TEST_APT_PKGS); \
	fi

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[test]"
	touch $@

# The main job: make a sample PDF, ingest it, and ask it a question. It uses the data folder every
# later command uses (`pagesight info` shows it), so the sample is there afterwards.
demo: setup
	$(VENV)/bin/pagesight sample $(DEMO)/sample.pdf
	$(VENV)/bin/pagesight ingest $(DEMO)/sample.pdf --tag demo
	$(VENV)/bin/pagesight search "When was the telegraph cable laid across the Atlantic?" -k 3
	$(VENV)/bin/pagesight ask "When was the telegraph cable laid across the Atlantic?"

test: setup test-deps
	$(PY) -m pytest -q -p no:cacheprovider --durations=30 --times-file=docs/test-times.md

# The tests that start no server, browser or database, and skip the corpus: a quick check while working,
# on every core (pytest-xdist). `make test` runs one test at a time: its servers' shares are measured.
# Between runs it keeps the models its tests export and build (the text models' ONNX graphs, the tiny
# random models: 250 MB) in a folder named by what makes them, so that a change to that code or to the
# packages starts a new one; older ones are removed. A run after the first: 242 -> 206 s here.
FAST_MODELS_KEY := $(shell cat pyproject.toml index/tiny.py index/onnx_text.py index/e5.py 2>/dev/null | sha256sum | cut -c1-12)
FAST_MODELS := $(HOME)/.cache/pagesight/test-models-$(FAST_MODELS_KEY)

test-fast: setup test-deps
	@find $(HOME)/.cache/pagesight -maxdepth 1 -name 'test-models-*' ! -name 'test-models-$(FAST_MODELS_KEY)' \
		-exec rm -rf {} + 2>/dev/null || true
	$(PY) -m pytest -q -p no:cacheprovider -m "not e2e and not slow" -n auto --durations=10

test-fast: export PAGESIGHT_MODELS_DIR ?= $(FAST_MODELS)

bench: setup
	$(PY) bench/ingest.py

clean:
	rm -rf $(DEMO)
