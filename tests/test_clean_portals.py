"""Portal pages (written for these tests) through the generic cleaner, no profile.

Each page carries numeric furniture that must not reach the text (view counters,
related-article headlines with their own numbers, footers with phone numbers
and visitor totals, scripts and event handlers) and body numbers, some in a
data table, that must.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from vnreport.records import RawDoc, content_hash
from vnreport.transforms.clean import clean_document

PORTALS = Path(__file__).parent / "fixtures" / "portals"


def clean(name: str, profile: dict | None = None):
    data = (PORTALS / name).read_bytes()
    raw = RawDoc(
        doc_id=Path(name).stem,
        source="test",
        uri=f"https://example.vn/{name}",
        kind="html",
        content=data,
        content_hash=content_hash(data),
    )
    return clean_document(raw, profile)


CASES = {
    "liferay_quan.html": {
        "title": "Đảng bộ Khối Doanh nghiệp quận Bình Lâm tổng kết công tác năm 2023",
        "date": "2024-01-09",
        "site": "Cổng thông tin điện tử quận Bình Lâm",
        "keep": [
            "Chiều ngày 05/01/2024",
            "58 chi bộ trực thuộc với 1.217 đảng viên",
            "6.482,5 tỷ đồng",
            "kết nạp 61/50 đảng viên mới, đạt 122% kế hoạch",
            "Chỉ tiêu | Kế hoạch | Thực hiện",
            "Kết nạp đảng viên mới | 50 | 61",
            "Thành lập mới chi bộ | 03 | 04",
            "Cuộc kiểm tra, giám sát | 12 | 15",
        ],
        "drop": [
            "57 đảng viên mới",  # related-article headline
            "4.905",
            "Lượt xem",
            "1.536",
            "4.810.612",
            "3.457",
            "Đang online",
            "0225.3852.741",
            "Trang chủ",
            "Thủ tục hành chính",
            "Facebook",
            "In bài",
            "99887766",  # script variable
            "5.555.555",  # document.write in a script
            "window.open",
            "Điều hướng",
            "21/11/2026",  # the header's today's date
        ],
    },
    "wordpress_dangbo.html": {
        "title": "Đảng ủy Khối Doanh nghiệp tỉnh sơ kết 6 tháng đầu năm 2024",
        "date": "2024-07-12",
        "site": "Đảng bộ Khối Doanh nghiệp tỉnh Hà Giang Xanh",
        "keep": [
            "47 tổ chức cơ sở đảng, gồm 29 đảng bộ cơ sở và 18 chi bộ cơ sở",
            "3.905 đảng viên",
            "kết nạp 83 đảng viên mới, đạt 55,3% kế hoạch năm",
            "12.740 tỷ đồng",
            "Công ty Điện lực tỉnh | 3.215,4 | 412",
            "Công ty Cấp nước tỉnh | 286,9 | 97",
            "kiểm tra 6 tổ chức đảng",
            "Nguồn: Ban Tuyên giáo Đảng ủy Khối",
        ],
        "drop": [
            "57 đảng viên mới",
            "120 đảng viên",
            "6.900 tỷ",
            "35 tập thể",
            "Lượt xem",
            "2.341",
            "9.999",
            "2.086.287",
            "3.309",
            "0219.3866.123",
            "100 đảng viên",  # reader comment
            "Chia sẻ",
            "Ảnh: Thu Hà",  # image caption
            "Chuyển đến nội dung",
        ],
    },
    "newspaper.html": {
        "title": "Đảng bộ các Khu công nghiệp tỉnh: Kết nạp 32 đảng viên, vượt kế hoạch năm",
        "date": "2023-12-28",
        "site": "Báo Sông Lam điện tử",
        "keep": [
            "(BSL) - Chiều 27/12",  # the lead, printed as <h2 class="detail-sapo">
            "25 chi bộ trực thuộc với 431 đảng viên",
            "32/30 đảng viên mới, đạt 106,7% kế hoạch",
            "73.000 lao động",
            "8,05 triệu đồng/người/tháng",
            "12 tập thể và 19 cá nhân",
        ],
        "drop": [
            "57 đảng viên mới",
            "1,2 tỷ USD",
            "8,7%",
            "86 đảng viên",
            "2.468",
            "lượt xem",
            "0238.3844.555",
            "0238.3844.556",
            "123/GP-BTTTT",
            "100 ảnh",  # noscript
            "777",  # template
            "200 ký tự",  # comment form
            "Gửi ý kiến",
            "Từ khóa",
            "shareFb",
            "Quảng cáo",
        ],
    },
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_portal_page_keeps_body_and_drops_furniture(name: str) -> None:
    case = CASES[name]
    doc = clean(name)
    assert doc.reason is None
    assert doc.title == case["title"]
    assert doc.text.split("\n", 1)[0] == case["title"], "headline is the first line"
    assert doc.published_date == case["date"]
    assert doc.site == case["site"]
    for needle in case["keep"]:
        assert needle in doc.text, f"{name}: lost body text {needle!r}"
    for needle in case["drop"]:
        assert needle not in doc.text, f"{name}: furniture {needle!r} survived"


@pytest.mark.parametrize("name", sorted(CASES))
def test_paragraphs_are_separated_by_blank_lines_and_rows_by_newlines(name: str) -> None:
    text = clean(name).text
    assert "\n\n\n" not in text
    assert text == text.strip()
    for line in text.split("\n"):
        assert line == line.strip() and "  " not in line


def test_table_rows_are_consecutive_lines() -> None:
    text = clean("liferay_quan.html").text
    assert (
        "Chỉ tiêu | Kế hoạch | Thực hiện\nKết nạp đảng viên mới | 50 | 61\n"
        "Thành lập mới chi bộ | 03 | 04\nCuộc kiểm tra, giám sát | 12 | 15"
    ) in text


def test_lead_comes_before_body() -> None:
    text = clean("newspaper.html").text
    assert text.index("(BSL) - Chiều 27/12") < text.index("25 chi bộ trực thuộc")


def test_profile_overrides_generic_path() -> None:
    profile = {
        "content": "div.entry-content",
        "title": "h1.entry-title",
        "date": "time.entry-date",
        "drop": ["div.sharedaddy", "div.jp-relatedposts", "figure.wp-block-image"],
    }
    doc = clean("wordpress_dangbo.html", profile)
    assert doc.meta["candidate"] == "profile:div.entry-content"
    assert doc.title == "Đảng ủy Khối Doanh nghiệp tỉnh sơ kết 6 tháng đầu năm 2024"
    assert doc.published_date == "2024-07-12"
    assert "Công ty Điện lực tỉnh | 3.215,4 | 412" in doc.text
    assert "57 đảng viên mới" not in doc.text
    assert "Chia sẻ" not in doc.text


def test_profile_that_matches_nothing_falls_back_to_generic() -> None:
    doc = clean("newspaper.html", {"content": "div.no-such-thing"})
    assert "32/30 đảng viên mới" in doc.text
    assert "no-such-thing" in doc.meta["profile_miss"]


def test_bad_profile_selector_is_reported_not_raised() -> None:
    doc = clean("newspaper.html", {"content": "div[[[", "drop": ["::::"]})
    assert "32/30 đảng viên mới" in doc.text
    assert doc.meta["profile_errors"]


def test_offsets_index_the_text() -> None:
    doc = clean("liferay_quan.html")
    start = doc.text.index("1.217 đảng viên")
    assert doc.text[start : start + len("1.217 đảng viên")] == "1.217 đảng viên"
    assert doc.meta["body_start"] == len(doc.title) + 2


def test_profile_with_only_drop_selectors_helps_the_generic_path() -> None:
    plain = clean("newspaper.html")
    assert "Ảnh: P.T" not in plain.text
    doc = clean("newspaper.html", {"drop": "h2.detail-sapo"})
    assert "(BSL) - Chiều 27/12" not in doc.text
    assert "32/30 đảng viên mới" in doc.text


def test_author_from_meta_json_ld_or_sign_off() -> None:
    assert clean("wordpress_dangbo.html").author == "Ban Tuyên giáo Đảng ủy Khối"  # meta
    assert clean("newspaper.html").author == "Phương Thảo"  # JSON-LD
    assert clean("liferay_quan.html").author == "Hồng Nhung"  # the closing sign-off


def _related_heavy_page(items: int) -> bytes:
    """An article whose container also holds a `Tin liên quan` list longer than the article."""
    related = "".join(
        f'<li><a href="/tin/{i}.html">Cụm thi đua số {i % 9 + 1}: hội nghị sơ kết năm 2023</a>'
        f"<p>Sáng {i % 27 + 1}/3, đoàn công tác làm việc với Công ty May Hòa Phát về việc tặng "
        f"quà, hỗ trợ {40 + i} đoàn viên có hoàn cảnh khó khăn và giới thiệu {10 + i} quần "
        "chúng ưu tú cho chi bộ xem xét kết nạp.</p></li>"
        for i in range(items)
    )
    body = (
        "<p>Ngày 12/01/2024, Đảng bộ Khối Doanh nghiệp huyện Tân Lạc tổ chức hội nghị tổng kết "
        "công tác xây dựng Đảng năm 2023.</p><p>Trong năm, toàn Đảng bộ kết nạp 37 đảng viên "
        "mới, đạt 123% kế hoạch; nâng tổng số đảng viên lên 1.284 đồng chí, sinh hoạt tại 52 "
        "chi bộ trực thuộc.</p><p>Doanh thu của các doanh nghiệp ước đạt 2.150 tỷ đồng, nộp "
        "ngân sách 186 tỷ đồng; thu nhập bình quân của người lao động 8,7 triệu đồng/người/"
        "tháng.</p><p>Công tác kiểm tra, giám sát được duy trì thường xuyên: cấp ủy các cấp "
        "kiểm tra 14 tổ chức đảng và 26 đảng viên, giám sát chuyên đề 9 tổ chức đảng; qua đó "
        "kịp thời chấn chỉnh những hạn chế trong thực hiện quy chế làm việc.</p><p>Các chi bộ "
        "duy trì nền nếp sinh hoạt định kỳ, đổi mới nội dung sinh hoạt chuyên đề gắn với nhiệm "
        "vụ sản xuất, kinh doanh của doanh nghiệp; tỷ lệ chi bộ sinh hoạt chuyên đề đạt 96%. "
        "Công tác phát triển đảng viên trong doanh nghiệp ngoài nhà nước có chuyển biến, thành "
        "lập mới 3 chi bộ ở các công ty chưa có tổ chức đảng.</p><p>Năm 2024, Đảng bộ phấn đấu "
        "kết nạp 40 đảng viên mới, 85% tổ chức cơ sở đảng hoàn thành tốt nhiệm vụ; tiếp tục "
        "nâng cao chất lượng sinh hoạt chi bộ và vai trò hạt nhân chính trị của tổ chức đảng "
        "trong doanh nghiệp.</p>"
    )
    page = (
        '<html><head><meta charset="utf-8"><title>Tổng kết năm 2023</title></head><body>'
        '<nav class="menu"><a href="/">Trang chủ</a></nav><div class="post-detail">'
        f'<h1>Tổng kết công tác xây dựng Đảng năm 2023</h1>{body}<div class="related-news">'
        f"<h3>Tin liên quan</h3><ul>{related}</ul></div></div></body></html>"
    )
    return page.encode()


@pytest.mark.parametrize("items", [3, 20])
def test_related_list_inside_the_article_goes_however_long(items: int) -> None:
    data = _related_heavy_page(items)
    raw = RawDoc("rel", "test", "https://example.vn/rel.html", "html", data, content_hash(data))
    text = clean_document(raw).text
    assert "kết nạp 37 đảng viên" in text and "8,7 triệu đồng/người/tháng" in text
    assert "Tin liên quan" not in text
    assert "đoàn viên có hoàn cảnh khó khăn" not in text, "a related summary reached the text"
