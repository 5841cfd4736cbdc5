"""Generic main-content extraction from an HTML page with BeautifulSoup.

Before the one lxml parse, script/style/svg/comments and nav/aside/footer are
cut out of the source text (they never hold the article, and they are a large
share of a portal's markup), and so are large blocks whose class or id says
furniture (teaser widgets, related lists, menus) when they hold a minor share of
the page's text (`cut_furniture`; a page left without an article is parsed
again whole). One iterative pass over the tree then records,
per element, its own text length, commas, and a furniture verdict (header/form
tags; class or id words such as share, comment, related, sidebar, counter; see
furniture.yaml); a bottom-up sweep over that list sums text and link-text
lengths. Every block element votes with its own running text for itself or
its parent and their ancestors (the readability idea: the article is the
element that holds the most prose), discounted by link density; votes from
inside furniture count less. The winner is widened to an ancestor that holds
clearly more prose, joined by a lead (sapo) sibling, and written out as
blocks, skipping furniture sub-blocks and link-heavy lists on the way.

A furniture verdict from a class name is never final on its own: layout
wrappers are often named "content-with-sidebar" or "header-style-2", so a
flagged element that holds most of the chosen article's text is kept.

No step re-walks the tree with get_text or find_all: every statistic comes from
the arrays built in the one pass, so the cost stays a small fraction of the
parse itself. Nothing here recurses, so 100,000-level nesting is a long loop.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from bs4 import BeautifulSoup, NavigableString, Tag

from vnreport.transforms import clean_rules as R

# Removed from the markup before parsing: never article text, a large share of
# a modern page's bytes, and many parser callbacks saved.
_STRUCTURAL_STRIP = frozenset(["nav", "aside", "footer"])
_STRIP_TAGS = (
    "script style noscript template svg math iframe object canvas textarea select nav aside footer"
)
_STRIP_OPEN = re.compile(
    r"<({})\b|<!--".format("|".join(_STRIP_TAGS.split() + _STRIP_TAGS.upper().split()))
)
_JSONLD = re.compile(
    r"<script\b[^>]*type\s*=\s*[\"']?application/ld\+json[\"']?[^>]*>(.*?)</script\s*>",
    re.S | re.I,
)
_HEAD = re.compile(r"<head\b.*?</head\s*>", re.S | re.I)
_BODYISH = re.compile(r"<(?:div|p|h1|h2|table|article|section|main|ul)\b", re.I)

# Never text, even when the strip above missed them (unclosed, malformed).
SKIP_TAGS = frozenset(
    [
        "script",
        "style",
        "noscript",
        "template",
        "svg",
        "math",
        "iframe",
        "object",
        "embed",
        "canvas",
        "select",
        "option",
        "button",
        "input",
        "textarea",
        "head",
        "title",
        "meta",
        "link",
        "video",
        "audio",
        "source",
        "track",
        "map",
        "area",
        "picture",
        "img",
        "br",
        "hr",
        "wbr",
        "param",
        "base",
    ]
)
# Page structure that is furniture by default: -3 (never the article, never
# kept), or -1 for header, form and figcaption (ASP.NET pages wrap a form
# around everything, so those only lean towards furniture).
JUNK_TAGS = {
    "nav": -3,
    "aside": -3,
    "footer": -3,
    "header": -1,
    "form": -1,
    "dialog": -3,
    "menu": -3,
    "figcaption": -1,
}
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "section",
        "article",
        "main",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "li",
        "dl",
        "dt",
        "dd",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "blockquote",
        "pre",
        "figure",
        "figcaption",
        "header",
        "footer",
        "nav",
        "aside",
        "form",
        "fieldset",
        "address",
        "caption",
        "details",
        "summary",
        "center",
        "hgroup",
        "body",
        "html",
    ]
)
STRUCT_TAGS = frozenset(
    [
        "div",
        "table",
        "ul",
        "ol",
        "section",
        "article",
        "aside",
        "nav",
        "form",
        "header",
        "footer",
        "main",
        "dl",
        "blockquote",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
    ]
)
SELF_VOTE_EXCLUDED = frozenset(
    ["p", "pre", "blockquote", "li", "dt", "dd", "h1", "h2", "h3", "h4", "h5", "h6"]
)
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
FLAGGED_VOTE = 0.3  # weight of a paragraph's vote from inside flagged furniture
MIN_VOTE_CHARS = 25
P_LINK_DENSITY = 0.8  # a short paragraph that is mostly a link points elsewhere
SIBLING_PROSE_CHARS = 80
LEAD_TAGS = frozenset(["div", "section", "h2", "h3", "h4", "blockquote"])
WIDEN_RATIO = 1.3  # widen to an ancestor holding this much more prose than the winner
WIDEN_MAX_DENSITY = 0.35
COMMA_WEIGHT = 1.0
LEN_CAP = 3.0
# candidate score multipliers by class/id verdict (-2 furniture .. +1 article-like)
CLASS_FACTOR = {-2: 0.5, -1: 0.8, 0: 1.0, 1: 1.25}
HIDDEN = -9
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.I)
_SPLIT_CLASS = re.compile(r"[\s_\-]+")


@dataclass
class Prepared:
    """The markup to parse and what was taken out of it for metadata."""

    markup: str
    head: str = ""  # the <head> element's source, when it was cut off
    jsonld: list[str] = field(default_factory=list)
    # the markup before furniture blocks were cut (`cut_furniture`): read for metadata,
    # and parsed again when the cut markup yields no article
    full: str = ""


def preprocess(html: str, *, cut_blocks: bool = True) -> Prepared:
    """JSON-LD and <head> set aside for metadata, script/style/comments removed, and
    (with `cut_blocks`) large furniture blocks cut."""
    jsonld = _JSONLD.findall(html) if "ld+json" in html else []
    markup = strip_markup(html)
    head = ""
    m = _HEAD.search(markup, 0, 200_000)
    if m and not _BODYISH.search(m.group(0)):
        head = m.group(0)
        markup = markup[: m.start()] + markup[m.end() :]
    cut = cut_furniture(markup) if cut_blocks else markup
    return Prepared(cut, head, jsonld, full=markup)


# Furniture blocks cut before the parse: a div/section/list whose class or id says
# furniture (sidebar, widget, related, menu, comments, ...), at least this many characters
# of markup (a small block saves little parse work, and bylines and date lines are small),
# holding less than this share of the page's text and no h1/article/main (so it is not
# the layout wrapper around the article, which a class such as "content-with-sidebar"
# or "header-wrap" can be). Teaser lists of other news are most of a portal's markup.
CUT_MIN_CHARS = 2000
CUT_MAX_TEXT_SHARE = 0.3
CUT_SCAN_FACTOR = 4  # bound on characters scanned, as a multiple of the page's length
_CUT_OPEN = re.compile(r"<(div|section|ul|ol)\b([^>]*)>", re.I)
_CUT_ATTR = re.compile(r"""\b(class|id)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""", re.I)
_CUT_TAG = {n: re.compile(rf"<(/?){n}\b", re.I) for n in ("div", "section", "ul", "ol")}
_CUT_WRAPPER = re.compile(r"<(?:h1|article|main)\b", re.I)
_ANY_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")


def _text_chars(markup: str) -> int:
    return len(_SPACE.sub("", _ANY_TAG.sub("", markup)))


def _block_end(markup: str, name: str, start: int, limit: int) -> int:
    """Index after the end tag matching an open `name` tag that ends at `start`; -1 if
    it is unclosed or ends past `limit`."""
    depth = 1
    for m in _CUT_TAG[name].finditer(markup, start, limit):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            gt = markup.find(">", m.end())
            return gt + 1 if gt >= 0 else len(markup)
    return -1


def cut_furniture(markup: str) -> str:
    """Cut large furniture blocks out of the source before the parse (see CUT_MIN_CHARS).

    The tree pass would skip these blocks anyway (a flagged block with under a third of
    the article's text is not written), but parsing them into BeautifulSoup nodes was
    most of the cleaning time on portals whose sidebars list dozens of teasers. Work is
    bounded: after CUT_SCAN_FACTOR times the page's length has been scanned, the rest is
    left to the parser as it is.
    """
    out: list[str] = []
    pos = start = 0
    budget = CUT_SCAN_FACTOR * len(markup)
    total = -1
    while budget > 0:
        m = _CUT_OPEN.search(markup, start)
        if m is None:
            break
        start = m.end()
        attrs = m.group(2)
        low = attrs.lower()
        if "class" not in low and "id" not in low:
            continue
        cls = ident = None
        for a in _CUT_ATTR.finditer(attrs):
            value = a.group(2) or a.group(3) or a.group(4) or ""
            if a.group(1).lower() == "class":
                cls = value
            else:
                ident = value
        if (cls is None and ident is None) or _class_verdict(cls, ident) not in (-1, -2, HIDDEN):
            continue
        limit = min(len(markup), m.end() + budget)
        end = _block_end(markup, m.group(1).lower(), m.end(), limit)
        budget -= (end if end > 0 else limit) - m.end()
        if end < 0 or end - m.end() < CUT_MIN_CHARS:
            continue
        body = markup[m.end() : end]
        if _CUT_WRAPPER.search(body):
            continue
        if total < 0:
            total = _text_chars(markup)
        budget -= 2 * len(body)
        if _text_chars(body) >= CUT_MAX_TEXT_SHARE * total:
            continue
        out.append(markup[pos : m.start()])
        out.append(" ")
        pos = start = end
    if not out:
        return markup
    out.append(markup[pos:])
    return "".join(out)


def strip_markup(html: str) -> str:
    """Cut script/style/svg/... elements, comments, and nav/aside/footer out of the source.

    A scan for the opening tag and a plain find for its end tag: several times
    faster than one regex with a lazy body. Script-like elements end at the
    first matching end tag per the HTML spec, so this is exact for them; an
    unclosed one stops the scan (the parser then makes the rest its text, which
    the tree pass skips). nav/aside/footer never hold the article (the tree
    pass gives them no say either), and cutting them before the parse saves a
    large share of its work on menu-heavy portals; an unclosed one is left to
    the parser, and a nested one ends at its first end tag, leaving a tail the
    tree pass judges like any other markup.
    """
    out: list[str] = []
    pos = 0
    find = html.find
    search = _STRIP_OPEN.search
    start = 0
    while True:
        m = search(html, start)
        if m is None:
            break
        tag = m.group(1)
        if tag is None:
            end = find("-->", m.end())
            if end < 0:
                break
            out.append(html[pos : m.start()])
            pos = start = end + 3
        else:
            end = find("</" + tag, m.end())
            if end < 0:
                if tag.lower() in _STRUCTURAL_STRIP:
                    start = m.end()
                    continue
                break
            gt = find(">", end)
            out.append(html[pos : m.start()])
            pos = start = gt + 1 if gt >= 0 else len(html)
        out.append(" ")
    if not out:
        return html
    out.append(html[pos:])
    return "".join(out)


def parse(markup: str) -> BeautifulSoup:
    # Class attributes stay strings: splitting them into lists is a measurable
    # share of parse time and the verdicts below work on the string anyway.
    return BeautifulSoup(markup, "lxml", multi_valued_attributes=None)


_class_cache: dict[tuple[Any, Any], int] = {}
_token_cache: dict[str, int] = {}
_NEG, _POS, _NEG_TOKEN, _HIDDEN = 1, 2, 4, 8


def _token_bits(token: str) -> int:
    """Furniture evidence in one class token ("tin-lien-quan", "entry-content"), memoized.

    Fragments are matched inside the token with separators removed, so
    "relatedPosts", "tinlienquan" and "tin-lien-quan" all say "related"; short
    words (nav, ad, tag) must be a whole sub-token so "shadow" is not "ad".
    """
    bits = _token_cache.get(token)
    if bits is not None:
        return bits
    neg, pos = R.class_fragments()
    compact = token.replace("-", "").replace("_", "")
    bits = 0
    if any(w in compact for w in neg):
        bits |= _NEG
    if any(w in compact for w in pos):
        bits |= _POS
    if R.negative_tokens().intersection(_SPLIT_CLASS.split(token)):
        bits |= _NEG_TOKEN
    if token in HIDDEN_CLASSES:
        bits |= _HIDDEN
    if len(_token_cache) > 100_000:
        _token_cache.clear()
    _token_cache[token] = bits
    return bits


def _class_verdict(cls: Any, ident: Any) -> int:
    """HIDDEN, -2 furniture, -1 leaning furniture, 0 neutral, +1 article-like (memoized)."""
    key = (cls, ident)
    v = _class_cache.get(key)
    if v is not None:
        return v
    bits = 0
    for value in (cls, ident):
        if isinstance(value, str):
            for token in value.lower().split():
                bits |= _token_bits(token)
        elif isinstance(value, list):
            for token in value:
                bits |= _token_bits(token.lower())
    pos = bool(bits & _POS)
    if bits & _HIDDEN:
        v = HIDDEN
    elif bits & _NEG:
        v = -1 if pos else -2
    elif bits & _NEG_TOKEN:
        v = 0 if pos else -1
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
        "verdict",
        "inflag",
        "struct",
        "inline",
        "inline_commas",
    )

    def __init__(self, root: Tag, use_classes: bool = True) -> None:
        nodes: list[Tag] = []
        parent: list[int] = []
        verdicts: list[int] = []
        inflag: list[int] = []  # 0 clear, 1 inside flagged furniture, 2 inside nav/aside/footer
        own: list[int] = []
        own_commas: list[int] = []
        index: dict[int, int] = {}
        stack: list[tuple[Tag, int, int]] = [(root, -1, 0)]
        NS = NavigableString
        TagT = Tag
        junk_tags = JUNK_TAGS
        verdict_of = _class_verdict
        cache_get = _class_cache.get
        hidden_style = _HIDDEN_STYLE
        skip_tags = SKIP_TAGS
        while stack:
            node, pidx, pflag = stack.pop()
            name = node.name
            attrs = node.attrs
            v = 0
            if attrs:
                cls = attrs.get("class")
                ident = attrs.get("id")
                if use_classes and (cls or ident):
                    v = cache_get((cls, ident))
                    if v is None:
                        v = verdict_of(cls, ident)
                # style / hidden / aria-hidden can only be there if other attributes are
                if len(attrs) > (cls is not None) + (ident is not None):
                    style = attrs.get("style")
                    if (
                        (style and hidden_style.search(style))
                        or "hidden" in attrs
                        or attrs.get("aria-hidden") == "true"
                    ):
                        v = HIDDEN
            if v == HIDDEN and pidx >= 0:
                continue
            if name in junk_tags and pidx >= 0 and v <= 0:
                v = min(v, junk_tags[name])
            idx = len(nodes)
            nodes.append(node)
            parent.append(pidx)
            index[id(node)] = idx
            verdicts.append(v)
            flag = 2 if (pflag == 2 or v <= -3) else 1 if (pflag or v < 0) else 0
            inflag.append(flag)
            n_own = 0
            n_commas = 0
            for child in reversed(node.contents):
                t = type(child)
                if t is TagT:
                    if child.name not in skip_tags:
                        stack.append((child, idx, flag))
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
        # text and commas that sit in block-level children (the rest is the
        # element's own running text: what a reader sees as its paragraph)
        btext = [0] * n
        bcommas = [0] * n
        block_tags = BLOCK_TAGS
        struct_tags = STRUCT_TAGS
        for i in range(n - 1, 0, -1):
            p = parent[i]
            name = nodes[i].name
            ti = tlen[i]
            if not ti:
                # no text below (image wrappers, empty spans): only structure propagates
                if struct[i] or name in struct_tags:
                    struct[p] = True
                continue
            if name == "a":
                llen[i] = ti
            tlen[p] += ti
            llen[p] += llen[i]
            commas[p] += commas[i]
            if name in block_tags:
                btext[p] += ti
                bcommas[p] += commas[i]
                struct[p] = True if name in struct_tags else struct[p] or struct[i]
            else:
                btext[p] += btext[i]
                bcommas[p] += bcommas[i]
                if struct[i]:
                    struct[p] = True
        if n and nodes[0].name == "a":
            llen[0] = tlen[0]
        self.nodes = nodes
        self.parent = parent
        self.index = index
        self.tlen = tlen
        self.llen = llen
        self.commas = commas
        self.verdict = verdicts
        self.inflag = inflag
        self.struct = struct
        self.inline = [t - b for t, b in zip(tlen, btext, strict=True)]
        self.inline_commas = [c - b for c, b in zip(commas, bcommas, strict=True)]

    def density(self, i: int) -> float:
        t = self.tlen[i]
        return self.llen[i] / t if t else 0.0


def score(tree: Tree) -> tuple[int, dict[int, float]]:
    """Readability-style candidate scores; returns (best index or -1, scores).

    Every block element votes with its own running text (text not inside a
    block child), so prose written as <p>s, as text between <br>s in a <div>,
    or in table cells all counts the same way. The winner is then widened to
    an ancestor when that ancestor holds clearly more prose (articles split
    into several column or section wrappers).
    """
    nodes, parent, inline = tree.nodes, tree.parent, tree.inline
    inline_commas, inflag, verdict = tree.inline_commas, tree.inflag, tree.verdict
    n = len(nodes)
    scores: dict[int, float] = {}
    mass = [0.0] * n
    block_tags = BLOCK_TAGS
    for i in range(n):
        t = inline[i]
        if t < MIN_VOTE_CHARS:
            continue
        name = nodes[i].name
        if name not in block_tags or name in ("body", "html"):
            continue
        flag = inflag[i]
        if flag == 2:
            continue  # navigation, sidebars and footers never hold the article
        s = 1.0 + inline_commas[i] * COMMA_WEIGHT + min(t / 100, LEN_CAP)
        if flag:
            s *= FLAGGED_VOTE
        mass[i] = s
        # A paragraph votes for its parent; running text directly in a div (or a
        # td) is that div's own paragraph, so the div itself is the first to get it.
        p = parent[i] if name in SELF_VOTE_EXCLUDED else i
        level = 0
        while p >= 0 and level < 5:
            if p not in scores:
                scores[p] = TAG_WEIGHT.get(nodes[p].name, 0)
            scores[p] += s / (1 if level == 0 else 2 if level == 1 else level * 3)
            p = parent[p]
            level += 1
    for i in range(n - 1, 0, -1):
        mass[parent[i]] += mass[i]
    best = -1
    best_score = float("-inf")
    for i, s in scores.items():
        s *= (1.0 - tree.density(i)) * CLASS_FACTOR[max(-2, min(1, verdict[i]))]
        scores[i] = s
        if s > best_score:
            best, best_score = i, s
    if best > 0:
        cur = best
        while True:
            p = parent[cur]
            if p <= 0 or verdict[p] < 0 or tree.density(p) > WIDEN_MAX_DENSITY:
                break
            if mass[p] < mass[cur] * WIDEN_RATIO:
                # no new prose here; try one level further before giving up
                q = parent[p]
                if q <= 0 or mass[q] < mass[cur] * WIDEN_RATIO or verdict[q] < 0:
                    break
                if tree.density(q) > WIDEN_MAX_DENSITY:
                    break
                p = q
            cur = p
        if cur != best:
            scores[cur] = max(scores.get(cur, 0.0), best_score)
            best = cur
    return best, scores


def container(tree: Tree, best: int, scores: dict[int, float]) -> list[int]:
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
    index = tree.index
    before = True
    for child in nodes[p].contents:
        if type(child) is not Tag:
            continue
        j = index.get(id(child))
        if j is None:
            continue
        if j == best:
            out.append(j)
            before = False
            continue
        if tree.verdict[j] < 0:
            continue
        s = scores.get(j)
        if s is not None and s >= threshold:
            out.append(j)
            continue
        t = tree.tlen[j]
        d = tree.density(j)
        if child.name == "p":
            if (t > 80 and d < 0.25) or (0 < t <= 80 and d == 0 and _ends_sentence(child)):
                out.append(j)
        elif (
            # Vietnamese news puts the lead (sapo) in its own wrapper before the
            # body, often as <h2 class="sapo">; it carries facts, so it is kept.
            before
            and child.name in LEAD_TAGS
            and t >= SIBLING_PROSE_CHARS
            and d < 0.2
            and (child.name in HEADINGS or _LEAD_CLASS.search(_attr_text(child)))
            and _is_prose(tree_text(child))
        ):
            out.append(j)
    return out


_LEAD_CLASS = re.compile(
    r"sapo|lead|summary|description|intro|excerpt|teaser|abstract|chapo|tomtat|tom-tat|mota|"
    r"mo-ta|trichdan|trich-dan|desc",
    re.I,
)


def _attr_text(tag: Tag) -> str:
    cls, ident = tag.get("class"), tag.get("id")
    return f"{cls if isinstance(cls, str) else ' '.join(cls or [])} {ident or ''}"


def _is_prose(text: str) -> bool:
    text = " ".join(text.split())
    return text.endswith((".", "!", "?", "…", "”", '"', ")")) or ". " in text


def _ends_sentence(tag: Tag) -> bool:
    text = tree_text(tag).rstrip()
    return text.endswith((".", "!", "?", "…", ":", "”", '"'))


class Writer:
    """Turns the chosen subtrees into text blocks."""

    def __init__(self, tree: Tree) -> None:
        self.tree = tree
        self.blocks: list[str] = []
        self.kinds: list[str] = []  # "p" paragraph, "h" heading, "row" table row
        self.buf: list[str] = []
        self.kind = "p"

    def flush(self) -> None:
        if self.buf:
            text = " ".join("".join(self.buf).translate(R.INVISIBLE).split())
            self.buf = []
            if text:
                self.blocks.append(text)
                self.kinds.append(self.kind)
        self.kind = "p"

    def _cell_text(self, cell: Tag) -> str:
        parts: list[str] = []
        index, verdict = self.tree.index, self.tree.verdict
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
                j = index.get(id(n))
                if j is None or (verdict[j] < 0 and n is not cell):
                    continue
                if n.name in BLOCK_TAGS:
                    parts.append(" ")
                stack.extend(reversed(n.contents))
        return " ".join("".join(parts).translate(R.INVISIBLE).split())

    def _row(self, tr: Tag) -> None:
        index, verdict = self.tree.index, self.tree.verdict
        cells = [
            self._cell_text(c)
            for c in tr.contents
            if type(c) is Tag and c.name in ("td", "th") and verdict[index.get(id(c), 0)] >= 0
        ]
        cells = [c for c in cells if c]
        if cells:
            self.blocks.append(" | ".join(cells))
            self.kinds.append("row")

    def write(self, root_idx: int) -> None:
        tree = self.tree
        nodes, tlen, verdict, index = tree.nodes, tree.tlen, tree.verdict, tree.index
        root = nodes[root_idx]
        # Flagged furniture inside the article is skipped unless it carries a large
        # share of the article's text (then the flag named a layout wrapper). A wrapper
        # holds the article; a flagged block that is a fifth links or more, or opens with
        # a `Tin liên quan` heading, lists other articles (with their summaries), however
        # long it is.
        keep_strong = 0.6 * tlen[root_idx]
        keep_weak = 0.3 * tlen[root_idx]
        density = tree.density
        stack: list[tuple[Any, bool]] = [(root, False)]
        tables: list[bool] = []
        while stack:
            n, closing = stack.pop()
            if closing:
                self.flush()
                if n.name == "table":
                    tables.pop()
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
            i = index.get(id(n))
            if i is None:
                continue
            if i != root_idx:
                v = verdict[i]
                if v <= -3 or (
                    v < 0
                    and (
                        tlen[i] < (keep_strong if v == -2 else keep_weak)
                        or density(i) > 0.2
                        or R.is_related_heading(next(n.stripped_strings, ""))
                    )
                ):
                    continue
            if name in BLOCK_TAGS:
                self.flush()
                if i != root_idx and self._prune(i, name):
                    continue
                if name == "table":
                    # A data table keeps one line per row; a layout table is walked.
                    tables.append(not tree.struct[i] and tlen[i] < 20_000)
                elif name == "tr" and tables and tables[-1]:
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
            # a link list, unless it also holds real prose (then its parts are judged)
            return (d > 0.5 and t - tree.llen[i] < 200) or (d > 0.3 and t < 300)
        if name in ("p", "li", "dd", "dt", "td", "th") or name in HEADINGS:
            return d > P_LINK_DENSITY and t < 300
        return False


@dataclass
class Extraction:
    blocks: list[str]
    kinds: list[str]
    h1: list[Tag]
    candidate: str


def extract(root: Tag, *, use_classes: bool = True) -> Extraction:
    """Main content blocks under `root` (usually <body>); never raises on bad markup."""
    tree = Tree(root, use_classes=use_classes)
    best, scores = score(tree)
    writer = Writer(tree)
    for idx in container(tree, best, scores):
        writer.write(idx)
    h1 = [n for n in tree.nodes if n.name == "h1"][:5]
    cand = describe(tree.nodes[best]) if best >= 0 else describe(root)
    return Extraction(writer.blocks, writer.kinds, h1, cand)


def write_all(root: Tag) -> tuple[list[str], list[str]]:
    """Every block under `root` (a profile's content element), furniture rules off."""
    tree = Tree(root, use_classes=False)
    writer = Writer(tree)
    writer.write(0)
    return writer.blocks, writer.kinds


def describe(tag: Tag) -> str:
    cls = tag.get("class")
    ident = tag.get("id")
    out = tag.name
    if ident:
        out += f"#{ident}"
    if cls:
        out += "." + ".".join(cls.split() if isinstance(cls, str) else cls)
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
        elif t is Tag:
            if n.name == "br":
                parts.append(" ")
            elif n.name not in SKIP_TAGS:
                stack.extend(reversed(n.contents))
    return "".join(parts)
