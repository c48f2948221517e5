# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck bench install clean lock

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/safetynet demo

test: $(STAMP)
	bash scripts/ensure-system.sh
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest

# Every benchmark side by side in one run (~10 min on 2 cores); `make bench BENCH_FLAGS=--quick`
# is the ~3-minute smoke run. Method and figures: BENCHMARKS.md.
BENCH_FLAGS ?=
bench: $(STAMP)
	$(BIN)/pip install -q -e '.[bench]'
	$(BIN)/python -m simulations.bench $(BENCH_FLAGS)

# Re-pin requirements.lock (the runtime dependencies the image and hosts install, with hashes).
# Existing pins are kept while pyproject allows them; `make lock LOCK_FLAGS=--upgrade` takes newer ones.
lock: $(STAMP)
	$(BIN)/pip install -q 'pip-tools>=7.4'
	CUSTOM_COMPILE_COMMAND="make lock" $(BIN)/pip-compile --quiet --generate-hashes --strip-extras \
		--no-emit-index-url --no-emit-find-links $(LOCK_FLAGS) --output-file requirements.lock pyproject.toml

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
