"""Bytes -> text for fetched pages and files.

Vietnamese pages arrive in UTF-8 (mostly), windows-1258 (older portals; it
stores tones as combining marks, so the text must be NFC-normalized before any
matching), UTF-8 mis-declared as a Western codepage, and occasionally in the
legacy font encodings TCVN3 (ABC) and VNI, where Vietnamese letters are spelled
with Latin-1 characters that only look right in a special font. Decoding never
raises: a page we cannot decode perfectly still yields text plus a note.
"""

from __future__ import annotations

import codecs
import contextlib
import re
import unicodedata
from dataclasses import dataclass

BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

# Only the head of a page is searched for <meta charset>, as browsers do.
META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9_.:\-]+)""", re.IGNORECASE
)
META_SCAN_BYTES = 4096

# Labels pages use that Python spells differently, or that browsers treat as a
# superset (WHATWG: latin-1 and ascii mean windows-1252).
LABEL_ALIASES = {
    "iso-8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "windows-1258": "cp1258",
    "x-user-defined": "cp1252",
    "unicode": "utf-8",
    "utf8": "utf-8",
}

# TCVN3 (ABC, TCVN 5712:1993 VN3): each lowercase Vietnamese letter is one byte
# in 0xA1-0xFE. Upper-case letters used a separate "H" font with the same bytes,
# so the conversion yields lower case for them: the words are right, the case of
# a few capitals is not (recorded in meta).
_TCVN3_SRC = "µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞßãáâä«åèæçé¬êíëìîïóñòô\xadõøö÷ùúýûüþ¡¢§£¤¥¦"
_TCVN3_DST = "àáảãạăằắẳẵặâầấẩẫậđèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵĂÂĐÊÔƠƯ"
TCVN3_TABLE = str.maketrans(_TCVN3_SRC, _TCVN3_DST)

# Words that are everywhere in Vietnamese prose, as TCVN3 spells them
# (và, các, của, năm, đảng, được, người, với, đồng, một).
_TCVN3_WORDS = re.compile(r"(?<!\w)(?:vµ|c¸c|cña|n¨m|®¶ng|®\xadîc|ng\xadêi|víi|®ång|mét)(?!\w)")
# The same words as VNI-Windows spells them (base letter + a tone byte).
_VNI_WORDS = re.compile(
    r"(?<!\w)(?:vaø|caùc|cuûa|naêm|ñaûng|Ñaûng|ñöôïc|ngöôøi|vôùi|ñoàng|moät)(?!\w)"
)
_VIET_LETTERS = re.compile(r"[ăâđêôơưĂÂĐÊÔƠƯạ-ỹẠ-Ỹ]")


@dataclass(frozen=True)
class Decoded:
    text: str  # NFC
    encoding: str  # codec actually used
    method: str  # bom | http | meta | utf-8 | detected | fallback
    legacy_encoding: str | None = None  # "tcvn3" or "vni" when the text uses a font encoding
    legacy_converted: bool = False
    note: str | None = None  # e.g. declared charset overridden, bytes replaced


def _codec(label: str | None) -> str | None:
    """A Python codec name for a declared label, or None when unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    label = LABEL_ALIASES.get(label, label)
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def meta_charset(data: bytes) -> str | None:
    m = META_CHARSET.search(data[:META_SCAN_BYTES])
    return m.group(1).decode("ascii", "replace") if m else None


# Characters legacy-encoded Vietnamese is full of and real text rarely uses;
# a cheap scan for them decides whether the word patterns need to run at all.
_LEGACY_HINT = re.compile("[®¸µ¶¨ñøùûïõ]")


def detect_legacy(text: str) -> str | None:
    """'tcvn3' or 'vni' when the text spells Vietnamese in a legacy font encoding."""
    sample = text[:200_000]
    if len(_LEGACY_HINT.findall(sample[:50_000])) < 5:
        return None
    tcvn = len(_TCVN3_WORDS.findall(sample))
    vni = len(_VNI_WORDS.findall(sample))
    if max(tcvn, vni) < 3:
        return None
    # Real Unicode Vietnamese next to them means quoted oddities, not a legacy page.
    real = len(_VIET_LETTERS.findall(sample))
    if real > 4 * max(tcvn, vni):
        return None
    return "tcvn3" if tcvn >= vni else "vni"


def tcvn3_to_unicode(text: str) -> str:
    return unicodedata.normalize("NFC", text.translate(TCVN3_TABLE))


_SEGMENTS = re.compile(r"(<[^>]*>|\n)")
_TCVN3_ONLY = frozenset("µ¸¶·¹¨»¾¼½Æ©ÇÊÈÉË®ÌÐÎÏÑªÒÕÓÔÖ×ÝØÜÞ«¬\xad¡¢§£¤¥¦")


def convert_tcvn3_segments(text: str) -> str:
    """TCVN3 -> Unicode, one text segment (between tags or line breaks) at a time.

    Pages often mix a Unicode menu with a body typed in TCVN3. A segment is
    converted only when every character is in the Latin-1 range (Unicode
    Vietnamese almost always has ư, ơ, đ or a letter with a tone outside it)
    and it holds a character TCVN3 text is full of; the rest is left alone, so
    real Unicode and markup survive the conversion untouched.
    """
    parts = _SEGMENTS.split(text)
    for i in range(0, len(parts), 2):
        seg = parts[i]
        if seg and max(seg) <= "\xff" and not _TCVN3_ONLY.isdisjoint(seg):
            parts[i] = seg.translate(TCVN3_TABLE)
    return unicodedata.normalize("NFC", "".join(parts))


def _finish(text: str, encoding: str, method: str, note: str | None = None) -> Decoded:
    text = unicodedata.normalize("NFC", text)
    legacy = detect_legacy(text) if not text.isascii() else None
    converted = False
    if legacy == "tcvn3":
        # TCVN3 bytes are Latin-1 characters; a page decoded with windows-1258
        # must be re-read through windows-1252 before mapping.
        if encoding == "cp1258":
            with contextlib.suppress(UnicodeError, ValueError):
                text = unicodedata.normalize("NFD", text).encode("cp1258").decode("cp1252")
        text = convert_tcvn3_segments(text)
        converted = True
    return Decoded(text, encoding, method, legacy, converted, note)


def decode_bytes(data: bytes, declared: str | None = None, *, html: bool = True) -> Decoded:
    """Decode `data`: BOM, then the transport's charset, then <meta charset>, then detection.

    A declaration is not trusted blindly: bytes that are valid multi-byte UTF-8
    are UTF-8 whatever the page claims (a common CMS misconfiguration), and a
    page declared UTF-8 that is not valid UTF-8 is detected instead.
    """
    if not data:
        return Decoded("", "utf-8", "utf-8")
    for bom, name in BOMS:
        if data.startswith(bom):
            return _finish(data[len(bom) :].decode(name, "replace"), name, "bom")
    try:
        text = data.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        utf8_ok = False
    http_codec = _codec(declared)
    meta_label = meta_charset(data) if html else None
    meta_codec = _codec(meta_label)
    if utf8_ok:
        claimed = http_codec or meta_codec
        note = None
        if (
            claimed
            and claimed not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be")
            and not data.isascii()
        ):
            note = f"declared {claimed} but the bytes are valid UTF-8"
        return _finish(text, "utf-8", "utf-8", note)
    for codec_name, method in ((http_codec, "http"), (meta_codec, "meta")):
        if codec_name and codec_name != "utf-8" and not codec_name.startswith("utf-16"):
            try:
                return _finish(data.decode(codec_name), codec_name, method)
            except UnicodeDecodeError:
                continue
    return _detect(data, http_codec or meta_codec)


def _detect(data: bytes, claimed: str | None) -> Decoded:
    note = f"declared {claimed} does not decode these bytes" if claimed else None
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(data[:1_000_000]).best()
    except Exception:  # detection is a best effort; never fail the page on it
        best = None
    if best is not None and best.encoding:
        name = _codec(best.encoding) or "utf-8"
        # Vietnamese text in a Western guess is nearly always windows-1258.
        if name in ("cp1252", "latin_1", "iso8859-15") and _looks_1258(data):
            name = "cp1258"
        return _finish(data.decode(name, "replace"), name, "detected", note)
    text = data.decode("utf-8", "replace")
    return _finish(
        text, "utf-8", "fallback", (note + "; " if note else "") + "undecodable bytes replaced"
    )


def _looks_1258(data: bytes) -> bool:
    """windows-1258 tone marks (0xCC, 0xEC, 0xD2, 0xDE, 0xF2) following vowels."""
    return (
        len(re.findall(rb"[aeiouyAEIOUY\xe2\xea\xf4\xe3\xf5\xfd][\xcc\xec\xd2\xde\xf2]", data)) >= 3
    )


def decode_text(data: bytes, declared: str | None = None) -> Decoded:
    """Plain-text files: same rules, no <meta> scan."""
    return decode_bytes(data, declared, html=False)
