"""Clean stage: raw bytes -> the article's text and page metadata.

`clean_document` is the stage's one entry point. HTML goes through the generic
main-content extractor (clean_html) unless the source declares a profile; text
files go through line-level furniture removal (clean_text). Either way the
result has one shape: the headline on the first line, then lead and body
paragraphs separated by blank lines, table rows one per line with cells joined
by " | ". Fact offsets index exactly this text, so it is NFC and stable.

Cleaning never raises on what a page contains: malformed markup, binary bytes,
empty files and furniture-only pages all yield a CleanDoc whose empty `text`
comes with a `reason`.

CleanDoc.meta keys (all optional): `encoding`, `encoding_method` (bom, http,
meta, utf-8, detected, fallback), `encoding_note`, `legacy_encoding` ("tcvn3" |
"vni") with `legacy_converted`; `candidate` (the element chosen as the article,
or "profile:<selector>"); `body_start` (offset of the first body paragraph,
after the headline); `dropped` (furniture counts by kind); `stamp` (the visible
date stamp line) and `date_source` (which evidence gave published_date);
`source_line` (the value of a `Nguồn:` line, which stays in the text);
`source_url` (a bare URL line of a text file, which does not);
`updated_date`; `truncated_markup_at`; `profile_miss` / `profile_errors`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace
from typing import Any

from vnreport.records import CleanDoc, RawDoc
from vnreport.transforms import clean_rules as R
from vnreport.transforms.encoding import Decoded, decode_bytes

# Real article pages are far smaller; past this the tail is page scaffolding or
# an attack on the parser, and parsing it would only cost time and memory.
MAX_MARKUP_CHARS = 2_000_000
MIN_TEXT_CHARS = 80  # below this a generic extraction is retried without class hints
LONG_BLOCK = 300  # longer than any headline, stamp, counter or widget line


def _is_binary(data: bytes) -> bool:
    head = data[:8192]
    if not head:
        return False
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return False  # UTF-16 with its byte-order mark: every other byte is NUL
    if head.count(b"\x00") > len(head) // 100:
        return True  # binary formats are full of NULs; a stray one is dirt to strip
    controls = sum(1 for b in head if b < 9 or 13 < b < 32)
    return controls > len(head) // 20


_HTML_START = re.compile(r"\s*<(?:!doctype\s+html|html|head|body|meta|title)\b", re.I)
_ANY_TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*[\s/>]|<!--|<!doctype", re.I)


def _sniff(text: str, declared: str) -> str:
    """What the decoded text really is: page source ('html') or plain text.

    A declared HTML file becomes text only when it holds no markup at all; a
    declared text file becomes HTML when it opens like a page or is full of tags.
    """
    head = text[:65536]
    if declared == "html":
        return "html" if _ANY_TAG.search(head) else "text"
    if _HTML_START.match(head) or len(_ANY_TAG.findall(head[:8192])) >= 5:
        return "html"
    return "text"


def _compose(title: str | None, blocks: list[str], kinds: list[str]) -> str:
    parts: list[str] = []
    if title:
        parts.append(title)
        parts.append("\n\n")
    prev = None
    for text, kind in zip(blocks, kinds, strict=True):
        if prev is not None:
            parts.append("\n" if kind == "row" and prev == "row" else "\n\n")
        parts.append(text)
        prev = kind
    return unicodedata.normalize("NFC", "".join(parts).strip())


def _similar_title(text: str, title: str | None) -> bool:
    if not title:
        return False
    a, b = text.casefold(), title.casefold()
    return a == b or (
        len(a) > 15 and len(b) > 15 and (a in b or b in a) and abs(len(a) - len(b)) < 40
    )


def filter_blocks(
    blocks: list[str], kinds: list[str], title: str | None
) -> tuple[list[str], list[str], list[tuple[str, str]], dict[str, Any]]:
    """Drop furniture lines the structural pass could not see (they sit inside
    the article container): counters, stamps, widgets, related-article lists,
    image file names, the repeated headline. Returns kept blocks, their kinds,
    the stamps found (line, ISO date) and notes."""
    out: list[str] = []
    out_kinds: list[str] = []
    stamps: list[tuple[str, str]] = []
    dropped: dict[str, int] = {}
    notes: dict[str, Any] = {}
    pending_counter = False
    in_related = False

    def drop(kind: str) -> None:
        dropped[kind] = dropped.get(kind, 0) + 1

    for text, kind in zip(blocks, kinds, strict=True):
        if len(text) > LONG_BLOCK:
            # prose: no furniture pattern matches a block this long
            pending_counter = in_related = False
            out.append(text)
            out_kinds.append(kind)
            continue
        flat = text.replace(" | ", " ") if kind == "row" else text
        if pending_counter and R.patterns()["number_only"].match(flat):
            drop("counter")
            continue
        pending_counter = False
        if R.is_counter(flat):
            drop("counter")
            pending_counter = not re.search(r"\d", flat)
            continue
        if kind != "row":
            if _similar_title(text, title) and len(out) < 3:
                drop("repeated_headline")
                continue
            if R.is_image_file(text):
                drop("image_file")
                continue
            date = R.stamp_date(text)
            if date:
                stamps.append((text, date))
                drop("stamp")
                continue
            if R.is_related_heading(text):
                drop("related_heading")
                in_related = True
                continue
            if R.is_related_link(text):
                drop("related_link")
                continue
            if in_related:
                if len(text) < 160 and not text.endswith((".", "!", "?", "…")):
                    drop("related_list")
                    continue
                in_related = False
            if R.is_widget(text):
                drop("widget")
                continue
            m = R.patterns()["source"].match(text)
            if m:
                notes["source_line"] = m.group(1).strip()  # the last one credits the article
        out.append(text)
        out_kinds.append(kind)
    if dropped:
        notes["dropped"] = dropped
    return out, out_kinds, stamps, notes


def _apply_drops(soup: Any, profile: dict[str, Any], notes: dict[str, Any]) -> None:
    """Remove what the profile's `drop` selectors name (before either path runs)."""
    drops = profile.get("drop") or []
    if isinstance(drops, str):
        drops = [drops]
    for sel in drops:
        try:
            for el in soup.select(str(sel)):
                el.decompose()
        except Exception as exc:  # a bad selector is the profile's fault: say so, go on
            notes.setdefault("profile_errors", []).append(f"drop {sel!r}: {exc}")


def _profile_blocks(
    soup: Any, profile: dict[str, Any]
) -> tuple[list[str], list[str], dict[str, Any]]:
    """A known portal's `content` selector: every block under it, no scoring."""
    from vnreport.transforms import clean_html as H

    notes: dict[str, Any] = {}
    root = None
    try:
        root = soup.select_one(str(profile["content"]))
    except Exception as exc:
        notes.setdefault("profile_errors", []).append(f"content {profile['content']!r}: {exc}")
    if root is None:
        notes["profile_miss"] = f"content selector {profile['content']!r} matched nothing"
        return [], [], notes
    blocks, kinds = H.write_all(root)
    notes["candidate"] = f"profile:{profile['content']}"
    return blocks, kinds, notes


def _select_text(soup: Any, selector: str | None) -> tuple[str | None, str | None]:
    """(text, datetime/content attribute) of the first match of `selector`."""
    if not selector:
        return None, None
    try:
        el = soup.select_one(selector)
    except Exception:
        return None, None
    if el is None:
        return None, None
    from vnreport.transforms.clean_html import tree_text

    attr = el.get("datetime") or el.get("content")
    return " ".join(tree_text(el).split()) or None, attr if isinstance(attr, str) else None


def _near_headline_stamps(h1_tags: list[Any]) -> list[tuple[str, str]]:
    """Date stamps printed just after the headline (often outside the body container)."""
    from bs4 import Tag

    from vnreport.transforms.clean_html import tree_text

    out: list[tuple[str, str]] = []
    for h in h1_tags[:2]:
        node = h
        for _hop in range(2):  # the headline's following siblings, then its parent's
            seen = 0
            for sib in node.next_siblings:
                if not isinstance(sib, Tag):
                    continue
                seen += 1
                text = " ".join(tree_text(sib).split())
                if text and len(text) < 200:
                    d = R.stamp_date(text)
                    if d:
                        out.append((text, d))
                        return out
                if seen >= 3:
                    break
            node = node.parent
            if node is None:
                break
    return out


def clean_html_text(
    html: str, uri: str | None = None, profile: dict | None = None
) -> dict[str, Any]:
    """Cleaned fields of one decoded HTML page (the work behind clean_document)."""
    from vnreport.transforms import clean_html as H
    from vnreport.transforms import clean_meta

    notes: dict[str, Any] = {}
    # a profile's content selector may name a block whose class reads as furniture
    prep = H.preprocess(html, cut_blocks=not (profile and profile.get("content")))
    if len(prep.full) > MAX_MARKUP_CHARS:
        # counted after scripts and styles are gone: what is left is markup to parse
        notes["truncated_markup_at"] = MAX_MARKUP_CHARS
        uncut = prep.markup is prep.full
        prep.full = prep.full[:MAX_MARKUP_CHARS]
        prep.markup = prep.full if uncut else prep.markup[:MAX_MARKUP_CHARS]
    soup = H.parse(prep.markup)
    blocks: list[str] = []
    kinds: list[str] = []
    h1_tags: list[Any] = []
    if profile:
        _apply_drops(soup, profile, notes)
    if profile and profile.get("content"):
        blocks, kinds, pnotes = _profile_blocks(soup, profile)
        for key, value in pnotes.items():
            if key == "profile_errors":
                notes.setdefault(key, []).extend(value)
            else:
                notes[key] = value
    root = soup.body if soup.body is not None else soup
    if not blocks:
        ex = H.extract(root)
        if sum(len(b) for b in ex.blocks) < MIN_TEXT_CHARS and prep.markup is not prep.full:
            # too little text once furniture blocks were cut: judge the whole page
            notes["furniture_cut_undone"] = True
            soup = H.parse(prep.full)
            root = soup.body if soup.body is not None else soup
            ex = H.extract(root)
        if sum(len(b) for b in ex.blocks) < MIN_TEXT_CHARS:
            ex2 = H.extract(root, use_classes=False)
            if sum(len(b) for b in ex2.blocks) > sum(len(b) for b in ex.blocks):
                ex2.candidate += " (no class hints)"
                ex = ex2
        blocks, kinds, h1_tags = ex.blocks, ex.kinds, ex.h1
        notes["candidate"] = ex.candidate
    h1 = [" ".join(H.tree_text(t).split()) for t in h1_tags]
    found = clean_meta.page_metadata(soup, prep.full, prep.head, prep.jsonld, h1, [], uri)
    blocks, kinds, stamps, fnotes = filter_blocks(blocks, kinds, found["title"])
    notes.update(fnotes)
    src = found.get("date_source") or ""
    trusted = src.startswith(("meta:", "jsonld")) and not src.endswith(
        ("modified_time", "updated_time", "dateModified", "last-modified")
    )
    if not trusted:
        # a stamp in the article or under its headline beats labels found elsewhere
        near = stamps or _near_headline_stamps(h1_tags)
        pub = [d for line, d in near if not R.stamp_is_update(line)]
        if pub or (near and not found.get("published_date")):
            found["published_date"] = (pub or [near[0][1]])[0]
            found["date_source"] = "stamp"
            notes["stamp"] = near[0][0]
    if profile:
        t, _ = _select_text(soup, profile.get("title"))
        if t:
            found["title"] = t
        dt, dattr = _select_text(soup, profile.get("date"))
        d = R.parse_date(dattr) or R.parse_date(dt)
        if d:
            found["published_date"], found["date_source"] = d, "profile"
    if not found.get("author") and blocks:
        # the sign-off Vietnamese articles end with ("Hồng Nhung", "Minh Anh - Văn phòng")
        from vnreport.transforms.clean_text import looks_like_name

        for block in reversed(blocks[-2:]):
            if R.patterns()["source"].match(block):
                continue
            name = looks_like_name(block)
            if name:
                found["author"] = name
                found["author_source"] = "sign-off"
            break
    found["blocks"] = blocks
    found["kinds"] = kinds
    found["notes"] = notes
    return found


def _fail(raw: RawDoc, reason: str, meta: dict[str, Any] | None = None) -> CleanDoc:
    return CleanDoc(
        doc_id=raw.doc_id,
        source=raw.source,
        uri=raw.uri,
        content_hash=raw.content_hash,
        text="",
        reason=reason,
        meta=meta or {},
    )


def _encoding_meta(dec: Decoded) -> dict[str, Any]:
    meta: dict[str, Any] = {"encoding": dec.encoding, "encoding_method": dec.method}
    if dec.legacy_encoding:
        meta["legacy_encoding"] = dec.legacy_encoding
        meta["legacy_converted"] = dec.legacy_converted
    if dec.note:
        meta["encoding_note"] = dec.note
    return meta


def clean_document(raw: RawDoc, profile: dict | None = None) -> CleanDoc:
    """The article text and metadata of one raw document; never raises on content."""
    try:
        return _clean(raw, profile)
    except RecursionError:
        return _fail(raw, f"{raw.uri}: markup too deeply nested to clean")
    except MemoryError:
        return _fail(raw, f"{raw.uri}: page too large to clean")
    except Exception as exc:  # a bug must not stop the nightly run; it is recorded
        return _fail(raw, f"{raw.uri}: cleaning failed ({type(exc).__name__}: {exc})")


# C0 and C1 controls other than tab and newlines: terminal escapes (ESC [2J, OSC titles,
# CSI \x9b) in a page must never reach stored text, which `vnreport query` prints raw.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def strip_controls(text: str) -> str:
    return _CONTROLS.sub("", text)


def _clean(raw: RawDoc, profile: dict | None) -> CleanDoc:
    data = raw.content or b""
    if not data.strip():
        return _fail(raw, "empty document")
    if _is_binary(data):
        return _fail(raw, "binary content, not text or HTML")
    is_html = raw.kind == "html"
    dec = decode_bytes(data, raw.charset, html=is_html)
    dec = replace(dec, text=strip_controls(dec.text))
    meta = _encoding_meta(dec)
    sniffed = _sniff(dec.text, "html" if is_html else "text")
    if sniffed != ("html" if is_html else "text"):
        # a .txt holding saved page source, or an .html file with no markup at all
        meta["kind_sniffed"] = sniffed
        is_html = sniffed == "html"
    if dec.legacy_encoding == "vni":
        meta["legacy_note"] = "VNI font encoding detected; text left unconverted"
    if not is_html:
        from vnreport.transforms.clean_text import clean_plain_text

        res = clean_plain_text(dec.text)
        meta.update(res.meta)
        site = None
        if res.meta.get("source_url"):
            from urllib.parse import urlparse

            site = urlparse(res.meta["source_url"]).hostname
        return CleanDoc(
            doc_id=raw.doc_id,
            source=raw.source,
            uri=raw.uri,
            content_hash=raw.content_hash,
            text=res.text,
            title=res.title,
            published_date=res.published_date,
            site=site,
            author=res.author,
            reason=res.reason if not res.text else None,
            meta=meta,
        )
    found = clean_html_text(dec.text, raw.uri, profile)
    meta.update(found["notes"])
    if found.get("date_source"):
        meta["date_source"] = found["date_source"]
    # character references (&#27;) reach the blocks after parsing: strip controls there too
    blocks = [strip_controls(b) for b in found["blocks"]]
    kinds = found["kinds"]
    title = strip_controls(found["title"]) if found.get("title") else found.get("title")
    reason = None
    if blocks and not any(ch.isalpha() for b in blocks for ch in b):
        blocks, kinds = [], []
    if not blocks:
        reason = (
            f"profile: {meta['profile_miss']}"
            if meta.get("profile_miss")
            else "no article text found: the page holds only navigation and other furniture"
        )
        text = ""
    else:
        text = _compose(title, blocks, kinds)
    meta["body_start"] = len(title) + 2 if (title and text) else 0
    return CleanDoc(
        doc_id=raw.doc_id,
        source=raw.source,
        uri=raw.uri,
        content_hash=raw.content_hash,
        text=text,
        title=title,
        published_date=found.get("published_date"),
        site=found.get("site"),
        author=found.get("author"),
        reason=reason,
        meta=meta,
    )
