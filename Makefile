# The two commands a newcomer needs: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV ?= .venv
HOST ?= 127.0.0.1
PORT ?= 8000
BIN := $(VENV)/bin
PYTEST_ARGS ?=

.DEFAULT_GOAL := help
.PHONY: help install install-run run test lint format lock vendor clean bench backup restore screenshots

help:
	@echo "make run     set up everything and serve the sample data on http://$(HOST):$(PORT)"
	@echo "make test    run the whole test suite (browser tests need Chromium, Java and npm;"
	@echo "             the Word file's check needs LibreOffice and poppler-utils: .ci/run installs them)"
	@echo "make lint    ruff check and format check, import layers, missing migrations"
	@echo "make format  format the code with ruff"
	@echo "make lock    re-resolve requirements*.txt from pyproject.toml (UPGRADE=package or UPGRADE=all; docs/testing.md)"
	@echo "make vendor  re-pin the front-end assets in static/vendor/ from the npm registry"
	@echo "make screenshots  the live board in each phase at 1920x1080, into docs/img/ (needs Chromium)"
	@echo "make bench   a room of 300, 600 and 1,000 phones through nginx, an outage, two servers, and the other benchmarks (docs/performance.md)"
	@echo "make backup  back up the database into backups/ (OUTPUT=file to choose; docs/deployment.md)"
	@echo "make restore FILE=backups/... overwrite the database with a backup (asks first; YES=1 does not)"
	@echo "             both run with the site's environment (DATABASE_URL or SQLITE_PATH, SECRET_KEY)"

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Python 3.11 is needed, found " + sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)

# Installs come from the lock files, every package pinned with its hashes: requirements.txt for
# running the site, requirements-dev.txt (the same plus the test tools) for tests and linting.
# pyproject.toml states the ranges; `make lock` resolves them into the lock files.
$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements.txt
	@touch $@

$(VENV)/.installed: requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r requirements-dev.txt
	@touch $@ $(VENV)/.installed-run

# Test-only tools (the Nu HTML Checker and axe-core). Without npm the browser tests are skipped.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: browser tests will be skipped"; \
	fi

install: $(VENV)/.installed

install-run: $(VENV)/.installed-run

run: $(VENV)/.installed-run
	DEBUG=true $(BIN)/python manage.py migrate --noinput
	DEBUG=true $(BIN)/python manage.py load_sample_data
	DEBUG=true ALLOWED_HOSTS="$${ALLOWED_HOSTS:-127.0.0.1,localhost,$(HOST)}" \
		$(BIN)/python manage.py runserver $(HOST):$(PORT)

# Two workers (pytest-xdist): each has its own test database and live server.
TEST_WORKERS ?= 2

test: $(VENV)/.installed node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# The live board in each phase (docs/using.md): Playwright and Chromium with the browser tests'
# fixtures, on a throwaway test database. SCREENSHOT_ALL_SIZES=1 adds 1280x720 and 1024x768.
screenshots: $(VENV)/.installed
	$(BIN)/python -m pytest tests/e2e/screenshots.py -p no:cacheprovider -q

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	SECRET_KEY=lint-only $(BIN)/python manage.py makemigrations --check --dry-run

LOCK_FLAGS = --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url \
	--no-emit-find-links \
	$(if $(filter all,$(UPGRADE)),--upgrade,$(if $(UPGRADE),--upgrade-package $(UPGRADE)))

lock: $(VENV)/.installed
	$(BIN)/pip-compile $(LOCK_FLAGS) -o requirements.txt pyproject.toml
	$(BIN)/pip-compile $(LOCK_FLAGS) --extra dev -o requirements-dev.txt pyproject.toml

format: $(VENV)/.installed
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

vendor: $(VENV)/.installed
	$(BIN)/python .ci/vendor_assets.py

# Backup and restore (docs/deployment.md) run with the site's own environment: DATABASE_URL or
# SQLITE_PATH, and SECRET_KEY, from the shell or .env. DEBUG is never forced; only where no
# SECRET_KEY is set at all (a development machine) is DEBUG=true added, so that manage.py starts.
# They have no install step: on a server, a backup must never reinstall packages.
SITE_ENV = if [ -z "$${SECRET_KEY:-}" ] && ! grep -Eqs '^(export )?SECRET_KEY=' .env; then \
	export DEBUG="$${DEBUG:-true}"; fi;

backup:
	@$(SITE_ENV) $(BIN)/python manage.py backup_database $(if $(OUTPUT),--output "$(OUTPUT)")

restore:
	@test -n "$(FILE)" || { echo "Usage: make restore FILE=backups/<file> [YES=1]"; exit 2; }
	@$(SITE_ENV) $(BIN)/python manage.py restore_database "$(FILE)" $(if $(filter 1,$(YES)),--yes)

# The participant burst (bench/README.md): its load generator has its own virtualenv.
BENCH_VENV := bench/.venv

$(BENCH_VENV)/bin/python:
	$(PYTHON) -m venv $(BENCH_VENV)

$(BENCH_VENV)/.installed: bench/requirements.txt | $(BENCH_VENV)/bin/python
	$(BENCH_VENV)/bin/python -m pip install --quiet -r bench/requirements.txt
	@touch $@

# The room runs (bench/README.md) go through a private nginx: install_nginx.sh installs Debian's
# when it is missing and never starts its service. BENCH_ARGS reach the room runs and the
# throughput run, e.g. BENCH_ARGS="--worker-class gthread".
BENCH_ARGS ?=

bench: $(VENV)/.installed $(BENCH_VENV)/.installed
	@trap 'exit 130' INT TERM; status=0; \
	set -x; \
	sh bench/install_nginx.sh || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py $(BENCH_ARGS) || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py --participants 600 $(BENCH_ARGS) || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py --participants 1000 $(BENCH_ARGS) || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py --outage $(BENCH_ARGS) || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py --balanced $(BENCH_ARGS) || status=1; \
	$(BENCH_VENV)/bin/python bench/throughput.py $(BENCH_ARGS) || status=1; \
	$(BIN)/python bench/request_costs.py || status=1; \
	$(BENCH_VENV)/bin/python bench/burst.py --summary || status=1; \
	$(BENCH_VENV)/bin/python bench/sqlite_writers.py || status=1; \
	$(BIN)/python bench/report_archive.py || status=1; \
	$(BIN)/python bench/records_import.py || status=1; \
	$(BIN)/python bench/records_hostile.py || status=1; \
	$(BIN)/python bench/published_page.py || status=1; \
	$(BIN)/python bench/report_exports.py || status=1; \
	$(BIN)/python bench/clustering_page.py || status=1; \
	$(BIN)/python bench/suggest_eval.py || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) node_modules staticfiles build *.egg-info .pytest_cache .ruff_cache
