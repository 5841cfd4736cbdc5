"""Fact extraction checked fact by fact on labelled texts written for these tests."""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnreport.records import CleanDoc
from vnreport.transforms.catalog import load_catalog, parse_catalog
from vnreport.transforms.extract import EXTRACTOR_VERSION, extract_document, extract_facts

FIXTURES = Path(__file__).parent / "fixtures" / "extraction"
GOLD = [json.loads(line) for line in (FIXTURES / "gold.jsonl").read_text("utf-8").splitlines()]
FACT_KEYS = ("metric", "unit", "qualifier", "denominator", "pct", "scope", "subject", "value_max")
CONTRACT_KEYS = {
    "doc",
    "metric",
    "value",
    "unit",
    "qualifier",
    "denominator",
    "pct",
    "scope",
    "subject",
    "label",
    "evidence",
    "start",
    "end",
    "value_max",
}


def _doc(doc_id: str, text: str) -> CleanDoc:
    return CleanDoc(doc_id=doc_id, source="test", uri=doc_id, content_hash="", text=text)


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return abs(float(a) - float(b)) <= 1e-6 * max(1.0, abs(float(b)))


def _same(pred: dict, gold: dict) -> bool:
    return _close(pred["value"], gold["value"]) and all(
        _close(pred[k], gold[k]) if k in ("denominator", "pct", "value_max") else pred[k] == gold[k]
        for k in FACT_KEYS
    )


@pytest.mark.parametrize("doc_id", sorted({g["doc"] for g in GOLD}))
def test_fixture_facts_one_by_one(doc_id):
    text = (FIXTURES / f"{doc_id}.txt").read_text("utf-8")
    facts, _ = extract_document(_doc(doc_id, text))
    gold = [g for g in GOLD if g["doc"] == doc_id and "metric" in g]
    unmatched = list(facts)
    for g in gold:
        hit = next((p for p in unmatched if _same(p, g)), None)
        assert hit is not None, f"missed {g['metric']}={g['value']} ({g['evidence']!r})"
        unmatched.remove(hit)
        # provenance: the span is the evidence, and it overlaps the labelled words
        assert text[hit["start"] : hit["end"]] == hit["evidence"]
        at = text.find(g["evidence"])
        assert at >= 0
        assert hit["start"] < at + len(g["evidence"]) and at < hit["end"], (hit, g)
    assert not unmatched, (
        f"extra facts: {[(p['metric'], p['value'], p['evidence']) for p in unmatched]}"
    )


@pytest.mark.parametrize("doc_id", sorted({g["doc"] for g in GOLD}))
def test_fixture_document_fields(doc_id):
    text = (FIXTURES / f"{doc_id}.txt").read_text("utf-8")
    _, fields = extract_document(_doc(doc_id, text))
    got = {f["field"]: f for f in fields}
    for g in (g for g in GOLD if g["doc"] == doc_id and "field" in g):
        assert got[g["field"]]["value"] == g["value"], g["field"]
        assert got[g["field"]]["inferred"] == g["inferred"], g["field"]


def test_records_have_the_contract_shape():
    text = (FIXTURES / "fx01_khoi_dn_2023.txt").read_text("utf-8")
    facts, fields = extract_document(_doc("x", text))
    assert facts and fields
    for f in facts:
        assert set(f) == CONTRACT_KEYS
        assert f["doc"] == "x"
        assert f["scope"] in ("org", "context")
        assert f["unit"] in ("person", "org", "count", "vnd", "vnd_per_person_month", "pct")
        assert (f["label"] is not None) == (f["metric"] == "other")
    for f in fields:
        assert set(f) == {"doc", "field", "value", "inferred"}
    assert EXTRACTOR_VERSION


def _facts(text: str, **kw) -> list[tuple]:
    return [(f["metric"], f["value"], f["subject"], f["scope"]) for f in extract_facts(text, **kw)]


def test_subordinate_results_carry_their_subject():
    text = (
        "Năm 2023, Đảng bộ tỉnh kết nạp 412 đảng viên mới. Đảng bộ huyện Kim Bảng kết nạp 57 ĐV "
        "(đạt 114% kế hoạch); Đảng bộ quận Hồng Bàng kết nạp 38 ĐV; Đảng bộ thị xã Duy Tiên "
        "kết nạp 21 đảng viên."
    )
    got = _facts(text, organization="Đảng bộ tỉnh Hà Nam")
    assert got == [
        ("new_members_admitted", 412, None, "org"),
        ("new_members_admitted", 57, "Đảng bộ huyện Kim Bảng", "org"),
        ("new_members_admitted", 38, "Đảng bộ quận Hồng Bàng", "org"),
        ("new_members_admitted", 21, "Đảng bộ thị xã Duy Tiên", "org"),
    ]
    # nothing is summed into the parent
    assert sum(v for _, v, s, _ in got if s is None) == 412


def test_the_reporting_organization_is_no_subject():
    text = "Đảng ủy các Khu công nghiệp tỉnh có 360 đảng viên sinh hoạt tại 19 chi bộ trực thuộc."
    got = _facts(text, organization="Đảng ủy các Khu công nghiệp tỉnh")
    assert got == [("party_members", 360, None, "org"), ("party_cells", 19, None, "org")]


def test_plans_and_the_province_economy_are_context():
    text = (
        "Năm 2023, Khối kết nạp 90 đảng viên mới. Năm 2024, Đảng bộ Khối phấn đấu kết nạp 100 "
        "đảng viên mới. Chỉ số sản xuất công nghiệp của tỉnh tăng 12,4%."
    )
    got = _facts(text, period="2023")
    assert got == [
        ("new_members_admitted", 90, None, "org"),
        ("new_members_admitted", 100, None, "context"),
        ("other", 12.4, None, "context"),
    ]


def test_rates_attach_to_their_fact():
    text = (
        "Đảng ủy kết nạp được 69/48 đảng viên mới (trong đó có 04 chủ doanh nghiệp), đạt 143,8 % "
        "kế hoạch; số chi bộ đã tăng 34 Chi bộ (89,5%); thành lập 12/8 chi bộ, vượt 150% kế hoạch; "
        "kết nạp 6 đảng viên (đạt 210,4% ); tăng 15 đảng viên (= 14%)."
    )
    got = [(f["metric"], f["value"], f["denominator"], f["pct"]) for f in extract_facts(text)]
    assert got == [
        ("new_members_admitted", 69, 48, 143.8),
        ("other", 4, None, None),
        ("party_cell_growth", 34, None, 89.5),
        ("new_party_orgs_established", 12, 8, 150),
        ("new_members_admitted", 6, None, 210.4),
        ("party_member_growth", 15, None, 14),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "Ngày 29/12/2023, tại Hội trường tầng 3, Đảng ủy Khối tổ chức hội nghị lần thứ 6.",
        "Thực hiện Thông báo số 475-TB/ĐUK ngày 08/3/2024 và Chỉ thị 05-CT/TW của Bộ Chính trị.",
        "Cụm số 7 học tập Nghị quyết Đại hội XIII nhiệm kỳ 2020-2025 trong 3 tháng đầu năm 2024.",
        "Đại dịch Covid – 19 kéo dài 2 năm; Hội nghị kết thúc lúc 11 giờ 30.",
        "1. Tăng cường công tác kiểm tra.\n2. Nâng cao chất lượng sinh hoạt.",
        "anh-hoi-nghi-3.jpg\n\nLượt xem: 1.428\n\nTruy cập hôm nay: 457",
        "Trao Huy hiệu 30 năm tuổi Đảng; kỷ niệm 20 năm thành lập quận.",
        "Hàng trăm lao động và một số đơn vị tham gia; các doanh nghiệp có từ 03 đảng viên trở lên.",
    ],
)
def test_not_facts(text):
    assert extract_facts(text) == []


def test_glued_words_and_spelled_numbers():
    text = "Đảng bộ có 2.117tổ chức cơ sở đảng; thành lập mới sáu chi bộ; có ba mươi mốt đảng viên."
    got = [(f["metric"], f["value"]) for f in extract_facts(text)]
    assert got == [
        ("grassroots_party_orgs", 2117),
        ("new_party_orgs_established", 6),
        ("party_members", 31),
    ]


def test_nfd_input_keeps_valid_offsets():
    text = (FIXTURES / "fx01_khoi_dn_2023.txt").read_text("utf-8")
    nfd = unicodedata.normalize("NFD", text)
    assert nfd != text
    nfc_facts = extract_facts(text)
    nfd_facts = extract_facts(nfd)
    assert [(f["metric"], f["value"]) for f in nfd_facts] == [
        (f["metric"], f["value"]) for f in nfc_facts
    ]
    for f in nfd_facts:
        assert nfd[f["start"] : f["end"]] == f["evidence"]
        assert unicodedata.normalize("NFC", f["evidence"]).strip()


def test_a_metric_added_in_yaml_needs_no_code():
    data = {
        "metrics": {
            "volunteers": {
                "unit": "person",
                "min": 1,
                "max": 100000,
                "rules": [{"noun": "tình nguyện viên", "priority": 10}],
            }
        }
    }
    cat = parse_catalog(data)
    got = extract_facts("Chương trình huy động 120 tình nguyện viên.", catalog=cat)
    assert [(f["metric"], f["value"], f["unit"]) for f in got] == [("volunteers", 120, "person")]


def test_catalog_has_every_contract_code(shared_dir):
    """Every code of the contract's catalog table, with its unit (read from METRICS.md)."""
    contract = (shared_dir / "contract" / "METRICS.md").read_text("utf-8")
    table = contract.split("## Catalog codes", 1)[1].split("\n## ", 1)[0]
    codes = dict(re.findall(r"^\| (\w+) \| (\w+) \|", table, re.M))
    codes.pop("code", None)  # the header row
    assert len(codes) > 20
    cat = load_catalog()
    assert {c: m.unit for c, m in cat.metrics.items() if c in codes} == codes
    assert all(cat.metrics[c].rules for c in codes)


def test_bad_catalog_regex_names_the_metric():
    with pytest.raises(ValueError, match="broken"):
        parse_catalog({"metrics": {"broken": {"unit": "count", "rules": [{"noun": "("}]}}})


_WORDS = st.sampled_from(
    [
        "đảng",
        "viên",
        "chi",
        "bộ",
        "kết",
        "nạp",
        "đạt",
        "kế",
        "hoạch",
        "tổng",
        "số",
        "doanh",
        "thu",
        "tỷ",
        "triệu",
        "đồng",
        "người",
        "tháng",
        "ngày",
        "năm",
        "quý",
        "khoảng",
        "trên",
        "hơn",
        "gần",
        "dưới",
        "%",
        "/",
        "-",
        "(",
        ")",
        ",",
        ";",
        ".",
        ":",
        "\n",
        "trong",
        "đó",
        "có",
        "Đảng",
        "bộ",
        "Công",
        "ty",
        "khen",
        "thưởng",
        "tập",
        "thể",
        "cá",
        "nhân",
        "đại",
        "biểu",
        "lớp",
        "cuộc",
    ]
)
_TOKENS = st.one_of(_WORDS, st.integers(0, 10**7).map(str), st.text(max_size=4))


@settings(max_examples=200, deadline=None)
@given(st.lists(_TOKENS, max_size=40).map(" ".join))
def test_never_raises_and_offsets_are_valid(text):
    for f in extract_facts(text):
        assert 0 <= f["start"] <= f["end"] <= len(text)
        assert text[f["start"] : f["end"]] == f["evidence"]


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_arbitrary_unicode_never_raises(text):
    for f in extract_facts(text):
        assert text[f["start"] : f["end"]] == f["evidence"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # a part of a whole after `trong đó` is no total of its own kind ...
        (
            "Khối kết nạp mới 120 đảng viên, đạt 96% kế hoạch, trong đó có 15 ĐV là chủ doanh nghiệp.",
            [("new_members_admitted", 120, None), ("other", 15, None)],
        ),
        # ... but a split by kind keeps its code
        (
            "Toàn Đảng bộ có 64 tổ chức cơ sở đảng, trong đó có 22 đảng bộ cơ sở, 42 chi bộ cơ sở.",
            [
                ("grassroots_party_orgs", 64, None),
                ("grassroots_party_committees", 22, None),
                ("grassroots_party_cells", 42, None),
            ],
        ),
        # a subordinate named after `trong đó` reports its own result
        (
            "Các chi bộ kết nạp 30 đảng viên, trong đó Chi bộ Công ty CP Gốm Bát Tràng kết nạp 6 "
            "đảng viên.",
            [
                ("new_members_admitted", 30, None),
                ("new_members_admitted", 6, "Chi bộ Công ty CP Gốm Bát Tràng"),
            ],
        ),
        # the level before a rise is no result
        (
            "Thu nhập bình quân tăng từ 7,4 triệu đồng lên 8,6 triệu đồng/người/tháng.",
            [("other", 7_400_000, None), ("avg_income_vnd_month", 8_600_000, None)],
        ),
        # a running total shares the cue of the figure before it
        (
            "Các doanh nghiệp nộp ngân sách quý III đạt 210 tỷ đồng, lũy kế 9 tháng đạt 612 tỷ đồng.",
            [
                ("budget_contribution_vnd", 210_000_000_000, None),
                ("budget_contribution_vnd", 612_000_000_000, None),
            ],
        ),
        # recipients are not subjects, and their flags are commendations
        (
            "Ban Thường vụ tặng Bằng khen cho Đảng bộ Công ty Bia Hà Nam và 7 chi bộ trực thuộc.",
            [("commended_collectives", 7, None)],
        ),
        # a raised total names its noun before the number
        (
            "Thành lập mới 3 chi bộ, nâng tổng số chi bộ trực thuộc lên 41 đơn vị.",
            [("new_party_orgs_established", 3, None), ("party_cells", 41, None)],
        ),
        # a count of years is a fact, a span of years is not
        (
            "Trong 5 năm, Đảng bộ có 4 năm được công nhận trong sạch, vững mạnh.",
            [("other", 4, None)],
        ),
    ],
)
def test_reading_rules(text, expected):
    got = [(f["metric"], f["value"], f["subject"]) for f in extract_facts(text)]
    assert got == expected


def test_related_links_are_not_the_articles_facts():
    text = (
        "Năm 2024, Đảng bộ kết nạp 21 đảng viên.\n\nXem thêm: Huyện Nam Sách kết nạp 312 đảng viên\n\n"
        "Tin khác\nQuận Lê Chân khen thưởng 40 tập thể\nThành phố có 1.200 đảng viên mới"
    )
    assert [(f["metric"], f["value"]) for f in extract_facts(text)] == [
        ("new_members_admitted", 21)
    ]


def test_subject_named_after_the_count():
    text = "Đảng ủy Khối đã kết nạp 02 đảng viên mới tại Công ty Cổ phần Xây lắp Điện Hoàng Long."
    (fact,) = extract_facts(text, organization="Đảng ủy Khối Doanh nghiệp tỉnh")
    assert fact["metric"] == "new_members_admitted"
    assert fact["subject"] == "Công ty Cổ phần Xây lắp Điện Hoàng Long"


def test_results_tables():
    text = (
        "Đảng ủy Khối tổng kết năm 2024\n\n"
        "TT | Chỉ tiêu | Kế hoạch | Thực hiện | Tỷ lệ (%)\n"
        "1 | Kết nạp đảng viên mới | 40 | 46 | 115\n"
        "2 | Doanh thu (tỷ đồng) | 1.200 | 1.350,5 | 112,5\n\n"
        "Một số chi bộ tiêu biểu:\n\n"
        "STT | Tổ chức cơ sở đảng | Số đảng viên | Kết nạp năm 2024\n"
        "1 | Chi bộ Công ty CP Dệt Hoàng Mai | 52 | 07\n"
    )
    got = [
        (f["metric"], f["value"], f["denominator"], f["pct"], f["subject"])
        for f in extract_facts(text, organization="Đảng ủy Khối Doanh nghiệp tỉnh")
    ]
    assert got == [
        ("new_members_admitted", 46, 40, 115, None),
        ("revenue_vnd", 1_350_500_000_000, 1_200_000_000_000, 112.5, None),
        ("party_members", 52, None, None, "Chi bộ Công ty CP Dệt Hoàng Mai"),
        ("new_members_admitted", 7, None, None, "Chi bộ Công ty CP Dệt Hoàng Mai"),
    ]
    for f in extract_facts(text):
        assert text[f["start"] : f["end"]] == f["evidence"] and "|" in f["evidence"]


def test_abbreviated_cues():
    text = "Đến nay, ĐUK KCN có 52 TCCSĐ với 1.240 ĐV, 85 DN thành viên. ĐUK đã kết nạp 36 ĐV mới."
    got = sorted((f["metric"], f["value"]) for f in extract_facts(text))
    assert got == [
        ("grassroots_party_orgs", 52),
        ("member_units", 85),
        ("new_members_admitted", 36),
        ("party_members", 1240),
    ]
