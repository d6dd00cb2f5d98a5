# Everything the project needs is installed from here into .venv/.
# `make refresh` runs the nightly job on seeds/; `make test` runs the test suite.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install refresh test check bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

refresh: $(STAMP)
	$(BIN)/harvester --db db/harvester.db refresh seeds/

# The formatter, the linter and strict typing first: they take seconds and fail fast.
check: $(STAMP)
	$(BIN)/ruff format --check harvester tests benchmarks
	$(BIN)/ruff check harvester tests benchmarks
	$(BIN)/mypy

# The suite starts hundreds of Python processes (workers, the CLI's real-process tests, the
# tools they run): where the environment sets PYTHONDONTWRITEBYTECODE each one compiles every
# module of harvester and its tests again (a tenth of the suite's CPU). Cached in __pycache__,
# compiled once up front so that a fresh clone's workers do not all compile them at once.
test: check
	$(BIN)/python -m compileall -q harvester tests
	PYTHONDONTWRITEBYTECODE= $(BIN)/python -m pytest -n auto --dist worksteal

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,bench]'
	$(BIN)/python benchmarks/arxiv/bench_fetch.py
	$(BIN)/python benchmarks/links/bench_links.py
	$(BIN)/python benchmarks/refresh/bench_refresh.py
	$(BIN)/python benchmarks/scale/bench_scale.py

clean:
	rm -rf $(VENV) build *.egg-info
