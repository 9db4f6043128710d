# Editable installs use "compat" mode (the project folder on sys.path), so a new top-level
# package (models/, flows/, notifications/) is importable without reinstalling.
# Two commands for a fresh machine with python3 and make:
#   make run   set up, initialise ./var/duban.db, load the demo bureau (and its web logins) if empty,
#              print the web address, start duban serve (web workspace and scheduler)
#   make test  set up with the dev extras and run the whole test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

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
	$(BIN)/duban init
	$(BIN)/duban demo --if-empty
	$(BIN)/duban overview
	@echo "网页工作台：http://$${DUBAN_WEB_HOST:-127.0.0.1}:$${DUBAN_WEB_PORT:-8000}/ （示例账号及密码见上表，只在首次载入时显示；忘记可用 .venv/bin/duban user passwd 用户名 重设，旧的示例数据库可运行 .venv/bin/duban demo 补上账号）"
	$(BIN)/duban serve

test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

# ruff, and the layers contract in pyproject.toml ([tool.importlinter]): an import that runs
# back up (models -> duban, say) fails here, and so CI.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) var .pytest_cache
