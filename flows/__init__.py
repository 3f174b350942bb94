"""Prefect orchestration of the nightly flow. Holds no business rules: each task
calls into warehouse/, matching/ or expectations/ and records what it did."""

from popdq.settings import configure_prefect

configure_prefect()
