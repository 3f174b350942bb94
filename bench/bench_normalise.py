"""Benchmark the normalisers: 1M records of each kind, time per kind and peak RSS.

    .venv/bin/python bench/bench_normalise.py [--rows 1000000] [--seed 1] [--input auto]

Input: with `--input synth` (or `auto` when `synth.generate_world` exists) the
source columns of a synthetic world, sampled with replacement up to --rows;
with `--input variants` (or `auto` without synth) --rows formatting and typing
variants of a few thousand realistic names, dates, identifiers, sex values and
locality codes. Target: names ≤ 10 s per million on 2 cores.

Then names again on repeating names (formerly a timed unit test): 2,000
distinct three-syllable names, each repeated 100 times (200,000 rows by
default, --repeating-rows), reported as names normalised per second. There
is no Python call per row, so this takes about 0.6 s; a per-row path would
take more than 10 s. Budget: under 4 s for 200,000 rows (≥ 50,000 names/s).
"""

import argparse
import importlib
import random
import resource
import time
import unicodedata
from collections.abc import Callable

import polars as pl

from matching.dates import normalise_dates
from matching.identifiers import normalise_identifiers
from matching.localities import normalise_localities
from matching.names import normalise_names
from matching.sex import normalise_sex
from popdq.divisions import load_divisions
from synth.tables import DATA_DIR, read_rows

# Shares from domain.md §1 (the rest spread over the other names listed here).
FAMILY = {"Nguyễn": 38, "Trần": 11, "Lê": 9.5, "Phạm": 7.1, "Hoàng": 2.6, "Huỳnh": 2.5,
          "Phan": 4.5, "Vũ": 2, "Võ": 1.9, "Đặng": 2.1, "Bùi": 2, "Đỗ": 1.4, "Hồ": 1.3,
          "Ngô": 1.3, "Dương": 1, "Lý": 0.5, "Trương": 0.5, "Đinh": 0.5, "Lương": 0.4,
          "Tôn Thất": 0.05, "Hoàng Phủ": 0.02}
MIDDLE = ["Văn", "Thị", "Ngọc", "Thanh", "Minh", "Hữu", "Đức", "Quốc", "Xuân", "Thu", "Kim",
          "Bảo", "Gia", "Hoài", "Mỹ", "Phương", "Thúy", "Khánh", "Tuấn", "Quang"]
GIVEN = ["An", "Anh", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hải", "Hòa", "Hùng", "Hương",
         "Khánh", "Lan", "Linh", "Long", "Mai", "Nam", "Nga", "Ngân", "Phúc", "Phương", "Quân",
         "Quý", "Quỳnh", "Sơn", "Tâm", "Thảo", "Thủy", "Trang", "Trung", "Tuấn", "Việt", "Yến",
         "Huỳnh", "Thuyền", "Khoa", "Hoàn", "Loan", "Thắng", "Tùng", "Toàn", "Tường", "Uyên",
         "Huệ", "Nghĩa", "Đạt", "Hiếu", "Hạnh", "Nhung", "Oanh", "Vy", "Khỏe", "Lượng", "Trãi"]
TELEX_TONES = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
VNI_TONES = {"\u0301": "1", "\u0300": "2", "\u0309": "3", "\u0303": "4", "\u0323": "5"}
# Real name syllables for the repeating-names case: the synthetic world's own name tables.
SYLLABLES = sorted({part for table, column in (("family_names.csv", "name"),
                                              ("given_names.csv", "name"))
                    for row in read_rows(DATA_DIR / table) for part in row[column].split()})
REPEATING_DISTINCT = 2000


def keystrokes(name: str, vni: bool) -> str:
    """The name as typed on a Telex or VNI keyboard with the input method off."""
    words = []
    for word in name.split():
        out, tone = "", ""
        for ch in unicodedata.normalize("NFD", word):
            if ch in TELEX_TONES:
                tone = (VNI_TONES if vni else TELEX_TONES)[ch]
            elif ch == "\u0302":
                out += "6" if vni else out[-1]
            elif ch in "\u0306\u031b":
                out += ("8" if ch == "\u0306" else "7") if vni else "w"
            elif ch in "Đđ":
                out += ("d9" if vni else "dd") if ch == "đ" else ("D9" if vni else "Dd")
            else:
                out += ch
        words.append(out + tone)
    return " ".join(words)


def name_variant(rnd: random.Random, name: str) -> str:
    """A formatting or typing variant of a name (most rows: the name as it is)."""
    r = rnd.random()
    if r < 0.55:
        return name
    if r < 0.65:
        return name.upper()
    if r < 0.72:
        return unicodedata.normalize("NFD", name)
    if r < 0.82:
        plain = "".join(c for c in unicodedata.normalize("NFD", name)
                        if not unicodedata.combining(c))
        return plain.replace("Đ", "D").replace("đ", "d")
    if r < 0.87:
        return name.replace("ò", "o\u0300").replace("ủy", "uỷ").replace("òa", "oà")
    if r < 0.90:
        return "  " + name.replace(" ", "  ")
    if r < 0.92:
        return name.replace("Đ", "Ð")
    if r < 0.96:
        return keystrokes(name, vni=rnd.random() < 0.5)
    return name.replace("ư", "u", 1)


def variants(rows: int, seed: int) -> dict[str, pl.DataFrame]:
    """Variants of a few thousand realistic values, one frame per kind."""
    rnd = random.Random(seed)
    families, weights = list(FAMILY), list(FAMILY.values())
    base_names = [
        " ".join([rnd.choices(families, weights)[0],
                  *rnd.sample(MIDDLE, rnd.choice((0, 1, 1, 1, 2))), rnd.choice(GIVEN)])
        for _ in range(5000)
    ]
    names = [name_variant(rnd, rnd.choice(base_names)) for _ in range(rows)]

    def date() -> str:
        y, m, d = rnd.randint(1930, 2020), rnd.randint(1, 12), rnd.randint(1, 28)
        form = rnd.random()
        if form < 0.5:
            return f"{d:02d}/{m:02d}/{y}"
        if form < 0.7:
            return f"{y}-{m:02d}-{d:02d}"
        if form < 0.8:
            return f"{d}/{m}/{y}"
        if form < 0.9:
            return rnd.choice([str(y), f"01/01/{y}", f"00/00/{y}"])
        return rnd.choice([f"{d:02d}-{m:02d}-{y}", f"30/02/{y}", f"{m:02d}/{d + 12}/{y}", "?"])

    prefixes = [f"0{code}" for code in load_divisions().old_province_codes]

    def identifier() -> str:
        digits = (rnd.choice(prefixes) + str(rnd.randint(0, 3)) + f"{rnd.randint(0, 99):02d}"
                  + f"{rnd.randint(0, 999999):06d}")
        form = rnd.random()
        if form < 0.7:
            return digits
        if form < 0.8:
            return digits[1:]
        if form < 0.9:
            return f"{digits[:3]} {digits[3:6]} {digits[6:]}"
        return f"{rnd.randint(0, 999999999):09d}"

    provinces = list(load_divisions().old_province_codes)
    communes = load_divisions().communes.get_column("commune_code").to_list()
    return {
        "names": pl.DataFrame({"full_name": names}),
        "dates": pl.DataFrame({"date_of_birth": [date() for _ in range(rows)]}),
        "identifiers": pl.DataFrame({"id_number": [identifier() for _ in range(rows)]}),
        "sex": pl.DataFrame({"sex": [rnd.choice(["Nam", "Nữ", "nam", "NỮ", "M", "F", "", "x"])
                                     for _ in range(rows)]}),
        "localities": pl.DataFrame({
            "province_code": [rnd.choice(provinces).lstrip("0") if rnd.random() < 0.05
                              else rnd.choice(provinces) for _ in range(rows)],
            "commune_code": [rnd.choice(communes) if rnd.random() < 0.9
                             else f"{rnd.randint(0, 32000):05d}" for _ in range(rows)],
        }),
    }


def repeating_names(rows: int) -> pl.DataFrame:
    """`rows` names cycling through 2,000 distinct three-syllable names."""
    distinct = [" ".join(SYLLABLES[(i * 7 + k) % len(SYLLABLES)] for k in range(3))
                for i in range(REPEATING_DISTINCT)]
    return pl.DataFrame({"full_name": [distinct[i % len(distinct)] for i in range(rows)]})


def from_synth(rows: int, seed: int) -> dict[str, pl.DataFrame]:
    """Source columns of a synthetic world, sampled with replacement up to `rows`."""
    synth = importlib.import_module("synth")
    world = synth.generate_world(persons=max(rows // 5, 1000), seed=seed)
    frames = [world.registry, world.social_insurance, world.tax, world.health_insurance]

    def column(name: str) -> pl.Series:
        parts = [f.get_column(name).cast(pl.String) for f in frames if name in f.columns]
        return pl.concat(parts).sample(rows, with_replacement=True, seed=seed)

    sources = [world.social_insurance, world.health_insurance]
    located = pl.concat([f.select("province_code", "commune_code").cast(pl.String)
                         for f in sources])
    return {
        "names": column("full_name").to_frame(),
        "dates": column("date_of_birth").to_frame(),
        "identifiers": column("id_number").to_frame(),
        "sex": column("sex").to_frame(),
        "localities": located.sample(rows, with_replacement=True, seed=seed),
    }


NORMALISERS: dict[str, Callable[[pl.DataFrame], pl.DataFrame]] = {
    "names": lambda df: normalise_names(df, "full_name"),
    "dates": lambda df: normalise_dates(df, "date_of_birth"),
    "identifiers": lambda df: normalise_identifiers(df, "id_number"),
    "sex": lambda df: normalise_sex(df, "sex"),
    "localities": normalise_localities,
}


def peak_rss_mb() -> float:
    """Peak resident set size of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--input", choices=("auto", "synth", "variants"), default="auto")
    parser.add_argument("--repeating-rows", type=int, default=200_000)
    args = parser.parse_args()

    use_synth = args.input == "synth"
    if args.input == "auto":
        try:
            use_synth = hasattr(importlib.import_module("synth"), "generate_world")
        except ImportError:
            use_synth = False
    start = time.perf_counter()
    inputs = (from_synth if use_synth else variants)(args.rows, args.seed)
    print(f"input: {'synth.generate_world' if use_synth else 'variants'}, "
          f"{args.rows:,} rows per kind, built in {time.perf_counter() - start:.1f} s, "
          f"peak RSS {peak_rss_mb():.0f} MB")
    load_divisions()
    for kind, normalise in NORMALISERS.items():
        frame = inputs[kind]
        start = time.perf_counter()
        out = normalise(frame)
        elapsed = time.perf_counter() - start
        print(f"{kind:<12} {frame.height:>10,} rows {elapsed:6.2f} s "
              f"({elapsed * 1_000_000 / max(frame.height, 1):5.2f} s per 1M)  "
              f"{out.width - frame.width} columns added  peak RSS {peak_rss_mb():.0f} MB")

    frame = repeating_names(args.repeating_rows)
    start = time.perf_counter()
    normalise_names(frame, "full_name")
    elapsed = time.perf_counter() - start
    print(f"names, repeating ({REPEATING_DISTINCT:,} distinct) {frame.height:>10,} rows "
          f"{elapsed:6.2f} s  {frame.height / max(elapsed, 1e-9):,.0f} names/s  "
          f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    main()
