"""How one Vietnamese syllable gets mistyped.

Pure functions of one NFC syllable. Formatting variants (no diacritics, NFD,
the other tone-mark convention, Ð for Đ, mis-composed ươ) keep the name the
same once normalised. Stored garbage (Telex/VNI keystrokes left in,
mojibake) is repaired to the same name too, but is a finding (domain §1);
`typo` and `retones` change the name for real. They run over the few hundred
distinct syllables of the name tables, never over records.
"""

import re
import unicodedata

import numpy as np

TONES = ("\u0301", "\u0300", "\u0309", "\u0303", "\u0323")
"""Combining tone marks: sắc, huyền, hỏi, ngã, nặng."""
CIRCUMFLEX, BREVE, HORN = "\u0302", "\u0306", "\u031b"
SHAPES = (CIRCUMFLEX, BREVE, HORN)

_TELEX_TONE = dict(zip(TONES, "sfrxj", strict=True))
_VNI_TONE = dict(zip(TONES, "12345", strict=True))
_VNI_SHAPE = {CIRCUMFLEX: "6", BREVE: "8", HORN: "7"}
_OPEN_PAIRS = ("oa", "oe", "uy")
_MISCOMPOSED = re.compile(f"([uU]{HORN})([oO]{HORN})([{''.join(TONES)}])")
_NEIGHBOURS = {
    "b": "vn", "c": "xv", "d": "sf", "g": "hf", "h": "gj", "k": "lj", "l": "k", "m": "n",
    "n": "mb", "p": "l", "q": "w", "r": "t", "s": "d", "t": "ry", "v": "bc", "x": "c",
}
"""Keys next to each consonant on a QWERTY keyboard (consonants only, mostly)."""


def _letters(syllable: str) -> list[tuple[str, str, str]]:
    """Each letter as (base, shape mark, tone mark)."""
    out = []
    for ch in syllable:
        d = unicodedata.normalize("NFD", ch)
        shape = next((m for m in d[1:] if m in SHAPES), "")
        tone = next((m for m in d[1:] if m in TONES), "")
        out.append((d[0], shape, tone))
    return out


def _compose(letters: list[tuple[str, str, str]]) -> str:
    return unicodedata.normalize("NFC", "".join(b + s + t for b, s, t in letters))


def strip_diacritics(syllable: str) -> str:
    """Nguyễn → Nguyen, Đức → Duc."""
    bare = "".join(b for b, _, _ in _letters(syllable))
    return bare.replace("đ", "d").replace("Đ", "D")


def nfd(syllable: str) -> str:
    """The decomposed form: same text, more code points."""
    return unicodedata.normalize("NFD", syllable)


def tone_convention(syllable: str) -> str:
    """Hòa → Hoà, Thủy → Thuỷ: the tone moves to the second vowel of an open
    oa/oe/uy; every other syllable (closed, qu-, toneless) is returned as is."""
    letters = _letters(syllable)
    bases = "".join(b.lower() for b, _, _ in letters)
    if len(letters) < 2 or not bases.endswith(_OPEN_PAIRS) or bases.endswith("quy"):
        return syllable
    (b1, s1, t1), (b2, s2, t2) = letters[-2], letters[-1]
    if not t1 or s1 or s2 or t2:
        return syllable
    return _compose([*letters[:-2], (b1, "", ""), (b2, "", t1)])


def eth(syllable: str) -> str:
    """Đ typed as the look-alike Icelandic Ð (U+00D0)."""
    return syllable.replace("Đ", "\u00d0").replace("đ", "\u00f0")


def telex(syllable: str) -> str:
    """The keystrokes of the Telex input method left unconverted: Nguyễn → Nguyeenx."""
    out, tone_key = [], ""
    for base, shape, tone in _letters(syllable):
        if base in "đĐ":
            out.append(("D" if base == "Đ" else "d") + "d")
            continue
        out.append(base + (base.lower() if shape == CIRCUMFLEX else "w" if shape else ""))
        tone_key = _TELEX_TONE.get(tone, tone_key)
    return "".join(out) + tone_key


def vni(syllable: str) -> str:
    """The keystrokes of the VNI input method left unconverted: Nguyễn → Nguye64n."""
    out = []
    for base, shape, tone in _letters(syllable):
        if base in "đĐ":
            out.append(("D" if base == "Đ" else "d") + "9")
            continue
        out.append(base + _VNI_SHAPE.get(shape, "") + _VNI_TONE.get(tone, ""))
    return "".join(out)


def mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252 and saved again: Nguyễn → Nguyá»…n. The five bytes
    Windows-1252 leaves undefined become the C1 controls of their number, as Windows
    reads them (Đ → Ä and U+0090)."""
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b)
                   for b in text.encode("utf-8"))


def miscompose(syllable: str) -> str:
    """ươ with the tone on the wrong vowel: lượng → lựơng."""
    return unicodedata.normalize(
        "NFC", _MISCOMPOSED.sub(r"\1\3\2", unicodedata.normalize("NFD", syllable)))


def typo(syllable: str, rng: np.random.Generator) -> str:
    """One consonant replaced by a neighbouring key (Nguyễn → Nhuyễn); a syllable
    without a plain consonant gets an n appended. The letters always change."""
    spots = [i for i, ch in enumerate(syllable) if ch.lower() in _NEIGHBOURS]
    if not spots:
        return syllable + "n"
    i = spots[int(rng.integers(len(spots)))]
    keys = _NEIGHBOURS[syllable[i].lower()]
    new = keys[int(rng.integers(len(keys)))]
    return syllable[:i] + (new.upper() if syllable[i].isupper() else new) + syllable[i + 1:]


HOI_NGA = {"\u0309": "\u0303", "\u0303": "\u0309"}
"""The two tones most often confused for each other (Nguyễn / Nguyển)."""


def retones(syllable: str) -> list[str]:
    """The syllable with each of the four other tone marks, the hỏi/ngã partner
    first where there is one; [] for a syllable without a tone mark."""
    letters = _letters(syllable)
    spot = next((i for i, (_, _, t) in enumerate(letters) if t), None)
    if spot is None:
        return []
    base, shape, tone = letters[spot]
    others = sorted((t for t in TONES if t != tone), key=lambda t: t != HOI_NGA.get(tone))
    return [_compose([*letters[:spot], (base, shape, t), *letters[spot + 1:]]) for t in others]
