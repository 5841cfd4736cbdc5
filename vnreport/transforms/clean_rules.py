"""Furniture patterns (from furniture.yaml) compiled once, and line-level tests.

Both the HTML path and the plain-text path ask the same questions of a line of
text ("is this a visitor counter?", "is this a related-articles heading?"), so
the answers live here, next to the data that defines them.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import yaml

FURNITURE_PATH = Path(__file__).with_name("furniture.yaml")


@lru_cache(maxsize=1)
def furniture() -> dict[str, list[str]]:
    with FURNITURE_PATH.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _alt(items: list[str]) -> str:
    # Longest first so "tin liên quan" wins over "tin".
    return "|".join(sorted(items, key=len, reverse=True))


def _sp(pattern: str) -> str:
    return pattern.replace(" ", r"\s+")


@lru_cache(maxsize=1)
def patterns() -> dict[str, re.Pattern[str]]:
    f = furniture()
    counters = _sp(_alt(f["counter_labels"]))
    related = _sp(_alt(f["related_headings"]))
    widgets = _sp(_alt(f["widget_lines"]))
    sections = _sp(_alt(f["section_terms"]))
    num = r"[\d][\d.,\s]*"
    counters_after = _sp(_alt(f["counter_units"]))
    return {
        # "Lượt xem: 1428", "Hôm nay:", "User Online:2098", "Total visited: 4810612"
        # one or several on a line: "Hôm nay: 457 | Hôm qua: 3.309 | Tổng: 2.086.287"
        "counter": re.compile(
            rf"^(?:(?:{counters})\s*[:：]?\s*(?:{num})?\s*[|,;·•\-–]?\s*)+$", re.I
        ),
        # counter segments inside a longer stamp line: "| Lượt xem: 1428", "2.468 lượt xem"
        "counter_segment": re.compile(
            rf"(?:{counters})\s*[:：]\s*{num}|{num}\s*(?:{counters_after})\b", re.I
        ),
        # "2.468 lượt xem", "15 bình luận" on a line of their own
        "counter_after": re.compile(rf"^{num}\s*(?:{counters_after})$", re.I),
        "number_only": re.compile(r"^[\d][\d.,\s]*$"),
        "related": re.compile(rf"^(?:{related})\s*[:：.…]*$", re.I),
        # "Xem thêm: <headline of another article>"
        "related_inline": re.compile(rf"^(?:{related})\s*[:：>»]\s*\S.{{0,200}}$", re.I),
        "widget": re.compile(rf"^(?:{widgets})$", re.I),
        # words joined by a separator or by spaces. Each further word is matched atomically
        # (longest alternative first) and never revisited, so a line of repeated widget words
        # or separators cannot make the matcher backtrack exponentially.
        "widget_seq": re.compile(
            rf"^(?:{widgets})(?>\s*[|•·/,]\s*(?:{widgets})|\s+(?:{widgets}))*+\s*[|•·/,]?$",
            re.I,
        ),
        "section": re.compile(rf"^(?:{sections})(?:\s*[-|>»›/–]\s*(?:{sections}))*$", re.I),
        "image_file": re.compile(
            r"^[\w\-.() ]{1,80}\.(?:jpe?g|png|gif|webp|bmp|tiff?|svg|heic)$", re.I
        ),
        "url": re.compile(r"^(?:https?://|www\.)\S+$", re.I),
        "source": re.compile(r"^(?:nguồn|theo|source)\s*[:：]\s*(.{2,200})$", re.I),
    }


@lru_cache(maxsize=1)
def class_fragments() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(furniture, article) class/id fragments with separators removed."""
    f = furniture()

    def compact(items: list[str]) -> tuple[str, ...]:
        return tuple(sorted({x.lower().replace("-", "").replace("_", "") for x in items}))

    return compact(f["negative_class"]), compact(f["positive_class"])


@lru_cache(maxsize=1)
def negative_tokens() -> frozenset[str]:
    return frozenset(furniture()["negative_tokens"])


# Zero-width characters and soft hyphens: invisible on the page, but they would
# split "1.840" or "đảng viên" for every pattern downstream.
INVISIBLE = str.maketrans("", "", "\u200b\u200c\u200d\u2060\ufeff\u00ad")


def fold(text: str) -> str:
    """Whitespace-folded line, as every pattern expects."""
    return " ".join(text.split())


def is_counter(line: str) -> bool:
    p = patterns()
    return bool(p["counter"].match(line) or p["counter_after"].match(line))


def is_widget(line: str) -> bool:
    p = patterns()
    return bool(p["widget"].match(line) or (len(line) < 120 and p["widget_seq"].match(line)))


def is_related_heading(line: str) -> bool:
    return len(line) < 60 and bool(patterns()["related"].match(line))


def is_related_link(line: str) -> bool:
    return len(line) < 220 and bool(patterns()["related_inline"].match(line))


def is_section_label(line: str) -> bool:
    return len(line) < 80 and bool(patterns()["section"].match(line))


def is_image_file(line: str) -> bool:
    return bool(patterns()["image_file"].match(line))


# ---- dates -----------------------------------------------------------------

_DMY = re.compile(r"(?<!\d)(\d{1,2})\s*[/.\-]\s*(\d{1,2})\s*[/.\-]\s*((?:19|20)\d{2})(?!\d)")
_YMD = re.compile(r"(?<!\d)((?:19|20)\d{2})-(\d{1,2})-(\d{1,2})(?!\d)")
_VN_LONG = re.compile(r"ngày\s+(\d{1,2})\s+tháng\s+(\d{1,2})\s+năm\s+((?:19|20)\d{2})", re.I)
_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_EN_MDY = re.compile(r"\b([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+((?:19|20)\d{2})\b")
_EN_DMY = re.compile(r"\b(\d{1,2})\s+([A-Za-z]{3,9})\.?,?\s+((?:19|20)\d{2})\b")


def _iso(y: int, m: int, d: int) -> str | None:
    if 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def parse_date(text: str | None) -> str | None:
    """First date in `text` as ISO; Vietnamese pages write day before month."""
    if not text:
        return None
    text = text.strip()
    m = _YMD.search(text)
    if m:
        return _iso(int(m[1]), int(m[2]), int(m[3]))
    m = _DMY.search(text)
    if m:
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    m = _VN_LONG.search(text)
    if m:
        return _iso(int(m[3]), int(m[2]), int(m[1]))
    m = _EN_MDY.search(text)
    if m and m[1].lower() in _MONTHS:
        return _iso(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    m = _EN_DMY.search(text)
    if m and m[2].lower() in _MONTHS:
        return _iso(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    return None


# A visible publication stamp: labels, weekday, date, time, separators and
# counters, nothing that reads as a sentence.
_STAMP_WORDS = (
    r"ngày\s+đăng|đăng\s+ngày|ngày\s+cập\s+nhật|cập\s+nhật(?:\s+lúc)?|đăng\s+lúc|"
    r"thời\s+gian(?:\s+đăng)?|xuất\s+bản|ngày|lúc|posted(?:\s+on)?|published(?:\s+on)?|"
    r"updated(?:\s+on)?|last\s+updated|on|"
    r"thứ\s+(?:hai|ba|tư|năm|sáu|bảy|bẩy|[2-7])|chủ\s+nhật|cn|t[2-7]|"
    r"gmt\s*[+-]?\s*\d*|am|pm|sa|ch|"
    r"\d{1,2}\s*[:h]\s*\d{2}(?:\s*[:]\s*\d{2})?|"
    r"\d{1,4}\s*[/.\-]\s*\d{1,2}\s*[/.\-]\s*\d{1,4}"
)
_STAMP_NOISE = re.compile(rf"(?:{_STAMP_WORDS}|[|,:;/•·()\[\]\-–—])", re.I)
# The same as whole words, to see what else a stamp line holds (`Chia sẻ` is no `ch`).
_STAMP_NOISE_WORDS = re.compile(rf"(?<!\w)(?:{_STAMP_WORDS})(?!\w)", re.I)


def stamp_date(line: str) -> str | None:
    """ISO date when the whole line is a publication stamp, else None.

    `Ngày đăng 10/03/2023 | 14:49 | Lượt xem: 1428`, `Cập nhật lúc 08:15, Thứ Ba,
    14/05/2024`, `Thứ năm, 09/03/2023 - 15:20`.
    """
    if len(line) > 160:
        return None
    date = parse_date(line)
    if not date:
        return None
    no_counters = patterns()["counter_segment"].sub(" ", line)
    rest = _STAMP_NOISE.sub(" ", no_counters)
    if len(re.sub(r"\W", "", rest)) <= 2:
        return date
    # `05/10/2024 09:12 Lượt xem: 1.587 In bài`: a stamp sharing its line with print or share
    rest = _STAMP_NOISE_WORDS.sub(" ", no_counters)
    leftover = " ".join(re.sub(r"[^\w\s]", " ", rest).split())
    return date if is_widget(leftover) else None


def stamp_is_update(line: str) -> bool:
    return bool(re.search(r"cập\s+nhật|updated", line, re.I)) and not re.search(
        r"ngày\s+đăng|đăng\s+ngày|xuất\s+bản|published|posted", line, re.I
    )
