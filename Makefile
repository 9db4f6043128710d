# Editable installs use "compat" mode (the project folder on sys.path), so a new top-level
# package (models/, flows/, notifications/) is importable without reinstalling.
# Two commands for a fresh machine with python3 and make:
#   make run   set up, initialise ./var/duban.db, load the demo bureau if empty, start duban serve
#   make test  set up with the dev extras and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# `make run` keeps its data beside the checkout; duban alone uses the user's data folder.
DUBAN_HOME ?= $(CURDIR)/var

.PHONY: run test lint clean

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
