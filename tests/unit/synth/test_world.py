"""Writing the world: never into a folder of other files unless forced, never through links."""

import os
import stat
from pathlib import Path

import pytest

from popdq.errors import BadParameter
from synth import World, write_world
from synth.world import check_out_dir

FILES = ["health_insurance.csv", "registry.csv", "social_insurance.csv", "tax.csv", "truth.csv"]


def test_a_new_or_empty_folder_is_fine_and_one_with_files_needs_force(tmp_path: Path) -> None:
    check_out_dir(tmp_path / "new", force=False)
    check_out_dir(tmp_path, force=False)
    (tmp_path / "registry.csv").write_text("a steward's own", encoding="utf-8")
    with pytest.raises(BadParameter, match=r"--out .*: the folder is not empty.*--force"):
        check_out_dir(tmp_path, force=False)
    check_out_dir(tmp_path, force=True)


def test_forced_writing_replaces_popdqs_files_with_new_owner_only_ones(
    tmp_path: Path, world: World
) -> None:
    old = tmp_path / "registry.csv"
    old.write_text("old", encoding="utf-8")
    old.chmod(0o644)
    (tmp_path / "mine.txt").write_text("keep", encoding="utf-8")
    write_world(world, tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*FILES, "mine.txt"])
    assert old.read_text(encoding="utf-8").startswith("person_id,")
    assert stat.S_IMODE(old.stat().st_mode) == 0o600
    assert (tmp_path / "mine.txt").read_text(encoding="utf-8") == "keep"


def test_a_link_named_like_a_world_file_is_replaced_not_followed(tmp_path: Path,
                                                                 world: World) -> None:
    target = tmp_path / "elsewhere.txt"
    target.write_text("not popdq's", encoding="utf-8")
    out = tmp_path / "world"
    out.mkdir()
    os.symlink(target, out / "truth.csv")
    write_world(world, out)
    assert target.read_text(encoding="utf-8") == "not popdq's"
    assert not (out / "truth.csv").is_symlink()
