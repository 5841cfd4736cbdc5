"""Fetch state kept in a real DuckDB warehouse between runs."""

from __future__ import annotations

import duckdb
import pytest
from fixtures.site.server import Site, standard_site

from vnreport.config import load_sources
from vnreport.transforms.discover import discover
from vnreport.transforms.guard import UnsafeURL
from vnreport.warehouse import db
from vnreport.warehouse.fetch_state import COLUMNS, load_state, save_state


def dns(host: str) -> list[str]:
    if host.endswith(".example"):
        return ["127.0.0.1"]
    raise UnsafeURL(f"{host}: cannot resolve (test DNS)")


@pytest.fixture
def site():
    s = Site().start()
    standard_site(s, "portal.example")
    yield s
    s.stop()


def sources(tmp_path, site):
    cfg = tmp_path / "sources.yaml"
    cfg.write_text(
        "sources:\n  - name: map\n    kind: sitemap\n"
        f"    url: {site.url('/sitemap.xml', 'portal.example')}\n"
        "    url_filter: /bai-viet/\n    allow_private_network: true\n"
        "    http: {per_host_delay: 0.0, retries: 0}\n",
        encoding="utf-8",
    )
    return load_sources(cfg)


def test_missing_warehouse_has_no_state(tmp_path):
    assert load_state(tmp_path / "none.duckdb") == {}


def test_state_round_trips_through_the_warehouse(tmp_path, site):
    wh = tmp_path / "data" / "warehouse.duckdb"
    raw = tmp_path / "data" / "raw"
    srcs = sources(tmp_path, site)
    first = discover(srcs, load_state(wh), raw, resolver=dns)
    assert len(first.raws) == 4
    written = save_state(wh, first.updated_rows())
    assert written == len(first.updated_rows()) == 8  # robots, 3 sitemaps, 4 articles

    loaded = load_state(wh)
    assert set(loaded) == set(first.state)
    for url, row in first.state.items():
        assert {c: loaded[url][c] for c in COLUMNS} == {c: row.get(c) for c in COLUMNS}, url

    site.reset_log()
    second = discover(srcs, load_state(wh), raw, resolver=dns)
    assert all(h.conditional for h in site.hits) and len(site.hits) == 8
    assert second.counts["map"]["unchanged"] == 4
    save_state(wh, second.updated_rows())
    statuses = {r["status"] for r in load_state(wh).values()}
    assert statuses == {"not_modified"}


def test_save_inside_an_open_writer_and_the_migration_is_idempotent(tmp_path):
    wh = tmp_path / "w.duckdb"
    row = {
        "url": "http://portal.example/a", "source": "s", "kind": "article", "status": "ok",
        "http_status": 200, "etag": '"x"', "checked_at": "2024-01-05T01:00:00+00:00",
        "fetched_at": "2024-01-05T01:00:00+00:00", "content_hash": "ab" * 32,
    }  # fmt: skip
    with db.writer(wh) as con:
        assert save_state(con, [row, dict(row, etag='"y"')]) == 1
        con.execute(db.sql_text("migrations/003_fetch_state.sql"))  # again: no error, no loss
    state = load_state(wh)
    assert state[row["url"]]["etag"] == '"y"' and state[row["url"]]["http_status"] == 200
    ro = duckdb.connect(str(wh), read_only=True)
    try:
        comment = ro.execute(
            "SELECT comment FROM duckdb_tables() WHERE table_name = 'fetch_state'"
        ).fetchall()[0][0]
    finally:
        ro.close()
    assert "conditional requests" in comment


def test_bad_rows_are_refused_with_the_url(tmp_path):
    with pytest.raises(ValueError, match=r"'http://x.example/a'.*status"):
        save_state(tmp_path / "w.duckdb", [{"url": "http://x.example/a", "source": "s",
                                            "kind": "article", "checked_at": "2024-01-01"}])  # fmt: skip
