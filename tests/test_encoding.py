"""Bytes -> text: declarations, BOMs, detection, NFC and legacy font encodings."""

from __future__ import annotations

import codecs
import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from vnreport.records import RawDoc, content_hash
from vnreport.transforms.clean import clean_document
from vnreport.transforms.encoding import (
    decode_bytes,
    decode_text,
    detect_legacy,
    tcvn3_to_unicode,
)

VI = (
    "Năm 2023, Đảng ủy Khối Doanh nghiệp tỉnh kết nạp 69/48 đảng viên mới, đạt 143,8% kế hoạch; "
    "tổng doanh thu ước đạt 9.605,38 tỷ đồng, thu nhập bình quân 8,12 triệu đồng/người/tháng. "
    "Các chi bộ trực thuộc đã tổ chức học tập, quán triệt nghị quyết của cấp ủy cấp trên."
)
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def to_cp1258(text: str) -> bytes:
    """windows-1258 as Vietnamese software writes it: base letter, then a tone mark."""
    out = []
    for ch in text:
        try:
            out.append(ch.encode("cp1258"))
            continue
        except UnicodeEncodeError:
            pass
        parts = unicodedata.normalize("NFD", ch)
        base = unicodedata.normalize("NFC", "".join(c for c in parts if c not in _TONES))
        tones = "".join(c for c in parts if c in _TONES)
        out.append(base.encode("cp1258") + tones.encode("cp1258"))
    return b"".join(out)


def test_utf8_plain() -> None:
    dec = decode_bytes(VI.encode("utf-8"))
    assert dec.text == VI
    assert dec.encoding == "utf-8"


def test_windows_1258_declared_by_http_header_is_nfc() -> None:
    data = to_cp1258(VI)
    assert b"\xcc" in data or b"\xd2" in data or b"\xec" in data  # tones really are separate
    dec = decode_bytes(data, "windows-1258", html=False)
    assert dec.method == "http"
    assert dec.text == VI
    assert unicodedata.is_normalized("NFC", dec.text)


def test_windows_1258_declared_by_meta_charset() -> None:
    page = b'<html><head><meta charset="windows-1258"></head><body><p>' + to_cp1258(VI) + b"</p>"
    dec = decode_bytes(page)
    assert dec.method == "meta"
    assert VI in dec.text


def test_windows_1258_undeclared_is_detected() -> None:
    dec = decode_text(to_cp1258(VI * 3))
    assert dec.method == "detected"
    assert dec.encoding == "cp1258"
    assert dec.text.startswith(VI)


def test_misdeclared_utf8_is_read_as_utf8() -> None:
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=iso-8859-1"><p>'
    page += VI.encode("utf-8") + b"</p>"
    dec = decode_bytes(page, "ISO-8859-1")
    assert VI in dec.text
    assert "Ä" not in dec.text and "áº" not in dec.text
    assert "valid UTF-8" in (dec.note or "")


def test_utf8_declared_but_not_utf8_falls_back_to_detection() -> None:
    dec = decode_bytes(to_cp1258(VI * 3), "utf-8", html=False)
    assert dec.text.startswith(VI)


def test_boms() -> None:
    assert decode_bytes(codecs.BOM_UTF8 + VI.encode()).text == VI
    assert decode_bytes(codecs.BOM_UTF16_LE + VI.encode("utf-16-le")).text == VI
    assert decode_bytes(codecs.BOM_UTF16_BE + VI.encode("utf-16-be")).text == VI
    dec = decode_bytes(codecs.BOM_UTF8 + VI.encode(), "windows-1252")
    assert dec.method == "bom" and dec.text == VI


def test_nfd_input_becomes_nfc() -> None:
    nfd = unicodedata.normalize("NFD", VI)
    assert nfd != VI
    assert decode_bytes(nfd.encode("utf-8")).text == VI


def test_tcvn3_is_detected_and_converted() -> None:
    tcvn = (
        "N¨m 2023, §¶ng ñy Khèi Doanh nghiÖp tØnh kÕt n¹p 69 ®¶ng viªn míi. "
        "C¸c chi bé trùc thuéc vµ c¸c doanh nghiÖp cña Khèi ®\xadîc biÓu d\xad¬ng; "
        "thu nhËp b×nh qu©n cña ng\xadêi lao ®éng ®¹t 8,12 triÖu ®ång/ng\xadêi/th¸ng."
    )
    assert detect_legacy(tcvn) == "tcvn3"
    out = tcvn3_to_unicode(tcvn)
    assert "Năm 2023, Đảng ủy Khối Doanh nghiệp tỉnh kết nạp 69 đảng viên mới" in out
    assert "người lao động đạt 8,12 triệu đồng/người/tháng" in out
    # as bytes in a page decoded with a Western codepage
    dec = decode_bytes(tcvn.encode("cp1252"), "windows-1252", html=False)
    assert dec.legacy_encoding == "tcvn3" and dec.legacy_converted
    assert "Đảng ủy Khối" in dec.text


def test_vni_is_detected_not_converted() -> None:
    vni = (
        "Naêm 2023, Ñaûng uûy Khoái keát naïp 69 ñaûng vieân môùi. Caùc chi boä vaø "
        "caùc doanh nghieäp cuûa Khoái ñöôïc bieåu döông; ngöôøi lao ñoäng coù thu nhaäp oån ñònh."
    )
    assert detect_legacy(vni) == "vni"
    raw = RawDoc("vni", "t", "vni.txt", "text", vni.encode("cp1252"), "h", charset="windows-1252")
    doc = clean_document(raw)
    assert doc.meta["legacy_encoding"] == "vni"
    assert doc.meta["legacy_converted"] is False


def test_real_vietnamese_is_not_taken_for_legacy() -> None:
    assert detect_legacy(VI * 5) is None
    assert detect_legacy("Señor Muñoz vive en España, año 2023; über Größe") is None


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from([None, "utf-8", "windows-1258", "bogus", ""]))
def test_decoding_never_raises(data: bytes, declared: str | None) -> None:
    dec = decode_bytes(data, declared)
    assert isinstance(dec.text, str)
    assert unicodedata.is_normalized("NFC", dec.text)


def test_clean_document_honours_rawdoc_charset() -> None:
    data = to_cp1258("Tiêu đề bài viết\n\n" + VI)
    raw = RawDoc("x", "t", "x.txt", "text", data, content_hash(data), charset="windows-1258")
    doc = clean_document(raw)
    assert doc.meta["encoding"] == "cp1258"
    assert VI in doc.text


def test_tcvn3_body_in_a_unicode_page_converts_only_the_body() -> None:
    body = (
        "N¨m 2023, §¶ng ñy Khèi kÕt n¹p 69 ®¶ng viªn míi. C¸c chi bé vµ c¸c doanh nghiÖp "
        "cña Khèi ®\xadîc biÓu d\xad¬ng; ng\xadêi lao ®éng cã viÖc lµm æn ®Þnh."
    )
    page = (
        "<html><body><ul class='menu'><li>Trang chủ</li><li>Tin tức - Sự kiện</li>"
        "<li>Café sáng</li></ul><div class='content'><p>" + body + "</p><p>" + body + "</p>"
        "</div></body></html>"
    )
    dec = decode_bytes(page.encode("utf-8"))
    assert dec.legacy_encoding == "tcvn3"
    assert "Năm 2023, Đảng ủy Khối kết nạp 69 đảng viên mới" in dec.text
    assert "Trang chủ" in dec.text and "Tin tức - Sự kiện" in dec.text
    assert "Café sáng" in dec.text  # Latin-1 letters without TCVN3 signs stay as they are
    assert "class='menu'" in dec.text
