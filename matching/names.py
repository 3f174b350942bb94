"""Vietnamese personal names: canonical form, ASCII key, parts and formatting flags.

Formatting (case, spacing, NFC/NFD, Ð for Đ, tone convention) is normalised
away, and stored garbage (Telex or VNI keystrokes left in the text,
mojibake) is repaired so that the name still links; both are reported as
flags (domain §1: the garbage is a finding, `matching.discrepancies`).
Letters and tones are never changed otherwise, so a substantive difference
(Nguyển vs Nguyễn, a changed or dropped part) survives as a difference in
the canonical form.

`normalise_names(df, column)` keeps `column` as it is and adds, with the
prefix `<column>_` unless another is given:

- canonical (str): NFC, Title Case, single spaces, canonical tone placement
  (see `matching.syllables`); null when the name is empty.
- key (str): ASCII fold of the canonical form: lowercase, no marks, đ→d.
- tokens (list[str]): the canonical syllables.
- family (str): best guess: the first token, or the longest compound family
  name of `data/compound_family_names.csv` that leaves a given name; null for
  a one-token name.
- middle (str): the tokens between family and given; null when none.
- given (str): the last token.

Flags (bool; false for an empty name):

- no_diacritics: the canonical form is plain ASCII (marks missing, or a name
  that has none, such as Lan Anh).
- upper_case: written in capitals.
- nfd: the raw value was not NFC (NFD or another decomposition).
- other_tone_style: tone on the main vowel of open oa/oe/uy (hoà, thuỷ).
- repaired_telex: Telex keystrokes left in the text were decoded (Nguyeenx).
- repaired_vni: VNI digits left in the text were decoded (Nguye64n).
- repaired_vowel: a mis-composed vowel was mended (lựơng, Trưong, hòan, qúy).
- repaired_mojibake: UTF-8 text that had been read as Windows-1252 or
  Latin-1 and saved again (Nguyá»…n) was decoded back (Nguyễn).

`REPAIRS` names the flags of stored garbage, as against formatting.
- eth_for_d: Ð/ð (eth) typed for Đ/đ.
- odd_spacing: leading, trailing, repeated or non-ASCII whitespace, or
  zero-width characters.

Flags are false for an empty name. A split into family/middle/given is only a
guess (domain §1): match on the whole name.

Speed: names repeat heavily and their syllables far more, so the text work is
done by polars on the whole column and only the distinct lowercase tokens (a
few thousand) go through the Python syllable logic, mapped back with one
`replace_strict` per output.
"""

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import polars as pl

from matching.syllables import TokenFlag, fold, normalise_token

_DATA = Path(__file__).parent / "data"
_INVISIBLE = "[\u200b\u200c\u200d\u2060\ufeff]"
_ODD_SPACE = r"^\s|\s$|\s\s|[^\S ]|" + _INVISIBLE
_NON_ASCII = r"[^\x00-\x7f]"
_MOJIBAKE = "[ÃÄÅÆ]|á[º»]"
"""Lead bytes of Vietnamese letters in UTF-8 (C3, C4, C5, C6, E1 BA/BB) as Windows-1252
shows them."""
_CP1252_BYTES = {ord(ch): b for b in range(0x80, 0xA0)
                 if (ch := bytes([b]).decode("cp1252", errors="ignore"))}
"""Windows-1252's characters at 0x80–0x9F → their byte; every other character below
U+0100 is its own byte (Latin-1, which also stands in for the five bytes 1252 lacks)."""
_TRIMMED_NBSP = re.compile("Ã(?= |$)")
"""à is C3 A0 in UTF-8: as Windows-1252 shows it, Ã and a no-break space, which a trim
(or a space cleaner) takes for whitespace. No UTF-8 sequence has Ã before a space."""

_TOKEN_FLAGS = {
    "other_tone_style": TokenFlag.OTHER_TONE_STYLE,
    "repaired_telex": TokenFlag.REPAIRED_TELEX,
    "repaired_vni": TokenFlag.REPAIRED_VNI,
    "repaired_vowel": TokenFlag.REPAIRED_VOWEL,
}
FLAGS: tuple[str, ...] = ("no_diacritics", "upper_case", "nfd", *_TOKEN_FLAGS,
                          "repaired_mojibake", "eth_for_d", "odd_spacing")
"""The flag columns `normalise_names` adds (after the prefix), in order."""
REPAIRS: dict[str, str] = {"repaired_mojibake": "mojibake", "repaired_vni": "vni",
                           "repaired_telex": "telex"}
"""Flags of stored garbage, not formatting (domain §1) → a short name of what was repaired;
the first that applies names a name that needed more than one repair."""


@dataclass(frozen=True)
class NormalisedName:
    """One name normalised; the same values as one row of `normalise_names`."""

    raw: str | None
    canonical: str | None
    key: str | None
    tokens: tuple[str, ...]
    family: str | None
    middle: str | None
    given: str | None
    flags: frozenset[str]


@cache
def compound_family_names() -> frozenset[str]:
    """Folded compound family names (data/compound_family_names.csv)."""
    with (_DATA / "compound_family_names.csv").open(encoding="utf-8") as f:
        return frozenset(" ".join(fold(word) for word in row["family_name"].split())
                         for row in csv.DictReader(f))


def _family_length(key: pl.Expr) -> pl.Expr:
    """Syllables in the family name: the longest known compound that leaves a given name."""
    compounds = sorted(compound_family_names(), key=len, reverse=True)
    pattern = "^(" + "|".join(re.escape(c) for c in compounds) + ") "
    return key.str.extract(pattern, 1).str.count_matches(" ").add(1).fill_null(1)


def repair_mojibake(text: str) -> str:
    """Undo UTF-8 read as Windows-1252 (or Latin-1, or a mix: the five bytes 1252 lacks
    read as C1 controls): only when the bytes decode strictly, which legitimate
    Vietnamese (NGÃ, Ân) never does. An à whose no-break space was trimmed is mended
    when the text shows mojibake elsewhere too (NGÃ VAN AN is a name)."""
    candidates = [text]
    if re.search(_MOJIBAKE, _TRIMMED_NBSP.sub("", text)):
        candidates.append(_TRIMMED_NBSP.sub("Ã\xa0", text))
    for candidate in candidates:
        try:
            return candidate.translate(_CP1252_BYTES).encode("latin-1").decode("utf-8")
        except UnicodeError:
            continue
    return text


def normalise_names(df: pl.DataFrame, column: str, prefix: str | None = None) -> pl.DataFrame:
    """Add the canonical name, key, parts and flags of `column` (see the module docstring)."""
    p = f"{column}_" if prefix is None else prefix
    nfc, lower, keys, bits, family_len = (
        f"__{p}{name}" for name in ("nfc", "lower", "keys", "bits", "family_len")
    )
    suspects = df.get_column(column).filter(df.get_column(column).str.contains(_MOJIBAKE))
    repairs = {v: r for v in suspects.unique().to_list() if (r := repair_mojibake(v)) != v}
    raw = pl.col(column).replace(repairs) if repairs else pl.col(column)
    text = (
        pl.col(nfc)
        .str.replace_all("Ð", "Đ", literal=True)
        .str.replace_all("ð", "đ", literal=True)
        .str.replace_all(_INVISIBLE, "")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars(" ")
    )
    out = df.with_columns(raw.str.normalize("NFC").alias(nfc)).with_columns(
        pl.when(text != "").then(text.str.to_lowercase().str.split(" ")).alias(lower),
        (raw != pl.col(nfc)).fill_null(False).alias(f"{p}nfd"),
        (
            pl.col(nfc).str.contains(r"\p{Lu}")
            & ~pl.col(nfc).str.contains(r"\p{Ll}")
            & (pl.col(nfc).str.count_matches(r"\p{L}") > 1)
        ).fill_null(False).alias(f"{p}upper_case"),
        pl.col(column).is_in(list(repairs)).alias(f"{p}repaired_mojibake"),
        raw.str.contains("[Ðð]").fill_null(False).alias(f"{p}eth_for_d"),
        raw.str.contains(_ODD_SPACE).fill_null(False).alias(f"{p}odd_spacing"),
    )

    def mapped(table: dict[str, str] | dict[str, int] | dict[str, bool],
               dtype: type[pl.DataType]) -> pl.Expr:
        return pl.col(lower).list.eval(pl.element().replace_strict(table, return_dtype=dtype))

    distinct = out.get_column(lower).explode().drop_nulls().unique().to_list()
    readings = {t: normalise_token(t) for t in distinct}
    # In a name with a Telex token, a doubled vowel is Telex too (Haan → Hân). Those
    # tokens are re-keyed with a leading space, which no token can contain.
    in_telex = {t: normalise_token(t, telex_name=True) for t in distinct}
    relaxed = {t: n for t, n in in_telex.items() if n != readings[t]}
    if relaxed:
        is_telex = {t: bool(n.flags & TokenFlag.REPAIRED_TELEX) for t, n in readings.items()}
        out = out.with_columns(
            pl.when(mapped(is_telex, pl.Boolean).list.any())
            .then(pl.col(lower).list.eval(pl.element().replace({t: f" {t}" for t in relaxed})))
            .otherwise(pl.col(lower))
            .alias(lower)
        )
        readings |= {f" {t}": n for t, n in relaxed.items()}

    out = out.with_columns(
        mapped({t: n.canonical for t, n in readings.items()}, pl.String).alias(f"{p}tokens"),
        mapped({t: n.folded for t, n in readings.items()}, pl.String).alias(keys),
        mapped({t: int(n.flags) for t, n in readings.items()}, pl.Int64)
        .list.eval(pl.element().bitwise_or()).list.first().alias(bits),
    )
    tokens = pl.col(f"{p}tokens")
    n = tokens.list.len()
    family = pl.col(family_len)
    out = out.with_columns(
        tokens.list.join(" ").alias(f"{p}canonical"),
        pl.col(keys).list.join(" ").alias(f"{p}key"),
    ).with_columns(
        _family_length(pl.col(f"{p}key")).alias(family_len),
    ).with_columns(
        pl.when(n > 1).then(tokens.list.slice(0, family).list.join(" ")).alias(f"{p}family"),
        pl.when(n > family + 1)
        .then(tokens.list.slice(family, n - family - 1).list.join(" "))
        .alias(f"{p}middle"),
        tokens.list.last().alias(f"{p}given"),
        *[((pl.col(bits) & int(bit)) != 0).fill_null(False).alias(f"{p}{name}")
          for name, bit in _TOKEN_FLAGS.items()],
    ).with_columns(
        pl.col(f"{p}canonical").str.contains(_NON_ASCII).not_().fill_null(False)
        .alias(f"{p}no_diacritics"),
    )
    columns = ["canonical", "key", "tokens", "family", "middle", "given", *FLAGS]
    return out.select(*df.columns, *[f"{p}{c}" for c in columns])


def normalise_name(name: str | None) -> NormalisedName:
    """Normalise one name with exactly the logic of `normalise_names` (one-row frame)."""
    row = normalise_names(pl.DataFrame({"n": [name]}, schema={"n": pl.String}), "n", "").row(
        0, named=True
    )
    return NormalisedName(
        raw=name,
        canonical=row["canonical"],
        key=row["key"],
        tokens=tuple(row["tokens"] or ()),
        family=row["family"],
        middle=row["middle"],
        given=row["given"],
        flags=frozenset(f for f in FLAGS if row[f]),
    )
