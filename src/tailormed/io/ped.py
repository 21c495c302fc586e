"""Reading a PED (pedigree) file: who is in the family, their sex, who is affected, who their parents are.

Format: whitespace-separated, six columns per line, ``#`` starts a comment line::

    family  individual  father  mother  sex  phenotype

``father``/``mother`` are ``0`` when not in the file; ``sex`` is ``1`` male, ``2`` female, ``0``
unknown; ``phenotype`` is ``2`` affected, ``1`` unaffected, ``0`` or ``-9`` unknown (the PLINK/
Exomiser convention). Genotype columns after the sixth are not accepted, nor are quantitative
phenotypes. Individual ids must be unique in the file (they are matched to VCF sample names).

A parent id that has no line of its own is allowed (a parent known by name but not described);
a father described as female, or a mother described as male, is refused.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import Field

from tailormed.documents import read_text
from tailormed.errors import InputError
from tailormed.model.common import Record

PedSex = Literal["male", "female", "unknown"]

_SEX_CODES: dict[str, PedSex] = {"1": "male", "2": "female", "0": "unknown"}
_PHENOTYPE_CODES: dict[str, bool | None] = {"2": True, "1": False, "0": None, "-9": None}
_NO_PARENT = "0"


class PedMember(Record):
    """One line of a PED file."""

    family_id: str
    individual_id: str
    father_id: str | None = None
    mother_id: str | None = None
    sex: PedSex = "unknown"
    affected: bool | None = Field(default=None, description="None when the phenotype is unknown (0 or -9).")
    source: str = Field(default="", description="'file:line' of the member's line.")


class Pedigree(Record):
    """The members of a PED file, with the lookups an inheritance analysis needs."""

    members: list[PedMember]
    source: str = Field(default="", description="The PED file path.")

    def member(self, individual_id: str) -> PedMember:
        """The member with this id (InputError naming the file when absent)."""
        for member in self.members:
            if member.individual_id == individual_id:
                return member
        known = _listing([m.individual_id for m in self.members])
        raise InputError(f"individual {_cut(individual_id)!r} is not in the pedigree (it has: {known})",
                         source=self.source or None)

    def proband(self, proband_id: str | None = None) -> PedMember:
        """The proband: ``proband_id`` when given, else the one affected member, preferring one with parents.

        Several affected members with parents in the file (affected siblings, or an affected parent and
        child) are ambiguous: name the proband then.
        """
        candidates = self._proband_candidates(proband_id)
        if len(candidates) > 1:
            names = ", ".join(m.individual_id for m in candidates)
            raise InputError(f"several affected members could be the proband ({names}): name the proband",
                             source=self.source or None)
        return candidates[0]

    def _proband_candidates(self, proband_id: str | None) -> list[PedMember]:
        if proband_id is not None:
            return [self.member(proband_id)]
        affected = [m for m in self.members if m.affected]
        if not affected:
            raise InputError("no member of the pedigree is affected (phenotype 2): name the proband",
                             source=self.source or None)
        with_parents = [m for m in affected if m.father_id or m.mother_id]
        return with_parents or affected

    def parents_of(self, individual_id: str) -> tuple[str | None, str | None]:
        """(father id, mother id) of a member; None where the PED gives ``0``."""
        member = self.member(individual_id)
        return member.father_id, member.mother_id

    def check_against_samples(self, vcf_samples: Sequence[str], source: str,
                              proband_id: str | None = None) -> list[str]:
        """Refuse a pedigree whose key members have no column in the VCF; return the members that do.

        Key members are every affected member, the proband and the proband's parents (without
        ``proband_id``: the parents of every affected member who has parents in the file). ``source``
        names the VCF in the message. A pedigree sharing no id with the VCF is refused too (the wrong
        file, or ids spelled differently).
        """
        available = set(vcf_samples)
        present = [m.individual_id for m in self.members if m.individual_id in available]
        shown = _listing(list(vcf_samples))
        if not present:
            raise InputError(f"none of the pedigree's members ({_listing([m.individual_id for m in self.members])}) "
                             f"is a sample of the VCF {source} (it has: {shown})", source=self.source or None)
        needed: dict[str, str] = {}
        for member in self.members:
            if member.affected:
                needed[member.individual_id] = "affected"
        # Without a named proband, affected siblings are all probands: each one's parents are needed.
        for proband in self._proband_candidates(proband_id):
            needed.setdefault(proband.individual_id, "proband")
            if proband.father_id:
                needed.setdefault(proband.father_id, f"father of proband {proband.individual_id}")
            if proband.mother_id:
                needed.setdefault(proband.mother_id, f"mother of proband {proband.individual_id}")
        missing = [f"{_cut(individual)} ({role})" for individual, role in needed.items() if individual not in available]
        if missing:
            raise InputError(f"pedigree member(s) {_listing(missing, cut=200)} have no genotype column in the VCF "
                             f"{source} (it has: {shown})", source=self.source or None)
        return present


def read_ped(path: Path | str) -> Pedigree:
    """Parse and validate a PED file; every error names the file and line.

    >>> import tempfile, os
    >>> with tempfile.NamedTemporaryFile("w", suffix=".ped", delete=False) as handle:
    ...     _ = handle.write("F1 kid dad mum 1 2\\nF1 dad 0 0 1 1\\nF1 mum 0 0 2 1\\n")
    >>> pedigree = read_ped(handle.name)
    >>> pedigree.proband().individual_id, pedigree.parents_of("kid")
    ('kid', ('dad', 'mum'))
    >>> os.unlink(handle.name)
    """
    path = Path(path)
    text = read_text(path, "PED file")
    members: list[PedMember] = []
    lines: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        where = f"line {number}"
        columns = line.split()
        if len(columns) != 6:
            raise InputError(f"expected 6 whitespace-separated columns (family, individual, father, mother, sex, "
                             f"phenotype), found {len(columns)}", source=str(path), location=where)
        family, individual, father, mother, sex_code, phenotype_code = columns
        if individual == _NO_PARENT:
            raise InputError("individual id '0' is reserved for 'no parent'", source=str(path), location=where)
        if individual in lines:
            raise InputError(f"individual {individual!r} is listed twice (first on line {lines[individual]})",
                             source=str(path), location=where)
        if sex_code not in _SEX_CODES:
            raise InputError(f"sex code {sex_code!r} is not 1 (male), 2 (female) or 0 (unknown)", source=str(path),
                             location=where)
        if phenotype_code not in _PHENOTYPE_CODES:
            raise InputError(f"phenotype {phenotype_code!r} is not 2 (affected), 1 (unaffected), 0 or -9 (unknown)",
                             source=str(path), location=where)
        father_id = None if father == _NO_PARENT else father
        mother_id = None if mother == _NO_PARENT else mother
        if individual in (father_id, mother_id):
            raise InputError(f"individual {individual!r} is given as their own parent", source=str(path),
                             location=where)
        if father_id is not None and father_id == mother_id:
            raise InputError(f"{father_id!r} is given as both father and mother", source=str(path), location=where)
        lines[individual] = number
        members.append(PedMember(family_id=family, individual_id=individual, father_id=father_id,
                                 mother_id=mother_id, sex=_SEX_CODES[sex_code],
                                 affected=_PHENOTYPE_CODES[phenotype_code], source=f"{path}:{number}"))
    if not members:
        raise InputError("no pedigree lines (only blank lines or comments)", source=str(path))
    by_id = {m.individual_id: m for m in members}
    for member in members:
        where = f"line {lines[member.individual_id]}"
        for parent_id, role, wrong_sex in ((member.father_id, "father", "female"),
                                           (member.mother_id, "mother", "male")):
            parent = by_id.get(parent_id) if parent_id else None
            if parent is None:
                continue
            if parent.sex == wrong_sex:
                raise InputError(f"{role} of {member.individual_id!r} is {parent_id!r}, who is {wrong_sex} "
                                 f"(line {lines[parent.individual_id]})", source=str(path), location=where)
            if parent.family_id != member.family_id:
                raise InputError(f"{role} {parent_id!r} of {member.individual_id!r} is in family "
                                 f"{parent.family_id!r}, not {member.family_id!r}", source=str(path), location=where)
    return Pedigree(members=members, source=str(path))


def _cut(text: str, limit: int = 60) -> str:
    """An id as shown in a message: cut short, so an error line stays readable whatever the file holds."""
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _listing(ids: Sequence[str], shown: int = 10, cut: int = 60) -> str:
    """The first ``shown`` ids, each cut short, and how many more there are."""
    more = f" ... ({len(ids) - shown} more)" if len(ids) > shown else ""
    return ", ".join(_cut(i, cut) for i in ids[:shown]) + more
