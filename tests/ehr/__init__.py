"""FHIR tests. A package (unlike the other test folders) so that its conftest.py is imported as ehr.conftest and
does not shadow the suite's top-level conftest module, which other tests import by name."""
