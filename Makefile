# Two commands do all set-up on a fresh machine:  `make book`  and  `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SHARED_DATA ?= ../shared/data
KERAS_HOME ?= $(HOME)/.keras
export KERAS_HOME
# nbval's sanitizer, kernel and cell timeout are set in conftest.py, so that a bare
# `pytest --nbval chapters` runs the chapters the same way.
NBVAL := $(BIN)/pytest -p no:cacheprovider --nbval
# `make test` runs the unit tests and the chapters together on JOBS pytest-xdist workers (one
# per core): a chapter's cells run in order in one kernel, chapters 4 then 5 on one worker, the
# longest groups first (conftest.py). JOBS=1 runs everything in one process, as `make unit nbval`.
JOBS ?= 2
CHAPTERS := $(sort $(wildcard chapters/*.ipynb))

COMPAT := .venv-compat

.PHONY: all book test test-portable unit nbval execute data lint clean chromium compat form

all: test

# The virtual environment, installed from the pinned lock; redone when either file changes.
$(STAMP): pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

# The HTML book, from the stored outputs (nothing is executed), failing on any warning.
book: $(STAMP)
	$(BIN)/jupyter-book build . --all --warningiserror --keep-going

# Seed the Keras dataset cache with the offline copy of the IMDB archive, when there is one.
data:
	@if [ -f "$(SHARED_DATA)/aclImdb_v1.tar.gz" ] && [ ! -f "$(KERAS_HOME)/datasets/aclImdb_v1.tar.gz" ]; then \
		mkdir -p "$(KERAS_HOME)/datasets" && \
		cp "$(SHARED_DATA)/aclImdb_v1.tar.gz" "$(KERAS_HOME)/datasets/aclImdb_v1.tar.gz.part" && \
		mv "$(KERAS_HOME)/datasets/aclImdb_v1.tar.gz.part" "$(KERAS_HOME)/datasets/aclImdb_v1.tar.gz" && \
		echo "seeded $(KERAS_HOME)/datasets from $(SHARED_DATA)"; \
	fi

# Debian's Chromium for the browser test (tests/test_browser.py drives /usr/bin/chromium with
# Playwright; no browser download). Installed when root and missing; otherwise the test skips.
chromium:
	@if [ -x /usr/bin/chromium ] && [ -x /usr/bin/chromedriver ]; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver; \
	else \
		echo "warning: no /usr/bin/chromium and not root: the browser test will be skipped" \
			"(install it with: sudo apt-get install chromium chromium-driver)"; \
	fi

unit: $(STAMP) data chromium
	$(BIN)/pytest -p no:cacheprovider tests

# nbval on every chapter (or on NB=chapters/xx.ipynb).
nbval: $(STAMP) data
	@nbs="$(or $(NB),$(CHAPTERS))"; \
	if [ -z "$$nbs" ]; then echo "no chapter notebooks yet: nothing for nbval"; \
	else $(NBVAL) $$nbs; fi

test: $(STAMP) data chromium
	$(BIN)/pytest -p no:cacheprovider $(if $(filter 1,$(JOBS)),,-n $(JOBS) --dist loadgroup \
		--no-loadscope-reorder) tests --nbval $(CHAPTERS)

# `make test` as another maintainer's machine runs it: oneDNN (TensorFlow) and OpenBLAS (NumPy)
# limited to the kernels of an older processor (AVX2, Haswell), and a second CPU-heavy process
# running all along. What nbval compares must not depend on either (CONTRIBUTING.md).
test-portable:
	@yes > /dev/null & hog=$$!; \
	ONEDNN_MAX_CPU_ISA=AVX2 OPENBLAS_CORETYPE=Haswell $(MAKE) test; status=$$?; \
	kill $$hog; exit $$status

# The form measures of every chapter (tools/bookform.py; tests/test_form.py checks them).
form: $(STAMP)
	$(BIN)/python tools/bookform.py

# Re-execute one notebook top to bottom in a fresh kernel and store its outputs.
execute: $(STAMP) data
	@test -n "$(NB)" || { echo "usage: make execute NB=chapters/xx.ipynb"; exit 2; }
	cd $(dir $(NB)) && ../$(BIN)/jupyter execute --inplace --timeout=1800 \
		--kernel_name=python3 $(notdir $(NB))

# The oldest versions pyproject.toml declares (requirements-compat.txt, close to Colab): the
# unit tests, then every chapter executed there (assertions checked, outputs not compared).
# Not part of `make test` (it adds about 20 minutes); run it when dependencies change.
$(COMPAT)/.installed: requirements-compat.txt pyproject.toml
	test -x $(COMPAT)/bin/python || $(PYTHON) -m venv $(COMPAT)
	$(COMPAT)/bin/python -m pip install -q --disable-pip-version-check -r requirements-compat.txt
	$(COMPAT)/bin/python -m pip install -q --disable-pip-version-check --no-deps -e .
	touch $@

compat: $(COMPAT)/.installed data
	$(COMPAT)/bin/python -m pytest -p no:cacheprovider tests \
		--ignore=tests/test_book.py --ignore=tests/test_browser.py
	$(COMPAT)/bin/python tools/execute_chapters.py $(or $(NB),$(CHAPTERS))

lint: $(STAMP)
	$(BIN)/ruff check bilstm_utils tests tools conftest.py

clean:
	rm -rf _build
