# TuneWave: `make run` starts it, `make test` tests it. Nothing else is needed but
# Python 3.11+ (and Node 20+ once the front end is built here).
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
PIP    := $(VENV)/bin/pip
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: run spa test e2e stack-test install frontend-install lint typecheck format migrate worker beat ci clean

# Runtime packages (what `make run` needs), then the test and lint tools on top.
$(VENV)/.runtime: requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.installed: $(VENV)/.runtime requirements-dev.txt
	$(PIP) install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

migrate: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput

spa: frontend-install
	npm --prefix frontend run build

# The web app builds in the background (log: frontend/build.log) while Python installs,
# migrates and loads the demo data; Daphne starts without waiting for it. Until the build is
# done, /app/ says it is being built (frontend/.building); DEBUG serves new files at once.
SPA_LOG  := frontend/build.log
SPA_MARK := frontend/.building

run:
	@if command -v npm >/dev/null 2>&1; then \
		touch $(SPA_MARK); \
		echo "Building the web app in the background (log: $(SPA_LOG))"; \
		( if $(MAKE) --no-print-directory spa > $(SPA_LOG) 2>&1; \
		  then echo "Web app ready: http://$(HOST):$(PORT)/app/"; \
		  else echo "Web app build failed: see $(SPA_LOG)"; fi; rm -f $(SPA_MARK) ) & \
	else echo "Node.js not found: the API runs, and /app/ says how to build the web app."; fi; \
	$(MAKE) --no-print-directory $(VENV)/.runtime && \
	$(PY) manage.py migrate --noinput --verbosity 0 && \
	$(PY) manage.py load_demo_data --verbosity 0 && \
	echo "TuneWave on http://$(HOST):$(PORT)/  (API docs: http://$(HOST):$(PORT)/api/docs/)" && \
	exec $(VENV)/bin/daphne -b $(HOST) -p $(PORT) tunewave.asgi:application

frontend/node_modules/.package-lock.json: frontend/package-lock.json
	npm --prefix frontend ci --no-audit --no-fund

frontend-install: frontend/node_modules/.package-lock.json

test: install frontend-install
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	npm --prefix frontend test
	$(PY) -m pytest -q $(PYTEST_ARGS)

# The browser suite (Playwright + axe-core in Debian's /usr/bin/chromium) against a real server
# on a free port with a throwaway database (frontend/e2e/run.sh); services mode when
# DATABASE_URL/REDIS_URL/CELERY_BROKER_URL are set. Screenshots: frontend/e2e/screenshots/.
# `make e2e E2E_ARGS="--grep @smoke"` passes arguments to Playwright.
e2e: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
e2e: $(VENV)/.runtime frontend-install
	bash frontend/e2e/run.sh $(E2E_ARGS)

# The deployed topology (deploy/stack.sh: nginx with TLS, two Daphne processes, a worker and beat,
# DEBUG=0) on the local PostgreSQL, Redis and RabbitMQ, from an empty database; its suite
# (deploy/tests/stack_suite.py, not part of `make test`) drives it through nginx, faults included.
# STACK_SMOKE=1 then runs the browser @smoke subset against it; the stack always stops after
# (STACK_KEEP=1 leaves it running). Logs: .stack/logs/.
stack-test: export STACK_RESET := 1
stack-test: export STACK_DEV_LOGIN := 1
stack-test: export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD := 1
stack-test: $(VENV)/.installed frontend-install
	@test -f static/app/index.html || $(MAKE) --no-print-directory spa
	@deploy/stack.sh down >/dev/null
	@started=$$(date +%s); status=0; \
	deploy/stack.sh up || status=$$?; \
	if [ $$status -eq 0 ]; then \
		$(PY) -m pytest -c deploy/tests/pytest.ini deploy/tests/stack_suite.py -q $(STACK_TEST_ARGS) || status=$$?; \
	fi; \
	if [ $$status -eq 0 ] && [ "$(STACK_SMOKE)" = 1 ]; then \
		E2E_BASE_URL=https://127.0.0.1:$${STACK_HTTPS_PORT:-8443} E2E_IGNORE_HTTPS_ERRORS=1 \
		NODE_EXTRA_CA_CERTS="$${STACK_DIR:-$$PWD/.stack}/tls/fullchain.pem" \
		bash frontend/e2e/run.sh --grep @smoke || status=$$?; \
	fi; \
	[ -n "$(STACK_KEEP)" ] || deploy/stack.sh down; \
	echo "stack-test: $$(( $$(date +%s) - started )) s, status $$status"; \
	exit $$status

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

# mypy on the apps, with the Django and DRF plugins ([tool.mypy] in pyproject.toml says what
# is checked); its cache is .mypy_cache/.
typecheck: install
	$(VENV)/bin/mypy

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
