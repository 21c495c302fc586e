"""Build the demo patient's VCF from the pgx-core pack: every defining position is listed
(so nothing is missing), homozygous reference except a handful of chosen variants.

    python examples/demo-patient/make_demo_vcf.py > examples/demo-patient/demo.vcf

The patient is invented; the genotypes were chosen to show several kinds of result
(a CYP2C19 poor-function allele, a CYP2C9 decreased-function allele, an SLCO1B1
decreased-function allele, a DPYD decreased-function variant).
"""

from __future__ import annotations

import sys

from tailormed.kb.pack import load_knowledge_base

# (gene, allele name) -> genotype: the allele's defining variants are placed on the second haplotype.
CHOSEN = {("CYP2C19", "*2"): "0|1", ("CYP2C9", "*3"): "0|1", ("SLCO1B1", "*5"): "0|1",
          ("DPYD", "c.2846A>T"): "0/1", ("VKORC1", None): "0/1"}
CONTIGS = {"chr1": 248956422, "chr2": 242193529, "chr4": 190214555, "chr7": 159345973, "chr10": 133797422,
           "chr12": 133275309, "chr13": 114364328, "chr16": 90338345, "chr19": 58617616, "chr22": 50818468,
           "chr6": 170805979, "chr8": 145138636, "chrX": 156040895, "chrM": 16569}


def main() -> None:
    kb = load_knowledge_base("pgx-core")
    carried: dict[tuple[str, int], tuple[str, str]] = {}
    for (gene_name, allele_name), genotype in CHOSEN.items():
        gene = kb.genes[gene_name]
        if allele_name is None:  # first non-reference allele of a one-SNP gene
            allele = next(a for a in gene.alleles if a.defining and a.name != gene.reference_allele)
        else:
            allele = next(a for a in gene.alleles if a.name.startswith(allele_name))
        reference = next((a for a in gene.alleles if a.name == gene.reference_allele), None)
        for variant_id, base in allele.defining.items():
            variant = next(v for v in gene.variants if v.id == variant_id)
            ref_base = (reference.defining.get(variant_id) if reference else None) or variant.ref
            if base != ref_base:
                carried[(gene.chromosome, variant.position)] = (base, genotype)
    # Most people carry c.991G (rs3758581) on both CYP2C19 chromosomes (*1 and nearly every named allele).
    carried[("chr10", 94842866)] = ("G", "1|1")
    out = sys.stdout
    out.write("##fileformat=VCFv4.2\n##source=TailorMed demo patient (invented genotypes)\n")
    out.write("##reference=GRCh38\n")
    for chrom, length in CONTIGS.items():
        out.write(f"##contig=<ID={chrom},length={length},assembly=GRCh38>\n")
    out.write('##FORMAT=<ID=GT,Number=1,Type=String,Description="Genotype">\n')
    out.write("#CHROM\tPOS\tID\tREF\tALT\tQUAL\tFILTER\tINFO\tFORMAT\tDEMO001\n")
    rows = []
    seen = set()
    for gene in kb.genes.values():
        if gene.matching == "outside_call_only":
            continue
        haploid = gene.inheritance == "mitochondrial"
        for v in gene.variants:
            key = (gene.chromosome, v.position, v.ref)
            if key in seen:
                continue
            seen.add(key)
            alt, genotype = carried.get((gene.chromosome, v.position), (v.alt[0], "0" if haploid else "0/0"))
            if genotype != "0/0" and alt not in v.alt:
                alt = v.alt[0]
            rows.append((gene.chromosome, v.position, v.rsid or ".", v.ref, alt, genotype))
    order = {c: i for i, c in enumerate(CONTIGS)}
    for chrom, pos, rsid, ref, alt, gt in sorted(rows, key=lambda r: (order[r[0]], r[1])):
        out.write(f"{chrom}\t{pos}\t{rsid}\t{ref}\t{alt}\t.\tPASS\t.\tGT\t{gt}\n")


if __name__ == "__main__":
    main()
