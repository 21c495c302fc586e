"""The application layer: one module per job. The CLI, the service and the cohort runner call these, never
the readers, knowledge loaders, engines or renderings directly."""
