"""Seeded random streams, one per generation stage.

Each stage draws from its own PCG64 generator seeded by (world seed, stage
name), so adding a draw to one stage does not shift the numbers of another,
and nothing depends on hash randomisation, time or thread scheduling.
"""

import zlib

import numpy as np


def stream(seed: int, stage: str) -> np.random.Generator:
    """The generator of one stage of the world with this seed."""
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    entropy = [seed, zlib.crc32(stage.encode("utf-8"))]
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
