"""Regenerate the 2025 province table from the `vietnam-provinces` package.

The product reads the CSV files, never the package: a future merger is then a
new dated folder under popdq/data/divisions/, reviewed like any data change.
`communes.csv` and `commune_mapping.csv` come from the official list of a newer
release, through tools/export_commune_mapping.py (the 2025.10.1 commune list
that this package version carries gives other codes to some 120 communes).

    .venv/bin/python tools/export_divisions.py popdq/data/divisions/2025-07-01
"""

import csv
import sys
from pathlib import Path

from vietnam_provinces import Province


def main(out_dir: Path) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "provinces.csv").open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["province_code", "name", "division_type"])
        for p in sorted(Province.iter_all(), key=lambda p: p.code.value):
            w.writerow([f"{p.code.value:02d}", p.name, p.division_type.value])


if __name__ == "__main__":
    main(Path(sys.argv[1]))
