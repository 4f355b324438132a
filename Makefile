# Jiaxin 家信 — the front door. `make help` lists the targets.
SHELL := /bin/bash
VENV  := .venv
PY    := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
HOST  ?= 127.0.0.1
PORT  ?= 5000
# pytest-xdist processes for make test (auto: one per core; 0 runs the suite in this process).
TEST_WORKERS ?= auto

.DEFAULT_GOAL := help
.PHONY: help bootstrap run serve jobs test test-pg bench lint demo migrate keys clean

help: ## list the targets
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'
	@echo
	@echo "  make run listens on HOST:PORT, now $(HOST):$(PORT); change them with e.g. make run PORT=8000 HOST=0.0.0.0"
	@echo "  (the printed URLs follow; REGISTRY_PUBLIC_URL, when set, is the address the pages and cards name)."

bootstrap: ## create .venv, install packages and the Chinese font
	@scripts/bootstrap.sh

run: bootstrap ## set everything up (database, keys, demo data) and serve on http://HOST:PORT with the jobs process
	@HOST=$(HOST) PORT=$(PORT) scripts/run.sh

test: ## set everything up (with chromium) and run the whole test suite, one process per core (TEST_WORKERS)
	@scripts/bootstrap.sh --browser
	@$(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

test-pg: ## the suite on the local PostgreSQL (a fresh database jiaxin_test)
	@scripts/bootstrap.sh --browser
	@dropdb -h 127.0.0.1 -U postgres --if-exists jiaxin_test && createdb -h 127.0.0.1 -U postgres jiaxin_test
	@REGISTRY_TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/jiaxin_test $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

bench: bootstrap ## run every benchmark on SQLite and on PostgreSQL
	@for b in bench/[!_]*.py; do [ -e "$$b" ] || continue; m=bench.$$(basename $$b .py); for db in sqlite postgresql; do echo "== $$m --db $$db"; $(PY) -m $$m --db $$db || exit 1; done; done

migrate: bootstrap ## apply the database migrations
	@$(FLASK) db upgrade

keys: bootstrap ## create the missing keys in REGISTRY_KEYS_DIR
	@$(FLASK) keys init

demo: bootstrap ## make sure the demo data exists and print it as JSON (new tokens; the earlier demo tokens are revoked)
	@$(FLASK) demo --json

lint: bootstrap ## ruff (rules in pyproject.toml), and check the migrations match the models
	@$(PY) -m ruff check .
	@set -o pipefail; tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && export REGISTRY_INSTANCE_PATH="$$tmp/instance" && \
	  $(FLASK) db upgrade >"$$tmp/upgrade.log" 2>&1 && $(FLASK) db check 2>&1 | grep -v "^INFO "

clean: ## remove the virtual environment and caches (keeps the database and keys)
	rm -rf $(VENV) .pytest_cache build *.egg-info
