"""Extract stage: tie the numbers of a cleaned report to metrics, subjects and scopes.

Reports state their results in short clauses (`kết nạp 25 đảng viên mới,
chuyển đảng chính thức cho 50 đảng viên dự bị`), so a number is read with the
noun written after it and the nearest cue before it in the same clause; a
number listed right after another (`10 tập thể và 05 cá nhân`) shares its cue.
Which cues mean what is data (`catalog.yaml`); this module holds the reading
order. Facts keep the exact span they came from so every warehouse row can be
traced to its words.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from vnreport.records import CleanDoc
from vnreport.transforms.catalog import Catalog, Rule, load_catalog
from vnreport.transforms.docfields import ORG_HEAD, UPPERCASE_LETTERS, document_fields, fold
from vnreport.transforms.numbers import (
    DIGITS_RE,
    SCALES,
    SPACE,
    WORD_NUMBER_BODY,
    Quantity,
    digits_or_none,
    find_quantities,
    nfc_with_map,
    without_lookbehind,
    word_matches,
    word_spans,
)

EXTRACTOR_VERSION = "1.2.0"

_SP = SPACE
CLAUSE_MAX = 1000
CLAUSE_END_RE = re.compile(r"[;!?\n]|\.(?=[\s\u00a0]|$)|…")
_UPPER = UPPERCASE_LETTERS
SENTENCE_END_RE = re.compile(rf"[!?\n]|\.(?=[\s\u00a0]|$|[{_UPPER}])|…")
# What may stand between two listed numbers that share a cue.
LIST_JOIN_RE = re.compile(
    rf"^(?:{_SP}|[,(])*(?:và|với|cùng|gồm|trong đó|trong đó có|bao gồm|có|"
    # `nộp ngân sách 192 tỷ đồng, tổng 9 tháng đạt gần 575 tỷ đồng`: a running total
    rf"(?:lũy kế|luỹ kế|cộng dồn|tính chung|tổng cộng|tổng)[^,;.()]{{0,25}}?(?:{_SP}+(?:đạt|là))?)?"
    rf"(?:{_SP}|[,(:])*$",
    re.I,
)
ADJACENT_GAP_RE = re.compile(
    rf"^(?:{_SP}|[:,])*(?:(?:được|là|đạt|lên|có|gồm|tổng cộng|tổng số|cho){_SP}*)*$", re.I
)
# The words that tie a rate to the fact just stated: a plan ratio (`đạt 76,3% kế hoạch`),
# a growth rate (`, tăng 6,4% so với năm trước`) or a share (`, chiếm 14,6% tổng số`).
PCT_JOIN_RE = re.compile(
    rf"^(?:{_SP}|,)*(?:so với[^,;()]{{0,25}})?[(\[]?{_SP}*"
    rf"(?:=|bằng|đạt|vượt|tương đương|tương ứng|so với kế hoạch|tăng|giảm|chiếm|tăng thêm)?"
    rf"{_SP}*(?:khoảng|trên|hơn|gần|xấp xỉ)?{_SP}*$",
    re.I,
)
# `16 tổ chức ... được xếp loại “Hoàn thành xuất sắc” (chiếm 27,6%)`: a rate in parentheses
# right after the clause that stated the count.
PAREN_PCT_BEFORE_RE = re.compile(
    rf"\({_SP}*(?:=|bằng|đạt|vượt|tăng|giảm|chiếm|tương đương|tương ứng)?{_SP}*"
    rf"(?:khoảng|trên|hơn|gần|xấp xỉ)?{_SP}*$",
    re.I,
)
PCT_PLAN_AFTER_RE = re.compile(rf"{_SP}*\)?{_SP}*(?:so với{_SP}+)?(?:kế hoạch|KH|chỉ tiêu)", re.I)
# `trong đó có 02 đồng chí ...`: a part of the fact before, never a total of its own kind.
SUBSET_BEFORE_RE = re.compile(
    rf"(?=[tTbB])(?<!\w)(?:trong đó|trong số đó|bao gồm|trong số[^,;.\d]{{1,60}},?{_SP}*có)"
    rf"(?:{_SP}+có)?{_SP}*[:,]?{_SP}*$",
    re.I,
)
SUBSET_MARK_RE = re.compile(r"(?=[tT])(?<!\w)(?:trong đó|trong số đó)(?!\w)", re.I)
SUBSET_MARK_LOW_RE = re.compile(r"(?:trong đó|trong số đó)(?!\w)")  # for `word_spans`
# `mỗi căn trị giá 60 triệu đồng`, `mỗi suất 1,5 triệu đồng`: the price of one item, not a total.
PER_ITEM_BEFORE_RE = re.compile(
    rf"(?=[mM])(?<!\w)mỗi(?:{_SP}+[^\W\d_]+){{1,3}}?{_SP}*,?{_SP}*"
    rf"(?:(?:trị giá|có giá trị|giá trị|là|gồm|được hỗ trợ|hỗ trợ|tương đương){_SP}*)?"
    rf"(?:khoảng|trên|gần|hơn|từ)?{_SP}*$",
    re.I,
)
# What may stand between a subject and an amount in a clause that repeats the shape of the
# one before it (`A đạt doanh thu 186,5 tỷ đồng; B đạt 47,2 tỷ đồng`).
ELLIPSIS_VERB_RE = re.compile(
    rf"(?:^|{_SP})(?:cũng{_SP}+)?(?:ước{_SP}+)?(?:đạt|được|có){_SP}*(?:được{_SP}*)?$", re.I
)
OWNER_BEFORE_RE = re.compile(rf"(?=[cCtT])(?<!\w)(?:của|trong)(?:{_SP}+các)?{_SP}*$", re.I)
VALUE_OF_BEFORE_RE = re.compile(
    rf"(?=[tTsSkK])(?<!\w)(?:tổng số tiền|tổng trị giá|tổng giá trị|tổng kinh phí|số tiền|kinh phí)"
    rf"(?:{_SP}+(?:là|đạt|hơn|trên|gần|khoảng|xấp xỉ))*{_SP}*:?{_SP}*$",
    re.I,
)
MONEY_METRICS = frozenset(["revenue_vnd", "profit_vnd", "budget_contribution_vnd"])
FROM_BEFORE_RE = re.compile(rf"(?=[tT])(?<!\w)từ{_SP}*$", re.I)
TO_AFTER_RE = re.compile(rf"{_SP}*(?:lên|xuống)(?!\w)", re.I)
RISE_TO_RE = re.compile(rf"{_SP}*(?:lên|xuống){_SP}+(?:\d[\d.,]*|{WORD_NUMBER_BODY})", re.I)
BREAKDOWN_END_RE = re.compile(rf"{_SP}*(?:\(|[,;.)]|(?:và|với)(?!\w)|$)")
# `..., trong đó có 4 đảng bộ cơ sở và 7 chi bộ cơ sở với tổng số 865 đảng viên`: a total again
TOTAL_BEFORE_RE = re.compile(
    rf"(?=[tT])(?<!\w)(?:tổng số|tổng cộng){_SP}*(?:là|có|:)?{_SP}*$", re.I
)
THRESHOLD_BEFORE_RE = re.compile(rf"(?=[tTíÍ])(?<!\w)(?:từ|tối thiểu|ít nhất){_SP}*$", re.I)
THRESHOLD_AFTER_RE = re.compile(r"[^;.,]{0,30}?(?<!\w)(?:trở lên|trở xuống)(?!\w)", re.I)
# Words that turn the rest of a sentence into plans, targets or someone else's economy.
_CONTEXT_WORDS = (
    r"phấn đấu|dự kiến|mục tiêu|thời gian tới|năm tới|sắp tới|giai đoạn tới|sẽ|"
    r"giải pháp|nhiệm vụ trọng tâm|phương hướng|định hướng|của tỉnh|toàn tỉnh|của thành phố|"
    r"toàn thành phố|cả nước|toàn quốc|grdp|iip|chỉ số sản xuất|kinh tế của|ngân sách tỉnh"
)
CONTEXT_RE = re.compile(rf"(?<!\w)(?:{_CONTEXT_WORDS})(?!\w)", re.I)
CONTEXT_LOW_RE = re.compile(rf"(?:{_CONTEXT_WORDS})(?!\w)")  # for `word_spans`
_CAP_WORD = rf"(?:[{_UPPER}][\w]*|\d+)"
CAP_WORD_RE = re.compile(_CAP_WORD)
_NAME_WORD = (
    rf"(?:{ORG_HEAD}|Cổ phần|cổ phần|{_CAP_WORD}|TNHH|MTV|một thành viên|huyện|quận|thị xã|"
    rf"thành phố|tỉnh|xã|phường|thị trấn|các|khối|bộ phận|cơ sở|số|chi nhánh|và|"
    rf"[a-zà-ỹđ]+(?=(?:{_SP}+[a-zà-ỹđ]+)?{_SP}+[{_UPPER}]))"
)
# The first-letter lookahead lets the scanner skip most positions without trying every name.
ORG_RE = re.compile(rf"(?=[ĐCTXNBKHLV])(?<!\w)(?:{ORG_HEAD})(?:{_SP}+{_NAME_WORD}){{1,9}}")
ORG_FAST = without_lookbehind(ORG_RE)  # for `word_matches`
# Company names go on in lower case after `Cổ phần` (`Công ty Cổ phần xây lắp thiết bị điện`).
_NOT_IN_NAME = (
    r"kết|đã|có|được|tại|ở|cho|với|và|đạt|trong|đúng|theo|về|nạp|là|tuy|vừa|mới|cũng|luôn|lần|"
    r"thành|tổ|thực|hoàn|duy|nộp|doanh|tiếp|tăng|giảm|trao|tặng|ủng|triển|tham"
)
# ... up to the verb: `Công ty CP Dược - Thiết bị y tế An Nhơn`, `CP Vật liệu và Thương mại Lam
# Hồng 9` (a `và` or a dash followed by a capitalized word stays inside the name)
COMPANY_TAIL_RE = re.compile(
    rf"(?:{_SP}+(?!(?:{_NOT_IN_NAME})(?!\w))[^\W\d_]+|{_SP}+\d+(?!{_SP}*[%,.]?\d)"
    rf"|{_SP}+(?:và|[-–])(?={_SP}+[{_UPPER}])(?!{_SP}+(?:{ORG_HEAD})(?!\w))){{1,10}}"
)
ORG_HEAD_RE = re.compile(rf"(?:{ORG_HEAD})(?!\w)")
_ORG_STOP = re.compile(
    r"^(?:kết|nạp|đã|có|được|tổ|chức|đạt|với|và|cho|tại|ở|trong|thực|hiện|hoàn|thành|là|của|"
    r"đề|nghị|phát|triển|chuyển|tăng|giảm|luôn|tiếp|tục|cũng|vẫn|đang|sẽ|đến|từ|trên|dưới|gồm|"
    r"năm|quý|tháng|ngày|khen|thưởng|trao|tặng|nộp|doanh|thu|lợi|nhuận|ủng|hộ|xét|giới|thiệu|"
    r"lãnh|đạo|chỉ|quan|tâm|triển|khai|tham|gia|dự|thăm|hỗ|trợ|vượt|nhận|làm|thủ|tục|lớp|lần|"
    r"duy|tiếp)$",
    re.I,
)
OBJECT_BEFORE_RE = re.compile(
    # `phối hợp Trung tâm Chính trị huyện mở lớp`: a partner, not who reports the result
    rf"(?=[cCtTvVđĐởỞpP])(?<!\w)"
    rf"(?:cho|tặng|trao|với|và|của|đến|thăm|tại|ở|các|từ|phối hợp|phối hợp với|cùng)"
    rf"(?:{_SP}+các)?{_SP}*$",
    re.I,
)
COORDINATED_RE = re.compile(
    rf"(?:^|{_SP}|,)(?:và|cùng|,){_SP}*(?:khoảng|hơn|trên|gần)?{_SP}*$", re.I
)
SUBJECT_AFTER_RE = re.compile(
    rf"{_SP}*(?:mới{_SP}+)?(?:ở|tại|của|thuộc){_SP}+(?=(?:{ORG_HEAD}))", re.I
)


@dataclass
class _Fact:
    q: Quantity
    metric: str
    unit: str
    value: float
    start: int
    end: int
    noun_end: int
    label: str | None = None
    pct: float | None = None
    subject: str | None = None
    scope: str = "org"
    head: str = ""


def _clean_num(v: float | None) -> float | int | None:
    if v is None:
        return None
    if type(v) is float and v.is_integer() and abs(v) < 1e18:
        return int(v)  # most numbers: a whole count
    r = round(v, 6)
    return int(round(r)) if abs(r - round(r)) < 1e-6 and abs(r) < 1e18 else r


@lru_cache(maxsize=4096)
def _org_key(name: str, abbreviations: tuple[tuple[str, str], ...]) -> frozenset[str]:
    s = name
    for short, full in abbreviations:
        if short in s:
            s = re.sub(rf"(?<!\w){re.escape(short)}(?!\w)", full, s)
    s = fold(s).replace("đảng uỷ", "đảng ủy").replace("đảng ủy", "đảng bộ")
    return frozenset(re.findall(r"\w+", s)) - {"các", "những", "của", "và", "số"}


def same_org(a: str, b: str | None, abbreviations: dict[str, str]) -> bool:
    """True when `a` names the organization `b` (or a shortened form of it)."""
    if not b:
        return False
    abbr = tuple(abbreviations.items())
    ka, kb = _org_key(a, abbr), _org_key(b, abbr)
    return ka <= kb or kb <= ka


ORGAN_PREFIX_RE = re.compile(
    r"^(?:Ban (?:Chấp hành|chấp hành|Thường vụ|thường vụ)|BCH|BTV|Thường trực|Ủy ban Kiểm tra|UBKT)\s+"
)
# Capitalized words that start organization heads: `Công đoàn Công ty` names no one in particular.
GENERIC_NAME_WORDS = frozenset(
    [
        "Khối",
        "Cụm",
        "Đảng",
        "Ủy",
        "Uỷ",
        "Bộ",
        "Chi",
        "Cơ",
        "Sở",
        "Doanh",
        "Nghiệp",
        "Công",
        "Tổng",
        "Ngân",
        "Trường",
        "Xí",
        "Nhà",
        "Hợp",
        "Trung",
        "Ban",
        "Liên",
        "Viện",
        "Hiệp",
        "Hội",
        "Khu",
        "Tập",
    ]
)
COMPANY_WORDS_RE = re.compile(r"(?<!\w)(?:cổ phần|CP|TNHH|MTV|một thành viên)(?!\w)", re.I)


def _org_at(t: str, m: re.Match) -> str:
    name = m.group()
    if COMPANY_WORDS_RE.search(name):
        tail = COMPANY_TAIL_RE.match(t, m.end())
        if tail:
            name += tail.group()
    return name


def _trim_org(name: str) -> str:
    name = ORGAN_PREFIX_RE.sub("", name)
    name = re.sub(r"(\d+)\s+\d+.*$", r"\1", name)  # `Cụm số 7 17 đơn vị`
    words = name.split()
    # stop at the first verb-like or time word after the type word
    for i, w in enumerate(words[2:], start=2):
        if (
            w == "và"
            and i + 1 < len(words)
            and words[i + 1][:1].isupper()
            and not ORG_HEAD_RE.match(" ".join(words[i + 1 : i + 3]))
        ):
            continue  # `Công ty CP Môi trường và Công trình Đô thị Sơn La`: one name
        if w == "lợi" and words[i - 1].lower() in ("thủy", "thuỷ"):
            continue  # `Khai thác Thủy lợi Vu Gia`: irrigation, a sector in the name
        if w[:1].islower() and (_ORG_STOP.match(w) or w in ("nhiệm", "kỳ", "khóa", "khoá")):
            words = words[:i]
            break
    if not COMPANY_WORDS_RE.search(" ".join(words)):
        while len(words) > 2 and words[-1].islower() and words[-2:] != ["Công", "ty"]:
            words.pop()
    return " ".join(words).strip(" ,")


def _named(name: str) -> bool:
    """A real name has a capitalized word or a number after its type word."""
    rest = name.split()[2:] if len(name.split()) > 2 else name.split()[1:]
    return any(CAP_WORD_RE.match(w) and w not in GENERIC_NAME_WORDS for w in rest)


class _Reader:
    """One pass over one text: clause and sentence limits computed once."""

    def __init__(self, text: str, catalog: Catalog, organization: str | None, period: str | None):
        self.t = text
        self.cat = catalog
        self.org = organization
        self.clause_ends = [m.start() for m in CLAUSE_END_RE.finditer(text)]
        self.sent_ends = [m.start() for m in SENTENCE_END_RE.finditer(text)]
        self.next_year = None
        m = re.match(r"(\d{4})", period or "")
        if m:
            self.next_year = str(int(m.group(1)) + 1)
        # found once per text, looked up per number
        self.context_at = [a for a, _ in word_spans(CONTEXT_LOW_RE, CONTEXT_RE, text)]
        if self.next_year:
            plan = re.compile(rf"(?:năm|kế hoạch|KH)\s+{self.next_year}")
            self.context_at = sorted(self.context_at + [m.start() for m in plan.finditer(text)])
        self.orgs = [(m.start(), m.end(), m) for m in word_matches(ORG_FAST, text)]
        self.subset_marks = [a for a, _ in word_spans(SUBSET_MARK_LOW_RE, SUBSET_MARK_RE, text)]
        self.names: dict[str, str | None] = {}  # a candidate subject's trimmed name, or None
        self.org_starts = [o[0] for o in self.orgs]

    def _bounds(self, ends: list[int], pos: int) -> tuple[int, int]:
        i = bisect.bisect_left(ends, pos)
        start = ends[i - 1] + 1 if i else 0
        end = ends[i] if i < len(ends) else len(self.t)
        return start, end

    def clause(self, pos: int) -> tuple[int, int]:
        return self._bounds(self.clause_ends, pos)

    def sentence(self, pos: int) -> tuple[int, int]:
        return self._bounds(self.sent_ends, pos)


_RULES_BY_SHAPE: dict[tuple, tuple[Rule, ...]] = {}
WORDS_RE = re.compile(r"[^\W\d_]+")
HEAD_SKIP = frozenset(("các", "những", "đồng", "tỷ", "triệu", "nghìn"))
PARENS_RE = re.compile(r"\([^()]*\)")
OPEN_PAREN_END_RE = re.compile(r"\([^()]*$")
NEXT_WORD_RE = re.compile(r"[\s\u00a0]*([^\W\d_]+)")


def _candidate_rules(cat: Catalog, q: Quantity, first: str) -> tuple[Rule, ...]:
    """The rules that can fit a quantity of this shape (kind, X/Y, the word after it),
    filtered once per shape and cached: the noun pattern and the cues still have the last word."""
    big = q.scaled and q.value >= 1e6
    shape = (id(cat), q.is_pct, q.per_person_month, q.is_money, big, q.denominator is not None)
    key = (*shape, first)
    got = _RULES_BY_SHAPE.get(key)
    if got is None:
        if q.is_pct:
            kinds: tuple[str, ...] = ("pct",)
        elif q.per_person_month:
            kinds = ("income",)
        elif q.is_money or q.scaled:
            kinds = ("money", "count")
        else:
            kinds = ("count",)
        got = tuple(
            r
            for r in cat.rules_for(kinds, first)
            if _kind_ok(r, q, r.noun is not None) and (r.ratio or q.denominator is None)
        )
        if len(_RULES_BY_SHAPE) > 4096:
            _RULES_BY_SHAPE.clear()
        _RULES_BY_SHAPE[key] = got
    return got


def _kind_ok(rule: Rule, q: Quantity, has_noun: bool) -> bool:
    money_like = q.is_money or (q.scaled and q.value >= 1e6 and not has_noun)
    if rule.kind == "money":
        return money_like and not q.per_person_month
    if rule.kind == "income":
        return q.per_person_month
    if rule.kind == "pct":
        return q.is_pct
    return not (q.is_pct or money_like)


def _match_rule(
    rd: _Reader,
    rule: Rule,
    q: Quantity,
    win_start: int,
    clause_end: int,
    head_qs: int,
    noun_end: int,
    nouns: dict,
):
    """(distance, noun_end, cue_start) when `rule` fits `q`, else None.

    `head_qs` is where the list `q` belongs to starts (`có 71 chi bộ, 883 đảng
    viên`): a cue that must touch the number may touch the list instead. `noun_end`
    is where the catalog's counted noun after the number ends (`tăng 34 Chi bộ`), used
    when the rule names no noun of its own.
    """
    # kind and X/Y were checked by `_candidate_rules`; the noun's end comes from `nouns`
    t = rd.t
    qs = q.qualifier_start if q.qualifier_start is not None else q.start
    if rule.noun is not None:
        noun_end = nouns.get(rule.noun, -2)
        if noun_end == -2:
            m = rule.noun.match(t, q.end)
            noun_end = nouns[rule.noun] = m.end() if m else -1
        if noun_end < 0:
            return None
    distance = 500
    cue_start = None
    if rule.before is not None:
        last = None
        for m in rule.before.finditer(t, win_start, qs):
            last = m
        if last is None:
            return None
        if rule.adjacent and not (
            ADJACENT_GAP_RE.match(t[last.end() : qs])
            or (head_qs < qs and ADJACENT_GAP_RE.match(t[last.end() : head_qs]))
        ):
            return None
        distance = qs - last.end()
        cue_start = last.start()
    # checked before the list's head too: `nâng tổng số lên 49 TCCSĐ (04 đảng bộ, 45 chi bộ)`
    if rule.not_before is not None and rule.not_before.search(
        t, max(win_start, min(qs, head_qs) - 40), qs
    ):
        return None
    tail = t[noun_end : min(clause_end, noun_end + 120)]
    if rule.after is not None:
        m = rule.after.search(tail)
        if not m:
            return None
        distance = min(distance, m.start())
    if rule.not_after is not None and rule.not_after.search(tail):
        return None
    return distance, noun_end, cue_start


def _unit_value(q: Quantity, unit: str) -> float:
    v = q.value
    if unit in ("person", "org", "count") and q.alt_thousands and v != int(v):
        v = q.alt_thousands  # `1,840 đảng viên`: English grouping
    return v


def _label(t: str, q: Quantity, noun_end: int, clause_end: int) -> str:
    after = t[q.end : min(clause_end, q.end + 60)]
    words = WORDS_RE.findall(after)
    if q.is_pct or not words:
        before = WORDS_RE.findall(t, max(0, q.start - 40), q.start)
        words = (before[-4:] if not words else []) + words
    return " ".join(words[:6]) or "số liệu"


def _head(t: str, q: Quantity) -> str:
    words = [w for w in WORDS_RE.findall(t, q.end, q.end + 40) if w.casefold() not in HEAD_SKIP]
    return " ".join(words[:4]).casefold()


def _find_subject(rd: _Reader, clause_start: int, q: Quantity, noun_end: int) -> str | None:
    t = rd.t
    m = SUBJECT_AFTER_RE.match(t, noun_end)
    cands = []
    if m:
        m2 = ORG_RE.match(t, m.end())
        if m2:
            cands.append(_org_at(t, m2))
    if not cands:
        i = bisect.bisect_left(rd.org_starts, q.start) - 1
        while i >= 0 and rd.orgs[i][0] >= clause_start:
            start, end, m = rd.orgs[i]
            if end <= q.start:
                # `tặng cờ cho Đảng bộ X và 6 TCCSĐ`: a recipient or a place, not who acts
                if not (
                    OBJECT_BEFORE_RE.search(t, max(0, start - 12), start)
                    or COORDINATED_RE.search(t, end, q.start)
                ):
                    cands.append(_org_at(t, m))
                break
            i -= 1
    for c in cands:
        name = rd.names.get(c, "")
        if name == "":
            name = _trim_org(c)
            if not _named(name) or same_org(name, rd.org, rd.cat.abbreviations):
                name = None
            rd.names[c] = name
        if name is not None:
            return name
    return None


def _is_context(rd: _Reader, pos: int) -> bool:
    """A plan, a target or someone else's economy named earlier in the same sentence."""
    s, _ = rd.sentence(pos)
    i = bisect.bisect_left(rd.context_at, s)
    return i < len(rd.context_at) and rd.context_at[i] < pos


def extract_facts(
    text: str,
    *,
    doc_id: str = "",
    organization: str | None = None,
    period: str | None = None,
    catalog: Catalog | None = None,
) -> list[dict]:
    """Fact records for one cleaned text (contract shape, plus `value_max`)."""
    cat = catalog or load_catalog()
    t, index = nfc_with_map(text)
    rd = _Reader(t, cat, organization, period)
    facts, table_spans = _table_facts(rd) if "|" in t else ([], [])
    prev_q: Quantity | None = None
    prev_win = 0
    prev_noun_end = -1
    prev_head = 0
    last_money_end = -1  # where the clause's last amount or rate ended
    for q in find_quantities(t):
        if table_spans and any(a <= q.start < b for a, b in table_spans):
            continue  # read by _table_facts
        c_start, c_end = rd.clause(q.start)
        # a "clause" of thousands of characters is a dump, not prose: keep the work per number bounded
        c_start, c_end = max(c_start, q.start - CLAUSE_MAX), min(c_end, q.end + CLAUSE_MAX)
        qs = q.qualifier_start if q.qualifier_start is not None else q.start
        # a number listed right after another shares its cue
        joined = False
        if prev_q is not None and prev_q.start >= c_start:
            joined = bool(prev_noun_end <= qs and LIST_JOIN_RE.match(t[prev_noun_end:qs]))
            win = prev_win if joined else prev_q.end
        else:
            win = c_start
        head_qs = prev_head if joined else qs
        money_like = q.is_money or (q.scaled and q.value >= 1e6)
        if (
            money_like
            and not joined
            and prev_q is not None
            and prev_q.start >= c_start
            and (
                OWNER_BEFORE_RE.search(t, max(0, prev_q.start - 12), prev_q.start)
                or VALUE_OF_BEFORE_RE.search(t, max(0, qs - 30), qs)
            )
        ):
            # `doanh thu của 26 doanh nghiệp ... ước đạt 7.815 tỷ đồng`, `hỗ trợ 120 hộ nghèo với
            # tổng số tiền 2 tỷ đồng`: a count naming whose money it is, or what the money bought,
            # does not end the money's cue; an earlier amount does
            win = max(last_money_end, c_start)
        win = max(win, qs - 160, c_start)
        if q.is_pct and _attach_pct(rd, facts, q):
            continue
        if THRESHOLD_BEFORE_RE.search(t, max(0, qs - 8), qs) and THRESHOLD_AFTER_RE.match(
            t[q.end : q.end + 40]
        ):
            continue  # `có từ 03 đảng viên chính thức trở lên`: a condition, not a count
        best = None
        wm = NEXT_WORD_RE.match(t, q.end)
        first = wm.group(1).lower() if wm else ""
        noun_m = cat.nouns.match(t, q.end)
        generic_end = noun_m.end() if noun_m else q.end
        subject = _find_subject(rd, c_start, q, generic_end)
        subset = not TOTAL_BEFORE_RE.search(t, max(0, qs - 16), qs) and (
            bool(SUBSET_BEFORE_RE.search(t, max(0, qs - 80), qs))
            or (subject is None and _after_subset_marker(rd, facts, c_start, qs))
            # `tăng từ 9,2 triệu đồng lên 12,4 triệu`: the earlier level is no result
            or bool(FROM_BEFORE_RE.search(t, max(0, qs - 6), qs) and TO_AFTER_RE.match(t, q.end))
        )
        breakdown_ok = subset and BREAKDOWN_END_RE.match(t, generic_end)
        whole = _paren_whole(t, facts, c_start, qs)
        per_item = money_like and PER_ITEM_BEFORE_RE.search(t, max(0, qs - 40), qs)
        noun_ends: dict = {}  # rules share noun patterns: match each once per number
        for rule in _candidate_rules(cat, q, first):
            if per_item and rule.metric != "other":
                continue
            if subset and rule.metric != "other" and not (rule.breakdown and breakdown_ok):
                continue  # a part of a whole, unless a plain split by kind (269 đảng bộ cơ sở, ...)
            if whole is not None and rule.metric == whole.metric:
                continue  # `17 chi bộ trực thuộc (9 chi bộ nông trường, ...)`: parts of the total
            if best is not None and rule.priority < best[0][0]:
                break
            got = _match_rule(rd, rule, q, win, c_end, head_qs, generic_end, noun_ends)
            if got is None:
                continue
            metric = cat.metrics[rule.metric]
            unit = metric.unit
            value = _unit_value(q, unit if unit != "any" else "count")
            if rule.metric != "other" and not cat.plausible(rule.metric, value):
                continue
            key = (rule.priority, -got[0], got[1])  # then the longer noun: `chi bộ, đảng bộ`
            if best is None or key > best[0]:
                best = (key, rule, got, value)
        fact = None
        if best is not None:
            _, rule, (_, noun_end, cue_start), value = best
            unit = cat.metrics[rule.metric].unit
            if unit == "any":
                unit = noun_m.lastgroup if noun_m else "count"
            start = cue_start if cue_start is not None and qs - cue_start <= 60 else qs
            fact = _Fact(q, rule.metric, unit, value, min(start, qs), noun_end, noun_end)
            if rule.label:
                fact.label = rule.label + ": " + _label(t, q, noun_end, c_end)
        else:
            fact = _other(rd, q, qs, c_end)
            if fact is not None and money_like and not per_item and subject is not None:
                _borrow_metric(rd, facts, fact, c_start, qs)
        if fact is None:
            continue
        if fact.metric == "other" and fact.label is None:
            fact.label = _label(t, q, fact.noun_end, c_end)
        fact.head = _head(t, q)
        fact.subject = subject
        fact.scope = "context" if _is_context(rd, q.start) else "org"
        facts.append(fact)
        prev_q, prev_win, prev_noun_end, prev_head = q, win, fact.noun_end, head_qs
        if money_like or q.is_pct:
            last_money_end = q.end
    facts.sort(key=lambda f: f.start)
    first_break = t.find("\n")
    headline_end = first_break if 0 < first_break <= 300 else 0
    return [_record(f, t, text, index, doc_id) for f in _dedup(facts, headline_end)]


SUBJECT_HEADER_RE = re.compile(
    r"tổ chức|đơn vị|đảng bộ|chi bộ|doanh nghiệp|công ty|tên|TCCSĐ|cơ sở", re.I
)
TABLE_ROW_RE = re.compile(r"^[^\n]*\|[^\n]*$", re.M)
COL_ROLES = (
    ("skip", re.compile(r"^(?:S?TT|số TT|thứ tự|\#)$", re.I)),
    ("label", re.compile(r"^(?:chỉ tiêu|nội dung|danh mục|tiêu chí|hạng mục|lĩnh vực)$", re.I)),
    ("unit", re.compile(r"^(?:ĐVT|đơn vị tính|đơn vị)$", re.I)),
    ("pct", re.compile(r"tỷ lệ|tỉ lệ|%|so (?:với|sánh)", re.I)),
    ("plan", re.compile(r"kế hoạch|\bKH\b|chỉ tiêu|mục tiêu|giao", re.I)),
    ("actual", re.compile(r"thực hiện|kết quả|\bTH\b|đạt|số lượng|ước|năm \d{4}|^\d{4}$", re.I)),
)


def _cells(line: str, offset: int) -> list[tuple[str, int, int]]:
    out, pos = [], 0
    for part in line.split("|"):
        stripped = part.strip()
        lead = len(part) - len(part.lstrip())
        out.append((stripped, offset + pos + lead, offset + pos + lead + len(stripped)))
        pos += len(part) + 1
    return out


def _table_facts(rd: _Reader) -> tuple[list[_Fact], list[tuple[int, int]]]:
    """Rows of a results table (`Kết nạp đảng viên mới | 30 | 32 | 106,7`) as facts.

    The header says which column is the plan, the result and the rate; the row
    label carries the cue, read with the same catalog rules as running text.
    """
    t, cat = rd.t, rd.cat
    facts: list[_Fact] = []
    spans: list[tuple[int, int]] = []
    roles: list[str] | None = None
    header: list[str] = []
    last_end = -2
    for m in TABLE_ROW_RE.finditer(t):
        line = m.group()
        spans.append((m.start(), m.end()))
        cells = _cells(line, m.start())
        if m.start() > last_end + 2 and t[last_end + 1 : m.start()].strip():
            roles = None  # a new table
        last_end = m.end()
        numeric = [bool(re.fullmatch(r"[\d.,%\s\-–]+", c[0])) and c[0] != "" for c in cells]
        if not any(numeric[1:]):
            roles = [next((r for r, rx in COL_ROLES if rx.search(c[0])), "label") for c in cells]
            header = [c[0] for c in cells]
            continue
        label_i = next((i for i, c in enumerate(cells) if not numeric[i] and c[0]), None)
        if label_i is None:
            continue
        label = cells[label_i][0]
        row_roles = roles if roles and len(roles) == len(cells) else None
        if row_roles and SUBJECT_HEADER_RE.search(header[label_i]):
            # one row per subordinate organization, one column per metric
            for i, c in enumerate(cells):
                if i == label_i or not numeric[i] or row_roles[i] in ("skip", "unit", "pct"):
                    continue
                digits = DIGITS_RE.search(c[0])
                value = digits_or_none(digits.group()) if digits else None
                if value is None:
                    continue  # no number, or one that cannot be read: that cell only
                fact = _table_fact(rd, header[i], {"actual": (value, c[1], c[2])})
                fact.start, fact.end = cells[label_i][1], m.end()
                if not same_org(label, rd.org, cat.abbreviations):
                    fact.subject = label
                facts.append(fact)
            continue
        nums = {}
        for i, c in enumerate(cells):
            if i == label_i or not numeric[i]:
                continue
            role = row_roles[i] if row_roles else "actual"
            if role in ("skip", "label") and row_roles is not None:
                continue
            if role == "skip" or (row_roles is None and i < label_i):
                continue
            digits = DIGITS_RE.search(c[0])
            value = digits_or_none(digits.group()) if digits else None
            if value is not None and role not in nums:
                nums[role] = (value, c[1], c[2])
        if "actual" not in nums:
            continue
        unit_text = " ".join(
            c[0] for i, c in enumerate(cells) if row_roles and row_roles[i] == "unit"
        )
        fact = _table_fact(rd, label + " " + unit_text, nums)
        fact.start, fact.end = cells[label_i][1], m.end()
        facts.append(fact)
    return facts, spans


def _table_fact(rd: _Reader, label: str, nums: dict) -> _Fact:
    cat = rd.cat
    value, vs, ve = nums["actual"]
    scale = re.search(r"(nghìn|ngàn|triệu|tỷ|tỉ)\s*(?:đồng|VNĐ|VND)", label, re.I)
    money = bool(scale or re.search(r"(?<!\w)(?:đồng|VNĐ|VND)(?!\w)", label))
    if scale:
        value *= SCALES[scale.group(1).lower()]
    q = Quantity(start=vs, end=ve, value=value, is_money=money)
    if "plan" in nums:
        q.denominator = nums["plan"][0] * (value / nums["actual"][0] if nums["actual"][0] else 1)
    best = None
    for rule in cat.rules:
        if rule.metric == "other" or not _kind_ok(rule, q, rule.noun is not None):
            continue
        if rule.before is None and rule.after is not None:
            continue  # its cue is word order in a sentence, which a table cell does not have
        before_hit = rule.before is not None and bool(rule.before.search(label))
        noun_hit = rule.noun is not None and bool(rule.noun.search(label))
        if (rule.before is not None and not before_hit) or not (before_hit or noun_hit):
            continue
        if not cat.plausible(rule.metric, value):
            continue
        key = (before_hit, noun_hit, rule.priority)
        if best is None or key > best[0]:
            best = (key, rule)
    if best is not None:
        metric = best[1].metric
        unit = cat.metrics[metric].unit
    else:
        metric = "other"
        unit = "vnd" if money else "count"
    f = _Fact(q, metric, unit, value, vs, ve, ve)
    f.pct = nums["pct"][0] if "pct" in nums else None
    if metric == "other":
        f.label = re.sub(r"\s+", " ", label).strip()
    return f


def _paren_whole(t: str, facts: list[_Fact], c_start: int, qs: int) -> _Fact | None:
    """The fact stated right before an open parenthesis that `qs` sits in, if any."""
    open_at = t.rfind("(", c_start, qs)
    if open_at < 0 or ")" in t[open_at:qs]:
        return None
    for f in reversed(facts):
        if f.noun_end <= open_at:
            return f if not t[f.noun_end : open_at].strip() else None
    return None


def _borrow_metric(rd: _Reader, facts: list[_Fact], fact: _Fact, c_start: int, qs: int) -> None:
    """`A đạt doanh thu 186,5 tỷ đồng; B đạt 47,2 tỷ đồng`: an amount with no cue of its own,
    said of another subject in a clause built like the one before, means the same thing."""
    if not ELLIPSIS_VERB_RE.search(rd.t, max(c_start, qs - 20), qs):
        return
    s_start, _ = rd.sentence(qs)
    for f in reversed(facts):
        if f.start < s_start or f.start >= c_start and f.q.is_money:
            return  # none in this sentence, or this clause already spent its cue
        if f.metric in MONEY_METRICS and f.scope == "org":
            fact.metric, fact.unit, fact.label = f.metric, "vnd", None
            return
        if f.q.is_money or f.q.scaled:
            return


def _after_subset_marker(rd: _Reader, facts: list[_Fact], c_start: int, qs: int) -> bool:
    """`có hơn 4,7 ngàn đảng viên, trong đó ... 38 cơ sở với hơn 1 ngàn đảng viên`: after
    `trong đó` in the same clause, and after the whole was given, numbers count a part of it."""
    i = bisect.bisect_left(rd.subset_marks, qs) - 1
    if i < 0 or rd.subset_marks[i] < c_start:
        return False
    mark = rd.subset_marks[i]
    s_start, _ = rd.sentence(qs)
    for f in reversed(facts):  # facts are in text order: stop once before the sentence
        if f.start < s_start:
            return False
        if f.start < mark:
            return True
    return False


def _other(rd: _Reader, q: Quantity, qs: int, c_end: int) -> _Fact | None:
    t = rd.t
    if q.is_pct:
        return _Fact(q, "other", "pct", q.value, qs, q.end, q.end)
    if q.is_money or q.per_person_month:
        unit = "vnd_per_person_month" if q.per_person_month else "vnd"
        return _Fact(q, "other", unit, q.value, qs, q.end, q.end)
    m = rd.cat.nouns.match(t, q.end)
    if not m:
        # `từ bốn lên năm chi bộ`: the earlier level counts the noun written after the later one
        rise = RISE_TO_RE.match(t, q.end)
        m = rd.cat.nouns.match(t, rise.end()) if rise else None
        if not m:
            return None
        f = _Fact(q, "other", m.lastgroup or "count", _unit_value(q, "count"), qs, q.end, q.end)
        f.label = m.group().strip() + " (mức trước)"
        return f
    unit = m.lastgroup or "count"
    return _Fact(q, "other", unit, _unit_value(q, unit), qs, m.end(), m.end())


def _attach_pct(rd: _Reader, facts: list[_Fact], q: Quantity) -> bool:
    """`(92,7%)`, `, đạt 143,8% kế hoạch`: a rate stated with the fact before it."""
    t = rd.t
    s_start, _ = rd.sentence(q.start)
    qs = q.qualifier_start if q.qualifier_start is not None else q.start
    if re.match(
        rf"{_SP}*(?:đảng viên|chi bộ|cán bộ|doanh nghiệp|đơn vị|tổ chức)",
        t[q.end : q.end + 20],
        re.I,
    ):
        return False
    if q.qualifier in ("approx", "nearly", "under", "estimated") or (
        q.qualifier == "over" and not t.startswith("vượt", q.qualifier_start or 0)
    ):
        return False  # `chiếm khoảng 12%`: a hedged rate is a fact of its own (pct has no hedge)
    for f in reversed(facts):
        if f.start < s_start:
            return False
        gap = t[f.noun_end : qs]
        if gap.count(")") > gap.count("("):
            continue  # the fact sits inside a parenthesis that closed before the rate
        if f.unit == "pct" or f.pct is not None:
            return False
        plain = PARENS_RE.sub("", gap) if "(" in gap else gap
        in_parens = t[max(0, qs - 1) : qs] == "(" or OPEN_PAREN_END_RE.search(t[qs - 12 : qs])
        share = f.q.denominator and abs(f.value / f.q.denominator * 100 - q.value) < 0.6
        own_parens = (
            f.unit in ("person", "org", "count")
            and PAREN_PCT_BEFORE_RE.search(t, max(0, qs - 16), qs)
            and len(plain) <= 100
            and ";" not in plain
            and ":" not in plain
        )
        if (
            PCT_JOIN_RE.match(gap)
            or (PCT_PLAN_AFTER_RE.match(t, q.end) and len(plain) <= 100 and ";" not in plain)
            or (in_parens and share and ";" not in plain)
            or own_parens
        ):
            f.pct = q.value
            if len(gap) <= 40:
                f.end = max(f.end, q.end + (1 if t[q.end : q.end + 1] == ")" else 0))
            return True
        return False
    return False


def _dedup(facts: list[_Fact], headline_end: int) -> list[_Fact]:
    """The same figure repeated (a headline, a caption, a closing speech) is one fact."""
    kept: dict[tuple, int] = {}
    full_ratios = {_head2(f) for f in facts if f.q.denominator and f.q.denominator == f.value}
    # a headline restates the body in its own words: two words of the noun are enough
    body = {_loose_key(f) for f in facts if f.start >= headline_end}
    out: list[_Fact] = []
    for f in facts:
        if f.metric == "other":
            if f.start < headline_end and _loose_key(f) in body:
                continue
            key = ("other", f.unit, _clean_num(f.value), f.q.denominator, f.head, f.subject)
            if f.unit == "pct" and f.value == 100 and _head2(f) in full_ratios:
                continue  # `100% các chỉ tiêu` restates `10/10 chỉ tiêu`
        else:
            key = (f.metric, _clean_num(f.value), f.subject, f.scope)
        if key in kept:
            i = kept[key]
            if _richness(f) > _richness(out[i]):
                out[i] = f  # a headline's bare `52 đảng viên` vs the body's `52/45 ..., đạt 115,6%`
            continue
        kept[key] = len(out)
        out.append(f)
    return out


def _head2(f: _Fact) -> str:
    return " ".join(f.head.split()[:2])


def _loose_key(f: _Fact) -> tuple:
    return (f.metric, f.unit, _clean_num(f.value), f.q.denominator, _head2(f))


def _richness(f: _Fact) -> int:
    return (f.q.denominator is not None) + (f.pct is not None) + (f.q.qualifier is not None)


def _record(f: _Fact, t: str, original: str, index: list[int] | None, doc_id: str) -> dict:
    start, end = f.start, max(f.end, f.q.end)
    if index is not None:
        start, end = index[start], index[end] if end < len(index) else len(original)
    q = f.q
    value_max = q.value_max
    return {
        "doc": doc_id,
        "metric": f.metric,
        "value": _clean_num(f.value),
        "unit": f.unit,
        "qualifier": q.qualifier,
        "denominator": _clean_num(q.denominator),
        "pct": _clean_num(f.pct),
        "scope": f.scope,
        "subject": f.subject,
        "label": f.label,
        "evidence": original[start:end],
        "start": start,
        "end": end,
        "value_max": _clean_num(value_max),
    }


def extract_document(doc: CleanDoc) -> tuple[list[dict], list[dict]]:
    """(fact records, document-field records) for one cleaned document."""
    fields = document_fields(doc)
    by_name = {r["field"]: r["value"] for r in fields}
    facts = extract_facts(
        doc.text or "",
        doc_id=doc.doc_id,
        organization=by_name.get("organization"),
        period=by_name.get("period"),
    )
    return facts, fields
