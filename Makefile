# duckhouse: the verbs people type. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.9.5
VENV := .venv
BIN := $(VENV)/bin
TENANT ?= acme
DOCS_PORT ?= 8080
DAGSTER_PORT ?= 3000
DASHBOARD_PORT ?= 8501
DAGSTER_HOME ?= $(CURDIR)/data/_dagster

DBT_PROFILES_DIR ?= $(CURDIR)/profiles
export DBT_PROFILES_DIR
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup browser postgres openssl hooks demo build test test-fast lint lint-changed check trino-check s3 publish bench fmt docs dagster dashboard clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-13s %s\n", $$1, $$2}'

# bytecode compiled once here: the interpreter never writes it when PYTHONDONTWRITEBYTECODE
# is set (as on CI), and every dbt start-up would compile dbt's sources again (~1.3 s)
$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	uv sync --frozen --compile-bytecode
	@touch $@

setup: $(VENV)/.installed  ## install the pinned environment (.venv) from uv.lock

browser:  ## install Debian's chromium for the browser tests (needs root)
	@command -v chromium >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] || { echo "chromium is missing: run 'make browser' as root" >&2; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

postgres:  ## install Debian's PostgreSQL server for the postgres source and its tests (needs root)
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] || { echo "PostgreSQL is missing: run 'make postgres' as root" >&2; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

openssl:  ## install Debian's openssl (the object store's TLS certificates; needs root)
	@command -v openssl >/dev/null 2>&1 || { \
		[ "$$(id -u)" = 0 ] || { echo "openssl is missing: run 'make openssl' as root" >&2; exit 1; }; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openssl >/dev/null; }

hooks: setup  ## install the pre-commit hooks into .git/hooks
	$(BIN)/pre-commit install

demo: setup  ## set up, land and build every demo tenant, then say where to look
	$(BIN)/duckhouse demo

build: setup  ## land and build one tenant: make build TENANT=globex
	$(BIN)/duckhouse build $(TENANT)

lint: setup  ## ruff, sqlfluff and the project rules, zero violations allowed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 .
	$(BIN)/duckhouse check-project

lint-changed: setup  ## lint only the SQL changed against BASE (default main), as PR annotations
	$(BIN)/duckhouse lint-changed --base $(or $(BASE),main) --format $(or $(FORMAT),human)

check: setup  ## the project rules only (descriptions, primary keys, layers, names, contracts)
	$(BIN)/duckhouse check-project

trino-check: setup  ## compile every model for each tenant's Trino target, check it is Trino SQL
	$(BIN)/duckhouse trino-check

s3: setup openssl  ## start the development object store (SeaweedFS: S3 + Iceberg REST on loopback)
	$(BIN)/duckhouse s3 up

publish: setup  ## publish TENANT's gold and views to the object store (Iceberg + Parquet)
	$(BIN)/duckhouse publish $(TENANT)

bench: setup postgres  ## the benchmark suite, full sizes (hours): results in benchmarks/results
	uv sync --frozen --group bench
	$(BIN)/python benchmarks/run.py $(BENCH_ARGS)
	uv sync --frozen

fmt: setup  ## fix what ruff and sqlfluff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix --processes 2 .

# the end-to-end tier in two workers, a test file each (its module fixtures stay in one
# worker): most of a test's time is one dbt or Dagster process, so two share two cores
test: setup browser postgres openssl lint  ## set up, lint, and run every test: the fast tier first, then the rest
	$(BIN)/pytest -m fast
	$(BIN)/pytest -m "not fast" -n 2 --dist loadfile

test-fast: setup  ## the fast tier only (unit tests of pure helpers and contracts, ~1 min)
	$(BIN)/pytest -m fast

docs: setup  ## build TENANT, generate its dbt docs and serve them on 127.0.0.1:8080 (DOCS_PORT)
	$(BIN)/duckhouse build $(TENANT)
	$(BIN)/dbt docs generate --target $(TENANT) --target-path target/$(TENANT)
	$(BIN)/dbt docs serve --target $(TENANT) --target-path target/$(TENANT) \
		--host 127.0.0.1 --port $(DOCS_PORT) --no-browser

dagster: setup  ## start the Dagster UI on 127.0.0.1:3000 (DAGSTER_PORT); history kept in data/_dagster
	mkdir -p $(DAGSTER_HOME) && cp orchestration/dagster.yaml $(DAGSTER_HOME)/dagster.yaml
	$(BIN)/duckhouse prepare
	DAGSTER_HOME=$(DAGSTER_HOME) $(BIN)/dagster dev -m duckhouse.orchestration.definitions \
		--host 127.0.0.1 --port $(DAGSTER_PORT)

dashboard: setup  ## start the dashboard on 127.0.0.1:8501 (DASHBOARD_PORT): every tenant's last good build
	$(BIN)/duckhouse dashboard --host 127.0.0.1 --port $(DASHBOARD_PORT)

clean:  ## remove build artefacts (not the data)
	rm -rf target logs .pytest_cache .ruff_cache
