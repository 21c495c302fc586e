# TailorMed developer entry points. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEV_STAMP := $(VENV)/.installed-dev

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

## demo: analyse the bundled demo patient and print where the report is
demo: $(STAMP)
	$(BIN)/tailormed analyze examples/demo-patient/patient.yaml --out demo-output

## test: run the whole test suite (validation tests read ../shared when present)
test: $(STAMP)
	$(BIN)/python -m pytest -q

## lint: ruff and mypy on src/
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

## bench: the headline figures (needs ../shared)
bench: $(STAMP)
	$(BIN)/python benchmarks/pgx_concordance.py
	$(BIN)/python benchmarks/pgx_throughput.py
	$(BIN)/python benchmarks/pgx_population_frequencies.py

clean:
	rm -rf $(VENV) demo-output .pytest_cache
