"""Generic main-content extraction from an HTML page with BeautifulSoup.

The page is parsed once (lxml). One iterative pass over the tree records, per
element, its own text length, the length of its link text and its commas, and
whether it sits in furniture (nav, footer, share bars, counters: decided by tag,
class/id and hidden-ness); a bottom-up sweep over that list sums the figures.
Paragraph-like elements then vote for their ancestors (the readability idea:
the article is the element whose children hold the most prose), discounted by
link density; the winner and its prose-bearing siblings are written out as
blocks, pruning link-heavy lists and furniture lines on the way.

No step re-walks the tree with get_text or find_all: every statistic is read
from the arrays built in the one pass, so the cost stays a small fraction of
the parse itself. Nothing here recurses on the tree, so 100,000-level nesting
is just a long loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from vnreport.transforms import clean_rules as R

# Removed from the markup before parsing: they never hold article text and are
# a large share of a modern page's bytes (so the parse gets cheaper too).
_STRIP = re.compile(
    r"<(script|style|noscript|template|svg|math|iframe|object|canvas|textarea|select)\b[^>]*>.*?</\1\s*>"
    r"|<!--.*?-->",
    re.S | re.I,
)
_JSONLD = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.S | re.I,
)

# Never text, even when the strip above missed them (unclosed, malformed).
SKIP_TAGS = frozenset(
    ["script", "style", "noscript", "template", "svg", "math", "iframe", "object", "embed", "canvas", "select", "option", "button", "input", "textarea", "head", "title", "meta", "link", "video", "audio", "source", "track", "map", "area", "picture", "img", "br", "hr", "wbr", "param", "base"]
)
# Page structure that is furniture by definition.
JUNK_TAGS = frozenset(["nav", "aside", "footer", "header", "form", "dialog", "menu"])
BLOCK_TAGS = frozenset(
    ["p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table", "tbody", "thead", "tfoot", "tr", "td", "th", "blockquote", "pre", "figure", "figcaption", "header", "footer", "nav", "aside", "form", "fieldset", "address", "caption", "details", "summary", "center", "hgroup", "body", "html"]
)
STRUCT_TAGS = frozenset(
    ["div", "table", "ul", "ol", "section", "article", "aside", "nav", "form", "header", "footer", "main", "dl", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"]
)
PARA_TAGS = frozenset(["p", "pre", "td", "blockquote"])
HEADINGS = frozenset(["h1", "h2", "h3", "h4", "h5", "h6"])
LISTISH = frozenset(["ul", "ol", "dl", "table", "div", "section", "nav", "aside"])
HIDDEN_CLASSES = frozenset(
    ["hidden", "d-none", "invisible", "sr-only", "visually-hidden", "screen-reader-text", "hide"]
)
TAG_WEIGHT = {
    "div": 5,
    "article": 10,
    "main": 5,
    "section": 3,
    "pre": 3,
    "td": 3,
    "blockquote": 3,
    "form": -3,
    "ol": -3,
    "ul": -3,
    "dl": -3,
    "li": -3,
    "address": -3,
    "th": -5,
    "h1": -5,
    "h2": -5,
    "h3": -5,
}
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPLIT_CLASS = re.compile(r"[\s_\-]+")


@dataclass
class Page:
    """What the HTML path hands back to clean_document."""

    blocks: list[str]
    kinds: list[str]
    soup: BeautifulSoup | None
    jsonld: list[str] = field(default_factory=list)
    h1: list[str] = field(default_factory=list)
    time_values: list[str] = field(default_factory=list)
    stamps: list[str] = field(default_factory=list)
    notes: dict[str, Any] = field(default_factory=dict)


def preprocess(html: str) -> tuple[str, list[str]]:
    """JSON-LD blocks (for metadata), then the markup without script/style/comments."""
    jsonld = _JSONLD.findall(html) if "ld+json" in html else []
    return _STRIP.sub(" ", html), jsonld


def parse(html: str) -> BeautifulSoup:
    return BeautifulSoup(html, "lxml")


_class_cache: dict[tuple[str, str], int] = {}


def _class_verdict(cls: str, ident: str) -> int:
    """-2 furniture, -1 leaning furniture, +1 article-like, 0 neutral (memoized)."""
    key = (cls, ident)
    v = _class_cache.get(key)
    if v is not None:
        return v
    s = f"{cls} {ident}".lower()
    p = R.patterns()
    pos = bool(p["positive_class"].search(s))
    if p["negative_class"].search(s):
        v = -2
    elif negative := R.negative_tokens().intersection(_SPLIT_CLASS.split(s)):
        v = 0 if pos else -1
        del negative
    else:
        v = 1 if pos else 0
    if len(_class_cache) > 50_000:
        _class_cache.clear()
    _class_cache[key] = v
    return v


class Tree:
    """Per-element statistics in pre-order arrays (index 0 is the root)."""

    __slots__ = (
        "nodes",
        "parent",
        "index",
        "tlen",
        "llen",
        "commas",
        "junk",
        "struct",
        "blockchild",
        "cverdict",
    )

    def __init__(self, root: Tag, use_classes: bool = True) -> None:
        nodes: list[Tag] = []
        parent: list[int] = []
        junk: list[bool] = []
        own: list[int] = []
        own_commas: list[int] = []
        cverdict: list[int] = []
        index: dict[int, int] = {}
        stack: list[tuple[Tag, int, bool]] = [(root, -1, False)]
        NS = NavigableString
        TagT = Tag
        while stack:
            node, pidx, pjunk = stack.pop()
            idx = len(nodes)
            nodes.append(node)
            parent.append(pidx)
            index[id(node)] = idx
            name = node.name
            attrs = node.attrs
            is_junk = pjunk
            verdict = 0
            if not is_junk:
                if name in JUNK_TAGS and pidx >= 0:
                    is_junk = True
                elif attrs:
                    cls = attrs.get("class")
                    ident = attrs.get("id")
                    if (cls or ident) and use_classes:
                        if isinstance(cls, list):
                            if HIDDEN_CLASSES.intersection(cls):
                                is_junk = True
                            cls = " ".join(cls)
                        verdict = _class_verdict(cls or "", ident if isinstance(ident, str) else "")
                        if verdict == -2 or verdict == -1:
                            is_junk = name not in ("body", "html")
                    style = attrs.get("style")
                    if style and _HIDDEN_STYLE.search(style) or "hidden" in attrs or attrs.get("aria-hidden") == "true":
                        is_junk = True
            junk.append(is_junk)
            cverdict.append(verdict)
            n_own = 0
            n_commas = 0
            children = node.contents
            for child in reversed(children):
                t = type(child)
                if t is TagT:
                    if child.name not in SKIP_TAGS:
                        stack.append((child, idx, is_junk))
                elif t is NS:
                    n_own += len(child.strip())
                    n_commas += child.count(",")
            own.append(n_own)
            own_commas.append(n_commas)
        n = len(nodes)
        tlen = own
        commas = own_commas
        llen = [0] * n
        struct = [False] * n
        blockchild = [False] * n
        for i in range(n - 1, 0, -1):
            p = parent[i]
            name = nodes[i].name
            if name == "a":
                llen[i] = tlen[i]
            if junk[i] and not junk[p]:
                continue
            tlen[p] += tlen[i]
            llen[p] += llen[i]
            commas[p] += commas[i]
            if struct[i] or name in STRUCT_TAGS:
                struct[p] = True
            if name in BLOCK_TAGS:
                blockchild[p] = True
        if n and nodes[0].name == "a":
            llen[0] = tlen[0]
        self.nodes = nodes
        self.parent = parent
        self.index = index
        self.tlen = tlen
        self.llen = llen
        self.commas = commas
        self.junk = junk
        self.struct = struct
        self.blockchild = blockchild
        self.cverdict = cverdict

    def density(self, i: int) -> float:
        t = self.tlen[i]
        return self.llen[i] / t if t else 0.0


def _score(tree: Tree) -> tuple[int, dict[int, float]]:
    """Readability-style candidate scores; returns (best index, scores)."""
    nodes, parent, tlen, junk = tree.nodes, tree.parent, tree.tlen, tree.junk
    commas, blockchild = tree.commas, tree.blockchild
    scores: dict[int, float] = {}
    for i in range(len(nodes)):
        if junk[i] or tlen[i] < 25:
            continue
        name = nodes[i].name
        if name not in PARA_TAGS and not (
            name in ("div", "section", "span", "font", "article") and not blockchild[i]
        ):
            continue
        s = 1.0 + commas[i] + min(tlen[i] // 100, 3)
        p = parent[i]
        level = 0
        while p >= 0 and level < 5:
            if p not in scores:
                scores[p] = TAG_WEIGHT.get(nodes[p].name, 0) + 25 * max(
                    -1, min(1, tree.cverdict[p])
                )
            scores[p] += s / (1 if level == 0 else 2 if level == 1 else level * 3)
            p = parent[p]
            level += 1
    best = -1
    best_score = float("-inf")
    for i, s in scores.items():
        s *= 1.0 - tree.density(i)
        scores[i] = s
        if s > best_score:
            best, best_score = i, s
    return best, scores


def _container(tree: Tree, best: int, scores: dict[int, float]) -> list[int]:
    """The best candidate plus siblings that also read as article text."""
    if best < 0:
        return [0]
    nodes, parent = tree.nodes, tree.parent
    p = parent[best]
    if p < 0:
        return [best]
    top = scores[best]
    threshold = max(10.0, top * 0.2)
    out: list[int] = []
    for child in nodes[p].contents:
        if type(child) is not Tag:
            continue
        j = tree.index.get(id(child))
        if j is None or tree.junk[j]:
            continue
        if j == best:
            out.append(j)
            continue
        s = scores.get(j)
        if s is not None and s >= threshold:
            out.append(j)
            continue
        if child.name == "p":
            t = tree.tlen[j]
            d = tree.density(j)
            if (t > 80 and d < 0.25) or (0 < t <= 80 and d == 0 and _ends_sentence(child)):
                out.append(j)
    return out


def _ends_sentence(tag: Tag) -> bool:
    for s in reversed(list(tag.strings)):
        s = s.strip()
        if s:
            return s.endswith((".", "!", "?", "…", ":", "”", '"'))
    return False


class _Writer:
    """Turns the chosen subtrees into text blocks."""

    def __init__(self, tree: Tree, page: Page) -> None:
        self.tree = tree
        self.page = page
        self.blocks: list[str] = []
        self.kinds: list[str] = []  # "p" for paragraphs, "row" for table rows, "h" headings
        self.buf: list[str] = []
        self.kind = "p"

    def flush(self) -> None:
        if self.buf:
            text = " ".join("".join(self.buf).split())
            self.buf = []
            if text:
                self.blocks.append(text)
                self.kinds.append(self.kind)
        self.kind = "p"

    def _cell_text(self, cell: Tag) -> str:
        parts: list[str] = []
        tree = self.tree
        stack: list[Any] = [cell]
        while stack:
            n = stack.pop()
            t = type(n)
            if t is NavigableString:
                parts.append(n)
            elif t is Tag:
                if n.name in SKIP_TAGS:
                    if n.name == "br":
                        parts.append(" ")
                    continue
                j = tree.index.get(id(n))
                if j is not None and tree.junk[j]:
                    continue
                if n.name in BLOCK_TAGS:
                    parts.append(" ")
                stack.extend(reversed(n.contents))
        return " ".join("".join(parts).split())

    def _row(self, tr: Tag) -> None:
        cells = [
            self._cell_text(c) for c in tr.contents if type(c) is Tag and c.name in ("td", "th")
        ]
        cells = [c for c in cells if c]
        if cells:
            self.blocks.append(" | ".join(cells))
            self.kinds.append("row")

    def write(self, root_idx: int) -> None:
        tree = self.tree
        nodes, junk, tlen = tree.nodes, tree.junk, tree.tlen
        root = nodes[root_idx]
        stack: list[tuple[Any, bool]] = [(root, False)]
        data_table_depth: list[bool] = []
        while stack:
            n, closing = stack.pop()
            if closing:
                self.flush()
                if n.name == "table":
                    data_table_depth.pop()
                continue
            t = type(n)
            if t is NavigableString:
                self.buf.append(n)
                continue
            if t is not Tag:
                continue
            name = n.name
            if name in SKIP_TAGS:
                if name == "br":
                    self.flush()
                continue
            i = tree.index.get(id(n))
            if i is None or junk[i]:
                continue
            if name in BLOCK_TAGS:
                self.flush()
                if i != root_idx and self._prune(i, name):
                    continue
                if name == "table":
                    # A data table keeps one line per row; a layout table is walked.
                    data_table_depth.append(not tree.struct[i] and tlen[i] < 20_000)
                elif name == "tr" and data_table_depth and data_table_depth[-1]:
                    self._row(n)
                    continue
                if name in HEADINGS:
                    self.kind = "h"
                stack.append((n, True))
            stack.extend([(c, False) for c in reversed(n.contents)])
        self.flush()

    def _prune(self, i: int, name: str) -> bool:
        tree = self.tree
        t = tree.tlen[i]
        if t == 0:
            return True
        d = tree.density(i)
        if name in LISTISH:
            return d > 0.5 or (d > 0.3 and t < 300)
        if name in ("p", "li", "dd", "dt", "td", "th") or name in HEADINGS:
            return d > 0.8 and t < 300
        return False


def extract(html: str, *, use_classes: bool = True) -> Page:
    """Main content blocks of `html` (already decoded); never raises on bad markup."""
    stripped, jsonld = preprocess(html)
    soup = parse(stripped)
    page = Page(blocks=[], kinds=[], soup=soup, jsonld=jsonld)
    root = soup.body or soup
    if not isinstance(root, Tag):
        return page
    tree = Tree(root, use_classes=use_classes)
    best, scores = _score(tree)
    writer = _Writer(tree, page)
    for idx in _container(tree, best, scores):
        writer.write(idx)
    page.blocks = writer.blocks
    page.kinds = writer.kinds
    page.h1 = [" ".join(tree_text(n).split()) for n in tree.nodes if n.name == "h1"][:5]
    page.notes["candidate"] = _describe(tree.nodes[best]) if best >= 0 else "body"
    return page


def _describe(tag: Tag) -> str:
    cls = tag.get("class")
    ident = tag.get("id")
    out = tag.name
    if ident:
        out += f"#{ident}"
    if cls:
        out += "." + ".".join(cls if isinstance(cls, list) else [cls])
    return out


def tree_text(tag: Tag) -> str:
    """Text of a small element (headline, date stamp); skips script-like strings."""
    parts: list[str] = []
    stack: list[Any] = [tag]
    while stack:
        n = stack.pop()
        t = type(n)
        if t is NavigableString:
            parts.append(n)
        elif t is Tag and n.name not in SKIP_TAGS:
            stack.extend(reversed(n.contents))
        elif t is Tag and n.name == "br":
            parts.append(" ")
    return "".join(parts)
