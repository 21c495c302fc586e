# TailorMed developer entry points. Each target creates .venv and installs what it needs.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-test
DEV_STAMP := $(VENV)/.installed-dev

HPO_DATA := $(CURDIR)/.data/hpo
export TAILORMED_HPO := $(HPO_DATA)
CYP2D6_DATA := $(CURDIR)/.data/cyp2d6
export TAILORMED_CYP2D6 := $(CYP2D6_DATA)
GENE_DATA := $(CURDIR)/.data/genes
export TAILORMED_GENES := $(GENE_DATA)

# FHIR packages from the npm registry (CC0): the Genomics Reporting IG STU3 and, for the FHIR R4 base definitions and
# value sets, the R4 examples package (hl7.fhir.r4.core itself is not served by the npm registry; hl7.fhir.r4.examples
# 4.0.1 carries the same StructureDefinitions, ValueSets, CodeSystems and the core value-set expansions).
FHIR_DATA := $(CURDIR)/.data/fhir
export TAILORMED_FHIR_PACKAGES := $(FHIR_DATA)
NPM_REGISTRY := https://registry.npmjs.org
FHIR_IG := hl7.fhir.uv.genomics-reporting
FHIR_IG_VERSION := 3.0.0
FHIR_IG_SHA1 := 44f10dac3af7917a72ea5efcb78c11da59fae0b6
FHIR_CORE := hl7.fhir.r4.examples
FHIR_CORE_VERSION := 4.0.1
FHIR_CORE_SHA1 := 537ea7db3f3c7b3575fe2eaa7808bad21261cca3

.PHONY: demo test lint bench clean hpo-data cyp2d6-data fhir-data gene-data

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $(STAMP)

$(DEV_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(DEV_STAMP)

## hpo-data: compile HPO annotations (pinned release, fetched from the package index) for rare-disease ranking
# Rebuilt when the compiler or its curated links change (a compiled copy from an older checkout is not reused).
$(HPO_DATA)/meta.json: src/tailormed/kb/hpo.py src/tailormed/kb/importers/hpo.py src/tailormed/kb/data/rare-links/disease_genes.tsv | $(STAMP)
	$(BIN)/tailormed kb import hpo --dest $(HPO_DATA)

hpo-data: $(HPO_DATA)/meta.json

## cyp2d6-data: build CYP2D6's full allele set (PharmVar alleles from the pinned PyPGx wheel, fetched from the
## package index; CPIC activity values) for `pgx call` and `analyze`
$(CYP2D6_DATA)/CYP2D6.yaml: | $(STAMP)
	$(BIN)/tailormed kb import cyp2d6 --dest $(CYP2D6_DATA)

cyp2d6-data: $(CYP2D6_DATA)/CYP2D6.yaml

## gene-data: build the gene table (exonic length per gene, GRCh38; SpliceAI's GENCODE-based annotation table from the
## pinned spliceai wheel, GPLv3, fetched from the package index, never committed) for the per-gene background rate
$(GENE_DATA)/genes.tsv: src/tailormed/kb/genes.py src/tailormed/kb/importers/genes.py | $(STAMP)
	$(BIN)/tailormed kb import genes --dest $(GENE_DATA)

gene-data: $(GENE_DATA)/genes.tsv

## fhir-data: fetch the FHIR Genomics Reporting IG and the R4 base definitions (npm registry, checksummed) into .data/fhir
$(FHIR_DATA)/.complete:
	rm -rf $(FHIR_DATA).partial && mkdir -p $(FHIR_DATA).partial/$(FHIR_IG)#$(FHIR_IG_VERSION) $(FHIR_DATA).partial/$(FHIR_CORE)#$(FHIR_CORE_VERSION)
	curl -fsSL --retry 3 -o $(FHIR_DATA).partial/ig.tgz $(NPM_REGISTRY)/$(FHIR_IG)/-/$(FHIR_IG)-$(FHIR_IG_VERSION).tgz
	echo "$(FHIR_IG_SHA1)  $(FHIR_DATA).partial/ig.tgz" | sha1sum -c --quiet
	tar -xzf $(FHIR_DATA).partial/ig.tgz -C $(FHIR_DATA).partial/$(FHIR_IG)#$(FHIR_IG_VERSION)
	curl -fsSL --retry 3 -o $(FHIR_DATA).partial/core.tgz $(NPM_REGISTRY)/$(FHIR_CORE)/-/$(FHIR_CORE)-$(FHIR_CORE_VERSION).tgz
	echo "$(FHIR_CORE_SHA1)  $(FHIR_DATA).partial/core.tgz" | sha1sum -c --quiet
	tar -xzf $(FHIR_DATA).partial/core.tgz -C $(FHIR_DATA).partial/$(FHIR_CORE)#$(FHIR_CORE_VERSION) --wildcards \
		'package/package.json' 'package/StructureDefinition-*' 'package/ValueSet-*' 'package/CodeSystem-*' \
		'package/Bundle-valueset-expansions.json'
	rm $(FHIR_DATA).partial/ig.tgz $(FHIR_DATA).partial/core.tgz
	touch $(FHIR_DATA).partial/.complete
	rm -rf $(FHIR_DATA) && mv $(FHIR_DATA).partial $(FHIR_DATA)

fhir-data: $(FHIR_DATA)/.complete

## demo: analyse the bundled demo patient and print where the report is
demo: $(STAMP) $(HPO_DATA)/meta.json $(CYP2D6_DATA)/CYP2D6.yaml $(GENE_DATA)/genes.tsv
	$(BIN)/tailormed analyze examples/demo-patient/patient.yaml --out demo-output

## test: the layer contracts (import-linter), then the whole suite with the docstring examples of src/
## (validation tests read ../shared when present)
test: $(STAMP) $(HPO_DATA)/meta.json $(CYP2D6_DATA)/CYP2D6.yaml $(GENE_DATA)/genes.tsv $(FHIR_DATA)/.complete
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest -q

## lint: ruff and mypy on src/
lint: $(DEV_STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/mypy src

## bench: the headline figures (needs ../shared; cds_latency needs a local PostgreSQL server, as .ci/run starts)
bench: $(STAMP) $(CYP2D6_DATA)/CYP2D6.yaml $(GENE_DATA)/genes.tsv
	$(BIN)/python benchmarks/pgx_concordance.py
	$(BIN)/python benchmarks/pgx_throughput.py
	$(BIN)/python benchmarks/pgx_cyp2d6_getrm.py
	$(BIN)/python benchmarks/cohort_pgx_population.py --skip-throughput
	$(BIN)/python benchmarks/rare_phenopackets.py ../shared/data/rare/phenopackets-dev
	$(BIN)/python benchmarks/cds_latency.py --search 150,200,300,400

clean:
	rm -rf $(VENV) demo-output .pytest_cache .data
