"""What import-linter (make lint) does not check itself: importing has no side effects."""

import json
import os
import subprocess
import sys
from pathlib import Path

PACKAGES = ("popdq", "flows", "flows.environment", "report", "warehouse", "expectations",
            "matching", "synth", "popdq.contract", "popdq.localities", "popdq.commands",
            "popdq.accounts", "web", "web.app")


def test_importing_a_package_changes_neither_the_environment_nor_the_disk(
    tmp_path: Path,
) -> None:
    script = (
        "import importlib, json, os, sys\n"
        "import click, duckdb, numpy, polars  # third-party libraries tune their own env\n"
        "before = dict(os.environ)\n"
        f"for name in {PACKAGES!r}: importlib.import_module(name)\n"
        "print(json.dumps({k: v for k, v in os.environ.items() if before.get(k) != v}))\n"
    )
    home = tmp_path / "home"
    home.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PREFECT_", "POPDQ_", "DO_NOT_TRACK"))}
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            cwd=tmp_path, env={**env, "HOME": str(home)}, check=True)
    assert json.loads(result.stdout) == {}
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["home"]
