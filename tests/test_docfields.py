"""Document fields: organization, place, period, kind of review, dates and source."""

from __future__ import annotations

import pytest

from vnreport.records import CleanDoc
from vnreport.transforms.docfields import document_fields


def fields(text: str, **kw) -> dict[str, tuple[str, bool]]:
    doc = CleanDoc(doc_id="d", source="t", uri="d", content_hash="", text=text, **kw)
    return {f["field"]: (f["value"], f["inferred"]) for f in document_fields(doc)}


def test_year_end_review_with_a_date_missing_its_year():
    got = fields(
        "Xí nghiệp Hòa Phát tổng kết năm 2023\n\n"
        "Ngày 29/12, tại quận Ngô Quyền (thành phố Hải Phòng), Xí nghiệp Hòa Phát tổ chức "
        "Hội nghị tổng kết hoạt động năm 2023 và triển khai nhiệm vụ năm 2024.\n\nNguồn: Báo Xây dựng"
    )
    assert got["organization"] == ("Xí nghiệp Hòa Phát", False)
    assert got["province"] == ("Hải Phòng", False)
    assert got["district"] == ("Ngô Quyền", False)
    assert got["period"] == ("2023", False)
    assert got["report_type"] == ("year_end_review", False)
    assert got["meeting_date"] == ("2023-12-29", True)  # the year is the reader's inference
    assert got["source"] == ("Báo Xây dựng", False)


def test_january_meeting_of_a_year_end_review_is_next_year():
    got = fields(
        "Đảng ủy Khối tổng kết năm 2022\n\nNgày 08/01, Đảng ủy Khối Doanh nghiệp tỉnh Nam Định "
        "tổ chức Hội nghị tổng kết công tác năm 2022."
    )
    assert got["meeting_date"] == ("2023-01-08", True)


@pytest.mark.parametrize(
    ("lead", "period", "rtype"),
    [
        (
            "tổ chức Hội nghị giao ban công tác quý I năm 2024, triển khai nhiệm vụ quý II",
            "2024-Q1",
            "quarterly_briefing",
        ),
        ("tổ chức hội nghị sơ kết công tác 6 tháng đầu năm 2023", "2023-H1", "half_year_review"),
        (
            "tổ chức Hội nghị sơ kết giữa nhiệm kỳ thực hiện Nghị quyết Đại hội nhiệm kỳ 2020 - 2025",
            "2020-2025",
            "mid_term_review",
        ),
        ("tổ chức Đại hội đại biểu Đảng bộ lần thứ V, nhiệm kỳ 2025-2030", "2025-2030", "congress"),
        ("tổ chức hội nghị giao ban quý 3/2023", "2023-Q3", "quarterly_briefing"),
    ],
)
def test_period_and_report_type(lead, period, rtype):
    got = fields(f"Tin hoạt động\n\nSáng ngày 12/10/2023, Đảng ủy Khối Doanh nghiệp quận {lead}.")
    assert got["period"] == (period, False)
    assert got["report_type"] == (rtype, False)
    assert got["meeting_date"] == ("2023-10-12", False)


def test_organization_is_completed_and_named_as_the_body():
    text = (
        "Đảng ủy khối doanh nghiệp quyết tâm hoàn thành nhiệm vụ năm 2021\n\n"
        "Chiều ngày 12/11/2021, Đảng ủy khối doanh nghiệp quận đã tổ chức hội nghị giao ban. Dự có "
        "các đồng chí Bí thư chi bộ trực thuộc Đảng ủy khối doanh nghiệp quận Tây Hồ."
    )
    assert fields(text)["organization"] == ("Đảng ủy khối doanh nghiệp quận Tây Hồ", False)
    body = (
        "Sáng ngày 09/03/2023, Đảng ủy khối Doanh nghiệp quận Long Biên tổ chức hội nghị sơ kết. "
        "Kết quả, Đảng bộ Khối doanh nghiệp quận Long Biên đã hoàn thành 10/10 chỉ tiêu."
    )
    got = fields("Tin tức\n\n" + body)
    assert got["organization"][0].casefold() == "đảng bộ khối doanh nghiệp quận long biên"
    assert got["province"] == ("Hà Nội", True)  # placed from the district, not stated


def test_published_date_from_the_page_or_its_byline():
    assert fields("Tiêu đề bài\n\nNgày đăng 10/03/2023 | 14:49 | Lượt xem: 12\n\nNội dung.")[
        "published_date"
    ] == ("2023-03-10", False)
    assert fields("Tiêu đề bài viết\n\nThứ Tư, 03/04/2024 | 15:20\n\nNội dung.")[
        "published_date"
    ] == (
        "2024-04-03",
        False,
    )
    got = fields("Tiêu đề bài viết dài\n\nNội dung.", published_date="2024-07-12", title="Tiêu đề")
    assert got["published_date"] == ("2024-07-12", False)
    assert got["title"] == ("Tiêu đề", False)


def test_a_ratio_is_not_a_meeting_date():
    got = fields(
        "Tổng kết năm 2022\n\nNăm 2022, Đảng ủy Khối tổ chức tổng kết và thành lập mới 06/05 chi bộ."
    )
    assert "meeting_date" not in got


def test_hcm_the_person_is_not_a_city():
    got = fields("Học tập và làm theo tư tưởng, đạo đức, phong cách Hồ Chí Minh năm 2024.")
    assert "province" not in got


@pytest.mark.parametrize(
    "sentence, name",
    [
        (
            "Sáng 15/7/2023, Công ty cổ phần May Hồng Lam (xã Tân Phong, huyện Kim Sơn, tỉnh "
            "Ninh Bình) tổ chức hội nghị sơ kết 6 tháng đầu năm 2023.",
            "Công ty cổ phần May Hồng Lam",
        ),
        (
            "Ngày 20/12/2022, Cụm thi đua số 4 gồm 9 doanh nghiệp trên địa bàn tỉnh tổ chức "
            "hội nghị tổng kết công tác năm 2022.",
            "Cụm thi đua số 4",
        ),
        (
            "Ngày 8/1/2024, Đảng bộ Công ty Điện lực Bắc Hà với 312 đảng viên tổ chức hội nghị "
            "tổng kết công tác năm 2023.",
            "Đảng bộ Công ty Điện lực Bắc Hà",
        ),
        (  # a parenthesis that is part of the name stays
            "Ngày 30/3/2024, Cụm số 5 (các đơn vị Thương mại, Dịch vụ) tổ chức hội nghị giao "
            "ban quý I năm 2024.",
            "Cụm số 5 (các đơn vị Thương mại, Dịch vụ)",
        ),
    ],
)
def test_organization_name_stops_before_address_and_description(sentence, name):
    text = "Hội nghị của đơn vị\n\n" + sentence + " Các đơn vị hoàn thành kế hoạch."
    assert fields(text)["organization"][0] == name


def test_headline_led_by_the_body_with_its_legal_form_in_the_text():
    got = fields(
        'Đảng bộ Công ty Than Hà Lầm: Giữa nhiệm kỳ "giữ lửa" hầm lò\n\n'
        "Đảng bộ Công ty TNHH MTV Than Hà Lầm (trực thuộc Đảng bộ Tập đoàn) hiện có 41 chi bộ. "
        "Đánh giá giữa nhiệm kỳ được nêu tại Hội nghị sơ kết giữa nhiệm kỳ thực hiện Nghị quyết "
        "Đại hội Đảng bộ Công ty lần thứ IV, được tổ chức vào sáng ngày 14/3/2023."
    )
    assert got["organization"] == ("Đảng bộ Công ty TNHH MTV Than Hà Lầm", False)
    assert got["meeting_date"] == ("2023-03-14", False)  # named after the meeting it dates


def test_organs_holding_the_meeting_are_not_the_body():
    got = fields(
        "Công ty Xi măng Bút Sơn sơ kết 6 tháng đầu năm 2024\n\n"
        "Ngày 10/7/2024, Đảng ủy và Ban Giám đốc Công ty Xi măng Bút Sơn – CTCP tổ chức hội "
        "nghị sơ kết sản xuất, kinh doanh 6 tháng đầu năm 2024."
    )
    assert got["organization"] == ("Công ty Xi măng Bút Sơn – CTCP", False)
    assert got["meeting_date"] == ("2024-07-10", False)


def test_a_held_meeting_sentence_needs_a_meeting_and_a_day():
    got = fields(
        "Đảng bộ Công ty May Sông Hồng nửa nhiệm kỳ\n\n"
        "Kết quả nửa nhiệm kỳ được tổng hợp trong báo cáo gửi cấp trên ngày 14/3/2023; "
        "tỷ lệ 14/15 chi bộ đạt trong sạch, vững mạnh."
    )
    assert "meeting_date" not in got or got["meeting_date"][0] is None
