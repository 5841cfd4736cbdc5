"""Plain-text sources: line-level furniture removal.

Text files are usually a page copied from a browser, so they carry the page's
furniture as lines: breadcrumbs above the headline, the headline repeated as
image alt text, image file names, share/view widgets, visitor counters whose
label and number sit on separate lines, "related articles" lists at the end.
Each line is judged on its own words (see clean_rules / furniture.yaml); the
article's own sentences pass untouched.

Decisions worth knowing downstream:
- `Nguồn: ...` lines stay in the text (a reader cites them; the extractor reads
  the document's source from them) and the value of the last one (the credit
  that closes an article, not a note under a table) is also copied to
  meta["source_line"].
- A bare URL line is dropped from the text (its digits are not facts) and kept
  as meta["source_url"].
- A publication stamp line (`Ngày đăng 10/03/2023 | 14:49 | Lượt xem: 1428`)
  is dropped: its date becomes `published_date`, its counter is furniture.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from vnreport.transforms import clean_rules as R

_NAME_WORD = re.compile(r"^[A-ZÀ-ỸĐ][\wÀ-ỹ]*\.?$")


@dataclass
class TextResult:
    text: str
    title: str | None = None
    published_date: str | None = None
    author: str | None = None
    reason: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)


def _norm_line(line: str) -> str:
    return R.fold(line.translate(R.INVISIBLE))


def looks_like_name(line: str) -> str | None:
    """An author sign-off: 'Minh Anh', 'Nguyễn Xuân Dương - Phó Chánh Văn phòng'."""
    if len(line) > 80 or any(ch.isdigit() for ch in line) or line.endswith((".", ":", ";")):
        return None
    name = re.split(r"\s+[-–—]\s+|\s*,\s*|\s*\(", line, maxsplit=1)[0].strip()
    words = name.split()
    if 2 <= len(words) <= 5 and all(_NAME_WORD.match(w) for w in words):
        return name
    return None


def _is_headline_candidate(line: str) -> bool:
    return (
        8 <= len(line) <= 300
        and not R.is_section_label(line)
        and not R.is_widget(line)
        and not R.is_counter(line)
        and not R.is_image_file(line)
        and not R.patterns()["url"].match(line)
        and R.stamp_date(line) is None
    )


def clean_plain_text(raw_text: str) -> TextResult:
    text = unicodedata.normalize("NFC", raw_text).replace("\r\n", "\n").replace("\r", "\n")
    lines = [_norm_line(x.replace("\xa0", " ")) for x in text.split("\n")]
    meta: dict[str, Any] = {}
    dropped: dict[str, int] = {}

    def drop(kind: str) -> None:
        dropped[kind] = dropped.get(kind, 0) + 1

    # Headline: the first substantial line; section labels above it are breadcrumbs.
    title = None
    start = 0
    for i, line in enumerate(lines):
        if not line:
            continue
        if _is_headline_candidate(line):
            title, start = line, i
            break
        drop("before_headline")
    if title is None:
        return TextResult(
            "", reason="no text lines left after removing page furniture", meta={"dropped": dropped}
        )

    kept: list[str] = [title]
    published: str | None = None
    updated: str | None = None
    total_chars = sum(len(x) for x in lines[start:]) or 1
    seen_chars = 0
    i = start + 1
    pending_counter = False
    while i < len(lines):
        line = lines[i]
        seen_chars += len(line)
        i += 1
        if not line:
            continue
        if pending_counter and R.patterns()["number_only"].match(line):
            drop("counter")
            continue
        pending_counter = False
        if R.is_counter(line):
            drop("counter")
            # the number often sits on the next line
            pending_counter = not re.search(r"\d", line)
            continue
        if line == title or line.casefold() == title.casefold():
            drop("repeated_headline")
            continue
        if R.is_image_file(line):
            drop("image_file")
            continue
        date = R.stamp_date(line)
        if date:
            if R.stamp_is_update(line):
                updated = updated or date
            else:
                published = published or date
            meta.setdefault("stamp", line)
            drop("stamp")
            continue
        if R.patterns()["url"].match(line):
            meta.setdefault("source_url", line)
            drop("url")
            continue
        if R.is_related_heading(line):
            drop("related_heading")
            if seen_chars > 0.6 * total_chars:
                # A list of other articles closes the page: nothing after it is ours,
                # except a source line or counters, which are handled as furniture.
                rest = [x for x in lines[i:] if x]
                for x in rest:
                    m = R.patterns()["source"].match(x)
                    if m:
                        kept.append(x)
                        meta["source_line"] = m.group(1).strip()
                dropped["related_list"] = dropped.get("related_list", 0) + len(rest)
                break
            # In the middle: drop the run of short headline lines that follows.
            while (
                i < len(lines) and lines[i] and len(lines[i]) < 160 and not lines[i].endswith(".")
            ):
                drop("related_list")
                i += 1
            continue
        if R.is_widget(line):
            drop("widget")
            continue
        if R.is_related_link(line):
            drop("related_link")
            continue
        m = R.patterns()["source"].match(line)
        if m:
            meta["source_line"] = m.group(1).strip()
        kept.append(line)

    body = kept[1:]
    if not body:
        return TextResult(
            title,
            title=title,
            published_date=published or updated,
            reason="only a headline is left after removing page furniture",
            meta={"dropped": dropped, **meta},
        )
    author = None
    for line in reversed(body[-3:]):
        if R.patterns()["source"].match(line):
            continue
        author = looks_like_name(line)
        break
    if dropped:
        meta["dropped"] = dropped
    if updated:
        meta["updated_date"] = updated
    return TextResult(
        "\n\n".join(kept),
        title=title,
        published_date=published or updated,
        author=author,
        meta=meta,
    )
