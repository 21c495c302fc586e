r"""The tables of ``tailormed cohort pgx``: phenotype, diplotype and allele frequencies, the actionable share and
the changed recommendations per CPIC drug, as TSV text (frequencies to 6 decimals).

>>> from tailormed.cohort.frequencies import FrequencyRow
>>> text = phenotype_frequencies_tsv([FrequencyRow("CYP2C19", "Poor Metabolizer", "EAS", 3, 1)])
>>> [line.split("\t") for line in text.splitlines()]  # doctest: +NORMALIZE_WHITESPACE
[['gene', 'phenotype', 'population', 'n', 'count', 'frequency'],
 ['CYP2C19', 'Poor Metabolizer', 'EAS', '3', '1', '0.333333']]
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from tailormed.cohort.frequencies import ActionableRow, AlleleRow, DrugImpactRow, FrequencyRow
from tailormed.report.tsv import tsv_field

PHENOTYPE_COLUMNS = ("gene", "phenotype", "population", "n", "count", "frequency")
DIPLOTYPE_COLUMNS = ("gene", "diplotype", "population", "n", "count", "frequency")
ALLELE_COLUMNS = ("gene", "allele", "population", "n", "count", "frequency")
ACTIONABLE_COLUMNS = ("population", "gene_set", "n", "count", "frequency", "mean_changed_drugs")
DRUG_IMPACT_COLUMNS = ("drug", "genes", "guideline", "population", "n", "changed", "frequency", "not_assessed")


def share(count: int, n: int) -> str:
    """``count / n`` to 6 decimals (empty when n is 0)."""
    return f"{count / n:.6f}" if n else ""


def _tsv(columns: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    lines = ["\t".join(columns)]
    lines += ["\t".join(tsv_field(str(v)) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def phenotype_frequencies_tsv(rows: Iterable[FrequencyRow]) -> str:
    return _tsv(PHENOTYPE_COLUMNS, ((r.gene, r.value, r.population, r.n, r.count, share(r.count, r.n)) for r in rows))


def diplotype_frequencies_tsv(rows: Iterable[FrequencyRow]) -> str:
    return _tsv(DIPLOTYPE_COLUMNS, ((r.gene, r.value, r.population, r.n, r.count, share(r.count, r.n)) for r in rows))


def allele_frequencies_tsv(rows: Iterable[AlleleRow]) -> str:
    return _tsv(ALLELE_COLUMNS, ((r.gene, r.allele, r.population, r.n, r.count, share(r.count, r.n)) for r in rows))


def actionable_tsv(rows: Iterable[ActionableRow]) -> str:
    return _tsv(ACTIONABLE_COLUMNS, ((r.population, r.gene_set, r.n, r.count, share(r.count, r.n),
                                      f"{r.changed_drugs / r.n:.3f}" if r.n else "") for r in rows))


def drug_impact_tsv(rows: Iterable[DrugImpactRow], genes: Mapping[str, Sequence[str]],
                    guidelines: Mapping[str, str]) -> str:
    return _tsv(DRUG_IMPACT_COLUMNS, ((r.drug, ",".join(genes.get(r.drug, ())), guidelines.get(r.drug, ""),
                                       r.population, r.n, r.changed, share(r.changed, r.n), r.not_assessed)
                                      for r in rows))
