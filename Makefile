# Every target creates .venv and installs what it needs, so a fresh clone needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUNTIME := $(VENV)/.installed-runtime
DEV := $(VENV)/.installed-dev
PYTEST_WORKERS ?= 2

.PHONY: demo test test-fast lint format bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install -q -e '.[dev]'
	touch $@ $(RUNTIME)

demo: $(RUNTIME)
	$(BIN)/bankchat demo

test: $(DEV)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup

test-fast: $(DEV)
	$(BIN)/pytest -q -n $(PYTEST_WORKERS) --dist loadgroup -m "not slow"

lint: $(DEV)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy src
	$(BIN)/lint-imports

format: $(DEV)
	$(BIN)/ruff check --fix src tests bench
	$(BIN)/ruff format src tests bench

bench: $(DEV)
	$(BIN)/python -m bench.sandbox
	$(BIN)/python -m bench.vault_sync

clean:
	rm -rf $(VENV) .bankchat .pytest_cache .mypy_cache .ruff_cache
