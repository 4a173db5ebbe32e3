# bankmart: `make run` builds the demo warehouse, `make test` runs every test.
# Everything is installed into .venv from pinned versions; nothing needs installing by hand.

SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(CURDIR)/$(VENV)/bin
STAMP := $(VENV)/.installed

# The demo bank: about a million transactions. Override on the command line, e.g.
#   make run DEMO_CUSTOMERS=2000
DEMO_CUSTOMERS ?= 10000
DEMO_MONTHS ?= 24
DEMO_SEED ?= 42

export BANKMART_DATA_DIR ?= $(CURDIR)/data
DEMO_DIR ?= $(BANKMART_DATA_DIR)/demo
export BANKMART_RAW_DIR ?= $(DEMO_DIR)/raw
export BANKMART_DUCKDB_PATH ?= $(BANKMART_DATA_DIR)/bankmart.duckdb
export DBT_PROFILES_DIR := $(CURDIR)
export DBT_SEND_ANONYMOUS_USAGE_STATS := false

.PHONY: help install run generate build test lint score sqlfluff clean bench publish dashboard browser-deps spark-deps

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP)  ## create .venv and install pinned dependencies

$(STAMP): pyproject.toml constraints.txt
	@test -n "$(PYTHON)" || { echo "Python 3.11 not found: install it or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $(STAMP)

run: install generate build publish  ## generate the demo bank if missing, build, summarise and publish

generate: install  ## write the demo bank's raw files (skipped when the raw folder exists)
	@if [ -d "$(BANKMART_RAW_DIR)" ]; then \
		echo "Using the raw data in $(BANKMART_RAW_DIR) (delete $(DEMO_DIR) to regenerate the demo bank)"; \
	else \
		mkdir -p "$$(dirname "$(DEMO_DIR)")" && \
		$(BIN)/bankmart generate --customers $(DEMO_CUSTOMERS) --months $(DEMO_MONTHS) \
			--seed $(DEMO_SEED) --out "$(DEMO_DIR)"; \
	fi

build: install  ## dbt build (models + tests) into $(BANKMART_DUCKDB_PATH), then a summary
	$(BIN)/bankmart build

test: install browser-deps spark-deps lint score  ## lint, score, then every test on a small generated bank (pytest + real dbt runs on DuckDB and Spark, sqlfluff)
	$(BIN)/pytest -n 2 --dist loadfile --no-loadscope-reorder

# The serving copy for BI tools and the dashboard: data/serving, or the BANKMART_SERVING_DIR environment variable.
publish: install  ## publish the last green build to data/serving (DuckDB file + Parquet) for BI
	$(BIN)/bankmart publish

DASHBOARD_PORT ?= 8501

dashboard: install  ## serve the Streamlit dashboard on the published data (DASHBOARD_PORT=8501)
	$(BIN)/bankmart dashboard --port $(DASHBOARD_PORT)

browser-deps:  ## install Debian's chromium for the browser test (no-op when /usr/bin/chromium exists)
	@bash tests/browser/install-chromium.sh

# The Spark target (profiles.yml: spark): Debian's OpenJDK 17 when no Java 17 is found
# ($$JAVA_HOME or /usr/lib/jvm), and dbt-spark with pyspark from the pinned [spark] extra.
SPARK_STAMP := $(VENV)/.spark-installed

spark-deps: $(SPARK_STAMP)  ## install the Spark target: a JDK 17 (apt) and dbt-spark + pyspark (pinned)

$(SPARK_STAMP): $(STAMP)
	@if [ -n "$$JAVA_HOME" ] && [ -x "$$JAVA_HOME/bin/java" ]; then :; \
	elif ls /usr/lib/jvm/java-17-openjdk-*/bin/java >/dev/null 2>&1; then :; \
	elif command -v apt-get >/dev/null 2>&1; then \
		echo "Installing Debian's openjdk-17-jre-headless for the Spark target"; \
		SUDO=$$([ "$$(id -u)" = 0 ] || echo sudo); \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq openjdk-17-jre-headless </dev/null; \
	else \
		echo "No Java 17 found and this is not a Debian/Ubuntu machine: install a Java 17 or 21 runtime and set JAVA_HOME"; \
		exit 1; \
	fi
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev,spark]'
	@touch $(SPARK_STAMP)

lint: install  ## ruff
	$(BIN)/ruff check src tests/python python_models

# dbt-score reads dbt's manifest: `dbt parse` (no data needed) writes one into a temporary
# folder, so the checkout's target/ is left alone. The thresholds are in pyproject.toml.
score: install  ## dbt-score: documentation, owners and example queries (fails below 9.5)
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	DBT_TARGET_PATH="$$tmp/target" DBT_LOG_PATH="$$tmp/logs" $(BIN)/dbt parse --quiet && \
	$(BIN)/dbt-score lint --manifest "$$tmp/target/manifest.json"

# sqlfluff compiles every model with the dbt templater (.sqlfluff) against the warehouse at
# BANKMART_DUCKDB_PATH, which some macros read: build it first. The templater ignores
# DBT_TARGET_PATH, so its target/ is set to a temporary folder, as for score. `make test` runs
# the same lint on the small test bank (tests/python/test_sql_lint.py).
SQLFLUFF_PROCESSES ?= 2

sqlfluff: install  ## sqlfluff on the dbt SQL (models, data tests) against the built warehouse
	@test -f "$(BANKMART_DUCKDB_PATH)" || { \
		echo "No warehouse at $(BANKMART_DUCKDB_PATH): run make build first (sqlfluff compiles the models against it)"; \
		exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	printf '[sqlfluff:templater:dbt]\ntarget_path = %s\n' "$$tmp/target" > "$$tmp/sqlfluff.cfg" && \
	$(BIN)/sqlfluff lint models tests --config "$$tmp/sqlfluff.cfg" \
		--processes $(SQLFLUFF_PROCESSES) --disable-progress-bar

# Transaction counts to benchmark; generated banks are cached in $(BANKMART_DATA_DIR)/bench.
#   make bench BENCH_SIZES=1M,10M
BENCH_SIZES ?= 1M,10M,100M

bench: install  ## dbt builds vs pandas and polars at $(BENCH_SIZES) -> bench/results/report.md
	$(BIN)/bankmart bench --transactions $(BENCH_SIZES)

clean:  ## remove dbt output (keeps .venv and data/)
	rm -rf target logs
