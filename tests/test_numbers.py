"""Vietnamese number grammar: every written form reads back as the number a reader sees."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vnreport.transforms.numbers import (
    find_quantities,
    format_vn,
    nfc_with_map,
    parse_digits,
    parse_number,
    parse_words,
)


@pytest.mark.parametrize(
    ("written", "value"),
    [
        ("1.840", 1840),
        ("9.605,38", 9605.38),
        ("2492", 2492),
        ("02", 2),
        ("143,8", 143.8),
        ("2.086.287", 2086287),
        ("1,234.5", 1234.5),
        ("8.1", 8.1),
    ],
)
def test_digits(written, value):
    assert parse_digits(written)[0] == pytest.approx(value)


def test_english_grouping_is_offered_as_an_alternative():
    value, alt = parse_digits("1,840")
    assert value == pytest.approx(1.84)
    assert alt == 1840


@pytest.mark.parametrize(
    ("words", "value"),
    [
        ("sáu", 6),
        ("mười", 10),
        ("mười lăm", 15),
        ("ba mươi mốt", 31),
        ("hai mươi tư", 24),
        ("bốn mươi lăm", 45),
        ("một trăm linh năm", 105),
        ("hai trăm lẻ ba", 203),
        ("ba trăm hai mươi", 320),
        ("hai chục", 20),
        ("một nghìn hai trăm", 1200),
        ("hai triệu ba trăm nghìn", 2_300_000),
        ("một nghìn tỷ", 1e12),
    ],
)
def test_words(words, value):
    assert parse_words(words) == value
    assert parse_number(words) == value


@pytest.mark.parametrize(
    ("text", "value", "value_max", "qualifier", "denominator", "is_pct"),
    [
        ("hơn 3,2 ngàn đảng viên", 3200, None, "over", None, False),
        ("khoảng 2,5 vạn lao động", 25000, None, "approx", None, False),
        ("ước đạt 9.605,38 tỷ đồng", 9_605_380_000_000, None, "estimated", None, False),
        ("được 474 triệu đồng", 474_000_000, None, None, None, False),
        ("từ 9 - 10 triệu đồng/người/tháng", 9e6, 1e7, "range", None, False),
        ("kết nạp 69/48 đảng viên mới", 69, None, None, 48, False),
        ("đạt 143,8 % kế hoạch", 143.8, None, None, None, True),
        ("trên 98%", 98, None, "over", None, True),
        ("gần 30 đoàn khách", 30, None, "nearly", None, False),
        ("dưới 7,5 triệu đồng", 7_500_000, None, "under", None, False),
        ("xấp xỉ 2.310 tỷ đồng", 2_310_000_000_000, None, "approx", None, False),
        ("với 2.117tổ chức cơ sở đảng", 2117, None, None, None, False),
        ("có 2492 đảng viên", 2492, None, None, None, False),
        ("sáu chi bộ", 6, None, None, None, False),
        ("ba mươi mốt đảng viên", 31, None, None, None, False),
        ("1,2 nghìn tỷ đồng", 1.2e12, None, None, None, False),
        ("tăng 8 - 10%", 8, 10, "range", None, True),
        ("có\u00a0122\u00a0chi bộ", 122, None, None, None, False),
        ("có\u202f45 đảng viên", 45, None, None, None, False),
    ],
)
def test_quantities(text, value, value_max, qualifier, denominator, is_pct):
    (q,) = find_quantities(text)
    assert q.value == pytest.approx(value)
    assert q.value_max == (pytest.approx(value_max) if value_max else None)
    assert q.qualifier == qualifier
    assert q.denominator == denominator
    assert q.is_pct == is_pct
    assert text[q.start : q.end].strip()[0].isalnum()


def test_money_per_person_month():
    (q,) = find_quantities("thu nhập bình quân 8,12 triệu đồng/người/tháng")
    assert q.is_money and q.per_person_month
    assert q.value == pytest.approx(8_120_000)
    (q,) = find_quantities("số đảng viên tăng 383 đồng chí")
    assert not q.is_money  # `đồng chí` is a comrade, not money


@pytest.mark.parametrize(
    "text",
    [
        "Ngày 29/12, tại hội trường",
        "Sáng ngày 30/3/2024, Cụm tổ chức",
        "Ngày đăng 10/03/2023 | 14:49 | Lượt xem: 1428",
        "năm 2023 và nhiệm kỳ 2020 -2025",
        "theo Thông báo số 475-TB/ĐUK của Ban Thường vụ",
        "thực hiện Chỉ thị 05-CT/TW và Chỉ thị 28 của Ban Bí thư",
        "Quyết định số 123/QĐ-UBND",
        "Cụm số 7 và Đại hội XIII",
        "Hội nghị lần thứ 6 Ban Chấp hành Trung ương",
        "đại dịch Covid-19 và COVID – 19",
        "trong 3 tháng đầu năm",
        "Huy hiệu 30 năm tuổi Đảng",
        "1. Tăng cường công tác kiểm tra",
        "1.jpg",
        "anh-hoi-nghi-2.png",
        "Hôm nay:\n457\nTất cả:\n2086287",
        "User Online:2098 Total visited: 4810612",
        "nhân ngày Doanh nhân Việt Nam (13/10)",
        "quý 1/2024",
        "hàng trăm lao động và một số đơn vị",
        "Năm là, đẩy mạnh công tác kiểm tra",
        "https://example.vn/tin-tuc/6664457-dang-uy.html",
        "cách mạng công nghiệp 4.0",
        "lúc 8h30 và 14 giờ 30",
        "Trong năm Công ty đã hoàn thành kế hoạch",  # the year, then a clause
    ],
)
def test_not_quantities(text):
    assert find_quantities(text) == []


def _vn(value: float, decimals: int) -> str:
    return format_vn(value, decimals)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_integer_roundtrip(n):
    assert parse_number(_vn(n, 0)) == n


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9), st.integers(min_value=1, max_value=3))
def test_decimal_roundtrip(n, decimals):
    value = n / 10**decimals
    assert parse_number(_vn(value, decimals)) == pytest.approx(value)


_UNITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]


def _spell_below_1000(n: int) -> list[str]:
    """Vietnamese words for 1..999, written the way reports spell them."""
    h, rest = divmod(n, 100)
    t, u = divmod(rest, 10)
    out = [_UNITS[h], "trăm"] if h else []
    if t == 0:
        if u:
            out += (["linh"] if h else []) + [_UNITS[u]]
    elif t == 1:
        out += ["mười"] + (["lăm" if u == 5 else _UNITS[u]] if u else [])
    else:
        out += [_UNITS[t], "mươi"]
        if u:
            out.append({1: "mốt", 4: "tư", 5: "lăm"}.get(u, _UNITS[u]))
    return out


def _spell(n: int) -> str:
    thousands, below = divmod(n, 1000)
    words = (_spell_below_1000(thousands) + ["nghìn"]) if thousands else []
    if below:
        if thousands and below < 100:
            words += ["không", "trăm"]
        words += _spell_below_1000(below)
    return " ".join(words)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=1, max_value=999_999))
def test_words_roundtrip(n):
    assert parse_words(_spell(n)) == n


@given(st.text(alphabet="aăâeêioôơuưyàáảãạ ̣̀́̉̃đĐ0123456789.,/%-", max_size=60))
def test_nfc_map_offsets(text):
    nfc, index = nfc_with_map(text)
    assert nfc == unicodedata.normalize("NFC", text)
    if index is not None:
        assert len(index) == len(nfc) + 1
        assert all(0 <= i <= len(text) for i in index)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("thành lập mười bốn công đoàn cơ sở", 14),
        ("trao hơn ba ngàn phần quà cho công nhân", 3000),
        ("công nhận năm sáng kiến", 5),
    ],
)
def test_spelled_counts_of_more_nouns(text, value):
    (q,) = find_quantities(text)
    assert q.value == value and q.words
