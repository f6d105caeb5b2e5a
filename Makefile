# Two entry points for a fresh machine with Python 3.11: `make demo` and `make test`.
# Each creates .venv and installs what it needs; `make test` also installs the office
# suites the round-trip tests drive (scripts/install-system-deps.sh).
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
DEMO   ?= demo

.PHONY: demo test system-deps bench lint golden clean

$(BIN)/xlflow: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@

system-deps:
	bash scripts/install-system-deps.sh

demo: $(BIN)/xlflow
	bash scripts/demo.sh $(DEMO)

test: $(BIN)/xlflow system-deps
	$(BIN)/ruff check xlflow tests benchmarks samples
	$(BIN)/mypy
	$(BIN)/python -m pytest -q

bench: $(BIN)/xlflow
	$(BIN)/python benchmarks/bench_build.py
	$(BIN)/python benchmarks/bench_merge.py

# What stands in for a Windows machine (also part of `make test`): the weekly walk on a GBK
# console and without POSIX-only modules (tests/without_posix.py), a report open in Excel.
.PHONY: windows-check
windows-check: $(BIN)/xlflow
	$(BIN)/python -m pytest -q tests/test_windows.py tests/test_file_names.py

# Rewrite tests/golden/ (normalised parts of the sample's workbooks) after an intended
# change to what xlflow writes; review `git diff tests/golden` before committing.
golden: $(BIN)/xlflow
	$(BIN)/python -m tests.golden

lint: $(BIN)/xlflow
	$(BIN)/ruff check xlflow tests benchmarks

clean:
	rm -rf $(VENV) $(DEMO) .pytest_cache build *.egg-info ug2024 crm2024 pmo-cases 资源冲突.xlsx 项目组合*.xlsx
