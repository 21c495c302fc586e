"""What an EHR tells TailorMed about a patient, as read from a FHIR Bundle (``io/fhir_patient.py``): who the patient
is, current medications, problems, allergies, clinical measurements, and genotypes a laboratory reported."""

from __future__ import annotations

from pydantic import Field

from tailormed.model.common import Record
from tailormed.model.patient import Demographics
from tailormed.model.risk import ClinicalInputs


class CodedConcept(Record):
    """A coded entry (condition, allergy substance, medication) with where it came from."""

    text: str = Field(description="The display or text of the entry.")
    system: str | None = None
    code: str | None = None
    status: str | None = Field(default=None, description="clinicalStatus / status as the EHR gave it.")
    source: str = Field(description="file:entry[i] it was read from.")


class ReportedGenotype(Record):
    """A diplotype a laboratory reported as a Genomics Reporting genotype Observation (an outside call)."""

    gene: str
    diplotype: str | None = None
    phenotype: str | None = None
    source: str


class EhrPatientRecord(Record):
    """A patient as a FHIR Bundle describes them."""

    patient_id: str | None = Field(default=None, description="Patient.id (or its first identifier value).")
    demographics: Demographics = Field(default_factory=Demographics)
    medications: list[str] = Field(default_factory=list, description="pgx-core drug names of active orders.")
    medication_entries: list[CodedConcept] = Field(default_factory=list, description="Every active medication "
                                                   "order or statement as coded, matched or not.")
    conditions: list[CodedConcept] = Field(default_factory=list)
    allergies: list[CodedConcept] = Field(default_factory=list)
    clinical: ClinicalInputs = Field(default_factory=ClinicalInputs)
    genotypes: list[ReportedGenotype] = Field(default_factory=list)
