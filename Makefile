# smartpdu — every target creates the virtual environment itself when it is missing.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
RUNTIME_STAMP := $(VENV)/.runtime-stamp

.PHONY: demo test bench lint format services clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The demo needs the runtime dependencies only; tests, lint and benchmarks add the test tools.
$(RUNTIME_STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP) $(RUNTIME_STAMP)

## demo: start a simulated rack (twin + runtime + API) and print URL and admin credentials
demo: $(RUNTIME_STAMP)
	$(VENV)/bin/smartpdu demo

## test: install test deps, start the real services the tests use, run pytest
# Two workers by default (the embedded-class CI machine has two cores); PYTEST_WORKERS=0 runs serially.
# Whole files go to one worker (loadfile); tests marked `serial` run afterwards without xdist.
PYTEST_WORKERS ?= 2
test: $(STAMP) services
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadfile -m 'not serial' $(PYTEST_ARGS)
	$(PY) -m pytest -q -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]  # 5: PYTEST_ARGS selected none

## services: install/start PostgreSQL, Mosquitto, net-snmp clients when missing or down
services:
	bash scripts/services.sh

## bench: performance benchmarks, printing ratios measured in the same run
bench: $(STAMP) services
	$(PY) benchmarks/run_all.py

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks
	$(VENV)/bin/mypy

format: $(STAMP)
	$(VENV)/bin/ruff check --fix src tests benchmarks
	$(VENV)/bin/ruff format src tests benchmarks

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
