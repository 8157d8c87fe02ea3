# duckhouse: the verbs people type. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

UV_VERSION := 0.9.5
VENV := .venv
BIN := $(VENV)/bin
TENANT ?= acme
DOCS_PORT ?= 8080

export DBT_PROFILES_DIR := $(CURDIR)/profiles
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help setup demo build test lint fmt docs clean

help:  ## list the verbs
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet "uv==$(UV_VERSION)"
	uv sync --frozen
	@touch $@

setup: $(VENV)/.installed  ## install the pinned environment (.venv) from uv.lock

demo: setup  ## set up, land and build every demo tenant, then say where to look
	$(BIN)/duckhouse demo

build: setup  ## land and build one tenant: make build TENANT=globex
	$(BIN)/duckhouse build $(TENANT)

lint: setup  ## ruff and sqlfluff, zero violations allowed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/sqlfluff lint --processes 2 .

fmt: setup  ## fix what ruff and sqlfluff can fix
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
	$(BIN)/sqlfluff fix --processes 2 .

test: setup lint  ## set up, lint, and run every test
	$(BIN)/pytest

docs: setup  ## generate and serve the dbt docs site for TENANT on 127.0.0.1:$(DOCS_PORT)
	$(BIN)/duckhouse build $(TENANT)
	$(BIN)/dbt docs generate --target $(TENANT) --target-path target/$(TENANT)
	$(BIN)/dbt docs serve --target $(TENANT) --target-path target/$(TENANT) \
		--host 127.0.0.1 --port $(DOCS_PORT) --no-browser

clean:  ## remove build artefacts (not the data)
	rm -rf target logs .pytest_cache .ruff_cache
