# Editable installs use "compat" mode (the project folder on sys.path), so a new top-level
# package (models/, flows/, notifications/) is importable without reinstalling.
# Two commands for a fresh machine with python3 and make:
#   make run   set up, initialise ./var/duban.db, load the demo bureau (and its web logins) if empty,
#              print the web address, start duban serve (web workspace and scheduler)
#   make test  set up with the dev extras and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` keeps its data beside the checkout; duban alone uses the user's data folder.
DUBAN_HOME ?= $(CURDIR)/var

.PHONY: run test lint clean cluster-up cluster-demo cluster-down

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e . --config-settings editable_mode=compat
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --disable-pip-version-check -e '.[dev]' --config-settings editable_mode=compat
	touch $@ $(VENV)/.installed

run: $(VENV)/.installed
	DUBAN_HOME=$(DUBAN_HOME) $(BIN)/duban init
	DUBAN_HOME=$(DUBAN_HOME) $(BIN)/duban demo --if-empty
	DUBAN_HOME=$(DUBAN_HOME) $(BIN)/duban overview
	@echo "网页工作台：http://$${DUBAN_WEB_HOST:-127.0.0.1}:$${DUBAN_WEB_PORT:-8000}/ （示例账号及密码见上表，只在首次载入时显示；忘记可用 DUBAN_HOME=$(DUBAN_HOME) .venv/bin/duban user passwd 用户名 重设）"
	DUBAN_HOME=$(DUBAN_HOME) $(BIN)/duban serve

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff, and the layers contract in pyproject.toml ([tool.importlinter]): an import that runs
# back up (models -> duban, say) fails here, and so CI.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache

# The scaled-out mode on this machine (docs/scaling.md): a Prefect server on PostgreSQL
# (DUBAN_CLUSTER_PG, default postgresql://postgres@127.0.0.1:5432/postgres), the duban work pool,
# prefect deploy --all and WORKERS process workers, loopback only. Not needed by `make run`.
WORKERS ?= 2
cluster-up: $(VENV)/.installed
	$(BIN)/python -m deploy.cluster up --workers $(WORKERS)

cluster-demo: $(VENV)/.installed
	$(BIN)/python -m deploy.cluster demo

cluster-down: $(VENV)/.installed
	$(BIN)/python -m deploy.cluster down
