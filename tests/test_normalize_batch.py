"""Normalize frames and the per-batch bookkeeping."""

from __future__ import annotations

import polars as pl

from vnreport.records import CleanDoc, RawDoc, content_hash
from vnreport.transforms import normalize
from vnreport.transforms.batch import chunks, split_by_change


def fact(**kw):
    base = {
        "doc": "d1",
        "metric": "party_members",
        "value": 1840,
        "value_max": None,
        "unit": "person",
        "qualifier": None,
        "denominator": None,
        "pct": None,
        "scope": "org",
        "subject": None,
        "label": None,
        "evidence": "tổng số 1.840 đảng viên",
        "start": 10,
        "end": 33,
    }
    base.update(kw)
    return base


FIELDS = [
    {
        "doc": "d1",
        "field": "organization",
        "value": "Đảng ủy Khối Doanh nghiệp quận Tây Hưng",
        "inferred": False,
    },
    {"doc": "d1", "field": "period", "value": "2023", "inferred": False},
    {"doc": "d1", "field": "province", "value": "Hà Nội", "inferred": True},
    {"doc": "d1", "field": "source", "value": "Cổng thông tin quận", "inferred": False},
]


def test_reports_frame_pivots_fields_and_keeps_inferred_names():
    rep = normalize.reports_frame(FIELDS)
    assert rep.schema == pl.Schema(normalize.REPORT_SCHEMA)
    row = rep.row(0, named=True)
    assert row["organization"].startswith("Đảng ủy Khối")
    assert row["source_name"] == "Cổng thông tin quận"
    assert row["inferred"] == ["province"]
    assert row["district"] is None


def test_facts_frame_types_ids_and_document_context():
    rep = normalize.reports_frame(FIELDS)
    facts = [
        fact(),
        fact(
            metric="new_members_admitted",
            value=69,
            denominator=48,
            pct=143.8,
            start=50,
            end=80,
            evidence="kết nạp 69/48 đảng viên mới, đạt 143,8%",
        ),
        fact(),  # the same span reported twice
    ]
    frame = normalize.facts_frame(facts, rep, {"d1": 500}, extractor_version="x1", run_id="r1")
    assert frame.schema == pl.Schema(normalize.FACT_SCHEMA)
    assert frame.height == 2
    assert frame["fact_id"].n_unique() == 2
    adm = frame.filter(pl.col("metric") == "new_members_admitted").row(0, named=True)
    assert (adm["value"], adm["denominator"], adm["pct"]) == (69.0, 48.0, 143.8)
    assert adm["organization"].endswith("Tây Hưng") and adm["period"] == "2023"
    assert adm["doc_length"] == 500 and adm["run_id"] == "r1"


def test_fact_ids_are_deterministic_and_content_sensitive():
    assert normalize.fact_id(fact()) == normalize.fact_id(fact())
    assert normalize.fact_id(fact()) != normalize.fact_id(fact(value=1841))
    assert normalize.fact_id(fact()) != normalize.fact_id(fact(subject="Chi bộ Công ty A"))


def test_documents_frame_records_text_length():
    doc = CleanDoc("d1", "s", "/x/d1.txt", "h", text="Tổng số 1.840 đảng viên", title="T")
    frame = normalize.documents_frame([doc], extractor_version="x1")
    assert frame.row(0, named=True)["text_length"] == len("Tổng số 1.840 đảng viên")


def raw(doc_id, data: bytes) -> RawDoc:
    return RawDoc(doc_id, "s", f"/{doc_id}.txt", "text", data, content_hash(data))


def test_split_by_change_skips_only_identical_content_and_extractor():
    known = {"same": (content_hash(b"a"), "v1"), "edited": (content_hash(b"old"), "v1")}
    todo, counts = split_by_change(
        [raw("same", b"a"), raw("edited", b"new"), raw("fresh", b"z")], known, "v1"
    )
    assert [r.doc_id for r in todo] == ["edited", "fresh"]
    assert counts == {"documents_new": 1, "documents_changed": 1, "documents_unchanged": 1}
    todo, counts = split_by_change([raw("same", b"a")], known, "v2")
    assert [r.doc_id for r in todo] == ["same"] and counts["documents_changed"] == 1


def test_chunks_cover_everything_once():
    assert list(chunks(list(range(7)), 3)) == [[0, 1, 2], [3, 4, 5], [6]]


def test_a_document_that_fails_a_stage_is_recorded_and_the_rest_go_on():
    from vnreport.transforms.batch import clean_batch, extract_batch, process_batch

    good = raw("good", "Tổng số 1.840 đảng viên, kết nạp 69 đảng viên mới.".encode())
    empty = raw("empty", b"")
    result = process_batch([empty, good])
    assert [d.doc_id for d in result.docs] == ["good"]
    assert [(f.doc_id, f.stage) for f in result.failures] == [("empty", "clean")]
    assert result.failures[0].reason  # the cleaner says why
    assert any(f["metric"] == "party_members" and f["value"] == 1840 for f in result.facts)

    cleaned = clean_batch([good]).docs
    # bytes where text belongs: what a mis-wired upstream stage would hand over
    broken = CleanDoc("broken", "s", "/broken.txt", "h", text=b"\xff")  # type: ignore[arg-type]
    out = extract_batch([broken, *cleaned])
    assert [d.doc_id for d in out.docs] == ["good"]
    (failure,) = out.failures
    assert (failure.doc_id, failure.stage) == ("broken", "extract")
    assert "Error" in failure.reason
