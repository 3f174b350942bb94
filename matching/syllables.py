"""Vietnamese syllables: validate, place the tone mark, repair keystroke leftovers.

This is the per-token logic behind `matching.names`. It works on one lowercase
NFC token at a time; `names` calls it once per *distinct* token, so it may be
plain Python.

A syllable is onset + rhyme + tone. The validator knows the onsets, the
rhymes (medial glide + vowel nucleus + final) and two constraints that stop
most false repairs:

- spelling: k/gh/ngh only before e, ê, i, y; c/g/ng never before them; gi and
  qu are onsets (the i/u belongs to the consonant: *giá*, *quý*);
- tone: a syllable with a stop final (-p, -t, -c, -ch) takes only sắc or
  nặng. An unmarked stop syllable ("Phuc") is accepted: unmarked means the
  marks were dropped, not that the tone is ngang.

Canonical tone placement ("old style"): in the open syllables oa, oe, uy the
tone goes on the first vowel (*hòa, khỏe, thủy*); *hoà, khoẻ, thuỷ* are read
as the other convention and rewritten. Why old style: it is the majority
spelling in the official 2025 division names this package ships (169 commune
names such as Khánh Hòa, Thanh Hóa against 93 such as Thuận Hoà) and the
default of the common Vietnamese input methods, so most input already has it.
Everywhere else the placement is fixed by the syllable: on the vowel carrying
a quality mark (ơ in ươ), else on the last vowel before a final consonant,
else on the middle of three vowels, else on the first.
"""

import re
import unicodedata
from dataclasses import dataclass
from enum import IntFlag

from unidecode import unidecode

# Tones numbered as in the VNI keyboard: 0 ngang (no mark), 1 sắc, 2 huyền,
# 3 hỏi, 4 ngã, 5 nặng.
_TONE_MARKS = {"\u0301": 1, "\u0300": 2, "\u0309": 3, "\u0303": 4, "\u0323": 5}
_STOP_TONES = frozenset({0, 1, 5})

_VOWELS = "aăâeêioôơuưy"
_MARKED_VOWELS = frozenset("ăâêôơư")
_CONSONANTS = frozenset("bcdđghklmnpqrstvx")

# Every toned vowel split into (vowel, tone), and back.
_SPLIT: dict[str, tuple[str, int]] = {}
_JOIN: dict[tuple[str, int], str] = {}
for _vowel in _VOWELS:
    _JOIN[(_vowel, 0)] = _vowel
    _SPLIT[_vowel] = (_vowel, 0)
    for _mark, _tone in _TONE_MARKS.items():
        _toned = unicodedata.normalize("NFC", _vowel + _mark)
        _JOIN[(_vowel, _tone)] = _toned
        _SPLIT[_toned] = (_vowel, _tone)

_ONSETS = ("ngh", "ng", "nh", "ch", "gh", "kh", "ph", "th", "tr",
           "b", "c", "d", "đ", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "x")

# Rhymes (toneless), grouped by nucleus; a medial o/u comes first where it has one.
_RHYME_GROUPS = (
    "a ac ach ai am an ang anh ao ap at au ay",
    "ăc ăm ăn ăng ăp ăt",
    "âc âm ân âng âp ât âu ây",
    "e ec em en eng eo ep et",
    "ê êch êm ên ênh êp êt êu",
    "i ia ich im in inh ip it iu",
    "iêc iêm iên iêng iêp iêt iêu",
    "y yêm yên yêng yêt yêu",
    "o oc oi om on ong op ot ooc oong",
    "ô ôc ôi ôm ôn ông ôp ôt",
    "ơ ơi ơm ơn ơp ơt",
    "u uc ui um un ung up ut",
    "ua uôc uôi uôm uôn uông uôt",
    "ư ưc ưi ưm ưn ưng ưt ưu",
    "ưa ươc ươi ươm ươn ương ươp ươt ươu",
    "oa oac oach oai oam oan oang oanh oao oap oat oay",
    "oăc oăm oăn oăng oăt",
    "oe oem oen oeo oet",
    "uân uâng uât uây",
    "uê uêch uênh",
    "uơ",
    "uy uya uych uyên uyêt uynh uyp uyt uyu",
)
_RHYMES = frozenset(r for group in _RHYME_GROUPS for r in group.split())
# After qu the u is the medial, so these y- rhymes appear only there (quỳnh, quỵt).
_QU_ONLY_RHYMES = frozenset({"ych", "ynh", "yt"})
_STOP_FINALS = ("c", "ch", "p", "t")
_FRONT = frozenset("eêiy")

# Open two-vowel nuclei whose tone placement differs between the two conventions.
_STYLE_PAIRS = frozenset({"oa", "oe", "uy"})

# Mis-composed ươ: the horn on only one of the two vowels.
_HORN_REPAIRS = (("ưo", "ươ"), ("uơ", "ươ"))

_TELEX_TONES = {"s": 1, "f": 2, "r": 3, "x": 4, "j": 5}
_VNI_TONES = {"1": 1, "2": 2, "3": 3, "4": 4, "5": 5}
_CIRCUMFLEX = {"a": "â", "e": "ê", "o": "ô"}
_BREVE = {"a": "ă"}
_HORN = {"o": "ơ", "u": "ư"}
_STROKE = {"d": "đ"}
_TELEX_W = _HORN | _BREVE
_VNI_MARKS = {"6": _CIRCUMFLEX, "7": _HORN, "8": _BREVE, "9": _STROKE}
_DOUBLED_VOWEL = re.compile("aa|ee|oo")
_WORD_START = re.compile(r"(^|['\-])(\w)")


class TokenFlag(IntFlag):
    """Formatting features found in a token (flags, never differences)."""

    NONE = 0
    OTHER_TONE_STYLE = 1
    REPAIRED_TELEX = 2
    REPAIRED_VNI = 4
    REPAIRED_VOWEL = 8


@dataclass(frozen=True)
class Syllable:
    """A parsed syllable: toneless spelling split into onset and rhyme, plus the tone."""

    onset: str
    rhyme: str
    tone: int

    @property
    def nucleus(self) -> str:
        """The vowel letters of the rhyme (medial, main vowel, glide)."""
        end = len(self.rhyme)
        while end and self.rhyme[end - 1] not in _VOWELS:
            end -= 1
        return self.rhyme[:end]


@dataclass(frozen=True)
class NormalisedToken:
    """One token normalised: canonical spelling (Title Case), ASCII key and flags."""

    canonical: str
    folded: str
    flags: TokenFlag


def parse_syllable(base: str, tone: int) -> Syllable | None:
    """The syllable spelled by a toneless lowercase `base`, or None when none is valid."""
    for onset, rhyme in _splits(base):
        if _is_valid(onset, rhyme, tone):
            return Syllable(onset, rhyme, tone)
    return None


def _splits(base: str) -> list[tuple[str, str]]:
    """Candidate onset/rhyme splits: gi- and qu- are tried as onsets before g- and q-."""
    splits = []
    if base.startswith("qu") and len(base) > 2:
        splits.append(("qu", base[2:]))
    if base.startswith("gi") and len(base) > 2 and base[2] in _VOWELS:
        splits.append(("gi", base[2:]))
    onset = next((o for o in _ONSETS if base.startswith(o)), "")
    splits.append((onset, base[len(onset):]))
    return splits


def _is_valid(onset: str, rhyme: str, tone: int) -> bool:
    """Whether onset + rhyme + tone is a Vietnamese syllable (see the module docstring)."""
    if not rhyme:
        return False
    if onset == "qu":
        known = (rhyme in _RHYMES or rhyme in _QU_ONLY_RHYMES) and rhyme[0] not in "ouư"
    elif onset == "gi":
        # gi absorbs the i of iê: giếng = gi + (i)êng.
        known = rhyme in _RHYMES or "i" + rhyme in _RHYMES
    else:
        known = rhyme in _RHYMES
    if not known:
        return False
    if rhyme.startswith("yê") and onset not in ("", "qu"):
        return False
    if rhyme.startswith("iê") and onset in ("", "qu", "gi"):
        return False
    if onset in ("k", "gh", "ngh") and rhyme[0] not in _FRONT:
        return False
    if onset in ("c", "ng") and rhyme[0] in _FRONT:
        return False
    if onset == "g" and rhyme[0] in "eêy":
        return False
    return tone in _STOP_TONES or not rhyme.endswith(_STOP_FINALS)


def split_tones(token: str) -> tuple[str, list[tuple[int, int]]] | None:
    """Toneless spelling of a lowercase NFC token and its (position, tone) marks.

    None when the token holds a character outside the Vietnamese alphabet.
    """
    base = []
    tones = []
    for i, ch in enumerate(token):
        if ch in _SPLIT:
            vowel, tone = _SPLIT[ch]
            base.append(vowel)
            if tone:
                tones.append((i, tone))
        elif ch in _CONSONANTS:
            base.append(ch)
        else:
            return None
    return "".join(base), tones


def tone_position(syllable: Syllable, *, old_style: bool = True) -> int:
    """Index in onset + rhyme of the vowel that carries the tone mark."""
    nucleus = syllable.nucleus
    marked = [i for i, v in enumerate(nucleus) if v in _MARKED_VOWELS]
    if marked:
        pos = marked[-1]
    elif len(nucleus) < len(syllable.rhyme):
        pos = len(nucleus) - 1
    elif len(nucleus) == 3 or (nucleus in _STYLE_PAIRS and not old_style):
        pos = 1
    else:
        pos = 0
    return len(syllable.onset) + pos


def spell(syllable: Syllable) -> str:
    """The syllable written with the canonical (old-style) tone placement."""
    text = syllable.onset + syllable.rhyme
    if not syllable.tone:
        return text
    pos = tone_position(syllable)
    return text[:pos] + _JOIN[(text[pos], syllable.tone)] + text[pos + 1:]


def _repair_horn(base: str, tone: int) -> Syllable | None:
    """Parse `base`, first as written, then with a half-horned ươ completed."""
    syllable = parse_syllable(base, tone)
    if syllable is not None:
        return syllable
    for wrong, right in _HORN_REPAIRS:
        if wrong in base:
            repaired = parse_syllable(base.replace(wrong, right), tone)
            if repaired is not None:
                return repaired
    return None


def _modify(chars: list[str], table: dict[str, str]) -> bool:
    """Put a quality mark on the last vowel of the syllable that takes it (in place).

    ``uo`` takes the horn on both vowels (ươ), as the keyboards do.
    """
    for i in range(len(chars) - 1, -1, -1):
        ch = chars[i]
        if ch in table:
            chars[i] = table[ch]
            if chars[i] == "ơ" and i and chars[i - 1] == "u":
                chars[i - 1] = "ư"
            return True
    return False


def _read_vni(token: str) -> tuple[str, int] | None:
    """Toneless spelling and tone of a VNI-typed ASCII token (Nguye64n), or None."""
    chars: list[str] = []
    tone = 0
    for ch in token:
        if "a" <= ch <= "z":
            chars.append(ch)
        elif ch in _VNI_TONES and chars:
            if tone:
                return None
            tone = _VNI_TONES[ch]
        elif not (ch in _VNI_MARKS and _modify(chars, _VNI_MARKS[ch])):
            return None
    return "".join(chars), tone


def _read_telex(token: str, doubled_vowel_is_evidence: bool) -> tuple[str, int] | None:
    """Toneless spelling and tone of a Telex-typed ASCII token (Nguyeenx), or None.

    Guard against English-looking names: a token counts as Telex only with
    evidence that no plain word has: a tone key after a vowel, a w or a dd. A
    doubled vowel (aa, ee, oo) alone is evidence only when the caller knows
    the name has other Telex tokens ("Nguyeenx Thij Haan"): "Lee" stays "Lee".
    """
    chars: list[str] = []
    tone = 0
    evidence = False
    for ch in token:
        has_vowel = any(c in _VOWELS for c in chars)
        if ch in _TELEX_TONES and has_vowel:
            if tone:
                return None
            tone = _TELEX_TONES[ch]
            evidence = True
        elif ch == "w":
            if not _modify(chars, _TELEX_W):
                chars.append("ư")
            evidence = True
        elif ch == "d" and chars and chars[-1] == "d":
            chars[-1] = _STROKE[ch]
            evidence = True
        elif ch in _CIRCUMFLEX and chars and chars[-1] == ch:
            chars[-1] = _CIRCUMFLEX[ch]
            evidence = evidence or doubled_vowel_is_evidence
        elif "a" <= ch <= "z":
            chars.append(ch)
        else:
            return None
    return ("".join(chars), tone) if evidence else None


def _read_marks(token: str) -> tuple[Syllable | None, TokenFlag]:
    """Parse a token spelled with Unicode marks; flag a non-canonical tone position."""
    split = split_tones(token)
    if split is None:
        return None, TokenFlag.NONE
    base, marks = split
    tones = {tone for _, tone in marks}
    if len(tones) > 1:
        return None, TokenFlag.NONE
    tone = tones.pop() if tones else 0
    syllable = _repair_horn(base, tone)
    if syllable is None:
        return None, TokenFlag.NONE
    flags = TokenFlag.NONE
    if syllable.onset + syllable.rhyme != base:
        flags |= TokenFlag.REPAIRED_VOWEL
    if marks:
        written = [pos for pos, _ in marks]
        if written == [tone_position(syllable, old_style=False)] and written != [
            tone_position(syllable)
        ]:
            flags |= TokenFlag.OTHER_TONE_STYLE
        elif written != [tone_position(syllable)]:
            flags |= TokenFlag.REPAIRED_VOWEL
    return syllable, flags


def _read_keystrokes(token: str, telex_name: bool) -> tuple[Syllable | None, TokenFlag]:
    """Parse a token with VNI digits or Telex letters left in it."""
    if any(ch.isdigit() for ch in token):
        read, flag = _read_vni(token), TokenFlag.REPAIRED_VNI
    else:
        read, flag = _read_telex(token, telex_name), TokenFlag.REPAIRED_TELEX
    if read is None:
        return None, TokenFlag.NONE
    syllable = _repair_horn(*read)
    return syllable, flag if syllable is not None else TokenFlag.NONE


def capitalise(token: str) -> str:
    """Title-case a lowercase token, also after ' and - (H'Hen); never lengthens it."""

    def upper(m: re.Match[str]) -> str:
        ch = m.group(2).upper()
        return m.group(1) + (ch if len(ch) == 1 else m.group(2))

    return _WORD_START.sub(upper, token)


def fold(text: str) -> str:
    """ASCII key of a token: lowercase, no marks, đ→d; never whitespace (中文 → zhongwen)."""
    return "".join(unidecode(text.lower().replace("đ", "d")).lower().split())


def normalise_token(token: str, *, telex_name: bool = False) -> NormalisedToken:
    """Canonical spelling of one lowercase NFC token without whitespace, in Title Case.

    A valid syllable keeps its letters and gets the canonical tone position. An
    invalid one is repaired (half-horned ươ, VNI digits, Telex letters) only
    when the repair gives a valid syllable; otherwise it is kept as it is
    (foreign and minority-language names pass through untouched).
    `telex_name`: another token of the name was repaired from Telex, so a
    doubled vowel is Telex too (Haan → Hân, not only Haanf → Hần).
    """
    syllable, flags = _read_marks(token)
    if syllable is None or (telex_name and _DOUBLED_VOWEL.search(token)):
        # In a Telex-typed name, "Coong" is Công: the rare rhyme -oong (xoong) is no name.
        keyed, keyed_flags = _read_keystrokes(token, telex_name)
        if keyed is not None:
            syllable, flags = keyed, keyed_flags
    canonical = capitalise(spell(syllable) if syllable is not None else token)
    return NormalisedToken(canonical, fold(canonical), flags)
