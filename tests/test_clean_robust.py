"""Cleaning never raises on what a page contains; empty results say why."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vnreport.records import RawDoc, content_hash
from vnreport.transforms.clean import clean_document

PROSE = (
    "Năm 2023, Đảng bộ Khối kết nạp 52 đảng viên mới, đạt 115,6% kế hoạch; tổng doanh thu "
    "của các doanh nghiệp ước đạt 10.864 tỷ đồng, nộp ngân sách 936,2 tỷ đồng."
)


def html_doc(data: bytes | str, doc_id: str = "p") -> RawDoc:
    if isinstance(data, str):
        data = data.encode("utf-8")
    return RawDoc(doc_id, "test", f"{doc_id}.html", "html", data, content_hash(data))


def test_unclosed_and_misnested_markup() -> None:
    html = (
        "<html><body><div class='content'><p>"
        + PROSE
        + "<p><b><i>"
        + PROSE.replace("52", "53")
        + "</b></i><table><tr><td>Doanh thu<td>10.864 tỷ đồng<tr><td>Nộp ngân sách<td>936,2"
        + "</div></span></p><script>var x = 'Lượt xem 999'"
    )
    doc = clean_document(html_doc(html))
    assert "52 đảng viên mới" in doc.text and "53 đảng viên mới" in doc.text
    assert "Doanh thu | 10.864 tỷ đồng" in doc.text
    assert "999" not in doc.text


@pytest.mark.timeout(120)
def test_deep_nesting_100k() -> None:
    html = "<html><body>" + "<div>" * 100_000 + "<p>" + PROSE + "</p>" + "</div>" * 100_000
    doc = clean_document(html_doc(html))
    assert "52 đảng viên mới" in doc.text


@pytest.mark.timeout(120)
def test_fifty_megabyte_page() -> None:
    filler = "<script>" + "x" * 1000 + "</script>\n"
    junk = "<div class='ad'><a href='/x'>Quảng cáo 123</a></div>\n"
    body = f"<div class='article'><h1>Tổng kết năm 2023</h1><p>{PROSE}</p><p>{PROSE}</p></div>"
    html = "<html><body>" + body + filler * 30_000 + junk * 450_000 + "</body></html>"
    assert len(html) > 50_000_000
    doc = clean_document(html_doc(html))
    assert "52 đảng viên mới" in doc.text
    assert doc.meta.get("truncated_markup_at")


def test_binary_bytes_named_html() -> None:
    data = bytes(range(256)) * 64
    doc = clean_document(html_doc(data))
    assert doc.text == ""
    assert "binary" in doc.reason


def test_empty_file() -> None:
    doc = clean_document(html_doc(b""))
    assert doc.text == "" and doc.reason == "empty document"


def test_furniture_only_page() -> None:
    html = (
        "<html><body><nav><ul><li><a href='/'>Trang chủ</a></li><li><a href='/t'>Tin tức</a></li></ul>"
        "</nav><div class='counter'>Truy cập: 4.810.612</div><footer>Điện thoại: 0225.3852.741"
        "</footer></body></html>"
    )
    doc = clean_document(html_doc(html))
    assert doc.text == ""
    assert "furniture" in doc.reason


def test_scripts_styles_and_event_handlers_never_become_text() -> None:
    html = (
        "<html><head><style>p{color:red}</style></head><body onload='track(1234)'>"
        "<div><p onclick=\"alert('5678')\">" + PROSE + "</p><p>" + PROSE + "</p>"
        "<SCRIPT>document.write('9012')</SCRIPT><noscript>3456 ảnh</noscript>"
        "<template><p>7890</p></template><!-- bình luận 2468 --></div></body></html>"
    )
    doc = clean_document(html_doc(html))
    for secret in ("1234", "5678", "9012", "3456", "7890", "2468", "color:red", "alert"):
        assert secret not in doc.text
    assert "52 đảng viên mới" in doc.text


def test_only_a_doctype_or_garbage_tags() -> None:
    for html in ("<!DOCTYPE html>", "<<<>>>", "</div></div>", "<html><body></body></html>"):
        doc = clean_document(html_doc(html))
        assert doc.text == "" and doc.reason, html


_PIECES = st.sampled_from(
    [
        "<div>",
        "</div>",
        "<p>",
        "</p>",
        "<table>",
        "<tr>",
        "<td>",
        "</td>",
        "<a href='x'>",
        "</a>",
        "<br>",
        "<script>",
        "</script>",
        "<!--",
        "-->",
        "<nav class='menu'>",
        "</nav>",
        "<h1>",
        "</h1>",
        "Truy cập: 457",
        "Lượt xem: 12",
        "Tin liên quan",
        "&nbsp;",
        "&#x0;",
        "\x00",
        "\ufffd",
        PROSE,
        "Ngày đăng 10/03/2023 | 14:49",
        "<",
        ">",
        "'",
        '"',
        "\n",
    ]
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_PIECES, max_size=80), st.sampled_from(["html", "text"]))
def test_random_markup_never_raises(pieces: list[str], kind: str) -> None:
    data = ("\n" if kind == "text" else "").join(pieces).encode("utf-8", "surrogatepass")
    raw = RawDoc("r", "test", "r." + ("html" if kind == "html" else "txt"), kind, data, "h")
    doc = clean_document(raw)
    assert isinstance(doc.text, str)
    assert unicodedata.is_normalized("NFC", doc.text)
    assert doc.text or doc.reason
    if kind == "html":
        assert "<script>" not in doc.text


def test_kind_is_sniffed_from_the_content() -> None:
    text = "Chi bộ Công ty tổng kết năm 2023\n\n" + PROSE + "\n\nLượt xem: 55\n"
    doc = clean_document(html_doc(text))  # named .html, holds plain text
    assert doc.meta["kind_sniffed"] == "text"
    assert doc.title == "Chi bộ Công ty tổng kết năm 2023"
    assert "Lượt xem" not in doc.text
    page = f"<!DOCTYPE html><html><head><title>Chi bộ tổng kết</title></head><body><p>{PROSE}</p>"
    data = page.encode("utf-8")
    doc = clean_document(RawDoc("t", "test", "t.txt", "text", data, content_hash(data)))
    assert doc.meta["kind_sniffed"] == "html"
    assert doc.text == "Chi bộ tổng kết\n\n" + PROSE


def test_invisible_characters_do_not_split_numbers_or_words() -> None:
    html = f"<div><p>Tổng số 1.\u200b840 đảng vi\u00adên\ufeff; {PROSE}</p><p>{PROSE}</p></div>"
    doc = clean_document(html_doc(html))
    assert "Tổng số 1.840 đảng viên;" in doc.text
    text = "Chi bộ tổng kết năm 2023\n\nNăm 2023 kết nạp 1\u200b2 đảng viên mới.\n"
    data = text.encode("utf-8")
    doc = clean_document(RawDoc("t", "test", "t.txt", "text", data, content_hash(data)))
    assert "kết nạp 12 đảng viên mới" in doc.text


@pytest.mark.timeout(10)
def test_a_line_of_separators_is_cleaned_quickly() -> None:
    """Found by atheris: bytes that decode to a run of '·' then a non-widget character made
    the widget-sequence pattern backtrack for minutes."""
    data = b"\x88" * 42 + b"\xff\xfe"
    doc = clean_document(html_doc(data))
    assert "cleaning failed" not in (doc.reason or "")
    for n in (40, 400):
        line = ("· " * n + "x").encode()
        assert clean_document(html_doc(b"<p>" + line + b"</p>")) is not None
