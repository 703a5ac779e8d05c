# reporting — set-up, demo, tests, benchmarks.  Every target sets itself up from a fresh clone.
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
PYTHON ?= python3
DEMO_OUT ?= demo-output

.PHONY: install system-packages demo test bench lint format clean

# Debian packages the tests and the demo use; installed with apt-get when missing and run as root.
system-packages:
	@bash .ci/system-packages

$(VENV)/.installed: pyproject.toml
	@$(MAKE) --no-print-directory system-packages
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[all,dev]'
	$(PY) -c 'import sys; from reporting.asr.models import main; sys.exit(main(["--prepare"]))' || echo "warning: the default Whisper model could not be prepared; dictation will fail until it is"
	@touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/reporting demo --out $(DEMO_OUT)

test: install
	$(PY) -m pytest -q

bench: install
	$(PY) benchmarks/run_all.py

lint: install
	$(VENV)/bin/ruff check reporting tests benchmarks
	$(VENV)/bin/ruff format --check reporting tests benchmarks
	$(VENV)/bin/mypy reporting
	$(VENV)/bin/lint-imports

format: install
	$(VENV)/bin/ruff format reporting tests benchmarks
	$(VENV)/bin/ruff check --fix reporting tests benchmarks

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache $(DEMO_OUT)
