"""Page metadata: meta tags, JSON-LD, visible stamps, <title> suffixes."""

from __future__ import annotations

import pytest

from vnreport.records import RawDoc
from vnreport.transforms.clean import clean_document
from vnreport.transforms.clean_rules import parse_date, stamp_date

BODY = (
    "<p>Ngày 12/01/2024, Đảng bộ Khối tổ chức hội nghị tổng kết công tác năm 2023, "
    "kết nạp 52 đảng viên mới, đạt 115,6% kế hoạch năm, tổng số đảng viên là 868.</p>"
    "<p>Các doanh nghiệp trong Khối đạt doanh thu 10.864 tỷ đồng, nộp ngân sách 936,2 tỷ đồng, "
    "thu nhập bình quân 8,7 triệu đồng/người/tháng.</p>"
)


def page(head: str = "", before: str = "", uri: str = "https://tinhuy.example.vn/a/b.html"):
    html = (
        f"<html><head>{head}</head><body>{before}<div class='noi-dung'>{BODY}</div></body></html>"
    )
    data = html.encode("utf-8")
    return clean_document(RawDoc("p", "s", uri, "html", data, "h"))


def test_open_graph_and_article_meta() -> None:
    doc = page(
        '<meta property="og:title" content="Tổng kết năm 2023">'
        '<meta property="og:site_name" content="Tỉnh ủy Hà Nam">'
        '<meta property="article:published_time" content="2024-01-13T07:00:00+07:00">'
        '<meta name="author" content="Thu Trang">'
    )
    assert (doc.title, doc.site, doc.published_date, doc.author) == (
        "Tổng kết năm 2023",
        "Tỉnh ủy Hà Nam",
        "2024-01-13",
        "Thu Trang",
    )
    assert doc.meta["date_source"] == "meta:article:published_time"


def test_json_ld_graph() -> None:
    ld = (
        '<script type="application/ld+json">{"@graph":[{"@type":"WebPage"},'
        '{"@type":"NewsArticle","headline":"Đảng bộ Khối tổng kết năm","datePublished":"2024-01-14",'
        '"author":[{"@type":"Person","name":"Minh Anh"}],"publisher":{"name":"Báo Hà Nam"}}]}</script>'
    )
    doc = page(ld)
    assert doc.published_date == "2024-01-14"
    assert doc.author == "Minh Anh"
    assert doc.site == "Báo Hà Nam"
    assert doc.title == "Đảng bộ Khối tổng kết năm"


def test_broken_json_ld_is_ignored() -> None:
    doc = page('<script type="application/ld+json">{"datePublished": </script><title>Tin A</title>')
    assert doc.title == "Tin A"
    assert doc.published_date is None


@pytest.mark.parametrize(
    "stamp,expected",
    [
        ("Ngày đăng 10/03/2023 | 14:49 | Lượt xem: 1428", "2023-03-10"),
        ("Cập nhật lúc 08:15, Thứ Ba, 14/05/2024", "2024-05-14"),
        ("Thứ năm, 09/03/2023 - 15:20 (GMT+7)", "2023-03-09"),
        ("Đăng ngày: 2024-07-12 09:30", "2024-07-12"),
        # a stamp sharing its line with the print and share links
        ("12/02/2024 10:05 Lượt xem: 2.310 In bài", "2024-02-12"),
        ("12/02/2024 10:05 | Chia sẻ | In bài viết | Gửi email", "2024-02-12"),
    ],
)
def test_visible_stamps(stamp: str, expected: str) -> None:
    assert stamp_date(stamp) == expected
    doc = page(before=f"<h1>Tổng kết công tác năm 2023</h1><div class='time'>{stamp}</div>")
    assert doc.published_date == expected
    assert stamp not in doc.text


def test_sentences_with_dates_are_not_stamps() -> None:
    assert stamp_date("Ngày 12/01/2024, Đảng bộ Khối tổ chức hội nghị tổng kết") is None
    assert stamp_date("12/01/2024 Chi bộ in bài và gửi email cho đảng viên") is None


def test_meta_date_beats_a_page_header_date() -> None:
    doc = page(
        '<meta property="article:published_time" content="2023-12-28T08:00:00+07:00">',
        before="<div class='topbar'>Thứ Bảy, 21/11/2026</div>",
    )
    assert doc.published_date == "2023-12-28"


def test_labelled_date_outside_the_body() -> None:
    doc = page(before="<div class='info'><span>Ngày đăng:</span> <b>05/01/2024</b></div>")
    assert doc.published_date == "2024-01-05"


def test_title_suffix_is_the_site_name() -> None:
    doc = page("<title>Đảng bộ Khối tổng kết năm 2023 - Cổng TTĐT huyện Kim Bảng</title>")
    assert doc.title == "Đảng bộ Khối tổng kết năm 2023"
    assert doc.site == "Cổng TTĐT huyện Kim Bảng"


def test_host_is_the_site_of_last_resort() -> None:
    assert page().site == "tinhuy.example.vn"


def test_parse_date_forms() -> None:
    assert parse_date("ngày 5 tháng 3 năm 2024") == "2024-03-05"
    assert parse_date("2024-03-05T10:00:00Z") == "2024-03-05"
    assert parse_date("5/3/2024") == "2024-03-05"
    assert parse_date("March 5, 2024") == "2024-03-05"
    assert parse_date("32/13/2024") is None
    assert parse_date("không có ngày") is None


def test_title_that_is_only_the_site_name_yields_to_the_headline() -> None:
    doc = page(
        '<meta property="og:site_name" content="Cổng TTĐT tỉnh Hà Nam"><title>Cổng TTĐT tỉnh Hà Nam</title>',
        before="<h1>Đảng bộ Khối tổng kết năm 2023</h1>",
    )
    assert doc.title == "Đảng bộ Khối tổng kết năm 2023"
    assert doc.text.startswith("Đảng bộ Khối tổng kết năm 2023\n\n")
