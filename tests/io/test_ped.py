"""PED reader: a trio parses into members and relations; malformed lines and VCF mismatches fail clearly."""

from __future__ import annotations

import pytest

from tailormed.errors import InputError
from tailormed.io.ped import read_ped

TRIO = """# family  individual  father  mother  sex  phenotype
FAM1\tkid\tdad\tmum\t1\t2
FAM1 dad 0 0 1 1

FAM1   mum   0   0   2   0
FAM1\tsib\tdad\tmum\t2\t-9
"""


@pytest.fixture
def trio(tmp_path):
    path = tmp_path / "trio.ped"
    path.write_text(TRIO)
    return path


def test_trio_members_relations_and_proband(trio):
    pedigree = read_ped(trio)
    assert [m.individual_id for m in pedigree.members] == ["kid", "dad", "mum", "sib"]
    kid, dad, mum, sib = pedigree.members
    assert (kid.family_id, kid.sex, kid.affected, kid.father_id, kid.mother_id) == ("FAM1", "male", True, "dad", "mum")
    assert (dad.sex, dad.affected, dad.father_id, dad.mother_id) == ("male", False, None, None)
    assert (mum.sex, mum.affected) == ("female", None)
    assert sib.affected is None and sib.sex == "female"
    assert kid.source == f"{trio}:2" and mum.source == f"{trio}:5"
    assert pedigree.proband().individual_id == "kid"
    assert pedigree.parents_of("kid") == ("dad", "mum") and pedigree.parents_of("dad") == (None, None)
    with pytest.raises(InputError, match="'nobody' is not in the pedigree"):
        pedigree.parents_of("nobody")


def test_check_against_samples_accepts_a_sequenced_trio(trio):
    pedigree = read_ped(trio)
    # The unaffected, unsequenced sibling is not needed.
    assert pedigree.check_against_samples(["dad", "kid", "mum"], "family.vcf") == ["kid", "dad", "mum"]


@pytest.mark.parametrize(("samples", "missing"), [
    (["kid", "mum"], "dad (father of proband kid)"),
    (["dad", "mum", "other"], "kid (affected)"),
])
def test_check_against_samples_names_missing_key_members(trio, samples, missing):
    with pytest.raises(InputError) as error:
        read_ped(trio).check_against_samples(samples, "family.vcf")
    message = str(error.value)
    assert str(trio) in message and missing in message and "family.vcf" in message
    assert all(sample in message for sample in samples)


def test_check_against_samples_refuses_a_pedigree_sharing_no_id(trio):
    with pytest.raises(InputError, match="none of the pedigree's members") as error:
        read_ped(trio).check_against_samples(["S1", "S2"], "other.vcf")
    assert "S1, S2" in str(error.value) and "kid" in str(error.value)


def test_affected_siblings_need_a_named_proband(tmp_path):
    path = tmp_path / "sibs.ped"
    path.write_text("F a dad mum 1 2\nF b dad mum 2 2\nF dad 0 0 1 1\nF mum 0 0 2 1\n")
    pedigree = read_ped(path)
    with pytest.raises(InputError, match="several affected members could be the proband"):
        pedigree.proband()
    assert pedigree.proband("b").sex == "female"
    # Checking the samples does not need the choice: both siblings and both parents are required.
    assert pedigree.check_against_samples(["a", "b", "dad", "mum"], "x.vcf") == ["a", "b", "dad", "mum"]
    with pytest.raises(InputError, match=r"b \(affected\)"):
        pedigree.check_against_samples(["a", "dad", "mum"], "x.vcf")


@pytest.mark.parametrize(("text", "message", "line"), [
    ("F kid dad mum 1\n", "expected 6 whitespace-separated columns", 1),
    ("F kid dad mum 1 2 AA\n", "found 7", 1),
    ("F dad 0 0 2 1\nF kid dad 0 1 2\n", "father of 'kid' is 'dad', who is female", 2),
    ("F mum 0 0 1 1\nF kid 0 mum 1 2\n", "mother of 'kid' is 'mum', who is male", 2),
    ("F kid 0 0 1 2\nG kid 0 0 1 1\n", r"listed twice \(first on line 2\)", 2),
    ("F kid 0 0 3 2\n", "sex code '3'", 1),
    ("F kid 0 0 M 2\n", "sex code 'M'", 1),
    ("F kid 0 0 1 affected\n", "phenotype 'affected'", 1),
    ("F kid 0 0 1 1.5\n", "phenotype '1.5'", 1),
    ("F kid kid 0 1 2\n", "own parent", 1),
    ("F kid p p 1 2\n", "both father and mother", 1),
    ("F 0 0 0 1 2\n", "reserved", 1),
    ("F dad 0 0 1 1\nG kid dad 0 1 2\n", "is in family 'F'", 2),
])
def test_malformed_lines_are_refused_with_their_line(tmp_path, text, message, line):
    path = tmp_path / "bad.ped"
    path.write_text("# header comment\n" + text)
    with pytest.raises(InputError, match=message) as error:
        read_ped(path)
    assert f"{path}:line {line + 1}" in str(error.value)


def test_unreadable_files(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        read_ped(tmp_path / "absent.ped")
    empty = tmp_path / "empty.ped"
    empty.write_text("# only a comment\n\n")
    with pytest.raises(InputError, match="no pedigree lines"):
        read_ped(empty)
    binary = tmp_path / "binary.ped"
    binary.write_bytes(b"F kid 0 0 1 2\n\xff\xfe\n")
    with pytest.raises(InputError, match="not UTF-8"):
        read_ped(binary)


def test_parent_without_a_line_is_allowed_but_must_be_sequenced(tmp_path):
    path = tmp_path / "duo.ped"
    path.write_text("F kid dad mum 2 2\nF mum 0 0 2 1\n")
    pedigree = read_ped(path)
    assert pedigree.parents_of("kid") == ("dad", "mum")
    with pytest.raises(InputError, match=r"dad \(father of proband kid\)"):
        pedigree.check_against_samples(["kid", "mum"], "duo.vcf")


def test_folder_bom_crlf_and_huge_ids(tmp_path):
    with pytest.raises(InputError, match="is a folder, not a PED file"):
        read_ped(tmp_path)
    path = tmp_path / "family.ped"
    path.write_bytes(b"\xef\xbb\xbfF kid dad mum 1 2\r\nF dad 0 0 1 1\r\nF mum 0 0 2 1\r\n")
    assert read_ped(path).parents_of("kid") == ("dad", "mum")
    path.write_text("F " + "X" * 1_000_000 + " 0 0 2 2\n")
    with pytest.raises(InputError, match="none of the pedigree's members") as error:
        read_ped(path).check_against_samples(["kid"], "x.vcf")
    assert len(str(error.value)) < 300
