"""The HTTP service (FastAPI): REST API, CDS Hooks, authentication and the audit log."""
