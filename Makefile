# Two commands on a fresh machine: `make tour` and `make test`. Both create .venv when missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BENCH_STAMP := $(VENV)/.bench-stamp

.PHONY: tour quick test lint bench margins pinned install clean

tour: $(STAMP) ## run every experiment at the tour budget and write runs/tour/index.html (runs/tour-2/... when runs/tour is taken)
	$(BIN)/searchlab tour

quick: $(STAMP) ## the CI-sized tour
	$(BIN)/searchlab tour --quick

LINTED := src tests bench scripts

test: $(STAMP) ## the linters (ruff, import-linter's layer contracts), then the test suite (slow tests included)
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest

lint: $(STAMP) ## only the linters
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)
	$(BIN)/lint-imports

margins: $(STAMP) ## every registered test threshold over 10 seeds with 1 and 2 torch threads (slow)
	$(BIN)/python scripts/measure_margins.py

pinned: $(STAMP) ## the suite on one core (taskset -c 0) and on all; lists tests whose outcome differs
	$(BIN)/python scripts/pinned_vs_normal.py

bench: $(BENCH_STAMP) ## every performance script in bench/; each prints a JSON ratio last
	@set -e; for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script; done

install: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# pip reads the torch pin from constraints.txt (the CPU build of torch 2.13.0).
$(STAMP): $(BIN)/python pyproject.toml constraints.txt
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test]'
	touch $(STAMP)

# The bench extra: OpenSpiel, the reference that bench/selfplay.py measures against.
$(BENCH_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[test,bench]'
	touch $(BENCH_STAMP)

clean:
	rm -rf $(VENV) runs build *.egg-info src/*.egg-info
