"""Rare-disease engine: phenotype matching, ACMG/AMP variant classification and diagnosis ranking."""
