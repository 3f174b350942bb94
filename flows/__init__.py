"""Prefect orchestration of the nightly flow. Holds no business rules: each task
calls into warehouse/, matching/, expectations/ or report/ and records what it did.

Importing this package changes nothing: callers run
`flows.environment.configure_prefect()` before they import `flows.nightly`
(Prefect reads its settings once, when it is first imported).
"""
