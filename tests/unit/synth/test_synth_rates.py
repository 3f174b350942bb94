"""Rates: one place in code, every one documented."""

import dataclasses
from pathlib import Path

import synth

DOC = Path(__file__).parents[3] / "docs" / "synthetic-world.md"


def test_every_rate_is_documented_with_its_value() -> None:
    text = DOC.read_text(encoding="utf-8").split("## All rates", 1)[1].split("\n## ", 1)[0]
    for field in dataclasses.fields(synth.Rates):
        value = getattr(synth.RATES, field.name)
        assert f"| `{field.name}` |" in text, field.name
        shown = ", ".join(f"{v:g}" for v in value) if isinstance(value, tuple) else f"{value:g}"
        row = next(line for line in text.splitlines() if line.startswith(f"| `{field.name}` |"))
        cell = row.split("|")[2].strip()
        normalised = ", ".join(f"{float(v):g}" for v in cell.split(","))
        assert normalised == shown, (field.name, cell, shown)


def test_rates_are_probabilities() -> None:
    for field in dataclasses.fields(synth.Rates):
        value = getattr(synth.RATES, field.name)
        if field.name.endswith("_scale"):  # multiplies a table of rates
            assert value >= 0.0, field.name
        elif isinstance(value, float):
            assert 0.0 <= value <= 1.0, field.name
