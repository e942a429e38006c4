# Two commands for a newcomer: `make demo` and `make test`. Both set everything up first.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

# torch is pinned to the CPU build and installed in the same resolve as everything else.
$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet "torch==2.13.0" "setuptools==80.10.2"
	$(BIN)/python -m pip install --quiet -e ".[dev,text,baselines,serve,mlflow]"
	touch $@

demo: setup
	$(BIN)/relpool demo

test: setup
	$(BIN)/python -m pytest -q

# Lint and format check of the tree, and the type check of src/relpool (configured in pyproject.toml).
lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

# The quicker benchmarks (~30 min); pool_snr.py, relational_snr.py and scale.py take 30-60 min each.
bench: setup
	for b in ingest task sampler encode autofeat_vs_featuretools gnn_nycflights13; do $(BIN)/python bench/$$b.py || exit 1; done

clean:
	rm -rf $(VENV) build src/*.egg-info .pytest_cache
