"""Plain-text sources: line-level furniture removal, on the real seeds and on own texts."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnreport.records import RawDoc, content_hash
from vnreport.transforms.clean import clean_document
from vnreport.transforms.clean_text import clean_plain_text


def text_doc(text: str, doc_id: str = "t") -> RawDoc:
    data = text.encode("utf-8")
    return RawDoc(doc_id, "test", f"{doc_id}.txt", "text", data, content_hash(data))


@pytest.fixture(scope="module")
def seeds(shared_dir: Path) -> dict[str, str]:
    paths = sorted((shared_dir / "corpus" / "seeds").glob("*.txt"))
    if not paths:
        pytest.skip("no seed articles in ../shared/corpus/seeds")
    return {p.stem: p.read_text(encoding="utf-8") for p in paths}


def seed(seeds: dict[str, str], prefix: str):
    key = next((k for k in seeds if k.startswith(prefix)), None)
    if key is None:
        pytest.skip(f"seed {prefix} not present")
    return key, clean_document(text_doc(seeds[key], key))


def test_seeds_keep_their_headline_first_and_every_body_line(seeds: dict[str, str]) -> None:
    for key, raw in seeds.items():
        doc = clean_document(text_doc(raw, key))
        assert doc.reason is None, key
        first = next(line for line in raw.splitlines() if line.strip())
        assert doc.text.splitlines()[0] in (first.strip(), doc.title)
        # every long prose line of the source survives unchanged
        for line in raw.splitlines():
            line = " ".join(line.split())
            if len(line) > 200:
                assert line in doc.text, (key, line[:60])


def test_counter_block_with_numbers_on_their_own_lines(seeds: dict[str, str]) -> None:
    key, doc = seed(seeds, "001_")
    for gone in ("Truy cập", "Hôm nay", "Hôm qua", "Tuần này", "Tháng này", "Tất cả", "2086287"):
        assert gone not in doc.text
    assert "\n457" not in doc.text and "48247" not in doc.text
    # image file names are not text
    assert ".jpg" not in doc.text
    # list numbering in the body stays
    assert "\n\n3. Tiếp tục đổi mới" in doc.text


def test_stamp_line_gives_the_date_and_its_counter_goes(seeds: dict[str, str]) -> None:
    key, doc = seed(seeds, "002_")
    assert doc.published_date == "2023-03-10"
    assert "Lượt xem" not in doc.text and "1428" not in doc.text
    # the section label above the headline is not the headline
    assert doc.title.startswith("Đảng ủy Khối Doanh nghiệp Quận đẩy mạnh")
    assert not doc.text.startswith("Tin tức")


def test_source_line_is_kept_and_recorded(seeds: dict[str, str]) -> None:
    key, doc = seed(seeds, "000_")
    assert doc.meta["source_line"] == "Báo xây dựng"
    assert "Nguồn: Báo xây dựng" in doc.text
    assert "Bạn cũng có thể thích" not in doc.text
    # the headline repeated as image alt text is dropped, its caption kept
    assert doc.text.count(doc.title) == 1
    assert "Toàn cảnh Hội nghị." in doc.text


def test_url_line_goes_to_meta(seeds: dict[str, str]) -> None:
    key, doc = seed(seeds, "003_")
    assert "https://" not in doc.text
    assert doc.meta["source_url"].startswith("https://")
    assert doc.meta["source_line"].startswith("Ban Tuyên giáo Quận ủy Tây Hồ")


def test_widgets_and_visitor_totals(seeds: dict[str, str]) -> None:
    key, doc = seed(seeds, "004_")
    for gone in (
        "Views",
        "dark-mode-label",
        "Đọc bài viết",
        "User Online",
        "Total visited",
        "4810612",
    ):
        assert gone not in doc.text
    assert "360 đảng viên sinh hoạt tại 19 chi bộ trực thuộc" in doc.text
    assert doc.author == "Minh Anh"


OWN = """Trang chủ > Tin tức - Sự kiện
Đảng ủy Cụm thi đua số 5 giao ban quý III năm 2024
Cập nhật lúc 08:15, Thứ Ba, 08/10/2024 | Lượt xem: 2.315

Ngày 05/10/2024, Cụm thi đua số 5 tổ chức hội nghị giao ban công tác quý III, triển khai nhiệm vụ quý IV năm 2024.
anh-hoi-nghi-01.JPG
Quang cảnh hội nghị giao ban.
Đảng ủy Cụm thi đua số 5 giao ban quý III năm 2024
Quý III, các tổ chức cơ sở đảng trong Cụm kết nạp 21 đảng viên mới, nâng tổng số đảng viên lên 1.348 đồng chí.
Chia sẻ | In bài | Gửi email
Tin liên quan
Kết nạp 57 đảng viên mới tại Công ty Than Hòn Gai
Cụm thi đua số 2 giao ban quý II
Lượt truy cập:
4.810.612
"""


def test_own_text_with_every_kind_of_furniture() -> None:
    res = clean_plain_text(OWN)
    assert res.title == "Đảng ủy Cụm thi đua số 5 giao ban quý III năm 2024"
    assert res.published_date == "2024-10-08"
    assert res.text.startswith(res.title + "\n\n")
    assert "21 đảng viên mới" in res.text and "1.348 đồng chí" in res.text
    assert "Quang cảnh hội nghị giao ban." in res.text
    for gone in (
        "Trang chủ",
        "2.315",
        ".JPG",
        "Chia sẻ",
        "Tin liên quan",
        "57 đảng viên",
        "4.810.612",
    ):
        assert gone not in res.text
    assert res.text.count(res.title) == 1
    assert res.meta["dropped"]["related_list"] >= 2


def test_related_heading_in_the_middle_drops_only_its_list() -> None:
    text = (
        "Chi bộ Công ty Cơ khí tổng kết năm 2023\n\nNăm 2023, Chi bộ kết nạp 3 đảng viên mới.\n\n"
        "Tin liên quan\nTrao Huy hiệu Đảng cho 12 đảng viên\nKết nạp 57 đảng viên mới\n\n"
        + "Doanh thu năm 2023 của Công ty đạt 286,4 tỷ đồng, tăng 12% so với năm 2022. "
        * 6
    )
    res = clean_plain_text(text)
    assert "57 đảng viên" not in res.text and "12 đảng viên" not in res.text
    assert "286,4 tỷ đồng" in res.text


def test_empty_and_furniture_only_texts_say_why() -> None:
    doc = clean_document(text_doc("   \n\n  "))
    assert doc.text == "" and doc.reason
    res = clean_plain_text("Truy cập\nHôm nay:\n457\nTổng truy cập: 2.086.287\n1.jpg\n")
    assert res.text == ""
    assert "furniture" in res.reason


_LINES = st.sampled_from(
    [
        "",
        "Đảng ủy Khối Doanh nghiệp tỉnh tổng kết công tác năm 2023",
        "Năm 2023, Đảng bộ kết nạp 52 đảng viên mới, đạt 115,6% kế hoạch.",
        "Tổng doanh thu của các doanh nghiệp ước đạt 10.864 tỷ đồng.",
        "Lượt xem: 1.428",
        "Hôm nay:",
        "457",
        "1.jpg",
        "Tin liên quan",
        "Kết nạp 57 đảng viên mới",
        "Nguồn: Báo Nhân dân",
        "https://example.vn/a.html",
        "Ngày đăng 10/03/2023 | 14:49",
        "Chia sẻ",
        "  Đoàn đại biểu dâng hương tại khu di tích.  ",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINES, max_size=30))
def test_text_cleaning_only_removes_whole_lines(lines: list[str]) -> None:
    res = clean_plain_text("\n".join(lines))
    source = {" ".join(x.split()) for x in lines}
    out = [x for x in res.text.split("\n\n") if x]
    for line in out:
        assert line in source  # nothing invented, nothing rewritten
    # the kept lines are a subsequence of the source lines, in order
    folded = [" ".join(x.split()) for x in lines]
    pos = 0
    for line in out:
        pos = folded.index(line, pos) + 1
    assert "Lượt xem" not in res.text and "1.jpg" not in res.text
    assert res.text or res.reason
