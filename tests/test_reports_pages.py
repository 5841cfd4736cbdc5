"""The pieces of the report pages that need no warehouse: highlighting, charts, escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from vnreport.reports import charts
from vnreport.reports.page import doc_filename, fact_href, render, web_href
from vnreport.reports.provenance import Span, collect_spans, highlight


class Marks(HTMLParser):
    """Rebuild, from the emitted HTML, the text under each fact and the nesting depth."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.text: dict[str, str] = {}
        self.ids: list[str] = []
        self.plain: list[str] = []
        self.max_depth = 0

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "mark":
            self.stack.append(a["data-fact"])
            self.max_depth = max(self.max_depth, len(self.stack))
            if "id" in a:
                self.ids.append(a["id"])
        else:
            raise AssertionError(f"unexpected element <{tag}> in highlighted text")

    def handle_endtag(self, tag):
        assert tag == "mark"
        self.stack.pop()

    def handle_data(self, data):
        self.plain.append(data)
        for key in set(self.stack):
            self.text[key] = self.text.get(key, "") + data


def span(anchor: str, start: int, end: int, metric: str = "party_members", status: str = "pass"):
    return Span(f"fact-{anchor}", anchor, start, end, metric, status, {"value": 1.0})


def parse(html: str) -> Marks:
    m = Marks()
    m.feed(html)
    m.close()
    assert m.stack == []  # every mark closed
    return m


TEXT = "Đảng bộ có 25 chi bộ trực thuộc với 431 đảng viên; kết nạp 32/30 đảng viên mới, đạt 106,7%."


def test_nested_spans_keep_their_whole_text():
    outer = span("outer", 11, 49)  # "25 chi bộ trực thuộc với 431 đảng viên"
    inner = span("inner", 35, 49)  # "431 đảng viên"
    m = parse(highlight(TEXT, [inner, outer]))
    assert m.text["fact-outer"] == TEXT[11:49]
    assert m.text["fact-inner"] == TEXT[35:49]
    assert m.max_depth == 2
    assert sorted(m.ids) == ["fact-inner", "fact-outer"]
    assert "".join(m.plain) == TEXT


def test_crossing_spans_are_split_but_each_fact_keeps_its_span():
    a = span("a", 11, 40)
    b = span("b", 30, 60)
    c = span("c", 30, 60, metric="other")  # same span as b: both shown
    m = parse(highlight(TEXT, [a, b, c]))
    for s in (a, b, c):
        assert m.text[s.anchor] == TEXT[s.start : s.end]
    # the element id (the link target) is on exactly one piece per fact
    assert sorted(m.ids) == ["fact-a", "fact-b", "fact-c"]
    assert "".join(m.plain) == TEXT


def test_spans_touching_at_a_boundary_do_not_nest():
    a = span("a", 0, 10)
    b = span("b", 10, 20)
    m = parse(highlight(TEXT, [a, b]))
    assert m.max_depth == 1
    assert m.text["fact-a"] == TEXT[:10] and m.text["fact-b"] == TEXT[10:20]


def test_text_and_titles_are_escaped():
    text = 'a <script>alert(1)</script> & "b" 12 đảng viên'
    s = span("x", text.index("12"), len(text))
    s.record = {"value": 12.0, "subject": '"><script>alert(2)</script>', "evidence": "12 đảng viên"}
    out = highlight(text, [s])
    assert "<script" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    m = parse(out)
    assert "".join(m.plain) == text


def test_spans_outside_the_text_are_reported_not_drawn():
    doc = {"text": "có 12 chi bộ"}
    facts = [
        {
            "fact_id": "ok",
            "start_offset": 3,
            "end_offset": 12,
            "metric": "party_cells",
            "dq_status": "pass",
            "evidence": "12 chi bộ",
        },
        {
            "fact_id": "far",
            "start_offset": 40,
            "end_offset": 52,
            "metric": "party_cells",
            "dq_status": "warn",
            "evidence": "x",
        },
    ]
    held = [
        {
            "record_id": "q1",
            "record_type": "fact",
            "reasons": ["facts.ratio_matches_pct"],
            "data": {"fact_id": "ok", "metric": "party_cells", "start": 3, "end": 5},
        }
    ]
    spans = collect_spans(doc, facts, held)
    by_anchor = {s.anchor: s for s in spans}
    assert by_anchor["fact-ok"].problem is None
    assert "outside the text" in by_anchor["fact-far"].problem
    # a held record whose fact id is also loaded gets its own anchor, not a duplicate id
    assert by_anchor["fact-q-q1"].status == "quarantined"
    assert by_anchor["fact-q-q1"].notes == [
        "facts.ratio_matches_pct",
    ]
    m = parse(highlight(doc["text"], spans))
    assert set(m.text) == {"fact-ok", "fact-q-q1"}


def test_numbers_are_written_the_vietnamese_way():
    assert charts.fmt_num(1250) == "1.250"
    assert charts.fmt_num(46.666, 1) == "46,7"
    assert charts.fmt_num(25.0, 2) == "25"
    assert charts.fmt_num(4318.6, 2) == "4.318,6"
    assert charts.fmt_num(None) == "–"


def test_charts_escape_labels_and_draw_one_mark_per_point():
    pts = [
        charts.Point(10, 12, label="<b>x</b>", title="a & b", href="documents/d.html#fact-1"),
        charts.Point(50, 125, label="Cụm 3 2024: 125% ≠ 115%", flag=True),
    ]
    svg = charts.scatter_diagonal("t", pts)
    assert "<b>x</b>" not in svg and svg.count('class="mark') == 2
    assert svg.count('class="flag-label"') == 1  # only the disagreeing point is labelled
    bars = charts.plan_bars("b", [charts.Bar("2023", 32, 30, note="106,7%")])
    assert 'class="plan"' in bars and 'class="mark"' in bars
    assert "no data" in charts.line_panel("empty", [])


def test_hrefs_refuse_unsafe_ids_and_schemes():
    assert fact_href("sample_01", "abc") == "documents/sample_01.html#fact-abc"
    assert fact_href("báo cáo 2023", "f1") == "documents/b%C3%A1o%20c%C3%A1o%202023.html#fact-f1"
    for bad in ("../x", "a/b", "", "..", "a\\b"):
        with pytest.raises(ValueError, match="not a safe file name"):
            doc_filename(bad)
    assert web_href("javascript:alert(1)") is None
    assert web_href("https://example.vn/a") == "https://example.vn/a"


def test_page_shell_forbids_scripts_and_network():
    page = render("<title>", "<p>x</p>", warehouse="/tmp/w.duckdb")
    csp = re.search(r'Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert "&lt;title&gt;" in page
