"""popdq: data quality for a national population registry and the extracts linked to it.

This package is the thin outside: the `popdq` command (`popdq.cli`), settings,
masking and the views and report built on the warehouse. The work happens in
`warehouse/` (storage, every SQL statement), `expectations/` (validation
suites), `matching/` (pure normalisation, linkage and findings) and `flows/`
(Prefect orchestration).
"""
