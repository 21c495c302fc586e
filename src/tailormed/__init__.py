"""TailorMed: an open-source precision-medicine engine."""

__version__ = "0.1.0"
