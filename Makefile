# digigov: two commands for a fresh clone.
#   make demo   build the demo province and serve the console on http://127.0.0.1:8000
#   make test   run the whole test suite
# Both create .venv, install the package and the front-end assets (npm ci), and are idempotent.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
APP_STAMP  := $(VENV)/.digigov-app
TEST_STAMP := $(VENV)/.digigov-test
ASSETS_STAMP := src/digigov/web/static/vendor/.stamp

.PHONY: demo test lint serve assets clean help

help:
	@echo "make demo   build the demo province and serve the console"
	@echo "make test   run the whole test suite (SQLite; PostgreSQL/NATS/MQTT when DIGIGOV_TEST_* are set)"
	@echo "make lint   ruff and mypy"

demo: $(APP_STAMP) $(ASSETS_STAMP)
	$(BIN)/digigov demo $(DEMO_ARGS)

serve: $(APP_STAMP) $(ASSETS_STAMP)
	$(BIN)/digigov serve

# Tests run in parallel, one worker per CPU (pytest-xdist); TEST_WORKERS=0 runs them in one process.
TEST_WORKERS ?= auto

test: $(TEST_STAMP) $(ASSETS_STAMP)
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(TEST_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/mypy

assets: $(ASSETS_STAMP)

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "digigov needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(APP_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(APP_STAMP) $@

$(ASSETS_STAMP): package.json package-lock.json | $(BIN)/python
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	$(BIN)/python -m digigov.web.assets
	touch $@

clean:
	rm -rf $(VENV) node_modules src/digigov/web/static/vendor var
