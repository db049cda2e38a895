# The README's two commands: `make demo` and `make test`. Needs only Python 3.11+ and make.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo serve test lint bench bench-tools bench-smoke bench-soak bench-faults bench-routes bench-profile clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/heliograph serve --demo

serve: $(STAMP)
	$(BIN)/heliograph serve

test: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -p no:cacheprovider

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

# Heliograph against LiteLLM and Portkey (docs/benchmarks.md): about 13 minutes.
# BENCH_ARGS passes options, e.g. make bench BENCH_ARGS="--seconds 5 --soak 300".
bench: $(STAMP) bench-tools
	$(BIN)/python -m bench.compare $(BENCH_ARGS)

# nginx, wrk, h2load (apt-get), LiteLLM (bench/.venv-litellm), Portkey (bench/portkey): when missing.
bench-tools:
	PYTHON=$(PYTHON) bench/tools.sh

# Direct + Heliograph, 2 s cases; Python stand-ins where nginx/wrk/h2load are missing.
bench-smoke: $(STAMP)
	$(BIN)/python -m bench.compare --smoke

bench-soak: $(STAMP)
	bench/tools.sh --debian
	$(BIN)/python -m bench.soak

# Soak under injected faults (docs/benchmarks.md, "Faults"): 30 minutes; needs root,
# redis-server and PostgreSQL's initdb. E.g. make bench-faults BENCH_ARGS="--minutes 3".
bench-faults: $(STAMP)
	$(BIN)/python -m bench.faults $(BENCH_ARGS)

# Heliograph's own routes (passthrough, gateway, translation) and its cache and rate limits.
bench-routes: $(STAMP)
	bench/tools.sh --debian
	$(BIN)/python -m bench.proxy

# A py-spy profile of Heliograph under one load case (docs/benchmarks.md), e.g.
# make bench-profile PROFILE_ARGS="--stream --connections 1".
bench-profile: $(STAMP)
	bench/tools.sh --debian
	$(BIN)/pip install --quiet py-spy
	$(BIN)/python -m bench.profile $(PROFILE_ARGS)

clean:
	rm -rf $(VENV) .heliograph .pytest_cache .mypy_cache .ruff_cache
