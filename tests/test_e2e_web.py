"""End to end over HTTP: `vnreport run` on a listing served by a real loopback portal, twice.

The second night must send only conditional requests and process nothing.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.site.server import standard_portal

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def portal():
    with standard_portal() as site:
        yield site


def run(config: Path, db: Path, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "vnreport.flows.cli", "run", "--config", str(config),
         "--warehouse", str(db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip


def test_nightly_over_http_fetches_once_then_only_asks_conditionally(portal, tmp_path):
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n"
        "  - name: portal\n"
        "    kind: listing\n"
        f"    start_urls: [{portal.url('/tin-tuc/')}]\n"
        '    link_selector: "ul.news-list h3 a"\n'
        '    next_selector: "a.next"\n'
        "    max_pages: 5\n"
        "    allow_private_network: true\n"
        "    http: {per_host_delay: 0}\n",
        encoding="utf-8",
    )
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect"), "PYTHONUTF8": "1"}
    db = tmp_path / "wh" / "warehouse.duckdb"

    first = run(config, db, env)
    assert first.returncode == 0, first.stderr[-3000:]
    articles = {h.path for h in portal.hits if h.path.startswith("/bai-viet/")}
    assert articles, "the listing led to no article"
    with duckdb.connect(str(db), read_only=True) as con:
        docs = con.execute("select count(*) from documents where uri like 'http://%'").fetchall()
        facts = con.execute("select count(*) from facts").fetchall()
        state = con.execute("select count(*) from fetch_state where etag is not null").fetchall()
    assert docs[0][0] >= len(articles) - 1  # a duplicate of another article is stored once
    assert facts[0][0] > 0 and state[0][0] >= len(articles)
    assert list((db.parent / "raw").rglob("*.gz")), "raw pages are kept for reprocessing"

    portal.reset_log()
    second = run(config, db, env)
    assert second.returncode == 0, second.stderr[-3000:]
    assert portal.hits and not [
        h.path for h in portal.hits if not h.conditional and h.path != "/robots.txt"
    ]
    assert "0 new, 0 changed" in second.stdout
    counts = re.search(r"source portal: (.*)", second.stdout).group(1)
    assert "unchanged" in counts and " new" not in counts
    with duckdb.connect(str(db), read_only=True) as con:
        (summary,) = con.execute(
            "select summary_md from runs order by started_at desc limit 1"
        ).fetchone()
    assert re.search(r"^\| portal \|", summary, re.M), summary

    # a new extractor version would be applied this way: from the stored pages, asking no one
    portal.reset_log()
    again = subprocess.run(
        [sys.executable, "-m", "vnreport.flows.cli", "reprocess", "--config", str(config),
         "--warehouse", str(db)],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr[-3000:]
    assert portal.hits == []
    read = int(re.search(r"(\d+) documents read", again.stdout).group(1))
    assert read >= docs[0][0]
    with duckdb.connect(str(db), read_only=True) as con:
        after = con.execute("select count(*) from facts").fetchall()
    assert after == facts
