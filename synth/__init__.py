"""The synthetic world: a population registry, three source extracts and the
truth about which discrepancies were injected where (contract §4).

    world = synth.generate_world(persons=100_000, seed=7)
    synth.write_world(world, Path("out/world"))

See docs/synthetic-world.md for the model and the rates.
"""

from synth.dates import REFERENCE_DATE
from synth.rates import RATES, Rates
from synth.world import World, generate_world, write_world

__all__ = ["RATES", "REFERENCE_DATE", "Rates", "World", "generate_world", "write_world"]
