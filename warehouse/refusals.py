"""Why a whole file is refused, in one line that names the file and what to do.

The reader (`warehouse.readers`) reads what it can and sets records aside one by
one; these checks are for files that are not a dataset at all, or not one the
reader may guess about: a directory or a pipe, a compressed or UTF-16 file, a
header with wrong names, a file in a legacy encoding or full of mojibake. Each
raises PopdqError with the real cause, so that a steward is never told
"missing column" about a file that is gzip-compressed or separated by semicolons.
"""

import re
import stat
from pathlib import Path

import polars as pl

from popdq.contract import Dataset
from popdq.errors import PopdqError
from warehouse.encodings import (
    DOUBLE_UTF8,
    ENCODINGS,
    GUESS_MIN_WORDS,
    GUESS_SHARE,
    LEGACY,
    find_mojibake,
    guess_encoding,
    score_encodings,
)

NOTHING = "nothing loaded"

_SIGNATURES: tuple[tuple[bytes, str, str], ...] = (
    (b"\xff\xfe\x00\x00", "UTF-32 text", "save it as UTF-8"),
    (b"\x00\x00\xfe\xff", "UTF-32 text", "save it as UTF-8"),
    (b"\xff\xfe", "UTF-16 text", "save it as UTF-8 (in Excel: CSV UTF-8)"),
    (b"\xfe\xff", "UTF-16 text", "save it as UTF-8 (in Excel: CSV UTF-8)"),
    (b"\x1f\x8b", "gzip-compressed", "decompress it (gunzip) and load the CSV inside"),
    (b"PK\x03\x04", "a ZIP archive (an Excel workbook, or zipped files)",
     "name an Excel workbook .xlsx, or unzip the archive and load the CSV inside"),
    (b"PAR1", "a Parquet file", "name it .parquet"),
    (b"\xfd7zXZ\x00", "xz-compressed", "decompress it (unxz) and load the CSV inside"),
    (b"\x28\xb5\x2f\xfd", "zstd-compressed", "decompress it (unzstd) and load the CSV inside"),
)
"""How a CSV file that is something else starts (its magic bytes), what it is, and the fix."""

_BZIP2 = re.compile(rb"BZh[1-9]1AY&SY")
_SNIFF_BYTES = 4_096
"""How much of a file is looked at to tell UTF-16 without a byte-order mark."""

_SEPARATORS = {"\t": "tabs", ";": "semicolons", "|": "vertical bars"}
_AROUND = re.compile(r"^[\s\u200b-\u200d\u2060\ufeff]+|[\s\u200b-\u200d\u2060\ufeff]+$")
"""Spaces (and invisible characters) around a column name."""
_SHOWN = 3
"""Column names quoted in one message, at most."""


def refuse_special_file(path: Path) -> None:
    """A directory, pipe or device given as FILE is said to be one (not "no such file")."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return  # the caller says "no such file"
    except OSError as exc:
        raise PopdqError(f"{path}: cannot be read ({exc.strerror}); {NOTHING}") from exc
    if stat.S_ISREG(mode):
        return
    if stat.S_ISDIR(mode):
        raise PopdqError(f"{path}: is a directory, not a file: give the path of the extract "
                         f"inside it; {NOTHING}")
    if stat.S_ISFIFO(mode):
        raise PopdqError(f"{path}: is a named pipe (FIFO), not a regular file: save what it "
                         f"delivers to a file and load that file; {NOTHING}")
    what = "a socket" if stat.S_ISSOCK(mode) else "a device"
    raise PopdqError(f"{path}: is {what}, not a regular file; {NOTHING}")


def read_file_bytes(path: Path) -> bytes:
    """The whole file; a file that cannot be read (permissions, I/O) is one line."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PopdqError(f"{path}: cannot be read ({exc.strerror}); {NOTHING}") from exc


def refuse_other_format(file_name: str, data: bytes) -> None:
    """A .csv that is compressed, an archive, a Parquet file or UTF-16/32 text is named as
    what it is: read as UTF-8 it would only look like a file without the right columns."""
    for magic, what, fix in _SIGNATURES:
        if data.startswith(magic):
            raise PopdqError(f"{file_name}: the file is {what}, not CSV text in UTF-8: {fix}; "
                             f"{NOTHING}")
    if _BZIP2.match(data):
        raise PopdqError(f"{file_name}: the file is bzip2-compressed, not CSV text in UTF-8: "
                         f"decompress it (bunzip2) and load the CSV inside; {NOTHING}")
    head = data[:_SNIFF_BYTES]
    if head.count(0) * 4 >= len(head) > 0:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        what = ("UTF-16 text without a byte-order mark" if max(even, odd) > 4 * min(even, odd)
                else "binary data (NUL bytes), not text")
        raise PopdqError(f"{file_name}: the file is {what}, not CSV text in UTF-8: save it as "
                         f"UTF-8 CSV; {NOTHING}")


def refuse_bad_header(file_name: str, dataset: Dataset, header: list[str]) -> None:
    """An empty file, a repeated column, or a required column missing: with its cause when
    it is a different separator, spaces around the names, or other capitals."""
    if not header:
        raise PopdqError(f"{file_name}: empty file, expected a header row")
    seen: set[str] = set()
    for name in header:
        if name in seen:
            raise PopdqError(f"{file_name}: column {name!r} appears twice in the header")
        seen.add(name)
    missing = [c for c in dataset.columns if c in dataset.required and c not in seen]
    if not missing:
        return
    _refuse_other_separator(file_name, dataset, header)
    _refuse_misspelt_names(file_name, header, missing)
    names = ", ".join(repr(c) for c in missing)
    plural = "s" if len(missing) > 1 else ""
    raise PopdqError(
        f"{file_name}: missing required column{plural} {names} for {dataset.kind}; "
        "nothing loaded from this file"
    )


def _refuse_other_separator(file_name: str, dataset: Dataset, header: list[str]) -> None:
    """A header that holds the contract's names joined by tabs or semicolons."""
    for name in header:
        for separator, called in _SEPARATORS.items():
            parts = {_AROUND.sub("", part) for part in name.split(separator)}
            if separator in name and parts & set(dataset.columns):
                raise PopdqError(
                    f"{file_name}: the columns are separated by {called}, not commas: save "
                    "the file as comma-separated CSV (in Excel: CSV UTF-8 (Comma delimited)); "
                    f"{NOTHING}")


def _refuse_misspelt_names(file_name: str, header: list[str], missing: list[str]) -> None:
    """Required columns that are there, but written with spaces around them or capitals."""
    spaced, cased = [], []
    for name in header:
        bare = _AROUND.sub("", name)
        if bare != name and bare in missing:
            spaced.append((name, bare))
        elif bare.lower() in missing and bare not in missing:
            cased.append((name, bare.lower()))
    if spaced:
        shown = ", ".join(repr(name) for name, _ in spaced[:_SHOWN])
        wanted = ", ".join(repr(bare) for _, bare in spaced[:_SHOWN])
        more = ", …" if len(spaced) > _SHOWN else ""
        raise PopdqError(
            f"{file_name}: column{'s' * (len(spaced) > 1)} {shown}{more} "
            f"{'are' if len(spaced) > 1 else 'is'} written with spaces around the name: "
            f"rename {'them' if len(spaced) > 1 else 'it'} {wanted}{more} (column names are "
            f"exact); {NOTHING}")
    if cased:
        name, wanted = cased[0]
        raise PopdqError(f"{file_name}: column {name!r} must be written {wanted!r} (column "
                         f"names are exact, in lower case); {NOTHING}")


def refuse_undecodable(file_name: str, header: list[str], undecodable: int, rows: int,
                       data: bytes, encoding: str | None) -> None:
    """A header that is not text in the file's encoding, or a file whose rows mostly are
    not: the file is in another encoding, not a file of bad rows. Names the likely one."""
    what = "UTF-8" if encoding is None else ENCODINGS[encoding]
    for number, name in enumerate(header, start=1):
        if re.search("[\udc80-\udcff]", name):
            shown = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
            raise PopdqError(f"{file_name}: the header (line 1) is not {what} text (column "
                             f"{number}, {shown!r}); {_encoding_advice(data, encoding)}; "
                             f"{NOTHING}")
    if undecodable and undecodable >= rows / 2:
        raise PopdqError(f"{file_name}: {undecodable:,} of {rows:,} rows are not {what} text; "
                         f"{_encoding_advice(data, encoding)}; {NOTHING}")


def _encoding_advice(data: bytes, encoding: str | None) -> str:
    """What to rerun with: the legacy encoding the bytes read best as, if one reads well."""
    if encoding is not None and _is_utf8(data):
        mojibake = ("doubly-encoded" if encoding == DOUBLE_UTF8
                    else f"{ENCODINGS[encoding]} read as Windows-1252")
        return f"the file is UTF-8 text, not {mojibake}: load it without --encoding"
    guess = guess_encoding(data)
    if guess is not None and guess != encoding:
        return f"it looks like {ENCODINGS[guess]}: rerun with --encoding {guess}"
    if encoding is not None:
        return "check which encoding the file is in (--encoding: " + ", ".join(ENCODINGS) + ")"
    return ("save it as UTF-8, or rerun with --encoding and its legacy encoding ("
            + ", ".join(LEGACY) + ")")


def refuse_wrong_encoding(file_name: str, data: bytes, encoding: str) -> None:
    """A legacy file read with --encoding X whose words are Vietnamese under Y, not X."""
    if encoding not in LEGACY or _is_utf8(data):
        return
    scores, words = score_encodings(data)
    best = max(LEGACY, key=lambda name: scores[name])
    if (words >= GUESS_MIN_WORDS and best != encoding and scores[encoding] < GUESS_SHARE
            <= scores[best]):
        raise PopdqError(
            f"{file_name}: read as {ENCODINGS[encoding]}, {scores[encoding]:.0%} of its words "
            f"are Vietnamese; read as {ENCODINGS[best]}, {scores[best]:.0%} are: rerun with "
            f"--encoding {best}; {NOTHING}")


def _is_utf8(data: bytes) -> bool:
    """Whether the whole file decodes as UTF-8 (then --encoding means mojibake to undo)."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


MOJIBAKE_NAMES = 500
"""Rows whose names are checked for mojibake, at most, evenly spread over the file."""


def sample_names(names: pl.Series) -> list[str]:
    """A deterministic sample of distinct names: every n-th row's name, spread over the
    whole file, so a million-row file costs a few hundred names."""
    picked = names.gather_every(max(1, names.len() // MOJIBAKE_NAMES)).drop_nulls()
    return picked.unique(maintain_order=True).head(MOJIBAKE_NAMES).to_list()


def refuse_mojibake(file_name: str, file_format: str, names: pl.Series) -> None:
    """A file whose names mostly read as Vietnamese only once re-decoded is refused: loaded,
    every person would be a name mismatch, and its other text is as broken."""
    found = find_mojibake(sample_names(names))
    if found is None:
        return
    if found.encoding == DOUBLE_UTF8:
        what = "UTF-8 text read as Windows-1252 and saved again (doubly-encoded UTF-8)"
    else:
        what = f"{ENCODINGS[found.encoding]} text read as Windows-1252 and saved as UTF-8"
    fix = f"--encoding {found.encoding}"
    todo = (f"rerun with {fix} to convert it" if file_format == "csv" else
            f"correct the text at its source, or save it as CSV and load that with {fix}")
    before, after = found.example
    raise PopdqError(f"{file_name}: {found.broken} of {found.sampled} sampled names are "
                     f"{what} ({before!r} reads {after!r}); {todo}; {NOTHING}")
