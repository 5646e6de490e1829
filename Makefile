# Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
export DAGSTER_HOME := $(CURDIR)/.dagster
export PATH := $(BIN):$(PATH)

SAMPLE_DIR := $(CURDIR)/data/landing
SAMPLE_ACTIVITIES ?= 50000
SAMPLE_SEED ?= 42
DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros seeds -type f 2>/dev/null) dbt_project/dbt_project.yml

.PHONY: setup sample run full-refresh test dev bench lint docs screenshots clean validate-health erase

## Environment: a venv with the exact pins of constraints.txt.
$(VENV)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	touch $@

## dagster-dbt reads the manifest at import time, so it is built during set-up.
dbt_project/target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && $(BIN)/dbt parse --profiles-dir . --quiet
	touch $@

setup: $(VENV)/.installed dbt_project/target/manifest.json

## The bundled sample: generated once, unless RA_LANDING_DIR points at real data.
sample: setup
	@if [ -n "$$RA_LANDING_DIR" ]; then \
		echo "Using landing files in $$RA_LANDING_DIR (nothing generated)"; \
	elif [ ! -f "$(SAMPLE_DIR)/_SUCCESS" ]; then \
		$(BIN)/python -m orchestration.generator --activities $(SAMPLE_ACTIVITIES) \
			--seed $(SAMPLE_SEED) --out "$(SAMPLE_DIR)" && touch "$(SAMPLE_DIR)/_SUCCESS"; \
	fi

## A run killed earlier (kill -9, out of memory) is marked failed and its pool slots freed
## first, so this run does not wait for it forever (docs/operations.md).
run: sample
	$(BIN)/python -m orchestration.recovery
	$(BIN)/dagster asset materialize -m orchestration.definitions --select '*'
	@$(BIN)/python -m orchestration.print_locations

## Every dbt model rebuilt from scratch (incremental state included) in a run that is
## otherwise `make run`: after an upgrade that changes an incremental model's columns, or a
## seed or var those models read (README, "Incremental runs and full refresh").
FULL_REFRESH_CONFIG = '{"ops": {"relationship_dbt_models": {"config": {"full_refresh": true}}, "weekly_dbt_models": {"config": {"full_refresh": true}}}}'

full-refresh: sample
	$(BIN)/python -m orchestration.recovery
	$(BIN)/dagster asset materialize -m orchestration.definitions --select '*' --config-json $(FULL_REFRESH_CONFIG)
	@$(BIN)/python -m orchestration.print_locations

## Erasure (docs/privacy.md): the person goes into the erasure register and out of raw,
## every model is rebuilt from scratch (incremental state included), new exports are
## published and every older export set is removed. An audit line is printed and kept.
erase: sample
	@if [ -z "$(PERSON)" ]; then echo "usage: make erase PERSON=<id or e-mail address>" >&2; exit 2; fi
	$(BIN)/python -m orchestration.recovery
	$(BIN)/python -m orchestration.privacy erase "$(PERSON)"
	$(BIN)/dagster asset materialize -m orchestration.definitions --select '*' --config-json $(FULL_REFRESH_CONFIG)
	$(BIN)/python -m orchestration.privacy prune-exports

test: setup
	$(BIN)/pytest

dev: sample
	$(BIN)/dagster dev -m orchestration.definitions --host 127.0.0.1 --port $${RA_DEV_PORT:-3000}

bench: setup
	$(BIN)/python -m bench

## PNGs of the dashboards' index, one owner page and one unit page, from the exports of the
## last `make run` (RA_EXPORT_DIR, default exports/), into test-artifacts/screenshots/.
screenshots: setup
	$(BIN)/python scripts/screenshots.py "$(abspath $(or $(RA_EXPORT_DIR),exports))"

## Health score against won/lost outcomes (docs/kpi_definitions.md section 6): rebuilds the
## two validation models on the warehouse of `make run` and writes docs/health_validation.md.
## Compare parameter sets with VARS='{health_weight_recency: 0.5}' OUT=/tmp/candidate.md.
VARS ?=
OUT ?= docs/health_validation.md
validate-health: setup
	$(BIN)/python -m orchestration.health_validation --vars '$(VARS)' --out '$(OUT)'

## SQL lint compiles every model with dbt (the dbt templater, see .sqlfluff); the scratch
## in-memory warehouse keeps it away from a real one (about a minute on two cores).
lint: setup
	$(BIN)/ruff check orchestration tests bench scripts
	$(BIN)/ruff format --check orchestration tests bench scripts
	RA_WAREHOUSE=:memory: $(BIN)/sqlfluff lint dbt_project/models sql_tests --processes 2

## The dbt docs site, one offline HTML file: $RA_EXPORT_DIR/docs/index.html (default
## exports/docs/). The catalog (column types) comes from the warehouse when it exists
## (RA_WAREHOUSE, default warehouse/relationship_analytics.duckdb; not while a run writes it:
## DuckDB's lock), else the site has descriptions and lineage only (--empty-catalog).
## Usage tracking off: with it on, dbt's page injects a tracker script from a CDN.
DOCS_WAREHOUSE := $(abspath $(or $(RA_WAREHOUSE),warehouse/relationship_analytics.duckdb))
DOCS_DIR := $(abspath $(or $(RA_EXPORT_DIR),exports))/docs
docs: setup
	@if [ -f "$(DOCS_WAREHOUSE)" ]; then warehouse="$(DOCS_WAREHOUSE)"; catalog=""; \
	else echo "No warehouse at $(DOCS_WAREHOUSE): the site gets no catalog (column types)."; \
		warehouse=":memory:"; catalog="--empty-catalog"; fi; \
	cd dbt_project && $(BIN)/dbt --quiet docs generate \
		--profiles-dir . --static $$catalog --target-path target/docs \
		--vars "{\"warehouse_path\": \"$$warehouse\"}"
	$(BIN)/python -m orchestration.publishing.docs_site \
		dbt_project/target/docs/static_index.html "$(DOCS_DIR)"

clean:
	rm -rf $(VENV) dbt_project/target dbt_project/logs

## Spark parity: the same dbt project built on a local pyspark session (Java 17) must give
## the same marts as the DuckDB build. Not part of `make test`: the spark extra is large and
## the Spark build takes minutes, so CI runs it as its own step.
.PHONY: test-spark
$(VENV)/.installed-spark: $(VENV)/.installed
	$(BIN)/pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev,spark]'
	touch $@

## Only the Spark test module is collected: it materializes the extract assets from their
## own module, which needs no dbt manifest (the other modules import the full definitions).
## Without Java it fails, never skips: CI counts on this test having run.
test-spark: $(VENV)/.installed-spark
	@java -version >/dev/null 2>&1 || { echo "make test-spark needs Java 17 on PATH" >&2; exit 1; }
	$(BIN)/pytest -m spark tests/test_spark_parity.py
