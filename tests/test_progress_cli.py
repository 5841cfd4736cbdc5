"""`vnreport run` and `reprocess` draw one progress bar per source on a terminal.

Real runs in a subprocess, on a folder source and on sources served by the loopback
portal; the terminal is forced through rich's TTY_COMPATIBLE / FORCE_COLOR. Each
bar's last frame must name its source, be full, and show the counts the run
summary prints and stores. Without a terminal (cron, CI logs) no bar is drawn and
the per-source counts are still printed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from fixtures.site.server import standard_portal

pytestmark = [pytest.mark.integration, pytest.mark.timeout(900)]

REPO = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]")
BAR = re.compile(
    r"^(?P<name>\S+) +[━╸╺]+ +(?P<done>\d+)/(?P<total>\d+|\?) +(?P<counts>.*?) +"
    r"(?:\d+:\d\d:\d\d|-:--:--)$"
)
PAPERS = ["sample_01_tayhung_2022.html", "sample_03_tayhung_2024q1.txt",
          "sample_04_kcn_thaibinh_2023h1.html", "sample_08_anphu_2023.html",
          "sample_19_anthach_2024.html"]  # fmt: skip


@pytest.fixture(scope="module")
def portal():
    with standard_portal() as site:
        yield site


def env_for(tmp_path: Path, terminal: bool) -> dict:
    env = {k: v for k, v in os.environ.items()
           if k not in ("FORCE_COLOR", "TTY_COMPATIBLE", "NO_COLOR", "COLUMNS")}  # fmt: skip
    env.update(PREFECT_HOME=str(tmp_path / "prefect"), PYTHONUTF8="1")
    if terminal:
        env.update(TTY_COMPATIBLE="1", FORCE_COLOR="1", TERM="xterm-256color", COLUMNS="200")
    return env


def cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    done = subprocess.run(
        [sys.executable, "-m", "vnreport.flows.cli", *args],
        cwd=REPO, env=env, capture_output=True, text=True, encoding="utf-8", timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    return done


def final_bars(stderr: str) -> dict[str, re.Match]:
    """The last frame drawn of each source's bar."""
    out: dict[str, re.Match] = {}
    for line in re.split(r"[\r\n]+", ANSI.sub("", stderr)):
        m = BAR.match(line.rstrip())
        if m:
            out[m["name"]] = m
    return out


def summary_lines(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^  source (\S+): (.*)$", stdout, re.M))


def stored_source_counts(db: Path) -> dict[str, dict[str, int]]:
    """The Sources table of the last run's summary, as the warehouse keeps it."""
    with duckdb.connect(str(db), read_only=True) as con:
        (md,) = con.execute(
            "select summary_md from runs order by started_at desc limit 1"
        ).fetchone()
    table = md.split("### Sources", 1)[1].strip().splitlines()
    keys = [c.strip() for c in table[0].strip("|").split("|")][1:]
    out = {}
    for row in table[2:]:
        if not row.startswith("|"):
            break
        cells = [c.strip() for c in row.strip("|").split("|")]
        out[cells[0]] = {k: int(v) for k, v in zip(keys, cells[1:], strict=True)}
    return out


def assert_bars_match_summary(done: subprocess.CompletedProcess, db: Path, names: list[str]):
    bars = final_bars(done.stderr)
    printed = summary_lines(done.stdout)
    stored = stored_source_counts(db)
    assert sorted(bars) == sorted(names) == sorted(printed), (bars, printed, done.stderr[-2000:])
    for name in names:
        bar = bars[name]
        assert bar["counts"] == printed[name], name
        assert bar["done"] == bar["total"] == str(sum(stored[name].values())), (name, bar[0])
    return bars, stored


def test_run_and_reprocess_draw_a_bar_per_source_ending_at_the_run_counts(portal, tmp_path):
    papers = tmp_path / "papers"
    papers.mkdir()
    for name in PAPERS:
        shutil.copy(REPO / "samples" / name, papers / name)
    (tmp_path / "outside.txt").write_text("not a source file", encoding="utf-8")
    (papers / "link.txt").symlink_to(tmp_path / "outside.txt")  # a read failure
    (tmp_path / "quiet").mkdir()
    config = tmp_path / "sources.yaml"
    config.write_text(
        "sources:\n"
        "  - {name: papers, kind: folder, path: papers}\n"
        "  - name: portal\n"
        "    kind: listing\n"
        f"    start_urls: [{portal.url('/tin-tuc/')}]\n"
        '    link_selector: "ul.news-list h3 a"\n'
        '    next_selector: "a.next"\n'
        "    allow_private_network: true\n"
        "    http: {per_host_delay: 0}\n"
        "  - name: missing\n"
        "    kind: urls\n"
        f"    urls: [{portal.url('/bai-viet/khong-co-bai-nay.html')}]\n"
        "    allow_private_network: true\n"
        "    http: {per_host_delay: 0, retries: 0}\n"
        "  - {name: quiet, kind: folder, path: quiet}\n",
        encoding="utf-8",
    )
    names = ["papers", "portal", "missing", "quiet"]
    db = tmp_path / "wh" / "warehouse.duckdb"
    wh = ["--config", str(config), "--warehouse", str(db)]

    first = cli("run", *wh, "--batch-size", "2", env=env_for(tmp_path, terminal=True))
    bars, stored = assert_bars_match_summary(first, db, names)
    assert bars["papers"]["counts"] == "5 read, 1 failed" and bars["papers"]["total"] == "6"
    assert re.search(r"\d+ new, .*\d+ skipped", bars["portal"]["counts"]), bars["portal"][0]
    assert bars["missing"]["counts"] == "1 failed"
    assert bars["quiet"]["counts"] == "nothing found" and bars["quiet"]["total"] == "0"
    with duckdb.connect(str(db), read_only=True) as con:
        by_source = dict(
            con.execute("select source, count(*) from documents group by 1").fetchall()
        )
    assert by_source["papers"] == stored["papers"]["read"] == 5
    assert by_source["portal"] <= stored["portal"]["new"]  # a near-duplicate is stored once

    # cron: no terminal, no bars; the counts are printed all the same
    second = cli("run", *wh, env=env_for(tmp_path, terminal=False))
    assert final_bars(second.stderr) == {} and "━" not in second.stderr
    assert "unchanged" in summary_lines(second.stdout)["portal"]
    assert summary_lines(second.stdout)["papers"] == "5 read, 1 failed"

    # reprocess reads the stored pages: every page fetched new on the first night, unchanged
    again = cli("reprocess", *wh, env=env_for(tmp_path, terminal=True))
    bars, _ = assert_bars_match_summary(again, db, names)
    assert bars["portal"]["counts"] == f"{stored['portal']['new']} unchanged"
    assert bars["missing"]["counts"] == "nothing found" and bars["missing"]["total"] == "0"


def test_bars_end_at_the_same_counts_on_worker_processes(tmp_path):
    """Batches run in other processes; the flow counts them as it collects their results."""
    config = tmp_path / "sources.yaml"
    config.write_text(f"sources:\n  - {{name: samples, kind: folder, path: {REPO / 'samples'}}}\n")
    db = tmp_path / "warehouse.duckdb"
    done = cli("run", "--config", str(config), "--warehouse", str(db), "--task-runner",
               "processes", "--workers", "2", "--batch-size", "3",
               env=env_for(tmp_path, terminal=True))  # fmt: skip
    bars, stored = assert_bars_match_summary(done, db, ["samples"])
    files = [p for p in (REPO / "samples").iterdir() if p.suffix in (".html", ".htm", ".txt")]
    assert bars["samples"]["counts"] == f"{len(files)} read"
    seen = {int(m["done"]) for line in re.split(r"[\r\n]+", ANSI.sub("", done.stderr))
            if (m := BAR.match(line.rstrip())) and m["total"] != "?"}  # fmt: skip
    assert max(seen) == len(files)
