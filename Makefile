# The README's two commands: `make demo` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo serve test coverage lint bench bench-tools bench-smoke bench-soak bench-faults bench-routes bench-profile clean

# What the server needs (make demo); the test and lint tools come with make test.
$(STAMP): pyproject.toml
	@echo "Installing Heliograph into $(VENV) (about a minute; see the README for the size)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --progress-bar on -e .
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	@echo "Installing the test and lint tools into $(VENV)"
	$(BIN)/pip install --progress-bar on -e '.[dev]'
	touch $(DEV_STAMP)

demo: $(STAMP)
	$(BIN)/heliograph serve --demo

serve: $(STAMP)
	$(BIN)/heliograph serve

# The tests run in TEST_WORKERS processes, a test module per worker (its servers and
# in-process app stay with it); TEST_WORKERS=0 runs them all in this one.
TEST_WORKERS ?= 3
PYTEST := $(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) --dist loadfile --no-loadscope-reorder

test: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(PYTEST)

# Line coverage of src/heliograph by the tests and by the servers, CLIs and benchmarks they
# start ([tool.coverage] in pyproject.toml); slower than make test, so only on demand.
coverage: $(DEV_STAMP)
	rm -f .coverage .coverage.*
	COVERAGE_FILE=$(CURDIR)/.coverage $(PYTEST) --cov --cov-report=
	if ls .coverage.* >/dev/null 2>&1; then $(BIN)/coverage combine --append -q; fi
	$(BIN)/coverage report --skip-covered

lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Heliograph against LiteLLM and Portkey (docs/benchmarks.md): about 13 minutes.
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--seconds 5 --soak 300".
bench: $(DEV_STAMP) bench-tools
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

# nginx, wrk, h2load (apt-get), LiteLLM (bench/.venv-litellm), Portkey (bench/portkey): when missing.
bench-tools:
	PYTHON=$(PYTHON) bench/tools.sh

# Direct + Heliograph, 2 s cases; Python stand-ins where nginx/wrk/h2load are missing.
bench-smoke: $(DEV_STAMP)
	$(BIN)/python -m bench.compare --smoke

bench-soak: $(DEV_STAMP)
	bench/tools.sh --debian
	$(BIN)/python -m bench.soak

# Soak under injected faults (docs/benchmarks.md, "Faults"): 30 minutes; needs root,
# redis-server and PostgreSQL's initdb. E.g. make bench-faults BENCH_ARGS="--minutes 3".
bench-faults: $(DEV_STAMP)
	$(BIN)/python -m bench.faults $(BENCH_ARGS)

# Heliograph's own routes (passthrough, gateway, translation) and its cache and rate limits.
bench-routes: $(DEV_STAMP)
	bench/tools.sh --debian
	$(BIN)/python -m bench.proxy

# A py-spy profile of Heliograph under one load case (docs/benchmarks.md), e.g.
# make bench-profile PROFILE_ARGS="--stream --connections 1".
bench-profile: $(DEV_STAMP)
	bench/tools.sh --debian
	$(BIN)/pip install --quiet py-spy
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

clean:
	rm -rf $(VENV) .heliograph .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov
