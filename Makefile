# The two entry points of the README. Each creates the environment it needs.
# `make lint` (part of `make test`): ruff, mypy on code, tests and benchmarks, and the layer
# contracts of pyproject.toml (import-linter).
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: demo test lint bench soak clean

demo: $(STAMP)
	$(BIN)/popdq demo --force

test: $(STAMP) lint
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy popdq flows report warehouse matching synth expectations web tests bench
	$(BIN)/lint-imports

# `make bench SIZE=1000000 [COMPARE=1] [DASK=1]`: the whole pipeline at a size (bench/README.md).
SIZE ?= 100000
bench: $(STAMP)
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_pipeline.py --persons $(SIZE) $(if $(COMPARE),--compare) $(if $(DASK),--dask)

# `make soak`: twenty nightly runs on changing data (queue consistency, flat memory), ~10-15
# min; excluded from `make test` by the `soak` marker. Writes bench/results/soak.json.
soak: $(STAMP)
	$(BIN)/pytest -m soak tests/integration/test_soak.py

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

clean:
	rm -rf $(VENV) popdq-demo popdq.duckdb
