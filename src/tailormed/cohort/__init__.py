"""Cohort engine (pure): population frequencies of PGx results and heterogeneous treatment effects."""
