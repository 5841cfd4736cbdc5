"""`vnreport quarantine` and `vnreport report` over a real warehouse.

The warehouse is filled the way the nightly flow fills it: normalize -> validate
(real Great Expectations) -> load (the real loader, real DuckDB file). A first
run holds back a fact whose text contradicts itself; a second run over the
corrected article releases it, and the command shows both states.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from vnreport import paths
from vnreport.expectations.validate import summary_markdown, validate_run
from vnreport.flows.cli import app
from vnreport.records import CleanDoc, content_hash
from vnreport.transforms import normalize
from vnreport.warehouse.load import fact_history, load_run

DOC = "tanphu_2024"
TEXT_BAD = (
    "Đảng bộ Khu công nghiệp Tân Phú tổng kết công tác xây dựng Đảng năm 2024\n\n"
    "Năm 2024, Đảng bộ có 612 đảng viên sinh hoạt tại 41 chi bộ trực thuộc. "
    "Toàn Đảng bộ kết nạp 27/20 đảng viên mới, đạt 153,5% kế hoạch; "
    "thu nhập bình quân của người lao động đạt 9,4 triệu đồng/người/tháng."
)
TEXT_FIXED = TEXT_BAD.replace("153,5%", "135%")


def span(text: str, words: str) -> dict:
    start = text.index(words)
    return {"evidence": words, "start": start, "end": start + len(words)}


def extracted(text: str, pct: float) -> list[dict]:
    base = {"doc": DOC, "qualifier": None, "denominator": None, "pct": None, "scope": "org"}
    base |= {"subject": None, "label": None, "value_max": None}
    admitted = "kết nạp 27/20 đảng viên mới, đạt " + ("153,5%" if pct == 153.5 else "135%")
    return [
        base
        | {"metric": "party_members", "value": 612, "unit": "person"}
        | span(text, "có 612 đảng viên"),
        base
        | {"metric": "party_cells", "value": 41, "unit": "org"}
        | span(text, "41 chi bộ trực thuộc"),
        base
        | {"metric": "new_members_admitted", "value": 27, "unit": "person"}
        | {"denominator": 20, "pct": pct}
        | span(text, admitted),
        base
        | {"metric": "avg_income_vnd_month", "value": 9_400_000, "unit": "vnd_per_person_month"}
        | span(text, "9,4 triệu đồng/người/tháng"),
    ]


FIELDS = [
    {"doc": DOC, "field": "organization", "value": "Đảng bộ Khu công nghiệp Tân Phú"},
    {"doc": DOC, "field": "province", "value": "Đồng Nai"},
    {"doc": DOC, "field": "period", "value": "2024"},
    {"doc": DOC, "field": "report_type", "value": "year_end_review"},
    {"doc": DOC, "field": "meeting_date", "value": "2024-12-26"},
]


def nightly_like(db: Path, run_id: str, text: str, pct: float) -> dict:
    """normalize -> validate -> load, as the flow wires them."""
    doc = CleanDoc(
        doc_id=DOC,
        source="test-folder",
        uri=f"/srv/articles/{DOC}.txt",
        content_hash=content_hash(text.encode()),
        text=text,
    )
    reports = normalize.reports_frame(FIELDS)
    facts = normalize.facts_frame(
        extracted(text, pct), reports, {DOC: len(text)}, extractor_version="t1", run_id=run_id
    )
    documents = normalize.documents_frame([doc], extractor_version="t1")
    validation = validate_run(
        facts, reports, run_id=run_id, dq_root=paths.dq_dir(db), history=fact_history(db)
    )
    run = {
        "run_id": run_id,
        "started_at": "2026-11-21T01:00:00+00:00",
        "finished_at": "2026-11-21T01:01:00+00:00",
        "status": "completed",
        "config_path": None,
        "documents_read": 1,
        "documents_new": None,
        "documents_changed": None,
        "documents_unchanged": None,
        "documents_failed": 0,
        "facts_loaded": validation.facts.height,
        "facts_warned": 0,
        "facts_quarantined": validation.quarantine.height,
        "extractor_version": "t1",
        "data_docs_index": validation.data_docs_index,
        "report_path": None,
    }
    run["summary_md"] = summary_markdown(run, validation)
    load_run(
        db,
        run=run,
        documents=documents,
        reports=validation.reports,
        facts=validation.facts,
        quarantine=validation.quarantine,
        dq_results=validation.dq_results,
        failures=[],
    )
    return {"run": run, "validation": validation}


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    db = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    first = nightly_like(db, "run-1", TEXT_BAD, 153.5)
    return db, first


def cli(*args: str):
    result = CliRunner().invoke(app, list(args))
    return result


def test_quarantine_lists_the_held_record_with_reasons_and_evidence(warehouse):
    db, first = warehouse
    assert first["validation"].quarantine.height == 1
    out = cli("quarantine", "--warehouse", str(db))
    assert out.exit_code == 0, out.output
    assert "HELD" in out.output and "run run-1" in out.output
    assert "facts.ratio_matches_pct" in out.output
    assert "27/20 = 135.0% but the text states 153,5%" in out.output
    assert "«kết nạp 27/20 đảng viên mới, đạt 153,5%»" in out.output
    assert "1 record(s): 1 held, 0 released" in out.output


def test_quarantine_json_keeps_the_record(warehouse):
    db, _ = warehouse
    out = cli("quarantine", "--warehouse", str(db), "--json", "--run", "run-1")
    assert out.exit_code == 0, out.output
    rows = [json.loads(line) for line in out.output.splitlines() if line.strip()]
    assert len(rows) == 1
    assert rows[0]["record"]["denominator"] == 20 and rows[0]["record"]["pct"] == 153.5
    assert rows[0]["doc_id"] == DOC and rows[0]["record_type"] == "fact"


def test_report_prints_the_latest_summary_and_data_docs(warehouse):
    db, first = warehouse
    out = cli("report", "--warehouse", str(db))
    assert out.exit_code == 0, out.output
    assert "# vnreport run `run-1`" in out.output
    assert "| `facts.ratio_matches_pct` | fail | 1 |" in out.output
    assert out.output.count(f"Data Docs: `{first['validation'].data_docs_index}`") == 1
    assert "Summary page:" in out.output


def test_report_open_hands_the_data_docs_to_a_browser(warehouse, monkeypatch):
    db, first = warehouse
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda uri: opened.append(uri) or True)
    out = cli("report", "--warehouse", str(db), "--open")
    assert out.exit_code == 0, out.output
    assert opened == [Path(first["validation"].data_docs_index).resolve().as_uri()]


def test_missing_warehouse_is_a_clear_error(tmp_path):
    out = cli("report", "--warehouse", str(tmp_path / "nowhere.duckdb"))
    assert out.exit_code == 1
    assert "nowhere.duckdb" in out.output and "not found" in out.output


def test_rerun_after_the_fix_releases_the_record(warehouse):
    db, _ = warehouse
    second = nightly_like(db, "run-2", TEXT_FIXED, 135.0)
    assert second["validation"].quarantine.height == 0
    held = cli("quarantine", "--warehouse", str(db))
    assert held.exit_code == 0
    assert "No quarantined records held" in held.output
    by_run = cli("quarantine", "--warehouse", str(db), "--run", "run-1")
    assert "RELEASED by run run-2" in by_run.output
    assert "1 record(s): 0 held, 1 released" in by_run.output
    latest = cli("report", "--warehouse", str(db))
    assert "# vnreport run `run-2`" in latest.output
    assert "All expectations passed." in latest.output
    # the corrected fact is in the warehouse now
    con = duckdb.connect(str(db), read_only=True)
    try:
        got = con.execute(
            "SELECT value, denominator, pct, dq_status FROM facts "
            "WHERE metric = 'new_members_admitted'"
        ).fetchall()
    finally:
        con.close()
    assert got == [(27.0, 20.0, 135.0, "pass")]
