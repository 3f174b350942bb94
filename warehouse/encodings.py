"""Legacy Vietnamese 8-bit encodings: convert them to text, recognise them, undo mojibake.

Older registry and insurance systems export TCVN3 (ABC), VNI, VISCII or Windows-1258
(domain.md §1). TCVN3, VNI and VISCII have no Python codec: their tables are data
(`data/encodings/`, sources in its README); Windows-1258 is Python's `cp1258`.
Converted text is NFC.

Text that went through the wrong conversion shows as mojibake: legacy bytes read as
Windows-1252 and saved as UTF-8 (VNI's "Nguyễn" becomes "Nguyeãn"), or UTF-8 read as
Windows-1252 and saved again, once or more ("Nguyá»…n", doubly-encoded UTF-8). Both
are undone the same way: the text goes back to the bytes Windows-1252 made it from,
and those are decoded as they should have been.

Which encoding a text is in is told by Vietnamese itself: it is the one under which
most words are valid Vietnamese syllables (`matching.syllables`).

A byte or character that a conversion cannot place becomes, or is followed by, a lone
surrogate (U+DC80–U+DCFF, as Python's surrogateescape writes undecodable bytes), so
the reader quarantines the record that holds it instead of loading a guess.
"""

import csv
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import islice
from pathlib import Path

from matching.syllables import parse_syllable, split_tones

DOUBLE_UTF8 = "double-utf8"
"""Not a code page: UTF-8 read as Windows-1252 and saved as UTF-8 again, once or more."""

ENCODINGS: dict[str, str] = {
    "tcvn3": "TCVN3 (ABC)",
    "vni": "VNI",
    "viscii": "VISCII",
    "cp1258": "Windows-1258",
    DOUBLE_UTF8: "doubly-encoded UTF-8",
}
"""`--encoding` name → how messages call it."""

LEGACY: tuple[str, ...] = ("tcvn3", "vni", "viscii", "cp1258")
"""The 8-bit code pages, in the order a tie between them is settled."""

GUESS_SHARE = 0.5
"""An encoding is named as a file's likely one only when at least this share of the
file's sampled non-ASCII words read as Vietnamese syllables under it."""

GUESS_MIN_WORDS = 20
"""Fewer sampled words than this tell nothing about a chosen encoding being wrong."""

SAMPLE_WORDS = 5_000
"""Non-ASCII words read from the start of a file to guess its encoding."""

MOJIBAKE_SHARE = 0.5
"""A UTF-8 file is refused as mojibake when at least this share of its sampled names are
not Vietnamese as written but are once re-decoded as one encoding. A handful of odd
names in a good file stay far below it (the name normaliser repairs those one by one),
even in a source whose names are mostly typed without marks."""

_DATA = Path(__file__).parent / "data" / "encodings"
_MARK = "\udcff"
"""Follows a character that a conversion cannot place (see the module docstring)."""
_NOT_A_BYTE = re.compile("[^\x00-\xff]")
_NON_ASCII_RUN = re.compile("[^\x00-\x7f]+")
_WORD = re.compile(rb"[^\s,;\"'()/.:\d-]*[\x80-\xff][^\s,;\"'()/.:\d-]*")
_PUNCTUATION = ".,;:'\"()[]"
_CP1252_BYTES = {ord(ch): b for b in range(0x80, 0xA0)
                 if (ch := bytes([b]).decode("cp1252", errors="ignore"))}
"""Windows-1252's characters at 0x80–0x9F → their byte; every other character below
U+0100 is its own byte (Latin-1, which also stands in for the five bytes 1252 lacks)."""


@dataclass(frozen=True)
class Mojibake:
    """Names that read as Vietnamese once re-decoded as `encoding`, and one example."""

    encoding: str
    broken: int
    sampled: int
    example: tuple[str, str]
    """One word as written and as re-decoded (a word, not a whole name: no one is named)."""


@cache
def _table(name: str) -> dict[str, str]:
    """A table of data/encodings/: bytes (as Latin-1 characters) → the character."""
    with (_DATA / f"{name}.csv").open(encoding="utf-8", newline="") as f:
        return {bytes.fromhex(row["bytes"]).decode("latin-1"):
                chr(int(row["code_point"].removeprefix("U+"), 16))
                for row in csv.DictReader(f)}


@cache
def _decoder(name: str) -> Callable[[str], str]:
    """Bytes (as Latin-1 characters) → text, for one code page. Undefined bytes become
    surrogates; characters above U+00FF pass through untouched."""
    if name == "cp1258":
        table = {chr(b): bytes([b]).decode("cp1258", errors="surrogateescape")
                 for b in range(256)}
    else:
        table = _table(name)
    singles = {ord(k): v for k, v in table.items() if len(k) == 1}
    singles |= {b: chr(0xDC00 + b) for b in range(0x80, 0x100) if b not in singles}
    pairs = sorted((k for k in table if len(k) > 1), key=len, reverse=True)
    if not pairs:
        return lambda text: text.translate(singles)
    pattern = re.compile("|".join(map(re.escape, pairs)) + "|[\x80-\xff]")
    return lambda text: pattern.sub(lambda m: table.get(m[0]) or singles[ord(m[0])], text)


def decode_bytes(data: bytes, encoding: str) -> str:
    """Bytes of a legacy code page as NFC text."""
    return unicodedata.normalize("NFC", _decoder(encoding)(data.decode("latin-1")))


def undo_mojibake(text: str, encoding: str) -> str:
    """Text that is `encoding` read as Windows-1252, decoded as it should have been (NFC).
    A character Windows-1252 cannot have produced is kept and marked."""
    if encoding == DOUBLE_UTF8:
        return unicodedata.normalize("NFC", _NON_ASCII_RUN.sub(_undo_utf8_layers, text))
    as_bytes = _NOT_A_BYTE.sub(lambda m: m[0] + _MARK, text.translate(_CP1252_BYTES))
    return unicodedata.normalize("NFC", _decoder(encoding)(as_bytes))


def _undo_utf8_layers(run: re.Match[str]) -> str:
    """A run of non-ASCII characters decoded from UTF-8 as often as it strictly decodes;
    marked when it does not decode even once."""
    text, layers = run[0], 0
    while not _NOT_A_BYTE.search(as_bytes := text.translate(_CP1252_BYTES)):
        try:
            text, layers = as_bytes.encode("latin-1").decode("utf-8"), layers + 1
        except UnicodeDecodeError:
            break
    return text if layers else run[0] + _MARK


def convert(data: bytes, encoding: str) -> str:
    """A file's bytes as NFC text read as `encoding`: the legacy bytes themselves or, in a
    file that is UTF-8 already, the mojibake they became when read as Windows-1252."""
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError:
        if encoding == DOUBLE_UTF8:
            return undo_mojibake(data.decode("utf-8", errors="surrogateescape"), encoding)
        return decode_bytes(data.removeprefix(b"\xef\xbb\xbf"), encoding)
    return text if text.isascii() else undo_mojibake(text, encoding)


@cache
def is_vietnamese_word(word: str) -> bool:
    """Whether a lowercase NFC word is one Vietnamese syllable (with at most one tone)."""
    split = split_tones(word)
    if split is None:
        return False
    base, marks = split
    return len(marks) <= 1 and parse_syllable(base, marks[0][1] if marks else 0) is not None


def _words(text: str) -> list[str]:
    """Lowercase words, without the punctuation a name may carry around them."""
    return [w for w in (t.strip(_PUNCTUATION) for t in text.lower().split()) if w]


def is_vietnamese_name(name: str) -> bool:
    """Whether every word of a name with non-ASCII letters is a Vietnamese syllable (NFC,
    any case). ASCII words are not judged: their marks may simply have been dropped, and
    no re-decoding changes them."""
    words = _words(unicodedata.normalize("NFC", name).replace("ð", "đ").replace("Ð", "Đ"))
    return bool(words) and all(is_vietnamese_word(w) for w in words if not w.isascii())


def score_encodings(data: bytes, encodings: tuple[str, ...] = LEGACY
                    ) -> tuple[dict[str, float], int]:
    """For each encoding, the share of the first SAMPLE_WORDS non-ASCII words of the file
    that read as Vietnamese under it; and how many words were sampled."""
    words = [m[0] for m in islice(_WORD.finditer(data), SAMPLE_WORDS)]
    if not words:
        return dict.fromkeys(encodings, 0.0), 0
    return {name: sum(is_vietnamese_name(decode_bytes(w, name)) for w in words) / len(words)
            for name in encodings}, len(words)


def guess_encoding(data: bytes) -> str | None:
    """The legacy code page a file most likely is in, when one reads it as Vietnamese."""
    scores, _ = score_encodings(data)
    best = max(LEGACY, key=lambda name: scores[name])
    return best if scores[best] >= GUESS_SHARE else None


def find_mojibake(names: Iterable[str]) -> Mojibake | None:
    """The encoding that the names are mojibake of, when at least MOJIBAKE_SHARE of them
    are; None for a file of names written as they should be."""
    sampled = list(names)
    fixed: Counter[str] = Counter()
    examples: dict[str, tuple[str, str]] = {}
    for name in sampled:
        if name.isascii() or is_vietnamese_name(name):
            continue
        for encoding in (*LEGACY, DOUBLE_UTF8):
            reading = undo_mojibake(name, encoding)
            if reading != name and _MARK not in reading and is_vietnamese_name(reading):
                fixed[encoding] += 1
                examples.setdefault(encoding, _first_change(name, reading))
    if not fixed:
        return None
    best = max(fixed, key=lambda encoding: fixed[encoding])
    if fixed[best] < MOJIBAKE_SHARE * len(sampled):
        return None
    return Mojibake(best, fixed[best], len(sampled), examples[best])


def _first_change(before: str, after: str) -> tuple[str, str]:
    """The first word a re-decoding changes, as written and as re-decoded."""
    for old, new in zip(before.split(), after.split(), strict=False):
        if old != new:
            return old, new
    return before, after
