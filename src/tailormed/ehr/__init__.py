"""FHIR R4 (Genomics Reporting IG) export/import and CDS Hooks cards: renderings of engine results for the EHR."""
