"""The reading rules of the second extraction pass, fact by fact, on sentences written for them.

Each text is a sentence in the style of a block or industrial-zone Party committee report; the
expected facts are what a careful reader notes, following the labelling conventions of the seed
and development gold (a rate stated with a fact is that fact's `pct`; a hedged or second rate is
a fact of its own; parts, per-item prices and zone-wide figures are not the committee's totals).
"""

from __future__ import annotations

import pytest

from vnreport.records import CleanDoc
from vnreport.transforms.catalog import load_catalog
from vnreport.transforms.docfields import document_fields
from vnreport.transforms.extract import extract_facts
from vnreport.transforms.numbers import find_quantities


def _facts(text: str, **kw) -> list[tuple]:
    """(metric, value, pct, qualifier) of every fact, in text order."""
    return [(f["metric"], f["value"], f["pct"], f["qualifier"]) for f in extract_facts(text, **kw)]


def _typed(text: str, **kw) -> list[tuple]:
    return [(f["metric"], f["value"]) for f in extract_facts(text, **kw) if f["metric"] != "other"]


# -- compound amounts -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, value, per_month",
    [
        ("ủng hộ 2 tỷ 350 triệu đồng", 2_350_000_000, False),
        ("trị giá 3 tỷ 500 triệu", 3_500_000_000, False),
        ("đạt 4 triệu 200 nghìn đồng/người/tháng", 4_200_000, True),
        ("tổng cộng 1 tỷ 20 triệu 500 nghìn đồng", 1_020_500_000, False),
    ],
)
def test_a_compound_amount_is_one_number(text, value, per_month):
    (q,) = find_quantities(text)
    assert q.value == value
    assert q.per_person_month is per_month


def test_amounts_in_a_list_stay_apart():
    got = [q.value for q in find_quantities("lợi nhuận 5 tỷ, nộp ngân sách 300 triệu đồng")]
    assert got == [5e9, 3e8]


def test_compound_charity_is_one_fact():
    text = "Hưởng ứng Tháng cao điểm, các chi bộ đã vận động ủng hộ Quỹ Vì người nghèo 2 tỷ 350 triệu đồng."
    assert _typed(text) == [("charity_vnd", 2_350_000_000)]


# -- rates belong to the fact they qualify ----------------------------------------------------


def test_growth_and_year_on_year_ratio_go_into_pct():
    text = (
        "Doanh thu của các doanh nghiệp trong Khối đạt 5.420 tỷ đồng, tăng 7,8% so với cùng kỳ; "
        "nộp ngân sách 310 tỷ đồng, bằng 104,2% so với năm trước."
    )
    assert _facts(text) == [
        ("revenue_vnd", 5_420_000_000_000, 7.8, None),
        ("budget_contribution_vnd", 310_000_000_000, 104.2, None),
    ]


def test_plan_ratio_wins_and_the_growth_is_its_own_fact():
    text = "Doanh thu ước đạt 1.250 tỷ đồng, đạt 68,5% kế hoạch năm, tăng 9% so với cùng kỳ."
    assert _facts(text) == [
        ("revenue_vnd", 1_250_000_000_000, 68.5, "estimated"),
        ("other", 9, None, None),
    ]


def test_a_hedged_rate_is_its_own_fact():
    text = "Công ty đạt lợi nhuận 95 tỷ đồng, chiếm khoảng 15% lợi nhuận toàn Khối."
    assert _facts(text) == [
        ("profit_vnd", 95_000_000_000, None, None),
        ("other", 15, None, "approx"),
    ]


def test_a_share_goes_with_the_count():
    text = (
        "Đảng bộ có 415 đảng viên, chiếm 12,3% tổng số lao động. Năm 2023 có 12 chi bộ được xếp "
        "loại “Hoàn thành xuất sắc nhiệm vụ” (chiếm 30%)."
    )
    got = _facts(text)
    assert got[0] == ("party_members", 415, 12.3, None)
    assert got[1] == ("other", 12, 30, None)
    assert len(got) == 2


def test_a_colon_after_a_year_does_not_hide_the_ratio():
    text = "Kết quả xếp loại năm 2023: 18/20 chi bộ hoàn thành tốt nhiệm vụ trở lên (đạt 90%)."
    (f,) = extract_facts(text)
    assert (f["value"], f["denominator"], f["pct"]) == (18, 20, 90)


# -- typed readings ---------------------------------------------------------------------------


def test_elliptical_clause_borrows_the_amount_metric():
    text = (
        "Một số doanh nghiệp đạt kết quả nổi bật: Công ty CP Cơ khí Hưng Long đạt doanh thu 320 tỷ "
        "đồng; Công ty TNHH Nhựa Tân Phát đạt 145 tỷ đồng, nộp ngân sách 9 tỷ đồng."
    )
    got = [(f["metric"], f["value"], f["subject"]) for f in extract_facts(text)]
    assert got == [
        ("revenue_vnd", 320_000_000_000, "Công ty CP Cơ khí Hưng Long"),
        ("revenue_vnd", 145_000_000_000, "Công ty TNHH Nhựa Tân Phát"),
        ("budget_contribution_vnd", 9_000_000_000, "Công ty TNHH Nhựa Tân Phát"),
    ]


def test_an_amount_without_any_cue_stays_other():
    text = "Công ty TNHH Nhựa Tân Phát đạt 145 tỷ đồng."
    assert _typed(text) == []


def test_a_count_naming_whose_money_it_is_keeps_the_cue():
    text = "Tổng doanh thu 6 tháng của 18 doanh nghiệp có tổ chức đảng ước đạt 2.140 tỷ đồng."
    # the revenue's evidence starts at its cue, before the count
    assert _typed(text) == [("revenue_vnd", 2_140_000_000_000), ("member_units", 18)]


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "Các doanh nghiệp đã đóng góp hơn 3,2 tỷ đồng cho các hoạt động an sinh xã hội.",
            [("charity_vnd", 3_200_000_000)],
        ),
        ("Công ty hiện có tổng số cán bộ, công nhân viên là 1.320 người.", [("employees", 1320)]),
        (
            "Xí nghiệp duy trì thu nhập bình quân 9,5 triệu đồng/người/tháng cho 650 lao động.",
            [("avg_income_vnd_month", 9_500_000), ("employees", 650)],
        ),
        (
            "Xí nghiệp Chế biến Thuận An có thu nhập bình quân của công nhân 10,2 triệu "
            "đồng/người/tháng.",
            [("avg_income_vnd_month", 10_200_000)],
        ),
        ("Hiện Tổng công ty có 4 công ty con và 2 công ty liên kết.", [("member_units", 4)]),
        (
            "Đến nay, số đảng viên của Đảng bộ tăng 26 đồng chí so với đầu năm.",
            [("party_member_growth", 26)],
        ),
        (
            "Có 5 chi bộ “Trong sạch, vững mạnh” tiêu biểu được Đảng ủy Khối khen thưởng.",
            [("commended_collectives", 5)],
        ),
    ],
)
def test_typed_readings(text, expected):
    assert _typed(text, organization="Đảng bộ Khối Doanh nghiệp") == expected


def test_people_who_earn_above_a_level_are_no_average():
    text = "Có 85% lao động có thu nhập trên 8 triệu đồng/người/tháng."
    assert _typed(text) == []


def test_an_award_from_a_higher_body_is_a_distinction():
    text = "Có 04 chi bộ được Thành ủy tặng Bằng khen vì đạt tiêu chuẩn “trong sạch, vững mạnh”."
    assert _facts(text) == [("other", 4, None, None)]


# -- what is not the committee's total --------------------------------------------------------


def test_delegates_elected_to_a_higher_congress_are_no_attendance():
    text = (
        "Đại hội bầu 7 đại biểu chính thức và 02 đại biểu dự khuyết đi dự Đại hội Đảng bộ "
        "Khối Doanh nghiệp tỉnh."
    )
    assert _typed(text) == []
    assert [f["value"] for f in extract_facts(text)] == [7, 2]


def test_the_whole_zone_workforce_is_not_the_committee_workforce():
    text = (
        "Các doanh nghiệp có tổ chức đảng sử dụng khoảng 4,1 vạn lao động; tổng số lao động làm "
        "việc tại các KCN đạt 9,5 vạn người."
    )
    assert _typed(text) == [("employees", 41_000)]
    assert [f["value"] for f in extract_facts(text)] == [41_000, 95_000]


def test_parts_in_parentheses_are_not_totals():
    text = (
        "Đảng bộ Công ty có 12 chi bộ trực thuộc (7 chi bộ xí nghiệp, 5 chi bộ phòng ban) với "
        "286 đảng viên."
    )
    assert _facts(text) == [
        ("party_cells", 12, None, None),
        ("other", 7, None, None),
        ("other", 5, None, None),
        ("party_members", 286, None, None),
    ]


def test_a_per_item_price_is_not_the_total():
    text = (
        "Công ty xây tặng 3 căn nhà tình nghĩa, mỗi căn trị giá 80 triệu đồng, tổng cộng 240 "
        "triệu đồng."
    )
    got = [(f["metric"], f["value"]) for f in extract_facts(text)]
    assert ("charity_vnd", 240_000_000) in got
    assert ("other", 80_000_000) in got
    assert ("charity_vnd", 80_000_000) not in got


def test_raising_from_one_level_to_another():
    text = "Đảng ủy đã nâng số chi bộ trực thuộc từ ba lên bốn chi bộ."
    got = [(f["metric"], f["value"]) for f in extract_facts(text)]
    assert got == [("other", 3), ("party_cells", 4)]


def test_raising_the_total_is_no_new_organization():
    text = "Thành lập mới 3 chi bộ, nâng tổng số lên 49 TCCSĐ."
    assert _typed(text) == [("new_party_orgs_established", 3), ("grassroots_party_orgs", 49)]


def test_page_counters_in_the_body_are_no_facts():
    assert extract_facts("Đã có 2.310 lượt truy cập trong ngày, 85 người đang xem.") == []


# -- plausible ranges live in the catalog -----------------------------------------------------


def test_party_members_range_is_what_a_reviewer_would_set():
    cat = load_catalog()
    assert cat.plausible("party_members", 28_000)
    assert not cat.plausible("party_members", 5_000_000)
    assert _typed("Đảng bộ Khối có 5.000.000 đảng viên.") == []


# -- document fields --------------------------------------------------------------------------


def _fields(text: str) -> dict:
    doc = CleanDoc(doc_id="t", source="t", uri="t", content_hash="", text=text)
    return {r["field"]: r["value"] for r in document_fields(doc)}


def test_district_from_a_provincial_city_in_the_meeting_sentence():
    text = (
        "Sơ kết 6 tháng\n\nSáng 12/7/2024, Đảng bộ Khối Doanh nghiệp thành phố Tuy Hòa tổ chức "
        "hội nghị sơ kết công tác 6 tháng đầu năm 2024."
    )
    assert _fields(text)["district"] == "Tuy Hòa"


def test_district_from_the_reporters_seat():
    text = (
        "Đại hội Đảng bộ Công ty\n\nNgày 20/4/2025, Đảng bộ Công ty CP Than Nam Sơn tổ chức Đại "
        "hội nhiệm kỳ 2025 - 2030. Công ty có trụ sở tại thành phố Cẩm Phả, hoạt động khai thác "
        "than; các công trình của Công ty trải rộng tại huyện Vân Đồn và huyện Tiên Yên."
    )
    assert _fields(text)["district"] == "Cẩm Phả"


def test_a_province_level_city_is_no_district():
    text = (
        "Tổng kết năm 2023\n\nNgày 10/01/2024, Đảng ủy Khối Doanh nghiệp thành phố Đà Nẵng tổ "
        "chức hội nghị tổng kết năm 2023."
    )
    assert "district" not in _fields(text)


# -- found by reading new texts in the genre --------------------------------------------------


def test_the_longer_counted_noun_wins_a_tie():
    text = "Hiện Đảng bộ có 52 chi bộ, đảng bộ trực thuộc với 1.380 đảng viên."
    assert _typed(text) == [("grassroots_party_orgs", 52), ("party_members", 1380)]


def test_commended_by_a_named_standing_committee():
    text = "Dịp này, 3 tập thể và 8 cá nhân được Ban Thường vụ Đảng ủy tặng Giấy khen."
    assert _typed(text) == [("commended_collectives", 3), ("commended_individuals", 8)]


def test_a_total_after_a_breakdown_is_a_total_again():
    text = (
        "Cụm thi đua số 3 gồm 11 đơn vị thành viên, trong đó có 4 đảng bộ cơ sở và 7 chi bộ cơ sở "
        "với tổng số 865 đảng viên."
    )
    assert _typed(text, organization="Cụm thi đua số 3") == [
        ("member_units", 11),
        ("grassroots_party_committees", 4),
        ("grassroots_party_cells", 7),
        ("party_members", 865),
    ]


def test_a_company_name_with_va_is_one_subject_two_companies_are_not():
    text = (
        "Đảng bộ Công ty CP Môi trường và Công trình Đô thị Sơn La kết nạp 4 đồng chí; "
        "Chi bộ Công ty TNHH Gạch Tuy Nen và Công ty CP Vận tải Mường La đều hoàn thành nhiệm vụ."
    )
    (f,) = extract_facts(text)
    assert f["subject"] == "Đảng bộ Công ty CP Môi trường và Công trình Đô thị Sơn La"


def test_the_value_of_what_was_given_is_charity():
    text = "Các doanh nghiệp hỗ trợ 120 hộ nghèo với tổng số tiền 2 tỷ đồng."
    assert _typed(text) == [("charity_vnd", 2_000_000_000)]


def test_subjects_farms_irrigation_and_partners():
    text = (
        "Nông trường Tân Lập đạt 112% kế hoạch sản lượng; Công ty TNHH MTV Thủy lợi Sông Chu "
        "nộp ngân sách 4,2 tỷ đồng. Đảng ủy phối hợp Trung tâm Chính trị huyện mở lớp bồi dưỡng "
        "nhận thức về Đảng cho 38 quần chúng."
    )
    got = [(f["metric"], f["value"], f["subject"]) for f in extract_facts(text)]
    assert got == [
        ("other", 112, "Nông trường Tân Lập"),
        ("budget_contribution_vnd", 4_200_000_000, "Công ty TNHH MTV Thủy lợi Sông Chu"),
        ("party_course_trainees", 38, None),
    ]
