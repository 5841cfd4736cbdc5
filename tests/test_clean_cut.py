"""Large furniture blocks are cut from the source before the parse, and only those.

The pages are ours, in the style of a provincial Party committee's news portal: an
article, and a sidebar of teaser widgets whose summaries carry numbers of other news.
"""

from __future__ import annotations

from vnreport.transforms import clean_html as H
from vnreport.transforms.clean import clean_html_text

ARTICLE = (
    "<p>Năm 2024, Đảng bộ Khối Doanh nghiệp tỉnh lãnh đạo các tổ chức cơ sở đảng hoàn thành "
    "toàn diện nhiệm vụ; toàn Đảng bộ có 68 tổ chức cơ sở đảng với 2.145 đảng viên.</p>"
    "<p>Công tác phát triển đảng viên được chú trọng: kết nạp 96/90 đảng viên mới, đạt "
    "106,7% kế hoạch. Doanh thu của các doanh nghiệp ước đạt 12.430 tỷ đồng, nộp ngân sách "
    "1.026 tỷ đồng; thu nhập bình quân của người lao động 9,2 triệu đồng/người/tháng.</p>"
    "<p>Hội nghị đề ra phương hướng năm 2025, phấn đấu kết nạp 100 đảng viên mới, thành lập "
    "mới 3 tổ chức cơ sở đảng trong doanh nghiệp ngoài khu vực nhà nước.</p>"
)


def teaser(i: int) -> str:
    return (
        f'<li><a href="/tin/{i}.html"><span>Đảng ủy xã số {i} tổng kết công tác năm</span></a>'
        f'<p class="sum">Sáng {i % 28 + 1}/12, đoàn công tác kiểm tra {i + 40} tổ chức đảng '
        f"và kết nạp {i + 7} đảng viên mới tại cơ sở.</p><time>{i % 28 + 1}/11/2024</time></li>"
    )


def widget(title: str, first: int, n: int = 12) -> str:
    items = "".join(teaser(first + i) for i in range(n))
    return f'<div class="widget"><h3>{title}</h3><ul>{items}</ul></div>'


def page(article_wrapper: str = '<div class="detail-content">', sidebar: str = "") -> str:
    sidebar = sidebar or "".join(
        widget(t, 100 * k) for k, t in enumerate(["Tin mới", "Đọc nhiều", "Cơ sở", "Ảnh"], 1)
    )
    return (
        "<html><head><title>Tổng kết công tác xây dựng Đảng năm 2024</title></head><body>"
        '<table><tr><td class="center"><h1>Tổng kết công tác xây dựng Đảng năm 2024</h1>'
        '<div class="post-meta">Ngày đăng: 20/12/2024</div>'
        f"{article_wrapper}{ARTICLE}</div></td>"
        f'<td class="right">{sidebar}</td></tr></table></body></html>'
    )


def test_teaser_widgets_are_cut_before_the_parse_and_the_text_is_unchanged(monkeypatch):
    html = page()
    prep = H.preprocess(html)
    assert "kiểm tra 141 tổ chức đảng" in prep.full
    assert "kiểm tra 141 tổ chức đảng" not in prep.markup  # never parsed
    assert "kết nạp 96/90 đảng viên mới" in prep.markup
    assert len(prep.markup) < len(prep.full) / 2
    cut = clean_html_text(html)
    monkeypatch.setattr(H, "CUT_MIN_CHARS", 10**9)  # no block is large enough: parse all
    assert H.preprocess(html).markup == prep.full
    whole = clean_html_text(html)
    assert cut["blocks"] == whole["blocks"] and cut["blocks"]
    assert cut["published_date"] == whole["published_date"] == "2024-12-20"
    assert not any("tổ chức đảng và kết nạp" in b for b in cut["blocks"])


def test_a_wrapper_named_like_furniture_that_holds_the_article_is_kept():
    # "-sidebar" in a layout wrapper's class; it holds the article (most of the page's text)
    html = page(article_wrapper='<div class="content-with-sidebar">', sidebar=" ")
    html = html.replace("<p>", "<p>" + "Các chi bộ duy trì sinh hoạt định kỳ. " * 12, 1)
    prep = H.preprocess(html)
    assert prep.markup == prep.full
    assert any("96/90" in b for b in clean_html_text(html)["blocks"])
    # nor is a furniture-named block that holds the headline
    flagged = '<div class="sidebar-layout"><h1>Tiêu đề</h1>' + widget("Tin mới", 101) + "</div>"
    assert "kiểm tra 141" in H.cut_furniture(flagged)


def test_small_furniture_blocks_stay_for_the_tree_pass():
    small = '<div class="author-box">Bài, ảnh: Minh Anh - Ban Tuyên giáo</div>'
    markup = f"<body>{small}{ARTICLE}</body>"
    assert len(small) < H.CUT_MIN_CHARS and H.cut_furniture(markup) == markup


def test_the_cut_is_undone_when_nothing_is_left_to_read():
    # the only prose sits in a block whose class reads as furniture, beside a larger menu
    menu = "<ul>" + "".join(f'<li><a href="/m/{i}">Chuyên mục {i}</a></li>' for i in range(600))
    html = (
        f"<html><body>{menu}</ul><div class='comments-area'>{ARTICLE}"
        + "<p>Ý kiến bạn đọc</p>" * 100
        + "</div></body></html>"
    )
    assert "96/90" not in H.preprocess(html).markup
    out = clean_html_text(html)
    assert out["notes"].get("furniture_cut_undone") is True
    assert any("96/90" in b for b in out["blocks"])


def test_a_site_profile_naming_the_content_disables_the_cut():
    # the site's article box has a class that reads as furniture, and is a minor share
    html = page(article_wrapper='<div class="box-related">').replace(ARTICLE, ARTICLE * 4)
    assert "96/90" not in H.preprocess(html).markup
    out = clean_html_text(html, profile={"content": ".box-related"})
    assert out["notes"]["candidate"] == "profile:.box-related"
    assert "profile_miss" not in out["notes"]
    assert any("96/90" in b for b in out["blocks"])
