"""The files: contract columns, text only, exact bytes, determinism."""

from pathlib import Path

import polars as pl
import pytest

import synth
from popdq.contract import DATASETS, TRUTH_COLUMNS
from synth import World

FILES = ("registry", "social_insurance", "tax", "health_insurance", "truth")


def _columns(name: str) -> tuple[str, ...]:
    return TRUTH_COLUMNS if name == "truth" else DATASETS[name].columns


def test_frames_have_exactly_the_contract_columns_as_text(world: World) -> None:
    for name, frame in world.files().items():
        assert tuple(frame.columns) == _columns(name), name
        assert all(dtype == pl.Utf8 for dtype in frame.dtypes), name
        assert frame.null_count().sum_horizontal().item() == 0, f"{name} has nulls"


def test_write_world_writes_the_five_files(tmp_path: Path, world: World) -> None:
    paths = synth.write_world(world, tmp_path / "out")
    assert sorted(paths) == sorted(FILES)
    for name, path in paths.items():
        assert path == tmp_path / "out" / f"{name}.csv"
        raw = path.read_bytes()
        assert not raw.startswith(b"\xef\xbb\xbf")
        assert b"\r" not in raw
        header = raw.split(b"\n", 1)[0].decode("utf-8")
        assert header == ",".join(_columns(name))
        back = pl.read_csv(path, infer_schema=False, empty_string_is_null=False)
        assert back.equals(world.files()[name]), name


def test_same_seed_gives_the_same_bytes(tmp_path: Path) -> None:
    first = synth.write_world(synth.generate_world(3_000, seed=42), tmp_path / "a")
    second = synth.write_world(synth.generate_world(3_000, seed=42), tmp_path / "b")
    for name in FILES:
        assert first[name].read_bytes() == second[name].read_bytes(), name


def test_different_seeds_give_different_worlds() -> None:
    a = synth.generate_world(2_000, seed=1)
    b = synth.generate_world(2_000, seed=2)
    for name in FILES:
        assert not a.files()[name].equals(b.files()[name]), name


def test_registry_has_the_requested_size(world: World) -> None:
    assert world.registry.height == 5_000


@pytest.mark.parametrize("bad", [0, -5])
def test_rejects_an_empty_world(bad: int) -> None:
    with pytest.raises(ValueError, match="persons"):
        synth.generate_world(bad, seed=1)


def test_rejects_a_negative_seed() -> None:
    with pytest.raises(ValueError, match="seed"):
        synth.generate_world(10, seed=-1)
