# RiskHub: `make run` and `make test` are the two commands you need.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
PYTHON ?= $(shell for p in python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then \
	command -v $$p; break; fi; done)
export RISKHUB_DEMO_PASSWORD ?= riskhub-demo-2026

.PHONY: install run test test-fast lint bench faults migrations-check prereqs clean pdf-references screenshot-references scan-samples

$(VENV)/.installed: pyproject.toml
	@if [ -z "$(PYTHON)" ]; then echo "RiskHub needs Python >= 3.11; none found on PATH." >&2; exit 1; fi
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@touch $@

install: $(VENV)/.installed

run: install
	@bin/run-embedded

prereqs:
	@bin/test-prereqs

# Test runs keep compiled bytecode even where the environment turns it off
# (PYTHONDONTWRITEBYTECODE=1): without it every worker recompiles and re-rewrites the
# asserts of every test module, about 9 s per worker per run.
PYTEST = env -u PYTHONDONTWRITEBYTECODE $(PY) -m pytest

test: install prereqs
	RISKHUB_NO_SKIPS=1 $(PYTEST) -n auto --dist loadgroup $(PYTEST_ARGS)

# The inner loop: everything but the browser and real-worker tests, with property tests
# drawing fewer examples and the API fuzzing without schemathesis' coverage phase (CI
# runs everything, in full).
test-fast: install
	RISKHUB_NO_SKIPS=1 RISKHUB_TEST_FAST=1 $(PYTEST) -n auto --dist loadgroup -m 'not browser and not worker' $(PYTEST_ARGS)

# Re-run the real scanners (garak in its own virtualenv under var/scan-venv, promptfoo
# from the npm registry), offline, and rewrite the reports tests/scans/ imports. Run it
# when a tool's format changes, then review and commit tests/scans/samples/.
scan-samples:
	bin/scan-samples

# Accept a new PDF layout on purpose: re-render every report kind from the fixed demo
# data and overwrite the page images the layout test compares with (then look at them).
pdf-references: install
	UPDATE_PDF_REFERENCES=1 $(PY) -m pytest tests/reports/test_layout_references.py -q

# Accept a new page layout on purpose: screenshot the main pages at 1440 and 390 pixels
# from the fixed data and overwrite the references the browser test compares with.
screenshot-references: install
	UPDATE_SCREEN_REFERENCES=1 $(PY) -m pytest tests/browser/test_screen_references.py -q

lint: install
	$(PY) -m ruff check riskhub tests bench .ci
	$(PY) -m ruff format --check riskhub tests bench .ci
	RISKHUB_DEV_SECRETS=1 $(PY) -m mypy

bench: install
	@bin/run-benchmarks

# Fault checks restart the machine's shared PostgreSQL and Redis: never in CI.
faults: install
	@for f in bench/fault_*.py; do echo "== $$f"; $(PY) $$f || exit 1; done

migrations-check: install
	RISKHUB_DEV_SECRETS=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var staticfiles
