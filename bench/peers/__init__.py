"""Peer record linkers for bench/bench_accuracy.py, and popdq's own adapter.

- `splink_febrl`: Splink 5 (DuckDB) on the Febrl 1–4 data sets.
- `splink_vn`: Splink 5 (DuckDB) linking the synthetic world's sources to the registry.
- `popdq_engine`: popdq's linkage engine (`matching/`, docs/matching.md) on the same tasks.

Splink and recordlinkage are benchmark-only dependencies (the `bench` extra):
they are imported here and never from product code.
"""
