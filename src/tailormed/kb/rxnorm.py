"""RxNorm codes of the pgx-core drugs and the map from ordered products to them.

An EHR orders a *product* (``309362`` clopidogrel 75 MG Oral Tablet); the knowledge speaks of *ingredients*
(``32968`` clopidogrel). :func:`load_rxnorm_map` reads the built-in ingredient codes
(``kb/data/pgx-core/rxnorm.tsv``, CPIC's own drug identifiers) and a small built-in product map
(``rxnorm-products.tsv``), optionally extended by a user-supplied table:

- a two-column TSV ``product_rxcui<TAB>ingredient_rxcui`` (any RxNorm export, e.g. RXNREL flattened), or
- an OMOP vocabulary folder holding ``CONCEPT.csv`` and ``CONCEPT_ANCESTOR.csv`` (Athena's tab-separated
  download): every RxNorm descendant of an RxNorm Ingredient concept maps to that ingredient.

>>> rx = load_rxnorm_map()
>>> rx.ingredient_rxcui("clopidogrel")
'32968'
>>> rx.drugs_for_code("309362")
('clopidogrel',)
>>> rx.drugs_for_code("32968")
('clopidogrel',)
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

from tailormed.errors import InputError, KnowledgeError

RXNORM_SYSTEM = "http://www.nlm.nih.gov/research/umls/rxnorm"
"""The FHIR code system URI of RxNorm."""

_DATA = Path(__file__).parent / "data" / "pgx-core"
INGREDIENTS_FILE = _DATA / "rxnorm.tsv"
PRODUCTS_FILE = _DATA / "rxnorm-products.tsv"


@dataclass(frozen=True)
class Ingredient:
    """One pgx-core drug's RxNorm ingredient (``rxcui`` empty when no cited code was found)."""

    drug: str
    rxcui: str
    name: str
    source: str


@dataclass
class RxNormMap:
    """Drug name <-> ingredient code, and product code -> ingredient codes."""

    ingredients: dict[str, Ingredient]
    drug_by_rxcui: dict[str, str]
    product_ingredients: dict[str, set[str]] = field(default_factory=dict)
    """product RXCUI -> ingredient RXCUIs (from the user table)."""
    product_drugs: dict[str, set[str]] = field(default_factory=dict)
    """product RXCUI -> pgx-core drug names (from the built-in product map)."""

    def ingredient_rxcui(self, drug: str) -> str | None:
        """The ingredient code of a pgx-core drug, or None when it has none."""
        entry = self.ingredients.get(drug.lower())
        return entry.rxcui if entry and entry.rxcui else None

    def drugs_for_code(self, rxcui: str) -> tuple[str, ...]:
        """pgx-core drugs a coded order contains: the code itself as an ingredient, or via a product map."""
        code = rxcui.strip()
        found: set[str] = set()
        if code in self.drug_by_rxcui:
            found.add(self.drug_by_rxcui[code])
        found.update(self.product_drugs.get(code, ()))
        for ingredient in self.product_ingredients.get(code, ()):
            if ingredient in self.drug_by_rxcui:
                found.add(self.drug_by_rxcui[ingredient])
        return tuple(sorted(found))

    def drugs_for_text(self, text: str) -> tuple[str, ...]:
        """pgx-core drugs named in free text (word match, for orders without a usable code)."""
        lowered = f" {_words(text)} "
        return tuple(sorted(d for d in self.ingredients if f" {_words(d)} " in lowered))


def _words(text: str) -> str:
    return " ".join("".join(c if c.isalnum() else " " for c in text.lower()).split())


def _rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        header_seen = False
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            if not header_seen:
                header_seen = True
                continue
            yield number, line.rstrip("\n").split("\t")


def _load_ingredients(path: Path) -> dict[str, Ingredient]:
    ingredients: dict[str, Ingredient] = {}
    for number, cells in _rows(path):
        if len(cells) != 4:
            raise KnowledgeError(f"{path}:{number}: expected 4 tab-separated columns (drug, rxcui, name, source)")
        drug, rxcui, name, source = (c.strip() for c in cells)
        if rxcui and not rxcui.isdigit():
            raise KnowledgeError(f"{path}:{number}: rxcui {rxcui!r} is not a number")
        if not source:
            raise KnowledgeError(f"{path}:{number}: every code needs a source")
        if drug in ingredients:
            raise KnowledgeError(f"{path}:{number}: drug {drug!r} listed twice")
        ingredients[drug] = Ingredient(drug=drug, rxcui=rxcui, name=name, source=source)
    return ingredients


def _load_products(path: Path, known: Iterable[str]) -> dict[str, set[str]]:
    drugs = set(known)
    products: dict[str, set[str]] = {}
    for number, cells in _rows(path):
        if len(cells) != 4:
            raise KnowledgeError(f"{path}:{number}: expected 4 columns (product_rxcui, product_name, drug, source)")
        product, _name, drug, source = (c.strip() for c in cells)
        if not product.isdigit() or drug not in drugs or not source:
            raise KnowledgeError(f"{path}:{number}: product {product!r} -> {drug!r} is not a known drug with a source")
        products.setdefault(product, set()).add(drug)
    return products


def _load_pairs(path: Path) -> dict[str, set[str]]:
    """A two-column product -> ingredient TSV (a header row is allowed)."""
    pairs: dict[str, set[str]] = {}
    first = True
    with path.open(encoding="utf-8", newline="") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip() or line.startswith("#"):
                continue
            cells = line.rstrip("\r\n").split("\t")
            if len(cells) < 2:
                raise InputError(f"{path}:{number}: expected product_rxcui<TAB>ingredient_rxcui")
            product, ingredient = cells[0].strip(), cells[1].strip()
            was_first, first = first, False
            if not (product.isdigit() and ingredient.isdigit()):
                if was_first:
                    continue  # header row
                raise InputError(f"{path}:{number}: RxNorm codes must be numbers, got {product!r}, {ingredient!r}")
            pairs.setdefault(product, set()).add(ingredient)
    return pairs


def _load_omop(folder: Path) -> dict[str, set[str]]:
    """Product RXCUI -> ingredient RXCUI from OMOP CONCEPT + CONCEPT_ANCESTOR (tab-separated, Athena format)."""
    concept_file, ancestor_file = folder / "CONCEPT.csv", folder / "CONCEPT_ANCESTOR.csv"
    for needed in (concept_file, ancestor_file):
        if not needed.is_file():
            raise InputError(f"{folder}: an OMOP vocabulary folder needs {needed.name}")
    rxcui_of: dict[str, str] = {}
    ingredient_ids: set[str] = set()
    with concept_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = {"concept_id", "vocabulary_id", "concept_class_id", "concept_code"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{concept_file}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            if row["vocabulary_id"] not in ("RxNorm", "RxNorm Extension"):
                continue
            rxcui_of[row["concept_id"]] = row["concept_code"]
            if row["concept_class_id"] == "Ingredient":
                ingredient_ids.add(row["concept_id"])
    pairs: dict[str, set[str]] = {}
    with ancestor_file.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t")
        missing = {"ancestor_concept_id", "descendant_concept_id"} - set(reader.fieldnames or ())
        if missing:
            raise InputError(f"{ancestor_file}: missing columns {', '.join(sorted(missing))}")
        for row in reader:
            ancestor, descendant = row["ancestor_concept_id"], row["descendant_concept_id"]
            if ancestor in ingredient_ids and descendant in rxcui_of and ancestor != descendant:
                pairs.setdefault(rxcui_of[descendant], set()).add(rxcui_of[ancestor])
    return pairs


@cache
def builtin_ingredient_codes() -> dict[str, str]:
    """Drug name -> RxNorm ingredient RXCUI for the pgx-core drugs that have a cited code (read once)."""
    return {i.drug: i.rxcui for i in _load_ingredients(INGREDIENTS_FILE).values() if i.rxcui}


def load_rxnorm_map(extra: Path | None = None) -> RxNormMap:
    """The built-in map, extended by ``extra`` (a product->ingredient TSV or an OMOP vocabulary folder)."""
    ingredients = _load_ingredients(INGREDIENTS_FILE)
    by_rxcui = {i.rxcui: i.drug for i in ingredients.values() if i.rxcui}
    product_drugs = _load_products(PRODUCTS_FILE, ingredients)
    product_ingredients: dict[str, set[str]] = {}
    if extra is not None:
        if extra.is_dir():
            product_ingredients = _load_omop(extra)
        elif extra.is_file():
            product_ingredients = _load_pairs(extra)
        else:
            raise InputError(f"{extra}: no such RxNorm table or OMOP vocabulary folder")
    return RxNormMap(ingredients=ingredients, drug_by_rxcui=by_rxcui, product_ingredients=product_ingredients,
                     product_drugs=product_drugs)
