# TuneWave: `make run` starts it, `make test` tests it. Nothing else is needed but
# Python 3.11+ (and Node 20+ once the front end is built here).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run spa test install frontend-install lint format migrate worker beat ci clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: install
	$(PY) manage.py migrate --noinput

spa: frontend-install
	npm --prefix frontend run build

run: migrate
	@if command -v npm >/dev/null 2>&1; then $(MAKE) --no-print-directory spa; \
	else echo "Node.js not found: the API runs, and /app/ says how to build the web app."; fi
	$(PY) manage.py load_demo_data --verbosity 0
	$(PY) manage.py collectstatic --noinput --verbosity 0
	@echo "TuneWave on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)"
	$(VENV)/bin/daphne -b $(HOST) -p $(PORT) tunewave.asgi:application

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund

frontend-install: frontend/node_modules/.package-lock.json

test: install frontend-install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	npm --prefix frontend test
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

worker: install
	$(VENV)/bin/celery -A tunewave worker -l info

beat: install
	$(VENV)/bin/celery -A tunewave beat -l info

# Everything CI checks: services started if down, lint, tests embedded and on real services.
ci:
	bash .ci/run

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles
