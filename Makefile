# ExamHall — the two commands: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SERVICES_ENV := DATABASE_URL=postgres://postgres@127.0.0.1:5432/test REDIS_URL=redis://127.0.0.1:6379/0
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: demo test test-services bench lint messages chromium serve clean client-dist

# Installed without their dependencies: silero-vad only for its ONNX voice-activity model
# (its own requirements pull torch, never imported here); onnxruntime needs only numpy
# at import (ADR 0008).
NODEPS := silero-vad==6.2.3 onnxruntime==1.31.1

$(STAMP): pyproject.toml client/pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]' -e './client[build]'
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps $(NODEPS)
	touch $(STAMP)

var:
	mkdir -p var

## make demo: install, migrate the SQLite database, seed the demo, serve on :8000
demo: $(STAMP) var
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py migrate --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py collectstatic --noinput -v0
	DJANGO_SETTINGS_MODULE=config.settings.local $(PY) manage.py devtools_seed_demo --base-url http://$(HOST):$(PORT)
	@echo "Serving ExamHall on http://$(HOST):$(PORT)/  (Ctrl+C to stop)"
	DJANGO_SETTINGS_MODULE=config.settings.local $(VENV)/bin/uvicorn config.asgi:application \
		--host $(HOST) --port $(PORT) --lifespan on --no-access-log

## Debian's Chromium for the browser tests (installed when missing and we are root)
chromium:
	@if [ ! -x /usr/bin/chromium ]; then \
		if [ "$$(id -u)" = "0" ]; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
		else echo "Chromium is missing: install Debian's chromium package (browser tests will be skipped)"; fi; \
	fi

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	DJANGO_SETTINGS_MODULE=config.settings.test $(PY) manage.py makemigrations --check --dry-run -v0

## make test: lint, then the whole suite on the embedded profile (SQLite, in-process):
## the tests without a browser in parallel processes (a file per process at a time),
## then the browser tests one after the other; then the exam client's own tests (no
## Django; client/pyproject.toml configures them)
PARALLEL := -n auto --maxprocesses 4 --dist loadfile
test: $(STAMP) chromium lint var
	$(VENV)/bin/pytest -q -p no:cacheprovider $(PARALLEL) -m "not browser"
	$(VENV)/bin/pytest -q -p no:cacheprovider -m browser
	$(VENV)/bin/pytest -q -p no:cacheprovider client/tests

## make test-services: the suite on PostgreSQL + Redis, with a real Celery worker (the
## vision package has no database: `make test` covers it). Of the browser tests (already
## run by `make test`) only those whose path crosses the services here: the candidate's
## whole path (phone pairing included) and the proctor's, and the camera-lost warning.
SERVICES_BROWSER_TESTS := tests/browser/test_candidate_path.py tests/browser/test_proctor_path.py \
	tests/browser/test_monitoring_pc.py::test_camera_warning_when_a_camera_is_lost_and_cleared_when_it_is_back
test-services: $(STAMP) chromium var
	$(SERVICES_ENV) $(VENV)/bin/pytest -q -p no:cacheprovider $(PARALLEL) -m "not browser" \
		--ignore=examhall/vision
	$(SERVICES_ENV) $(VENV)/bin/pytest -q -p no:cacheprovider $(SERVICES_BROWSER_TESTS)

## make client-dist: the exam client for this OS (PyInstaller, one folder) in
## client/dist/examhall-client/, then a smoke run (client/packaging/BUILDING.md)
client-dist: $(STAMP)
	$(PY) client/packaging/build.py

## make bench: benchmarks (need PostgreSQL on 127.0.0.1:5432)
bench: $(STAMP) var
	$(PY) bench/autosave.py
	$(PY) bench/login_start.py
	$(PY) bench/itembank.py
	$(PY) bench/vision.py
	$(PY) bench/monitoring.py
	$(PY) bench/console.py

## Rebuild translation catalogues (needs GNU gettext); the .mo files are committed.
messages: $(STAMP)
	$(PY) manage.py makemessages -l zh_Hans --no-location --ignore '.venv/*' --ignore 'var/*' \
		--ignore 'static/vendor/*' --ignore 'bench/*' --ignore 'client/*' --ignore '*/tests/*' --ignore 'tests/*'
	$(PY) manage.py compilemessages -l zh_Hans --ignore .venv

clean:
	rm -rf var .pytest_cache
