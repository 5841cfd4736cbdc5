"""Vietnamese number grammar: find quantities in text and normalize them.

Reports write `1.840` for 1840 and `9.605,38` for 9605.38, pad with zeros
(`02`), multiply with scale words (`3,2 ngàn`, `474 triệu đồng`), spell small
counts in words (`sáu chi bộ`, `ba mươi mốt`), pair an achieved number with its
plan (`69/48`), give ranges (`9 - 10 triệu`) and hedge (`khoảng`, `trên`). This
module turns all of those into a `Quantity` with its exact span; deciding what a
quantity *means* (metric, subject, scope) is the extractor's job, but telling a
count from a date, a year, a document number or a list label is done here,
because it depends only on how the number is written.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

SCALES = {"nghìn": 1e3, "ngàn": 1e3, "vạn": 1e4, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9}

DIGIT_WORDS = {
    "không": 0,
    "một": 1,
    "mốt": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "tư": 4,
    "năm": 5,
    "lăm": 5,
    "nhăm": 5,
    "sáu": 6,
    "bảy": 7,
    "bẩy": 7,
    "tám": 8,
    "chín": 9,
}
_WORD_ALT = "|".join(
    sorted(
        [*DIGIT_WORDS, "mười", "mươi", "chục", "trăm", "linh", "lẻ", *SCALES],
        key=len,
        reverse=True,
    )
)
_WORD_FIRST = "".join(
    sorted({w[0] for w in _WORD_ALT.split("|")} | {w[0].upper() for w in _WORD_ALT.split("|")})
)
WORD_NUMBER_BODY = rf"(?:{_WORD_ALT})(?:[ \-](?:{_WORD_ALT}))*(?!\w)"
WORD_NUMBER_RE = re.compile(rf"(?=[{_WORD_FIRST}])(?<!\w){WORD_NUMBER_BODY}", re.I)
WORD_NUMBER_LOW_RE = re.compile(WORD_NUMBER_BODY)
_WORD_CHAR_RE = re.compile(r"\w")


def word_matches(fast_re: re.Pattern, text: str, endpos: int | None = None) -> Iterator[re.Match]:
    """The matches `(?<!\\w)` + `fast_re` would find in `text[:endpos]`, found faster.

    A pattern that starts with a look-behind (or IGNORECASE letters) makes the regex
    engine try it at every character; without one it can jump to the characters an
    alternative starts with. The look-behind is checked here instead, per match.
    """
    end = len(text) if endpos is None else min(endpos, len(text))
    pos = 0
    while (m := fast_re.search(text, pos, end)) is not None:
        s = m.start()
        if s and _WORD_CHAR_RE.match(text, s - 1):
            pos = s + 1  # inside a word: the look-behind would have failed here
            continue
        yield m
        pos = max(m.end(), s + 1)


def without_lookbehind(pattern: re.Pattern) -> re.Pattern:
    """`(?<!\\w)X` (optionally led by a `(?=[...])` first-letter hint) as `X`, for `word_matches`."""
    src = re.sub(r"^\(\?=\[[^\]]*\]\)", "", pattern.pattern)
    if not src.startswith("(?<!\\w)"):
        raise ValueError(f"pattern does not start with a word-start look-behind: {src[:40]!r}")
    return re.compile(src[len("(?<!\\w)") :], pattern.flags)


def word_spans(low_re: re.Pattern, slow_re: re.Pattern, text: str) -> list[tuple[int, int]]:
    """Spans of whole-word matches, as `slow_re` (`(?<!\\w)...`, IGNORECASE) finds them.

    `low_re` is the same pattern in lower case, with no flag and no look-behind at
    its start, searched in the lower-cased text (see `word_matches`). Lower-casing
    keeps offsets for Vietnamese; a text where it does not (a rare letter whose lower
    case is two characters) takes the slow pattern.
    """
    low = text.lower()
    if len(low) != len(text):
        return [m.span() for m in slow_re.finditer(text)]
    return [m.span() for m in word_matches(low_re, low)]


# A run of digits with Vietnamese or English grouping; must end on a digit so a
# full stop or comma after a number is never swallowed.
DIGITS_RE = re.compile(r"\d(?:[\d.,]*\d)?")
# Any space a page may put between words: \s covers NBSP and the Unicode spaces, not U+200B.
SPACE = r"[\s\u200b]"
SCALE_RE = re.compile(
    rf"{SPACE}*(nghìn|ngàn|vạn|triệu|tỷ|tỉ)(?:{SPACE}+(nghìn|ngàn|triệu|tỷ|tỉ))?(?!\w)", re.I
)
PCT_RE = re.compile(rf"{SPACE}*(?:%|phần trăm(?!\w))", re.I)
MONEY_RE = re.compile(
    rf"{SPACE}*(?:đồng(?!{SPACE}+(?:chí|bào|đội|nghiệp|hành|lòng|thời|ý|tâm))|VNĐ|VND|vnđ|đ)(?!\w)"
    rf"(?P<per>{SPACE}*/{SPACE}*(?:người|lao động|LĐ|công nhân|CN)"
    rf"{SPACE}*/{SPACE}*tháng|{SPACE}*/{SPACE}*tháng{SPACE}*/{SPACE}*(?:người|lao động)"
    rf"|{SPACE}*/{SPACE}*tháng|{SPACE}*/{SPACE}*người{SPACE}*/{SPACE}*năm)?",
    re.I,
)
# `1 tỷ 250 triệu`, `2 triệu 500 nghìn`: the remainder in a smaller scale word, one amount.
COMPOUND_RE = re.compile(rf"{SPACE}+(\d{{1,3}}(?:,\d+)?){SPACE}*(nghìn|ngàn|triệu)(?!\w)", re.I)
RANGE_SEP_RE = re.compile(rf"{SPACE}*(?:[-–—]|đến|tới){SPACE}*", re.I)
RATIO_SEP_RE = re.compile(rf"{SPACE}*/{SPACE}*")

QUALIFIERS = [
    ("approx", r"bình quân khoảng|khoảng|xấp xỉ|chừng|độ"),
    ("estimated", r"ước đạt|ước tính|ước thực hiện|ước"),
    ("over", r"trên|hơn|vượt|ngoài"),
    ("under", r"dưới|chưa đến|chưa tới|không quá"),
    ("nearly", r"gần"),
]
QUALIFIER_RE = re.compile(
    r"(?:(?<=\W)|^)(?P<q>"
    + "|".join(f"(?P<{name}>{alt})" for name, alt in QUALIFIERS)
    + rf")(?:{SPACE}+(?:được|đạt|là|con số))?{SPACE}*$",
    re.I,
)

# `ngày công`, `giờ công` are work done, not durations
_TIME_UNITS = (
    r"năm|tháng|tuần|ngày(?! công)|giờ(?! công)|phút|giây|tiếng|thế kỷ|thập kỷ|kỳ|quý|buổi sáng|h"
)
DURATION_AFTER_RE = re.compile(rf"{SPACE}*(?:{_TIME_UNITS})(?!\w)", re.I)
# Words after which a number names or orders something instead of counting it.
# Words after which a number names or orders something instead of counting it
# (`Cụm số 7`, `lần thứ 6`, `Chỉ thị 28`, `Lượt xem: 1428`), compared on the last words.
IDENT_WORDS = {
    "số",
    "thứ",
    "lần",
    "khóa",
    "khoá",
    "kỳ",
    "đợt",
    "quý",
    "tháng",
    "ngày",
    "năm",
    "luật",
    "điều",
    "khoản",
    "chương",
    "mục",
    "cụm",
    "khu",
    "tổ",
    "phường",
    "quận",
    "xã",
    "ấp",
    "thôn",
    "khối",
    "đội",
    "phòng",
    "lô",
    "đường",
    "km",
    "tầng",
    "trang",
    "mã",
    "hotline",
    "đt",
    "sđt",
    "tel",
    "fax",
    "online",
    "visited",
    "views",
    "xem",
    "ảnh",
    "hình",
    "clip",
    "video",
    "version",
    "ver",
    "covid",
    "cấp",
    "hạng",
    "top",
    "tuổi",
    "truy cập",
    "nhiệm kỳ",
    "giai đoạn",
    "chỉ thị",
    "nghị quyết",
    "kết luận",
    "quyết định",
    "thông báo",
    "công văn",
    "kế hoạch",
    "hướng dẫn",
    "quy định",
    "thông tư",
    "nghị định",
    "hôm nay",
    "hôm qua",
    "tuần này",
    "tháng này",
    "tất cả",
    "lượt xem",
    "lượt truy cập",
    "đang online",
    "số điện thoại",
    "điện thoại",
    "phiên bản",
    "cấp độ",
}
# ... unless the last words make it a count (`tổng số 1.840`, `kỷ luật 03`).
IDENT_LAST_WORDS = frozenset(w.split()[-1] for w in IDENT_WORDS)
COUNT_WORDS = {"tổng số", "với số", "có số", "kỷ luật", "thi hành kỷ luật"}
DATE_BEFORE_RE = re.compile(
    r"(?:(?<=\W)|^)(?:ngày|hôm|sáng|chiều|tối|trưa|đêm|từ|đến|tới|trước|sau|dịp|vào|"
    r"tính đến|tính tới|đến hết|kể từ|Ngày đăng|cập nhật|ngày đăng)[\s\u00a0]*(?:ngày[\s\u00a0]*)?$",
    re.I,
)
FILE_EXT_RE = re.compile(
    r"\.(?:jpe?g|png|gif|webp|bmp|svg|pdf|docx?|xlsx?|html?|php|aspx?)\b", re.I
)
URL_RE = re.compile(r"(?:https?://|www\.)\S+", re.I)
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
LIST_LABEL_RE = re.compile(r"(?:^|\n)[ \t\u00a0]*\d{1,2}[.)](?=[ \t\u00a0])")

UNIT_AFTER_RE = re.compile(
    r"[\s\u00a0]*(?:nghìn|ngàn|vạn|triệu|tỷ|tỉ|%|phần trăm|đồng)(?!\w)", re.I
)
# Lines that point to other articles: their numbers are someone else's facts.
LINK_LINE_RE = re.compile(
    r"(?im)^[ \t\u00a0]*(?:xem thêm|đọc thêm|tin liên quan|bài liên quan|tin cùng chuyên mục)"
    r"[ \t\u00a0]*:.*$"
)
LINK_BLOCK_RE = re.compile(
    r"(?im)^[ \t\u00a0]*(?:tin khác|các tin khác|tin liên quan|bài viết liên quan|tin cùng chuyên mục|"
    r"các bài viết khác|bài viết khác|tin mới hơn|tin cũ hơn)[ \t\u00a0]*:?[ \t\u00a0]*$"
)
COUNTER_AFTER_RE = re.compile(
    rf"{SPACE}*(?:lượt (?:truy cập|xem|thích|chia sẻ|bình luận|tải)|người đang (?:xem|truy cập)|"
    rf"khách đang online|bình luận|lượt like|views?|visits?|online)(?!\w)",
    re.I,
)
DURATION_COUNT_RE = re.compile(r"[\s\u00a0]*năm[\s\u00a0]+được(?!\w)", re.I)
ESTABLISH_BEFORE_RE = re.compile(
    r"(?:thành lập|kết nạp|phát triển)(?:[\s\u00a0]+(?:mới|thêm|được))*[\s\u00a0]+$", re.I
)
# Small patterns used per number, compiled once.
DMY_AFTER_RE = re.compile(r"[\s\u00a0]*[/.\-][\s\u00a0]*\d{1,2}[\s\u00a0]*[/.\-][\s\u00a0]*\d{2,4}")
CODE_AFTER_RE = re.compile(r"-?[A-ZĐ]{1,6}(?:[/-]|\b)")
SLASH_CODE_AFTER_RE = re.compile(r"/[A-ZĐ]")
CLOCK_AFTER_RE = re.compile(r"[:hg]\d{1,2}\b", re.I)
SEP_END_RE = re.compile(r"[/.\-]\s*$")
DATE_TAIL_RE = re.compile(r"\d[\s\u00a0]*[/.\-][\s\u00a0]*$")
MORE_DATE_PARTS_RE = re.compile(r"[\s\u00a0]*[/\-][\s\u00a0]*\d")
COUNTING_WORD_BEFORE_RE = re.compile(r"(?:thứ|lần|số|khóa|mỗi|từng|các|hàng|vài|mấy)[\s\u00a0]*$")
WORD_DASH_BEFORE_RE = re.compile(r"[^\W\d_][\s\u00a0]*[-–—][\s\u00a0]*$")
VERSION_RE = re.compile(r"\d\.0")
WORD_BEFORE_RE = re.compile(r"[^\W\d_]{2,}[\s\u00a0]*$")
# `14:30`, `8h30`, `14 giờ 30`; not `năm 2020: 27/34` (a year, then a colon and a count)
CLOCK_BEFORE_RE = re.compile(r"(?<!\d)\d{1,2}(?::|[\s\u00a0]*(?:h|g|giờ)[\s\u00a0]*)$")
SLASH_DIGIT_AFTER_RE = re.compile(r"[\s\u00a0]*/[\s\u00a0]*\d")
DAY_MONTH_AFTER_RE = re.compile(r"/(\d{1,2})(?!\d)(?![\s\u00a0]*[^\W\d_])")


@dataclass
class Quantity:
    """One number as written, with what its writing alone tells."""

    start: int  # first character of the number expression (qualifier excluded)
    end: int  # after the number, its scale word and its unit mark (%, đồng/người/tháng)
    value: float
    value_max: float | None = None
    qualifier: str | None = None
    qualifier_start: int | None = None
    denominator: float | None = None
    is_pct: bool = False
    is_money: bool = False
    per_person_month: bool = False
    scaled: bool = False  # a scale word multiplied the number
    words: bool = False  # written in words
    alt_thousands: float | None = None  # `1,840`: English grouping reading, when plausible
    raw: str = ""


def parse_digits(s: str) -> tuple[float, float | None]:
    """Value of a digit run under Vietnamese conventions, plus an English-grouping alternative.

    `.` groups thousands when every group after it has three digits; a single
    `,` is the decimal mark. `1.234,5` (VN) and `1,234.5` (EN) both resolve by
    which mark comes last.
    """
    if "." in s and "," in s:
        if s.rfind(",") > s.rfind("."):
            return float(s.replace(".", "").replace(",", ".")), None
        return float(s.replace(",", "")), None
    if "." in s:
        parts = s.split(".")
        if all(len(p) == 3 for p in parts[1:]) and 1 <= len(parts[0]) <= 3:
            return float(s.replace(".", "")), None
        if len(parts) == 2:
            return float(s), None
        return float(s.replace(".", "")), None
    if "," in s:
        parts = s.split(",")
        if len(parts) > 2 and all(len(p) == 3 for p in parts[1:]):
            return float(s.replace(",", "")), None
        if len(parts) == 2:
            alt = float(s.replace(",", "")) if len(parts[1]) == 3 else None
            return float(s.replace(",", ".")), alt
        return float(s.replace(",", "")), None
    return float(s), None


def parse_words(s: str) -> float | None:
    """Value of a number written in Vietnamese words (`ba mươi mốt` -> 31), or None."""
    toks = [t for t in re.split(r"[\s\-]+", s.lower().strip()) if t]
    if not toks:
        return None
    result = 0.0
    max_scale = 1.0
    hundreds = tens = 0
    pending: int | None = None  # the last digit word, not yet placed
    have_any = False
    for tok in toks:
        if tok in DIGIT_WORDS:
            pending = DIGIT_WORDS[tok]
            have_any = True
        elif tok == "mười":
            tens, pending, have_any = 10, None, True
        elif tok in ("mươi", "chục"):
            tens, pending = (1 if pending is None else pending) * 10, None
        elif tok == "trăm":
            hundreds = (1 if pending is None else pending) * 100  # `không trăm` is zero hundreds
            pending, have_any = None, True
        elif tok in ("linh", "lẻ"):
            continue
        elif tok in SCALES:
            scale = SCALES[tok]
            small = hundreds + tens + (pending or 0)
            if scale > max_scale and result:
                result = (result + small) * scale
            else:
                result += (small or 1) * scale
            max_scale = max(max_scale, scale)
            hundreds = tens = 0
            pending = None
            have_any = True
        else:
            return None
    if not have_any:
        return None
    return result + hundreds + tens + (pending or 0)


def parse_number(s: str) -> float:
    """Value of one number as written in digits or words; ValueError if it is neither."""
    s = unicodedata.normalize("NFC", s).strip()
    m = re.fullmatch(r"(\d(?:[\d.,]*\d)?)(?:[\s\u00a0]+(.+))?", s)
    if m:
        value, _ = parse_digits(m.group(1))
        if m.group(2):
            mult = parse_words(m.group(2))
            if mult is None:
                raise ValueError(f"not a number: {s!r}")
            value *= mult
        return value
    value = parse_words(s)
    if value is None:
        raise ValueError(f"not a number: {s!r}")
    return value


def format_vn(value: float, decimals: int = 0) -> str:
    """Write a number the Vietnamese way (`9605.38` -> `9.605,38`)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def _scale_after(text: str, pos: int) -> tuple[float, int]:
    m = SCALE_RE.match(text, pos)
    if not m:
        return 1.0, pos
    mult = SCALES[m.group(1).lower()]
    if m.group(2):
        mult *= SCALES[m.group(2).lower()]
    return mult, m.end()


def _compound_rest(text: str, pos: int, mult: float, q: Quantity) -> int:
    """Add `250 triệu` to `1 tỷ` when a smaller scale word follows; returns the new end."""
    while True:
        m = COMPOUND_RE.match(text, pos)
        if not m:
            return pos
        small = SCALES[m.group(2).lower()]
        part = digits_or_none(m.group(1))
        if part is None or small >= mult or part * small >= mult:
            return pos
        q.value += part * small
        mult, pos = small, m.end()


def _is_date_or_code(text: str, num_start: int, num_end: int, left: str) -> bool:
    """`30/3/2024`, `29/12`, `1/2024`, `475-TB/ĐUK`, `123/QĐ-UB`: names of days and documents."""
    after = text[num_end : num_end + 12]
    if DMY_AFTER_RE.match(after):
        return True  # d/m/y
    if CODE_AFTER_RE.match(after) or SLASH_CODE_AFTER_RE.match(after):
        return True  # document codes
    if CLOCK_AFTER_RE.match(after):
        return True  # 14:49, 8h30
    # the tail of a date or code
    return bool(SEP_END_RE.search(left[-2:]) and DATE_TAIL_RE.search(left[-6:]))


def find_quantities(text: str) -> list[Quantity]:
    """Every counting or measuring number in `text`, in order, with spans.

    Names and labels made of digits (dates, years, terms, document numbers,
    ordinals, list labels, file names, counters) are left out here.
    """
    out: list[Quantity] = []
    blocked = _name_spans(text)
    blocked += [(m.start(), m.end()) for m in LINK_LINE_RE.finditer(text)]
    tail = LINK_BLOCK_RE.search(text)
    if tail:
        blocked.append((tail.start(), len(text)))
    blocked += [(m.start(), m.end()) for m in LIST_LABEL_RE.finditer(text)]
    blocked.sort()
    consumed_until = -1
    tokens = _tokens(text)
    i = 0
    while i < len(tokens):
        start, end, value, alt, is_words = tokens[i]
        i += 1
        if start < consumed_until or _inside(blocked, start):
            continue
        left = text[max(0, start - 40) : start]
        if not is_words and _not_a_count(text, start, end, left):
            continue
        q = Quantity(start=start, end=end, value=value, words=is_words, alt_thousands=alt)
        pos = end
        # X/Y: an achieved number with its plan or total
        m = RATIO_SEP_RE.match(text, pos)
        if m and not is_words:
            m2 = DIGITS_RE.match(text, m.end())
            if m2 and not MORE_PARTS_RE.match(text[m2.end() : m2.end() + 4]):
                den = digits_or_none(m2.group())
                if den is not None and len(m2.group()) == 4 and 1900 <= den <= 2100:
                    continue  # quý 1/2024
                if den is not None:
                    q.denominator = den
                    pos = m2.end()
                    i = _skip_tokens(tokens, i, pos)
        # ranges: 9 - 10 triệu, từ 5 đến 7
        if q.denominator is None:
            m = RANGE_SEP_RE.match(text, pos)
            if m and m.group().strip():
                m2 = DIGITS_RE.match(text, m.end())
                hi = digits_or_none(m2.group()) if m2 and not is_words else None
                if hi is not None:
                    after_hi = text[m2.end() : m2.end() + 12]
                    if hi > value and not MORE_DATE_PARTS_RE.match(after_hi):
                        if 1900 <= value <= 2100 and 1900 <= hi <= 2100 and "," not in m2.group():
                            consumed_until = m2.end()
                            i = _skip_tokens(tokens, i, m2.end())
                            continue  # a term such as 2020-2025
                        q.value_max = hi
                        pos = m2.end()
                        i = _skip_tokens(tokens, i, pos)
        mult, pos2 = _scale_after(text, pos)
        if mult != 1.0 and not is_words:
            q.value *= mult
            if q.value_max is not None:
                q.value_max *= mult
            if q.denominator is not None:
                q.denominator *= mult
            q.scaled = True
            pos = pos2
            if q.value_max is None and q.denominator is None:
                pos = _compound_rest(text, pos, mult, q)
            i = _skip_tokens(tokens, i, pos)
        m = PCT_RE.match(text, pos)
        if m:
            q.is_pct = True
            pos = m.end()
        else:
            m = MONEY_RE.match(text, pos)
            if m:
                q.is_money = True
                q.per_person_month = bool(m.group("per"))
                pos = m.end()
        plain = not (q.is_pct or q.scaled or q.denominator is not None or q.value_max is not None)
        if plain and COUNTER_AFTER_RE.match(text, pos):
            continue  # `4.821 lượt truy cập`: a page counter, furniture
        if plain and DURATION_AFTER_RE.match(text, pos) and not DURATION_COUNT_RE.match(text, pos):
            continue  # 3 tháng đầu năm, 5 năm liền; but `3 năm được công nhận` counts years
        if not is_words and _looks_like_year(text, start, end, pos, q):
            continue
        q.end = pos
        q.raw = text[q.start : q.end]
        mq = QUALIFIER_RE.search(text, max(0, start - 30), start)
        if mq:
            q.qualifier = next(name for name, _ in QUALIFIERS if mq.group(name))
            q.qualifier_start = mq.start("q")
        if q.value_max is not None:
            q.qualifier = "range"
        out.append(q)
        consumed_until = pos
    return out


def _name_spans(text: str) -> list[tuple[int, int]]:
    """URLs, e-mail addresses and file names (`1.jpg`): their digits count nothing."""
    spans = (
        [(m.start(), m.end()) for m in URL_RE.finditer(text)]
        if "www" in text or "://" in text
        else []
    )
    if "@" in text:
        spans += [(m.start(), m.end()) for m in EMAIL_RE.finditer(text)]
    for m in FILE_EXT_RE.finditer(text):
        start = max(text.rfind(" ", 0, m.start()), text.rfind("\n", 0, m.start())) + 1
        spans.append((start, m.end()))
    return spans


def digits_or_none(s: str) -> float | None:
    """A plan or range end that cannot be read (`2/0,.,0`): that number has none, the page
    goes on."""
    try:
        return parse_digits(s)[0]
    except ValueError:
        return None


def _tokens(text: str) -> list[tuple[int, int, float, float | None, bool]]:
    toks = []
    for m in DIGITS_RE.finditer(text):
        s = m.group()
        try:
            value, alt = parse_digits(s)
        except ValueError:
            continue
        toks.append((m.start(), m.end(), value, alt, False))
    for start, end in word_spans(WORD_NUMBER_LOW_RE, WORD_NUMBER_RE, text):
        if not _word_number_counts(text, start, end):  # cheaper than parsing: most count nothing
            continue
        value = parse_words(text[start:end])
        if value is None:
            continue
        toks.append((start, end, value, None, True))
    toks.sort()
    return toks


# Nouns that a number spelled in words may count; elsewhere such words are
# ordinary vocabulary (`năm 2023`, `một số`, `Ba là`, `tư tưởng`).
WORD_COUNT_NOUNS_RE = re.compile(
    r"[\s\u00a0]+(?:chi bộ|đảng bộ|đảng viên|tổ chức|đơn vị|doanh nghiệp|tập thể|cá nhân|"
    r"quần chúng|đồng chí|cuộc|lớp|đoàn|người|lao động|công nhân|học viên|đại biểu|chỉ tiêu|"
    r"công ty|hội viên|đoàn viên|cán bộ|hộ|suất|căn|nhà|chương trình|lượt|đợt|trường hợp|"
    r"công đoàn|chi đoàn|phần quà|suất quà|dự án|sáng kiến|mô hình|đề tài)(?!\w)",
    re.I,
)


WORD_RISE_RE = re.compile(
    rf"{SPACE}+(?:lên|xuống|đến|tới){SPACE}+(?:{_WORD_ALT})(?:{SPACE}+(?:{_WORD_ALT}))*", re.I
)


def _word_number_counts(text: str, start: int, end: int) -> bool:
    words = text[start:end].lower().split()
    if words == ["một"] and not ESTABLISH_BEFORE_RE.search(text[max(0, start - 30) : start]):
        return False  # `một` is `a`, except as the count of what was set up or admitted
    if words[0] in ("mốt", "lăm", "nhăm", "tư", "linh", "lẻ", "mươi", "chục", "trăm", *SCALES):
        return False  # `hàng trăm lao động` is no count
    noun = WORD_COUNT_NOUNS_RE.match(text, end)
    if not noun:
        # `từ bốn lên năm chi bộ`: the first number counts the noun of the second
        m2 = WORD_RISE_RE.match(text, end)
        noun = WORD_COUNT_NOUNS_RE.match(text, m2.end()) if m2 else None
        if not noun:
            return False
    head = noun.group().lstrip()
    if words == ["năm"] and head[:1].isupper() and not head.split()[0].isupper():
        return False  # `trong năm Công ty đã ...`: the year, then a clause about the company
    before = text[max(0, start - 12) : start].lower()
    return not COUNTING_WORD_BEFORE_RE.search(before)


def _skip_tokens(tokens: list, i: int, pos: int) -> int:
    while i < len(tokens) and tokens[i][0] < pos:
        i += 1
    return i


def _inside(spans: list[tuple[int, int]], pos: int) -> bool:
    return bool(spans) and any(s <= pos < e for s, e in spans)


def _not_a_count(text: str, start: int, end: int, left: str) -> bool:
    """Is the number at text[start:end] a name, a date, a time or a code rather than a count?

    The `...$` patterns only need the last few characters before the number, so they
    are given no more than that: this runs for every number of every page.
    """
    prev = text[start - 1] if start else ""
    if prev.isalpha() or (prev and prev in "_#@"):
        return True  # F0, G7, QĐ123
    near = left[-10:]
    if WORD_DASH_BEFORE_RE.search(near):
        return True  # Covid-19, Covid – 19
    if CLOCK_BEFORE_RE.search(near):
        return True  # minutes of a time: 14:49, 8h30, 14 giờ 30
    if VERSION_RE.fullmatch(text[start:end]) and WORD_BEFORE_RE.search(near):
        return True  # `công nghiệp 4.0`: a name, not a measure
    if _ident_before(left) and not UNIT_AFTER_RE.match(text, end):
        return True  # but `Quỹ ... của quận 320 triệu đồng` is money
    after = text[end : end + 12]
    if SLASH_DIGIT_AFTER_RE.match(after) and DATE_BEFORE_RE.search(left[-24:]):
        return True
    if _is_date_or_code(text, start, end, left):
        return True
    # a date in parentheses or after a comma: (13/10), 29/12,
    m = DAY_MONTH_AFTER_RE.match(after)
    if m:
        d, mo = int(text[start:end]) if text[start:end].isdigit() else 99, int(m.group(1))
        if 1 <= d <= 31 and 1 <= mo <= 12:
            return True
    return False


def _ident_before(left: str) -> bool:
    """Does `left` end with a word that makes the next number a name or a rank?"""
    tail = left[-30:].rstrip(" \u00a0\t\n:.").lower()
    last = tail.rsplit(None, 1)  # [] when only separators are left (`\x1f` too)
    if not last or last[-1] not in IDENT_LAST_WORDS:
        return False  # most numbers: no name word can end here
    words = tail.split()[-3:]
    w2 = " ".join(words[-2:]) if len(words) > 1 else None
    w3 = " ".join(words) if len(words) > 2 else None
    if w3 in COUNT_WORDS or w2 in COUNT_WORDS:
        return False
    return words[-1] in IDENT_WORDS or w2 in IDENT_WORDS or w3 in IDENT_WORDS


MORE_PARTS_RE = re.compile(r"[\s\u00a0]*[/.\-][\s\u00a0]*\d")
YEAR_COUNTS_RE = re.compile(
    r"[\s\u00a0]*(?:đảng viên|ĐV|chi bộ|tổ chức|đơn vị|doanh nghiệp|người|lao động|công nhân|"
    r"quần chúng|hội viên|đoàn viên|cán bộ|học viên|lượt|hộ|suất|cuộc|tập thể|cá nhân|đại biểu)",
    re.I,
)


def _looks_like_year(text: str, start: int, end: int, pos: int, q: Quantity) -> bool:
    """A four-digit 19xx/20xx with nothing it counts after it is a year."""
    s = text[start:end]
    if not (len(s) == 4 and s.isdigit() and 1900 <= int(s) <= 2100):
        return False
    if q.is_pct or q.is_money or q.scaled or q.denominator is not None:
        return False
    return not YEAR_COUNTS_RE.match(text[pos : pos + 30])


def nfc_with_map(text: str) -> tuple[str, list[int] | None]:
    """NFC text and, when normalizing changed it, a map from NFC offsets to input offsets."""
    if unicodedata.is_normalized("NFC", text):
        return text, None
    out: list[str] = []
    index: list[int] = []
    for m in re.finditer(r".[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]*", text, re.S):
        piece = unicodedata.normalize("NFC", m.group())
        out.append(piece)
        index.extend([m.start()] * len(piece))
    index.append(len(text))
    return "".join(out), index
