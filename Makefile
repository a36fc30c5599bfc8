# Gezhi: `make demo` sets everything up and serves the demo; `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup demo test test-fast lint format bench static clean messages

setup: $(VENV)/.installed gezhi/web/static/vendor/.copied

$(VENV)/.installed: requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -r requirements.lock
	$(BIN)/pip install -q --no-deps -e .
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error

gezhi/web/static/vendor/.copied: node_modules/.package-lock.json scripts/vendor_static.py
	$(BIN)/python scripts/vendor_static.py
	touch $@

static: gezhi/web/static/vendor/.copied

demo: setup
	$(BIN)/gezhi migrate --no-input
	$(BIN)/gezhi demo --host $(HOST) --port $(PORT)

test: setup
	./scripts/ensure-browser.sh
	$(BIN)/pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

test-fast: setup
	$(BIN)/pytest -n 2 -m "not browser" $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gezhi/lib gezhi/*/services.py gezhi/*/services/

format: setup
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(BIN)/python bench/route.py
	$(BIN)/python bench/import_regions.py
	$(BIN)/python bench/import_people.py

messages: setup
	cd gezhi && ../$(BIN)/django-admin makemessages -l en --no-obsolete
	cd gezhi && ../$(BIN)/django-admin compilemessages -l en

clean:
	rm -rf $(VENV) node_modules gezhi/web/static/vendor var/static
