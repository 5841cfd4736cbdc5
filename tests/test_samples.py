"""The bundled sample sources and their hand labels.

The samples are the demo data `make run` loads and a second labelled corpus the
extractor is scored against besides the seeds, so the labels must be right:
every evidence string is in the article body (not in page furniture), every
record has the contract's shape, and the arithmetic inside each label agrees
(X/Y against the stated percentage, growth against the stock, parts against
totals).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import unicodedata
from collections import defaultdict
from pathlib import Path

import pytest
from lxml import html as lxml_html

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO / "samples"
GOLD = REPO / "tests" / "fixtures" / "samples_gold.jsonl"
SHARED = Path(os.environ.get("VNREPORT_SHARED", REPO.parent / "shared"))

# Metric catalog of the contract (METRICS.md): code -> unit ("any" for `other`).
CATALOG = {
    "party_members": "person",
    "party_cells": "org",
    "grassroots_party_orgs": "org",
    "grassroots_party_committees": "org",
    "grassroots_party_cells": "org",
    "member_units": "org",
    "new_members_admitted": "person",
    "admission_candidates": "person",
    "members_made_official": "person",
    "party_course_trainees": "person",
    "party_badges_awarded": "person",
    "new_party_orgs_established": "org",
    "party_member_growth": "person",
    "party_cell_growth": "org",
    "inspections": "count",
    "meeting_attendees": "person",
    "commended_collectives": "org",
    "commended_individuals": "person",
    "commended_total": "count",
    "revenue_vnd": "vnd",
    "budget_contribution_vnd": "vnd",
    "profit_vnd": "vnd",
    "charity_vnd": "vnd",
    "avg_income_vnd_month": "vnd_per_person_month",
    "employees": "person",
    "other": "any",
}
UNITS = {"person", "org", "count", "vnd", "vnd_per_person_month", "pct"}
COUNTED_UNITS = {"person", "org", "count", "vnd", "vnd_per_person_month"}
QUALIFIERS = {None, "approx", "estimated", "over", "under", "nearly", "range"}
FACT_KEYS = {
    "doc",
    "metric",
    "value",
    "value_max",
    "unit",
    "qualifier",
    "denominator",
    "pct",
    "scope",
    "subject",
    "label",
    "evidence",
}
FIELDS = {
    "title",
    "organization",
    "province",
    "district",
    "period",
    "report_type",
    "meeting_date",
    "published_date",
    "source",
}
REPORT_TYPES = {
    "year_end_review",
    "quarterly_briefing",
    "half_year_review",
    "mid_term_review",
    "congress",
    "other",
}
PERIOD = re.compile(r"^\d{4}(-Q[1-4]|-H[12]|-\d{4})?$")

# Containers that hold the headline, lead and body on the portal layouts the
# samples imitate; everything outside them is page furniture.
BODY_CLASSES = (
    "journal-content-article",  # Liferay government portals
    "entry-title",
    "entry-content",  # WordPress
    "detail-title",
    "detail-sapo",
    "detail-content",  # newspapers
    "page-header",
    "com-content-article__body",  # Joomla
    "news-detail__title",
    "news-detail__content",  # company sites
    "news_title",
    "content_detail",  # old ASP.NET portals
    "ArticleTitle",
    "ArticleContent",  # older district portals
)
# Furniture that portals place inside the article container itself.
INNER_FURNITURE = ("news-meta", "news-tools", "sharedaddy", "jp-relatedposts")
INNER_FURNITURE_XPATH = " | ".join(
    f".//*[contains(concat(' ', normalize-space(@class), ' '), ' {c} ')]" for c in INNER_FURNITURE
)
BODY_XPATH = " | ".join(
    f"//*[contains(concat(' ', normalize-space(@class), ' '), ' {c} ')]" for c in BODY_CLASSES
)
FURNITURE_CUES = (
    "Tin liên quan",
    "Bài viết khác",
    "Xem nhiều nhất",
    "Lượt xem",
    "Truy cập",
    "truy cập",
    "Total visited",
    "Hôm nay",
    "Tin khác",
    "CÁC TIN KHÁC",
    "Bài viết liên quan",
)


def fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def declared_charset(data: bytes) -> str:
    m = re.search(rb"""<meta[^>]+charset=["']?([\w-]+)""", data[:4096], re.I)
    return m.group(1).decode("ascii").lower() if m else "utf-8"


def decode(path: Path) -> str:
    data = path.read_bytes()
    charset = declared_charset(data) if path.suffix == ".html" else "utf-8"
    return unicodedata.normalize("NFC", data.decode(charset))


def parse(path: Path):
    return lxml_html.document_fromstring(decode(path))


def element_text(el) -> str:
    """Visible text with table rows as one line, cells joined by " | " (the clean contract)."""
    el = lxml_html.fromstring(lxml_html.tostring(el, encoding="unicode"))
    for bad in el.xpath(".//script | .//style | .//noscript | .//template"):
        bad.drop_tree()
    for row in el.xpath(".//tr"):
        cells = [fold(c.text_content()) for c in row if c.tag in ("td", "th")]
        for child in list(row):
            row.remove(child)
        row.text = "\n" + " | ".join(cells) + "\n"
    return fold(el.text_content())


def body_text(path: Path) -> str:
    if path.suffix == ".txt":
        return fold(decode(path))
    root = parse(path)
    for furniture in root.xpath(INNER_FURNITURE_XPATH):
        furniture.drop_tree()
    parts = root.xpath(BODY_XPATH)
    assert parts, f"{path.name}: no article container ({', '.join(BODY_CLASSES)})"
    return "\n".join(element_text(p) for p in parts)


# --------------------------------------------------------------------------- numbers in evidence
SCALES = {"nghìn": 1e3, "ngàn": 1e3, "vạn": 1e4, "triệu": 1e6, "tỷ": 1e9, "tỉ": 1e9}
WORDS = {
    "một": 1,
    "hai": 2,
    "ba": 3,
    "bốn": 4,
    "năm": 5,
    "sáu": 6,
    "bảy": 7,
    "tám": 8,
    "chín": 9,
    "mười": 10,
}
NUMBER = re.compile(
    r"(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?((?:\s+(?:nghìn|ngàn|vạn|triệu|tỷ|tỉ))*)", re.I
)


def numbers_in(text: str) -> list[float]:
    """Every number a reader sees in `text`, scale words applied (a test oracle, not the parser).

    A scale word may serve several numbers (`9 - 10 triệu`), so every scale that
    follows some number is tried on every number.
    """
    raw: list[float] = []
    scales = {1.0}
    for m in NUMBER.finditer(text):
        raw.append(float(m.group(1).replace(".", "") + ("." + m.group(2) if m.group(2) else "")))
        factor = 1.0
        for word in m.group(3).split():
            factor *= SCALES[word.lower()]
        scales.add(factor)
    out = [n * s for n in raw for s in scales]
    out += [v for w, v in WORDS.items() if re.search(rf"(?<!\w){w}(?!\w)", text, re.I)]
    return out


def close(a: float, b: float) -> bool:
    return abs(a - b) <= 0.005 * max(abs(a), abs(b)) + 1e-9


# --------------------------------------------------------------------------- loading
def sample_paths() -> dict[str, Path]:
    return {p.stem: p for p in sorted(SAMPLES.iterdir()) if p.suffix in (".html", ".txt")}


def gold_records() -> list[dict]:
    records = []
    for n, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            rec = json.loads(line)
            rec["_line"] = n
            records.append(rec)
    return records


def gold_facts() -> list[dict]:
    return [r for r in gold_records() if "metric" in r]


def doc_fields() -> dict[str, dict[str, dict]]:
    fields: dict[str, dict[str, dict]] = defaultdict(dict)
    for r in gold_records():
        if "field" in r:
            fields[r["doc"]][r["field"]] = r
    return fields


def where(rec: dict) -> str:
    return f"{GOLD.name}:{rec['_line']} ({rec['doc']}, {rec.get('metric') or rec.get('field')})"


# --------------------------------------------------------------------------- the samples
def test_sample_counts_and_names():
    paths = sample_paths()
    html = [p for p in paths.values() if p.suffix == ".html"]
    text = [p for p in paths.values() if p.suffix == ".txt"]
    assert len(html) >= 12, f"only {len(html)} HTML samples"
    assert len(text) >= 4, f"only {len(text)} text samples"
    for stem in paths:
        assert re.fullmatch(r"sample_\d{2}_[a-z0-9_]+", stem), f"{stem}: not a sample_NN_slug name"


@pytest.mark.parametrize("name", [p.name for p in sample_paths().values() if p.suffix == ".html"])
def test_html_sample_parses_with_furniture_outside_body(name):
    path = SAMPLES / name
    root = parse(path)
    assert root.find(".//title") is not None and fold(root.findtext(".//title") or ""), name
    assert root.xpath("//script"), f"{name}: a portal page carries script tags"
    body = body_text(path)
    assert len(body) > 1500, f"{name}: article body is only {len(body)} characters"
    page = element_text(root.find("body"))
    furniture = [cue for cue in FURNITURE_CUES if cue in page and cue not in body]
    assert len(furniture) >= 2, f"{name}: expected page furniture outside the article body"


@pytest.mark.parametrize("name", [p.name for p in sample_paths().values() if p.suffix == ".txt"])
def test_text_sample_is_utf8_with_title_line(name):
    text = (SAMPLES / name).read_bytes().decode("utf-8")
    lines = [line for line in text.splitlines() if line.strip()]
    assert len(lines) >= 8, f"{name}: too short for a report article"
    assert len(lines[0]) < 250, f"{name}: the first line should be the headline"
    assert unicodedata.normalize("NFC", text) == text, f"{name}: not NFC"


def test_one_sample_is_really_windows_1258():
    legacy = [p for p in sample_paths().values() if p.suffix == ".html"]
    legacy = [p for p in legacy if declared_charset(p.read_bytes()) == "windows-1258"]
    assert legacy, "no sample declares windows-1258"
    for path in legacy:
        data = path.read_bytes()
        with pytest.raises(UnicodeDecodeError):
            data.decode("utf-8")
        # Windows-1258 writes most toned vowels as base letter + combining mark.
        assert "\u0323" in data.decode("windows-1258"), path.name


# --------------------------------------------------------------------------- the labels
def test_every_sample_is_labelled_and_every_label_has_a_sample():
    paths = sample_paths()
    facts_per_doc = defaultdict(int)
    for rec in gold_records():
        assert rec["doc"] in paths, f"{where(rec)}: no sample named {rec['doc']}"
        facts_per_doc[rec["doc"]] += "metric" in rec
    fields = doc_fields()
    for doc in paths:
        assert facts_per_doc[doc] >= 8, f"{doc}: only {facts_per_doc[doc]} labelled facts"
        for required in ("title", "organization", "period", "report_type"):
            assert required in fields[doc], f"{doc}: document field {required} is not labelled"


def test_evidence_occurs_in_article_body():
    bodies = {doc: body_text(path) for doc, path in sample_paths().items()}
    missing = [
        where(f) + f": {f['evidence']!r}"
        for f in gold_facts()
        if fold(f["evidence"]) not in bodies[f["doc"]]
    ]
    assert not missing, "evidence not found in the article body:\n" + "\n".join(missing)


def test_titles_are_the_page_headlines():
    paths = sample_paths()
    for doc, fields in doc_fields().items():
        title = fields["title"]["value"]
        path = paths[doc]
        if path.suffix == ".txt":
            first = decode(path).strip().splitlines()[0]
            assert fold(first) == title, f"{doc}: title label differs from the first line"
        else:
            assert title in body_text(path), f"{doc}: title label is not the article headline"


def test_fact_shapes():
    for f in gold_facts():
        w = where(f)
        assert set(f) - {"_line"} == FACT_KEYS, f"{w}: keys {sorted(set(f) - {'_line'})}"
        assert f["metric"] in CATALOG, f"{w}: unknown metric"
        assert f["unit"] in UNITS, f"{w}: unknown unit {f['unit']}"
        if f["metric"] == "other":
            assert f["label"], f"{w}: an `other` fact needs a label"
        else:
            assert f["unit"] == CATALOG[f["metric"]], f"{w}: unit {f['unit']}"
        assert f["scope"] in ("org", "context"), w
        assert f["label"] or f["scope"] == "org", f"{w}: label context facts"
        assert f["qualifier"] in QUALIFIERS, w
        assert f["subject"] is None or (isinstance(f["subject"], str) and f["subject"].strip()), w
        assert isinstance(f["value"], int | float) and f["value"] >= 0, w
        if f["unit"] in COUNTED_UNITS:
            assert float(f["value"]).is_integer(), f"{w}: {f['unit']} values are whole numbers"
        assert (f["qualifier"] == "range") == (f["value_max"] is not None), f"{w}: range/value_max"
        if f["value_max"] is not None:
            assert f["value_max"] > f["value"], w
        for key in ("denominator", "pct"):
            assert f[key] is None or (isinstance(f[key], int | float) and f[key] > 0), w
        assert isinstance(f["evidence"], str) and f["evidence"] == f["evidence"].strip(), w


def test_numbers_are_written_in_their_evidence():
    for f in gold_facts():
        seen = numbers_in(f["evidence"])
        for key in ("value", "value_max", "denominator", "pct"):
            if f[key] is not None:
                assert any(close(f[key], n) for n in seen), (
                    f"{where(f)}: {key}={f[key]} is not written in {f['evidence']!r}"
                )


def test_ratio_pairs_agree_with_stated_percentages():
    checked = 0
    for f in gold_facts():
        if f["denominator"] and f["pct"]:
            ratio = 100 * f["value"] / f["denominator"]
            assert abs(ratio - f["pct"]) <= 0.6, f"{where(f)}: {ratio:.2f} vs {f['pct']}"
            checked += 1
    assert checked >= 10


def org_level(doc_facts: list[dict], metric: str) -> list[dict]:
    return [
        f
        for f in doc_facts
        if f["metric"] == metric and f["scope"] == "org" and f["subject"] is None
    ]


def facts_by_doc() -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = defaultdict(list)
    for f in gold_facts():
        out[f["doc"]].append(f)
    return out


def test_growth_percentages_agree_with_the_stock():
    checked = 0
    for facts in facts_by_doc().values():
        for growth, stock in (
            ("party_member_growth", "party_members"),
            ("party_cell_growth", "party_cells"),
        ):
            for g in org_level(facts, growth):
                if g["pct"] is None:
                    continue
                totals = org_level(facts, stock)
                assert totals, f"{where(g)}: growth with a percentage but no stock"
                base = totals[0]["value"] - g["value"]
                assert abs(100 * g["value"] / base - g["pct"]) <= 0.6, where(g)
                checked += 1
    assert checked >= 3


def test_parts_agree_with_totals():
    for doc, facts in facts_by_doc().items():
        whole = org_level(facts, "grassroots_party_orgs")
        parts = [
            org_level(facts, "grassroots_party_committees"),
            org_level(facts, "grassroots_party_cells"),
        ]
        if whole and all(parts):
            total = sum(p[0]["value"] for p in parts)
            assert total == whole[0]["value"], f"{doc}: committees + cells != grassroots orgs"
        for metric in ("new_members_admitted", "party_members"):
            totals = org_level(facts, metric)
            subs = [
                f for f in facts if f["metric"] == metric and f["subject"] and f["scope"] == "org"
            ]
            if totals and subs:
                top = max(t["value"] for t in totals)
                assert sum(s["value"] for s in subs) <= top, f"{doc}: {metric} of subordinates"


def test_document_fields():
    for doc, fields in doc_fields().items():
        for name, rec in fields.items():
            assert name in FIELDS, f"{where(rec)}: unknown field"
            assert isinstance(rec["value"], str) and rec["value"].strip(), where(rec)
            assert isinstance(rec["inferred"], bool), where(rec)
        assert PERIOD.match(fields["period"]["value"]), f"{doc}: period"
        assert fields["report_type"]["value"] in REPORT_TYPES, f"{doc}: report_type"
        for name in ("meeting_date", "published_date"):
            if name in fields:
                dt.date.fromisoformat(fields[name]["value"])
        if "meeting_date" in fields and "published_date" in fields:
            assert fields["meeting_date"]["value"] <= fields["published_date"]["value"], doc


def test_organizations_recur_across_periods_under_different_spellings():
    by_district: dict[str, list[dict]] = defaultdict(list)
    for fields in doc_fields().values():
        key = fields.get("district", fields.get("province", {})).get("value")
        if key:
            by_district[key].append(fields)
    series = [
        docs
        for docs in by_district.values()
        if len(docs) >= 3
        and len({d["period"]["value"] for d in docs}) >= 3
        and len({d["organization"]["value"] for d in docs}) >= 2
    ]
    assert series, "no organization reports over three periods under varying names"


def test_catalog_matches_the_contract():
    metrics_md = SHARED / "contract" / "METRICS.md"
    if not metrics_md.exists():
        pytest.skip(f"{metrics_md} is absent: the shared contract is not available here")
    text = metrics_md.read_text(encoding="utf-8")
    section = text.split("## Catalog codes", 1)[1].split("\n## ", 1)[0]
    contract = {}
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(r"[a-z_]+", cells[0]) and cells[0] != "code":
            contract[cells[0]] = cells[1]
    assert contract == CATALOG


def test_one_org_level_value_per_metric_and_document():
    """Two different values for the reporting organization's own metric in one report
    would be a planted conflict; the samples are clean demo data."""
    for doc, facts in facts_by_doc().items():
        seen: dict[str, float] = {}
        for f in facts:
            if f["metric"] == "other" or f["scope"] != "org" or f["subject"]:
                continue
            if f["metric"] in seen:
                assert close(seen[f["metric"]], f["value"]), f"{doc}: two values of {f['metric']}"
            seen[f["metric"]] = f["value"]


def series_key(doc: str) -> str:
    """sample_NN_<series>_<period>: the slug between the number and the period names the series."""
    return "_".join(doc.split("_")[2:-1])


def test_membership_grows_along_each_series():
    """Stocks reported over time by one organization move the way the reports say they do."""
    fields = doc_fields()
    by_series: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for doc in fields:
        date = fields[doc].get("meeting_date") or fields[doc]["published_date"]
        by_series[series_key(doc)].append((date["value"], doc))
    facts = facts_by_doc()
    longest = 0
    for key, docs in by_series.items():
        docs.sort()
        longest = max(longest, len(docs))
        for metric in ("party_members", "party_cells", "grassroots_party_orgs"):
            values = [
                (doc, org_level(facts[doc], metric)[0]["value"])
                for _, doc in docs
                if org_level(facts[doc], metric)
            ]
            for (d1, v1), (d2, v2) in zip(values, values[1:], strict=False):
                assert v2 >= v1, f"{key}: {metric} falls from {v1} ({d1}) to {v2} ({d2})"
    assert longest >= 4, "no organization reports over four periods"
