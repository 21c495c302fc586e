"""Population pharmacogenomics: phenotype, diplotype and allele frequencies, the share of people with an actionable
phenotype, and per drug how many people would get a changed recommendation (engine: no file access).

The counts are integers kept per population (``ALL`` plus each group of a population panel), so the counts of
several chunks of a cohort add up (:meth:`CohortCounts.merge`) to exactly those of the whole cohort, in any order:
the tables do not depend on how the cohort was split or on how many workers counted it.

Definitions (docs/cohort.md):

* Phenotype and diplotype frequencies: ``n`` is every sample of the population, ``count`` the samples with that
  phenotype (diplotype); a gene that was examined but not called counts as ``not called``, a gene no input
  covered as ``not tested``, so the rows of one gene and population add up to ``n``. A tie between diplotypes
  counts the first one (as calls.tsv reports it).
* Allele frequencies: ``n`` is the allele copies of the samples with a diplotype call (two per diploid sample, one
  per hemizygous one), ``count`` the copies of that allele.
* Actionable phenotype, as McInnes et al. 2021 (UK Biobank) and the All of Us PGx survey counted it: a person has
  one when a genotype-predicted phenotype makes at least one CPIC drug recommendation depart from usual care, i.e.
  at least one CPIC drug's row is ``actionable`` (the recommendation's own ``changes_care``). Counted for every gene
  of the knowledge pack and for the 14 genes McInnes et al. called (:data:`MCINNES_2021_GENES`). The result "no
  listed variant" of a variant-list gene (CFTR, DPYD, G6PD, RYR1, CACNA1S, MT-RNR1: the gene's reference allele
  twice) is the typical result, never an actionable phenotype: CFTR's "ivacaftor non-responsive" row, for example,
  concerns only patients with cystic fibrosis, and everyone without a responsive variant gets it.
* Changed recommendation per CPIC drug: the people for whom at least one of the drug's applicable recommendations
  departs from usual care (in at least one of the guideline's clinical settings), "if everyone here were
  prescribed it"; ``not_assessed`` counts those for whom no recommendation could be applied (a gene not tested
  or not called).

>>> from tailormed.model.pgx import Diplotype, GeneResult
>>> cyp = GeneResult(gene="CYP2C19", source="vcf", tested=True, phenotype="Poor Metabolizer",
...                  diplotypes=[Diplotype(alleles=["*2", "*2"])])
>>> counts = CohortCounts()
>>> tally_sample(counts, "EAS", [cyp], [], frozenset())
>>> [(r.population, r.phenotype, r.count, r.n) for r in phenotype_rows(counts)]
[('ALL', 'Poor Metabolizer', 1, 1), ('EAS', 'Poor Metabolizer', 1, 1)]
>>> [(r.allele, r.count, r.n) for r in allele_rows(counts) if r.population == "ALL"]
[('*2', 2, 2)]
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from tailormed.kb.pack import KnowledgeBase
from tailormed.model.pgx import DrugCall, GeneResult

ALL = "ALL"
"""The population every sample belongs to."""

NOT_CALLED = "not called"
NOT_TESTED = "not tested"

MCINNES_2021_GENES = frozenset({"CFTR", "CYP2B6", "CYP2C19", "CYP2C9", "CYP2D6", "CYP3A5", "CYP4F2", "DPYD", "IFNL3",
                                "NUDT15", "SLCO1B1", "TPMT", "UGT1A1", "VKORC1"})
"""The 14 CPIC pharmacogenes of McInnes G, Lavertu A, Sangkuhl K, Klein TE, Whirl-Carrillo M, Altman RB.
Pharmacogenetics at Scale: An Analysis of the UK Biobank. Clin Pharmacol Ther. 2021;109(6):1528-1537
(doi:10.1002/cpt.2122), the genes its caller PGxPOP defines."""

GENE_SETS: Mapping[str, frozenset[str] | None] = {"all": None, "mcinnes2021": MCINNES_2021_GENES}
"""Gene sets the actionable share is counted for: every gene (None) and McInnes et al.'s 14."""

UNASSESSED = frozenset({"not_tested", "no_result"})


@dataclass
class CohortCounts:
    """Integer counts per population; ``merge`` adds another chunk's counts."""

    samples: Counter[str] = field(default_factory=Counter)
    phenotypes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    diplotypes: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    alleles: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    allele_copies: Counter[tuple[str, str]] = field(default_factory=Counter)
    actionable: Counter[tuple[str, str]] = field(default_factory=Counter)
    changed_drug_total: Counter[tuple[str, str]] = field(default_factory=Counter)
    drug_changed: Counter[tuple[str, str]] = field(default_factory=Counter)
    drug_not_assessed: Counter[tuple[str, str]] = field(default_factory=Counter)
    genes: set[str] = field(default_factory=set)
    drugs: set[str] = field(default_factory=set)

    def merge(self, other: CohortCounts) -> CohortCounts:
        """Add ``other``'s counts to these (in place); returns self."""
        for name in ("samples", "phenotypes", "diplotypes", "alleles", "allele_copies", "actionable",
                     "changed_drug_total", "drug_changed", "drug_not_assessed"):
            getattr(self, name).update(getattr(other, name))
        self.genes |= other.genes
        self.drugs |= other.drugs
        return self


def merge_counts(parts: Iterable[CohortCounts]) -> CohortCounts:
    """The counts of several chunks, added up."""
    total = CohortCounts()
    for part in parts:
        total.merge(part)
    return total


def _label(result: GeneResult, value: str | None) -> str:
    if not result.tested:
        return NOT_TESTED
    return value or NOT_CALLED


class CohortTally:
    """Counts samples one at a time into :attr:`counts`.

    ``cpic_drugs`` names the drugs whose guideline is CPIC's: only they count for the actionable share and the
    changed recommendations. ``typical`` maps each variant-list gene to its reference allele
    (:func:`variant_list_references`): a row resting only on such a gene's reference result is not an actionable
    phenotype (it still counts as a changed recommendation for its drug).

    In a cohort most samples share their gene result and drug row objects (the pgx engine makes one per distinct
    genotype), so what is derived from one is worked out once and kept with it (the tally keeps the objects alive,
    so an id is never reused while cached; use one tally per chunk).
    """

    def __init__(self, cpic_drugs: frozenset[str], typical: Mapping[str, str] | None = None,
                 gene_sets: Mapping[str, frozenset[str] | None] = GENE_SETS) -> None:
        self.counts = CohortCounts()
        self.cpic_drugs = cpic_drugs
        self.typical = dict(typical or {})
        self.gene_sets = dict(gene_sets)
        self._genes: dict[int, tuple[GeneResult, str, str, tuple[str, ...]]] = {}
        self._rows: dict[int, tuple[DrugCall, tuple[bool, ...]]] = {}

    def _gene_keys(self, g: GeneResult) -> tuple[str, str, tuple[str, ...]]:
        hit = self._genes.get(id(g))
        if hit is None:
            alleles = tuple(g.diplotypes[0].alleles) if g.tested and g.diplotypes else ()
            hit = (g, _label(g, g.phenotype), _label(g, g.diplotype_label), alleles)
            self._genes[id(g)] = hit
        return hit[1], hit[2], hit[3]

    def _row_flags(self, row: DrugCall, by_gene: Mapping[str, GeneResult]) -> tuple[bool, ...]:
        """Per gene set: whether this actionable row is an actionable phenotype of that set. A shared row object
        was made from the same gene result objects for every sample that has it, so its flags are the same."""
        hit = self._rows.get(id(row))
        if hit is None:
            atypical = _atypical(row, by_gene, self.typical)
            hit = (row, tuple(atypical and _within(row, by_gene, m) for m in self.gene_sets.values()))
            self._rows[id(row)] = hit
        return hit[1]

    def add(self, population: str | None, genes: Sequence[GeneResult], drugs: Sequence[DrugCall]) -> None:
        """Count one sample, its gene results and drug rows (every row of every drug), in ``ALL`` and
        ``population``."""
        counts = self.counts
        groups = [ALL] if population is None or population == ALL else [ALL, population]
        by_gene = {g.gene: g for g in genes}
        gene_keys = [(g.gene, *self._gene_keys(g)) for g in genes]
        status: dict[str, int] = {}  # drug -> 2 changed, 1 assessed, 0 not assessed
        n_sets = len(self.gene_sets)
        flags_by_drug: dict[str, list[bool]] = {}
        for row in drugs:
            if row.drug not in self.cpic_drugs:
                continue
            if row.status == "actionable":
                status[row.drug] = 2
                flags = flags_by_drug.setdefault(row.drug, [False] * n_sets)
                for i, flag in enumerate(self._row_flags(row, by_gene)):
                    flags[i] = flags[i] or flag
            elif row.status not in UNASSESSED:
                status[row.drug] = max(status.get(row.drug, 0), 1)
            else:
                status.setdefault(row.drug, 0)
        per_set = [sum(1 for flags in flags_by_drug.values() if flags[i]) for i in range(n_sets)]
        for group in groups:
            counts.samples[group] += 1
            for gene, phenotype, diplotype, alleles in gene_keys:
                counts.phenotypes[(gene, phenotype, group)] += 1
                counts.diplotypes[(gene, diplotype, group)] += 1
                if alleles:
                    counts.allele_copies[(gene, group)] += len(alleles)
                    for allele in alleles:
                        counts.alleles[(gene, allele, group)] += 1
            for drug, state in status.items():
                if state == 2:
                    counts.drug_changed[(drug, group)] += 1
                elif state == 0:
                    counts.drug_not_assessed[(drug, group)] += 1
            for name, n_changed in zip(self.gene_sets, per_set, strict=True):
                counts.changed_drug_total[(name, group)] += n_changed
                if n_changed:
                    counts.actionable[(name, group)] += 1
        counts.genes.update(by_gene)
        counts.drugs.update(status)


def tally_sample(counts: CohortCounts, population: str | None, genes: Sequence[GeneResult],
                 drugs: Sequence[DrugCall], cpic_drugs: frozenset[str], typical: Mapping[str, str] | None = None,
                 gene_sets: Mapping[str, frozenset[str] | None] = GENE_SETS) -> None:
    """Count one sample into ``counts`` (see :class:`CohortTally`, which counts many)."""
    tally = CohortTally(cpic_drugs, typical, gene_sets)
    tally.add(population, genes, drugs)
    counts.merge(tally.counts)


def _within(row: DrugCall, genes: Mapping[str, GeneResult], members: frozenset[str] | None) -> bool:
    """Whether an actionable row rests only on genes of the set (its tested basis genes)."""
    if members is None:
        return True
    tested = [b.gene for b in row.basis if (r := genes.get(b.gene)) is not None and r.tested]
    return bool(tested) and all(g in members for g in tested)


def _atypical(row: DrugCall, genes: Mapping[str, GeneResult], typical: Mapping[str, str]) -> bool:
    """Whether a row rests on at least one tested result other than a variant-list gene's reference result."""
    for b in row.basis:
        result = genes.get(b.gene)
        if result is None or not result.tested:
            continue
        reference = typical.get(b.gene)
        if reference is None or not result.diplotypes or any(a != reference for a in result.diplotypes[0].alleles):
            return True
    return False


def variant_list_references(kb: KnowledgeBase) -> dict[str, str]:
    """Variant-list genes (matched variant by variant, e.g. CFTR, DPYD, G6PD) and their reference allele."""
    return {name: gene.reference_allele for name, gene in kb.genes.items()
            if gene.matching == "independent_variants" and gene.reference_allele}


# ----------------------------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class FrequencyRow:
    """One row of a phenotype or diplotype table."""

    gene: str
    value: str
    population: str
    n: int
    count: int

    @property
    def phenotype(self) -> str:
        return self.value


@dataclass(frozen=True)
class AlleleRow:
    gene: str
    allele: str
    population: str
    n: int
    count: int


@dataclass(frozen=True)
class ActionableRow:
    population: str
    gene_set: str
    n: int
    count: int
    changed_drugs: int
    """Sum over people of the CPIC drugs whose recommendation would change (divide by n for the mean)."""


@dataclass(frozen=True)
class DrugImpactRow:
    drug: str
    population: str
    n: int
    changed: int
    not_assessed: int


def populations(counts: CohortCounts) -> list[str]:
    """``ALL`` first, then the groups in alphabetical order."""
    return [ALL] + sorted(p for p in counts.samples if p != ALL)


def _value_rows(table: Counter[tuple[str, str, str]], counts: CohortCounts) -> list[FrequencyRow]:
    order = {p: i for i, p in enumerate(populations(counts))}
    rows = [FrequencyRow(gene, value, population, counts.samples[population], count)
            for (gene, value, population), count in table.items() if count]
    return sorted(rows, key=lambda r: (r.gene, order[r.population], r.value))


def phenotype_rows(counts: CohortCounts) -> list[FrequencyRow]:
    """Phenotype counts per gene and population (``value`` is the phenotype)."""
    return _value_rows(counts.phenotypes, counts)


def diplotype_rows(counts: CohortCounts) -> list[FrequencyRow]:
    """Diplotype counts per gene and population (``value`` is the diplotype)."""
    return _value_rows(counts.diplotypes, counts)


def allele_rows(counts: CohortCounts) -> list[AlleleRow]:
    """Allele copy counts per gene and population, out of the copies called."""
    order = {p: i for i, p in enumerate(populations(counts))}
    rows = [AlleleRow(gene, allele, population, counts.allele_copies[(gene, population)], count)
            for (gene, allele, population), count in counts.alleles.items() if count]
    return sorted(rows, key=lambda r: (r.gene, order[r.population], r.allele))


def actionable_rows(counts: CohortCounts, gene_sets: Iterable[str] = GENE_SETS) -> list[ActionableRow]:
    """Per population and gene set: people with at least one actionable phenotype."""
    return [ActionableRow(p, name, counts.samples[p], counts.actionable[(name, p)],
                          counts.changed_drug_total[(name, p)])
            for p in populations(counts) for name in gene_sets]


def drug_impact_rows(counts: CohortCounts) -> list[DrugImpactRow]:
    """Per CPIC drug and population: people whose recommendation would change if prescribed the drug."""
    return [DrugImpactRow(drug, p, counts.samples[p], counts.drug_changed[(drug, p)],
                          counts.drug_not_assessed[(drug, p)])
            for drug in sorted(counts.drugs) for p in populations(counts)]


def cpic_drug_names(kb: KnowledgeBase) -> frozenset[str]:
    """The drugs of the knowledge base whose guideline is a CPIC guideline (its source id starts ``cpic-`` or its
    citation names the Clinical Pharmacogenetics Implementation Consortium)."""
    names = set()
    for name, drug in kb.drugs.items():
        source = kb.sources.get(drug.guideline)
        citation = source.citation if source is not None else ""
        if drug.guideline.startswith("cpic-") or "Clinical Pharmacogenetics Implementation Consortium" in citation:
            names.add(name)
    return frozenset(names)
