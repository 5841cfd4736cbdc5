"""Document fields: who reports, where, for which period, at which meeting, from which source.

A report article names its organization in the headline and again in the
meeting sentence (`Ngày 29/12, ... Xí nghiệp X tổ chức Hội nghị tổng kết năm
2023`); the period and the kind of review come from the words right after the
review verb, not from the plans for next year that follow. Dates written
without a year (`Ngày 29/12`) take the year a reader would give them from the
period under review, and are marked `inferred`.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterator
from datetime import date

from vnreport.records import CleanDoc
from vnreport.transforms.numbers import without_lookbehind, word_matches

PROVINCES = (
    "An Giang|Bà Rịa - Vũng Tàu|Bà Rịa-Vũng Tàu|Bạc Liêu|Bắc Giang|Bắc Kạn|Bắc Ninh|Bến Tre|"
    "Bình Dương|Bình Định|Bình Phước|Bình Thuận|Cà Mau|Cao Bằng|Cần Thơ|Đà Nẵng|Đắk Lắk|"
    "Đắk Nông|Điện Biên|Đồng Nai|Đồng Tháp|Gia Lai|Hà Giang|Hà Nam|Hà Nội|Hà Tĩnh|Hải Dương|"
    "Hải Phòng|Hậu Giang|Hòa Bình|Hồ Chí Minh|Hưng Yên|Khánh Hòa|Kiên Giang|Kon Tum|Lai Châu|"
    "Lạng Sơn|Lào Cai|Lâm Đồng|Long An|Nam Định|Nghệ An|Ninh Bình|Ninh Thuận|Phú Thọ|Phú Yên|"
    "Quảng Bình|Quảng Nam|Quảng Ngãi|Quảng Ninh|Quảng Trị|Sóc Trăng|Sơn La|Tây Ninh|Thái Bình|"
    "Thái Nguyên|Thanh Hóa|Thừa Thiên Huế|Huế|Tiền Giang|Trà Vinh|Tuyên Quang|Vĩnh Long|Vĩnh Phúc|"
    "Yên Bái"
)
# Districts of the centrally governed cities, so a district-level report can be placed.
CITY_DISTRICTS = {
    "Hà Nội": "Ba Đình|Hoàn Kiếm|Tây Hồ|Long Biên|Cầu Giấy|Đống Đa|Hai Bà Trưng|Hoàng Mai|"
    "Thanh Xuân|Nam Từ Liêm|Bắc Từ Liêm|Hà Đông|Sơn Tây|Ba Vì|Chương Mỹ|Đan Phượng|Đông Anh|"
    "Gia Lâm|Hoài Đức|Mê Linh|Mỹ Đức|Phú Xuyên|Phúc Thọ|Quốc Oai|Sóc Sơn|Thạch Thất|Thanh Oai|"
    "Thanh Trì|Thường Tín|Ứng Hòa",
    "Hải Phòng": "Hồng Bàng|Ngô Quyền|Lê Chân|Hải An|Kiến An|Đồ Sơn|Dương Kinh|An Dương|An Lão|"
    "Kiến Thụy|Thủy Nguyên|Tiên Lãng|Vĩnh Bảo|Cát Hải|Bạch Long Vĩ",
    "Đà Nẵng": "Hải Châu|Thanh Khê|Sơn Trà|Ngũ Hành Sơn|Liên Chiểu|Cẩm Lệ|Hòa Vang",
    "Hồ Chí Minh": "Bình Thạnh|Gò Vấp|Phú Nhuận|Tân Bình|Tân Phú|Bình Tân|Thủ Đức|Củ Chi|Hóc Môn|"
    "Bình Chánh|Nhà Bè|Cần Giờ",
    "Cần Thơ": "Ninh Kiều|Bình Thủy|Cái Răng|Ô Môn|Thốt Nốt|Phong Điền|Cờ Đỏ|Thới Lai|Vĩnh Thạnh",
}
UPPERCASE_LETTERS = "".join(c for c in map(chr, range(0x41, 0x1F00)) if c.isupper() and c.isalpha())
_UP = UPPERCASE_LETTERS
_NAME = rf"[{_UP}][\w]*(?:[ \u00a0][{_UP}\d][\w]*){{0,3}}"
PROVINCE_RE = re.compile(rf"(?=[ABCĐGHKLNPQSTVY])(?<!\w)({PROVINCES})(?!\w)")
PROVINCE_PREFIXED_RE = re.compile(
    rf"(?<!\w)(?:tỉnh|thành phố|Thành phố|TP\.?|Tp\.?|TP\.HCM)[ \u00a0]*({PROVINCES})(?!\w)"
)
DISTRICT_RE = re.compile(
    rf"(?<!\w)(?:quận|Quận|huyện|Huyện|thị xã|Thị xã)(?: ủy| uỷ)?[ \u00a0]+({_NAME})"
)
CITY_RE = re.compile(rf"(?<!\w)(?:thành phố|Thành phố|TP\.?|Tp\.?)[ \u00a0]*({_NAME})")
# `có trụ sở tại thành phố Vinh`, `đóng chân trên địa bàn huyện Lộc Ninh`: the reporter's seat
SEAT_RE = re.compile(
    r"(?<!\w)(?:trụ sở(?: chính)?|đóng chân|đặt|có địa chỉ|tọa lạc|toạ lạc|đóng)[ \u00a0]+"
    r"(?:tại|ở|trên địa bàn)[ \u00a0]+(?:(?:phường|xã|thị trấn)[^,;.]{1,30},[ \u00a0]*)?"
    rf"(?:quận|huyện|thị xã|(thành phố|TP\.?|Tp\.?))[ \u00a0]*({_NAME})"
)
# The same without their leading look-behind, for `word_matches` (the scans of a whole page).
PROVINCE_FAST = without_lookbehind(PROVINCE_RE)
PROVINCE_PREFIXED_FAST = without_lookbehind(PROVINCE_PREFIXED_RE)
DISTRICT_FAST = without_lookbehind(DISTRICT_RE)
SEAT_FAST = without_lookbehind(SEAT_RE)
ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
REVIEW_RE = re.compile(
    r"(?<!\w)(?:tổng kết|sơ kết|giao ban|đánh giá|kiểm điểm|báo cáo|hội nghị|đại hội|tổng kết công tác)(?!\w)",
    re.I,
)
PERIOD_RE = re.compile(
    r"(?P<half>(?:6|sáu) tháng (?P<which>đầu|cuối) năm[ \u00a0]*(?P<hy>\d{4})?)|"
    r"(?P<q>quý[ \u00a0]+(?P<qn>IV|III|II|I|[1-4])(?![\w])(?:[ \u00a0]*(?:năm[ \u00a0]*|/[ \u00a0]*)(?P<qy>\d{4}))?)|"
    r"(?P<term>nhiệm kỳ[ \u00a0]*(?P<t1>\d{4})[ \u00a0]*[-–][ \u00a0]*(?P<t2>\d{4}))|"
    r"(?P<year>năm[ \u00a0]+(?P<y>\d{4}))",
    re.I,
)
FUTURE_BEFORE_RE = re.compile(
    r"(?:triển khai|phương hướng|kế hoạch|nhiệm vụ|chương trình công tác|thực hiện chương trình)"
    r"[ \u00a0\w,]{0,25}$",
    re.I,
)
DATE_RE = re.compile(
    r"(?<!\d)(?P<d>\d{1,2})[ \u00a0]*[/.\-][ \u00a0]*(?P<m>\d{1,2})(?:[ \u00a0]*[/.\-][ \u00a0]*(?P<y>\d{4}))?(?![\d/])"
)
MEETING_VERB_RE = re.compile(
    r"(?<!\w)(?:đã )?(?:tổ chức|tiến hành|long trọng tổ chức|họp|tổng kết|sơ kết|"
    r"tổ chức hội nghị|tổ chức sinh hoạt|tổ chức lễ)(?!\w)",
    re.I,
)
MEETING_NOUN_RE = re.compile(
    r"[ \u00a0]*(?:Hội nghị|hội nghị|Đại hội|đại hội|Lễ|lễ|buổi|sinh hoạt|giao ban|tổng kết|sơ kết|"
    r"họp|phiên|kỳ họp|cuộc họp|hội thảo|tọa đàm|chương trình)",
)
DAY_CUE_RE = re.compile(r"(?:ngày|Ngày|sáng|Sáng|chiều|Chiều|tối|Tối|trưa|Trưa|hôm|Hôm)[ \u00a0]*$")
# Words that start the name of an organization (longest first where one contains another).
ORG_HEAD = (
    r"Đảng ủy Khối|Đảng bộ Khối|Đảng ủy|Đảng uỷ|Đảng bộ|Chi bộ|Tổng công ty|Tổng Công ty|Công ty|"
    r"Tập đoàn|Ngân hàng|Xí nghiệp|Nhà máy|Nông trường|Lâm trường|Trường|Bệnh viện|Hợp tác xã|HTX|"
    r"Cụm|Khu công nghiệp|"
    r"KCN|Trung tâm|Ban|Liên đoàn|Công đoàn|Chi nhánh|Viện|Hiệp hội|Hội"
)
ORG_START_RE = re.compile(rf"(?<!\w)(?:{ORG_HEAD})(?!\w)")
PUBLISHED_RE = re.compile(
    r"(?:(?:Thứ (?:Hai|Ba|Tư|Năm|Sáu|Bảy|hai|ba|tư|năm|sáu|bảy)|Chủ nhật|Chủ Nhật),?[\s\u00a0]*"
    r"(?:ngày[\s\u00a0]*)?(?=\d{1,2}[/.\-]\d{1,2}[/.\-]\d{4}[\s\u00a0|,-]*\d{1,2}[:h]\d{2})|"
    r"Ngày đăng|Đăng ngày|Ngày xuất bản|Xuất bản|Cập nhật|Ngày cập nhật|Đăng lúc|Thời gian đăng)"
    r"[:\s\u00a0]*(?:lúc[\s\u00a0]*\d{1,2}[:h]\d{2}[\s\u00a0]*,?[\s\u00a0]*)?(?:ngày[\s\u00a0]*)?"
    r"(?P<d>\d{1,2})[/.\-](?P<m>\d{1,2})[/.\-](?P<y>\d{4})",
    re.I,
)
SOURCE_RE = re.compile(
    r"(?:^|\n)[ \t\u00a0]*(?:Nguồn|Theo)[ \t\u00a0]*[:\-–][ \t\u00a0]*(?P<s>[^\n,;]+)", re.I
)


def _nfc(s: str) -> str:
    return unicodedata.normalize("NFC", s)


def fold(s: str) -> str:
    """A name as compared: NFC, whitespace collapsed, case folded."""
    return re.sub(r"\s+", " ", _nfc(str(s))).strip().casefold()


def _iso(y: int, m: int, d: int) -> str | None:
    try:
        return date(y, m, d).isoformat()
    except ValueError:
        return None


def _lines(text: str) -> list[str]:
    return [ln.strip() for ln in text.split("\n") if ln.strip()]


def _title(doc: CleanDoc, text: str) -> str | None:
    if doc.title:
        return _nfc(doc.title).strip()
    lines = _lines(text)
    for ln in lines[:3]:
        if len(ln) >= 20 and not ln.endswith(":") and len(ln) < 300:
            return ln
    return None


# A sentence: up to a line break or a full stop followed by a space (`5.420` stays whole).
SENTENCE_RE = re.compile(r"[^\n.]*(?:\.(?!\s)[^\n.]*)*")


def _head_sentences(text: str) -> Iterator[str]:
    """The sentences of the article's opening, where the meeting is told."""
    for m in SENTENCE_RE.finditer(text, 0, 4000):
        yield m.group()


def _meeting_sentence(text: str) -> str | None:
    """The first sentence that dates a meeting and says who held it."""
    for s in _head_sentences(text):
        if len(s) < 30:
            continue
        v = MEETING_VERB_RE.search(s)
        if v and MEETING_NOUN_RE.match(s, v.end()) and _day_date(s):
            return s
    return None


# `tại Hội nghị sơ kết giữa nhiệm kỳ ..., tổ chức ngày 21/3/2023`: the meeting named first,
# then when it was held.
HELD_ON_RE = re.compile(
    r"(?<!\w)(?:Hội nghị|hội nghị|Đại hội|đại hội|Lễ|lễ|Hội thảo|hội thảo)(?!\w)[^.;\n]{0,220}?"
    r"(?:được[ \u00a0]+)?(?:tổ chức|diễn ra|khai mạc|họp)[ \u00a0]+(?:vào[ \u00a0]+)?"
    r"(?:(?:sáng|chiều|tối|trưa)[ \u00a0]+)?(?:ngày[ \u00a0]+)?(?=\d{1,2}[ \u00a0]*[/.\-])"
)


def _held_on_sentence(text: str) -> str | None:
    """The first sentence that says a meeting was held on a day, when no sentence has a
    body holding one (`_meeting_sentence`): it dates the meeting, it names no reporter."""
    for s in _head_sentences(text):
        h = HELD_ON_RE.search(s)
        if h and _day_date(s[h.end() - 12 :]):
            return s[h.start() :]
    return None


def _day_date(s: str) -> re.Match | None:
    """A day written as a date (`ngày 29/12`, `Sáng 12/01/2024`), not a ratio (`06/05 chi bộ`)."""
    for m in DATE_RE.finditer(s):
        if DAY_CUE_RE.search(s[max(0, m.start() - 12) : m.start()]) or m.start() < 3:
            return m
    return None


def _org_before_verb(s: str) -> str | None:
    """The organization named as the subject of the meeting verb in `s`."""
    v = MEETING_VERB_RE.search(s)
    if not v:
        return None
    left = s[: v.start()]
    # `Tại Công ty X, Cụm số 7 tổ chức ...`: the subject is the last comma-separated part
    # that starts with an organization
    parts = [m.end() for m in re.finditer(rf",[ \u00a0]*(?=(?:{ORG_HEAD})(?!\w))", left)]
    if parts:
        left = left[parts[-1] :]
    starts = [m.start() for m in ORG_START_RE.finditer(left)]
    for st in starts:
        cand = left[st:].strip(" ,;:–-")
        # a clause break between the name and the verb means it is not the subject
        if re.search(r"[,;]\s*(?:[Tt]ại|[Ss]áng|[Cc]hiều|[Nn]gày)", cand):
            continue
        cand = re.sub(r"\s+(?:đã|vừa|sẽ|long trọng)$", "", cand).strip()
        cand = re.split(rf"\s*[:|–]\s+|\s+-\s+(?=[{_UP}])(?![^()]*\))", cand)[0].strip()
        cand = re.sub(r"\s*\((?:trực thuộc|thuộc)[^)]*\)", "", cand)
        # `Cụm thi đua số 2 gồm 7 doanh nghiệp ...`, `Đảng bộ X với 500 đảng viên`: what
        # follows describes the body, it is not part of its name
        cand = re.split(r"\s+(?:trực thuộc|thuộc|của|bao gồm|gồm|với)\s+", cand)[0].strip()
        if 3 <= len(cand) <= 120:
            return cand
    return None


def _complete(name: str, text: str, district: str | None, place: str | None) -> str:
    """`Đảng ủy khối doanh nghiệp quận` -> the fuller `... quận Tây Hồ` the text also uses."""
    if not re.search(r"(?:quận|huyện|tỉnh|thành phố|thị xã)$", name, re.I):
        return name
    m = re.search("(?i:" + re.escape(name) + rf")[ \u00a0]+({_NAME})", text)
    if m:
        return name + " " + m.group(1)
    level = name.split()[-1].lower()
    if level in ("quận", "huyện", "thị xã") and (district or place):
        return f"{name} {district or place}"
    return name


def _title_place(title: str | None) -> str | None:
    """`Tây Hưng: Đảng ủy Khối ... quận sơ kết ...`: a headline led by a place name."""
    m = re.match(rf"({_NAME})[ \u00a0]*:", title or "")
    if m and not ORG_START_RE.match(m.group(1)) and len(m.group(1).split()) <= 4:
        return m.group(1)
    return None


def _prefer_body_name(name: str, text: str) -> str:
    """`Đảng ủy X` is the committee; when the text also names `Đảng bộ X`, that is the body."""
    m = re.match(r"(Đảng ủy|Đảng uỷ)\s+(.*)", name, re.I)
    if not m:
        return name
    tail = m.group(2)
    hit = re.search(r"Đảng bộ\s+" + re.escape(tail).replace(r"\ ", r"\s+") + r"(?!\w)", text, re.I)
    return hit.group() if hit else name


# Organs that lead a body's name when they hold its meeting together.
ORGAN_LEAD_RE = re.compile(
    r"(?:Đảng ủy|Đảng uỷ|Ban Thường vụ|Ban Chấp hành|Ban [Tt]ổng [Gg]iám đốc|Ban [Gg]iám đốc|"
    r"Hội đồng [Qq]uản trị|HĐQT|Ban [Ll]ãnh đạo|Ban [Đđ]iều hành|Công đoàn)"
    r"(?:,?[ \u00a0]+(?:và|cùng)?[ \u00a0]*(?:Đảng ủy|Ban|Hội đồng|HĐQT|Công đoàn)[^,]*?)?[ \u00a0]"
)
TITLE_LEAD_ORG_RE = re.compile(rf"((?:{ORG_HEAD})(?!\w)[^:|\n]{{2,100}}?)[ \u00a0]*:[ \u00a0]")
# Legal-form words a headline drops from a company's name (`Công ty Cà phê X` for
# `Công ty TNHH MTV Cà phê X`).
LEGAL_FORM = r"TNHH|MTV|CP|CTCP|Cổ phần|cổ phần|Trách nhiệm hữu hạn|trách nhiệm hữu hạn|một thành viên|Một thành viên"
_COMPANY_RE = re.compile(r"(?<!\w)((?:Tổng )?[Cc]ông ty)(?!\w)")


def _with_legal_form(name: str, body: str) -> str:
    """The company's full legal name when the text writes it and `name` left its form out."""
    m = _COMPANY_RE.search(name)
    if not m or re.search(rf"(?<!\w)(?:{LEGAL_FORM})(?!\w)", name):
        return name
    words = [re.escape(w) for w in name[m.end() :].split()]
    if not words:
        return name
    pattern = (
        re.escape(name[: m.end()]).replace(r"\ ", r"[ \u00a0]+")
        + rf"(?:[ \u00a0]+(?:{LEGAL_FORM}))*[ \u00a0]+"
        + r"[ \u00a0]+".join(words)
        + rf"(?:[ \u00a0]*[–-][ \u00a0]*(?:{LEGAL_FORM}))?(?!\w)"
    )
    for full in re.finditer(pattern, body):
        found = " ".join(full.group().split())
        if found != " ".join(name.split()):
            return found  # `Tổng công ty X – CTCP`, `Công ty TNHH MTV X`
    return name


ADDRESS_PAREN = re.compile(
    r"\s*\((?=[^()]*\b(?:phường|xã|thị trấn|quận|huyện|thị xã|thành phố|TP\.?|tỉnh)\s)[^()]*\)$"
)


def _organization(
    title: str | None, text: str, msent: str | None, district: str | None
) -> str | None:
    a = _org_before_verb(title) if title else None
    if a is None and title:
        m = ORG_START_RE.search(title)
        if m and m.start() == 0:
            v = re.search(
                r"\s(?:tổ chức|tổng kết|sơ kết|quyết tâm|đẩy mạnh|triển khai|giao ban|họp|"
                r"đạt|hoàn thành|kết nạp|phát động|nâng cao|thực hiện)\b",
                title,
            )
            a = title[: v.start()].strip() if v else None
            if a:
                a = re.split(r"\s*[:|]\s*", a)[0].strip() or None
            if a is None:
                # `Đảng bộ Công ty X: Nửa nhiệm kỳ ...`: a headline led by the body's name
                head = TITLE_LEAD_ORG_RE.match(title)
                a = head.group(1).strip() if head else None
    b = _org_before_verb(msent) if msent else None
    body = text[len(title) :] if title and text.startswith(title) else text
    if a and b:
        fa, fb = a.casefold(), b.casefold()
        if fa.startswith(fb) or fb.startswith(fa):
            name = a if len(a) > len(b) else b  # one is the other cut short
        elif fb.endswith(" " + fa) and ORGAN_LEAD_RE.match(b):
            name = a  # `Đảng ủy và Ban Tổng giám đốc Tổng công ty X`: the organs of X
        else:
            name = a if body.count(a) > body.count(b) else b
    else:
        name = a or b
    if not name:
        return None
    name = re.sub(rf"\s*\((?:tỉnh |TP\.? |thành phố )?(?:{PROVINCES})\)$", "", name)
    # `Công ty X (phường An Hòa, TP Rạch Giá, tỉnh Kiên Giang)`: an address, not the name
    name = re.sub(ADDRESS_PAREN, "", name)
    name = _prefer_body_name(name, text)
    name = _with_legal_form(name, body)
    return _complete(name, text, district, _title_place(title))


def _province(text: str, district: str | None) -> tuple[str | None, bool]:
    text = text[:8000]  # the place is named early; the rest is quotes and related links
    pre = Counter(m.group(1) for m in word_matches(PROVINCE_PREFIXED_FAST, text))
    if pre:
        return _canon_province(pre.most_common(1)[0][0]), False
    if district:
        for prov, names in CITY_DISTRICTS.items():
            if re.fullmatch(names, district):
                return prov, True
    # `phong cách Hồ Chí Minh` is a person, not the city: the city needs its prefix
    plain = Counter(
        m.group(1) for m in word_matches(PROVINCE_FAST, text) if m.group(1) != "Hồ Chí Minh"
    )
    if plain:
        return _canon_province(plain.most_common(1)[0][0]), True
    return None, False


def _canon_province(p: str) -> str:
    return {"Bà Rịa-Vũng Tàu": "Bà Rịa - Vũng Tàu", "Huế": "Thừa Thiên Huế"}.get(p, p)


def _place_name(raw: str) -> str:
    words = raw.split()
    cut = next((i for i, w in enumerate(words) if w[:1].islower()), len(words))
    name = " ".join(words[:cut])
    name = re.sub(r"[ \u00a0](?:Tp|TP|Thành|Tỉnh)$", "", name)
    words = name.split()
    # keep the place name, drop capitalized words of what follows (`Ngô Quyền Hải Phòng`)
    if len(words) > 3:
        name = " ".join(words[:2])
    return name


def _city(raw: str) -> str | None:
    """A city under a province (`thành phố Vinh`) is district level; a province-level one is not."""
    name = _place_name(raw)
    if not name or PROVINCE_RE.fullmatch(name) or name.startswith("Hồ Chí Minh"):
        return None
    return name


def _district(text: str, msent: str | None = None) -> str | None:
    """Where a district-level reporter sits: its seat when stated (`có trụ sở tại thành phố
    Vinh`), else the city or district in the meeting sentence, else the district named most."""
    m = next(word_matches(SEAT_FAST, text, 6000), None)
    if m:
        name = _city(m.group(2)) if m.group(1) else _place_name(m.group(2))
        if name:
            return name
    if msent:
        m = DISTRICT_RE.search(msent)
        if m:
            return _place_name(m.group(1))
        for m in CITY_RE.finditer(msent):
            name = _city(m.group(1))
            if name:
                return name
    found = Counter(_place_name(m.group(1)) for m in word_matches(DISTRICT_FAST, text, 6000))
    if not found:
        return None
    return found.most_common(1)[0][0]


def _period(title: str | None, msent: str | None, text: str) -> str | None:
    for src in (msent, title, text[:1500]):
        if not src:
            continue
        rv = REVIEW_RE.search(src)
        start = rv.start() if rv else 0
        p = _first_period(src, start)
        if p is None and start:
            p = _first_period(src, 0)
        if p:
            return p
    return None


def _reviewed_term(text: str, new_term: str) -> str:
    """A congress opens a term and reviews the one that ends: the report is about the latter."""
    start = new_term[:4]
    for m in re.finditer(r"(?<!\d)(\d{4})[ \u00a0]*[-–][ \u00a0]*(\d{4})(?!\d)", text):
        if m.group(2) == start:
            return f"{m.group(1)}-{m.group(2)}"
    return new_term


def _first_period(s: str, start: int) -> str | None:
    for m in PERIOD_RE.finditer(s, start):
        if FUTURE_BEFORE_RE.search(s[max(0, m.start() - 40) : m.start()]):
            continue
        if m.group("half"):
            y = m.group("hy") or _year_near(s, m.end())
            if y:
                return f"{y}-H{1 if m.group('which').lower() == 'đầu' else 2}"
        elif m.group("q"):
            y = m.group("qy") or _year_near(s, m.end())
            qn = m.group("qn").lower()
            n = ROMAN.get(qn) or int(qn)
            if y:
                return f"{y}-Q{n}"
        elif m.group("term"):
            return f"{m.group('t1')}-{m.group('t2')}"
        elif m.group("y"):
            return m.group("y")
    return None


def _year_near(s: str, pos: int) -> str | None:
    """The year a `quý III` or `6 tháng đầu năm` belongs to: the next one written after it."""
    m = re.search(r"(?<!\d)(19|20)\d{2}(?!\d)", s[pos : pos + 200])
    return m.group() if m else None


def _report_type(title: str | None, msent: str | None, text: str = "") -> str:
    rt = _report_type_in(" ".join(x for x in (title, msent) if x).lower())
    if rt == "other" and text:
        rt = _report_type_in(text[:3000].lower())  # the lead may be missing; the body says it
    return rt


def _report_type_in(s: str) -> str:
    if "giữa nhiệm kỳ" in s:
        return "mid_term_review"
    if re.search(
        r"(?<!nghị quyết )(?<!quyết )đại hội (?:đại biểu|đảng bộ|chi bộ|lần)", s
    ) and not re.search(r"nghị quyết đại hội", s):
        return "congress"
    if re.search(r"(?:6|sáu) tháng|giữa năm|nửa đầu năm", s):
        return "half_year_review"
    if re.search(r"giao ban|quý", s):
        return "quarterly_briefing"
    if re.search(r"tổng kết|cuối năm", s):
        return "year_end_review"
    return "other"


def _meeting_date(msent: str | None, period: str | None, rtype: str, published: str | None):
    if not msent:
        return None, False
    m = _day_date(msent)
    if not m:
        return None, False
    d, mo = int(m.group("d")), int(m.group("m"))
    if m.group("y"):
        return _iso(int(m.group("y")), mo, d), False
    year = None
    if period:
        year = int(period[:4]) if not re.match(r"\d{4}-\d{4}$", period) else None
        if year and rtype == "year_end_review" and mo <= 3:
            year += 1
    if year is None and published:
        year = int(published[:4])
    if year is None:
        return None, False
    return _iso(year, mo, d), True


def _published(doc: CleanDoc, text: str) -> str | None:
    if doc.published_date:
        return doc.published_date[:10]
    m = PUBLISHED_RE.search(text[:3000])
    if m:
        return _iso(int(m.group("y")), int(m.group("m")), int(m.group("d")))
    return None


def _source(text: str) -> str | None:
    found = None
    for m in SOURCE_RE.finditer(text):
        found = m.group("s").strip(" .")
    if found and 2 <= len(found) <= 120:
        return found
    return None


def document_fields(doc: CleanDoc) -> list[dict]:
    """Document-field records (`doc`, `field`, `value`, `inferred`) for one cleaned document."""
    text = _nfc(doc.text or "")
    title = _title(doc, text)
    msent = _meeting_sentence(text)
    district = _district(text, msent)
    if district is None and title:
        place = _title_place(title)
        if place and re.search(r"(?:quận|huyện|thị xã)(?![\w ]*\w:)", title, re.I):
            district = place
    province, prov_inferred = _province(text, district)
    period = _period(title, msent, text)
    rtype = _report_type(title, msent, text)
    if rtype == "congress" and period and re.fullmatch(r"\d{4}-\d{4}", period):
        period = _reviewed_term(text, period)
    published = _published(doc, text)
    mdate, mdate_inferred = _meeting_date(
        msent or _held_on_sentence(text), period, rtype, published
    )
    org = _organization(title, text, msent, district)
    out = []

    def add(field: str, value: str | None, inferred: bool = False) -> None:
        if value:
            out.append({"doc": doc.doc_id, "field": field, "value": value, "inferred": inferred})

    add("title", title)
    add("organization", org)
    add("province", province, prov_inferred)
    add("district", district)
    add("period", period)
    add("report_type", rtype)
    add("meeting_date", mdate, mdate_inferred)
    add("published_date", published)
    add("source", _source(text))
    return out
