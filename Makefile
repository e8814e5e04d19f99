# Everything a newcomer needs: `make run` (demo on http://127.0.0.1:8000) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Tests and benchmarks run on the PostgreSQL server of the machine unless told otherwise.
TEST_DATABASE_URL ?= postgresql://postgres@127.0.0.1:5432/portal
TEST_BROKER_URL ?= redis://127.0.0.1:6379/15

.PHONY: run test test-fast bench lint format messages migrations-reset venv system-deps browser-deps clean

$(STAMP): pyproject.toml requirements.lock
	@PYBIN=$$(scripts/find-python) && echo "Using $$PYBIN" && \
	  ( [ -x $(PY) ] || $$PYBIN -m venv $(VENV) )
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements.lock
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP) system-deps
	$(PY) manage.py migrate --no-input -v 0
	$(PY) manage.py collectstatic --no-input -v 0
	$(PY) manage.py load_demo
	$(PY) manage.py runserver 127.0.0.1:8000

# Every test: unit, PostgreSQL, Celery worker on Redis, Slurm cluster, Chromium.
test: $(STAMP) browser-deps
	DATABASE_URL=$(TEST_DATABASE_URL) TEST_BROKER_URL=$(TEST_BROKER_URL) \
	  $(PY) -m pytest $(PYTEST_ARGS)

# Quick loop while coding: no browser, no worker.
test-fast: $(STAMP)
	DATABASE_URL=$(TEST_DATABASE_URL) $(PY) -m pytest -m "not browser and not celery_worker and not slurm" $(PYTEST_ARGS)

# Benchmarks need PostgreSQL, Redis and the local Slurm cluster (started here, as root).
bench: $(STAMP)
	@scripts/ensure-services
	@scripts/slurm-cluster start >/dev/null
	DATABASE_URL=$(TEST_DATABASE_URL)_bench $(PY) benchmarks/run.py

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

system-deps:
	@scripts/ensure-system-deps

browser-deps:
	@scripts/ensure-system-deps --browser

# Extract strings into locale/*/django.po, then compile the committed .mo files.
messages: $(STAMP)
	$(PY) manage.py makemessages -l kk -l ru -l en --ignore=.venv --ignore=tests --ignore=benchmarks --no-obsolete
	$(PY) manage.py compilemessages --ignore=.venv -v 0

# Before the first release the schema is still one generated migration (0001); regenerate it
# after model changes. Later migrations (reference data, triggers) are written by hand.
migrations-reset: $(STAMP)
	rm -f allocations/migrations/0001_initial.py
	$(PY) manage.py makemigrations allocations -n initial -v 0

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
