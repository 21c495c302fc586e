"""A few-code OncoTree stand-in for engine and trial tests (the real tree is tested in test_oncotree.py)."""

from __future__ import annotations

from tailormed.errors import InputError

PARENTS: dict[str, str | None] = {
    "LUAD": "NSCLC", "LUSC": "NSCLC", "NSCLC": "LUNG", "LUNG": None, "COADREAD": "BOWEL", "BOWEL": None,
    "BRCA": "BREAST", "BREAST": None, "MEL": "SKIN", "SKIN": None, "AML": "MYELOID", "MYELOID": None,
}


class TinyTree:
    """Enough OncoTree for matching: resolve, parents, and the SOLID/HEME/ANY groups."""

    def resolve(self, code: str) -> str:
        key = code.strip().upper()
        if key in ("SOLID", "HEME", "ANY") or key in PARENTS:
            return key
        raise InputError(f"unknown OncoTree code {code!r}")

    def is_within(self, code: str, ancestor: str) -> bool:
        if ancestor == "ANY":
            return True
        root = code
        while PARENTS[root] is not None:
            root = PARENTS[root]  # type: ignore[assignment]
        if ancestor in ("SOLID", "HEME"):
            return (root == "MYELOID") == (ancestor == "HEME")
        current: str | None = code
        while current is not None:
            if current == ancestor:
                return True
            current = PARENTS[current]
        return False
