"""Normalisation, linkage and findings: pure functions, polars frames in and out.

The public surface, by purpose (the modules behind it are small and named
for what they do):

- normalise: `normalise_names`, `normalise_dates`, `normalise_identifiers`,
  `normalise_sex`, `normalise_localities`;
- link — training: `prepare_registry`, `prepare_source`, `train`;
  inference: `link` (→ `Links`), with the model as `LinkModel` (JSON round trip);
  other schemas: `train_profile`, `train_dedupe`, `score_pairs`, `link_profile`;
- find: `find_discrepancies` (contract §3 kinds, with priorities).
"""

from matching.dates import normalise_dates
from matching.discrepancies import find_discrepancies
from matching.identifiers import normalise_identifiers
from matching.linker import (
    Links,
    link,
    link_profile,
    prepare_registry,
    prepare_source,
    score_pairs,
    train,
    train_dedupe,
    train_profile,
)
from matching.localities import normalise_localities
from matching.model import LinkModel
from matching.names import normalise_names
from matching.sex import normalise_sex

__all__ = [
    "LinkModel",
    "Links",
    "find_discrepancies",
    "link",
    "link_profile",
    "normalise_dates",
    "normalise_identifiers",
    "normalise_localities",
    "normalise_names",
    "normalise_sex",
    "prepare_registry",
    "prepare_source",
    "score_pairs",
    "train",
    "train_dedupe",
    "train_profile",
]
