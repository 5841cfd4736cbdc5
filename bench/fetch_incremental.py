"""Incremental fetching: a loopback portal of N articles, fetched twice, then once more
after a few articles changed. Requests are counted by the server, not by the client.

    .venv/bin/python bench/fetch_incremental.py [--articles 500] [--changed 5] [--workers 4]

Prints one row per run: requests the server saw, how many were conditional, the
answers (200 / 304 / other), bytes sent, per-source counts and wall time. Politeness
delay is 0 here (a loopback server is not a portal to be polite to); concurrency per
host is --workers.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parent / "tests"))

from fixtures.site.server import Site, generated_article, large_site  # noqa: E402

from vnreport.config import load_sources  # noqa: E402
from vnreport.transforms.discover import discover  # noqa: E402
from vnreport.transforms.fetch import FetchSettings  # noqa: E402


def dns(host: str) -> list[str]:
    return ["127.0.0.1"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=500)
    ap.add_argument("--changed", type=int, default=5)
    ap.add_argument("--workers", type=int, default=4)
    args = ap.parse_args()

    site = Site().start()
    start = large_site(site, args.articles, host="portal.example")
    settings = FetchSettings(per_host_delay=0.0, per_host_concurrency=args.workers,
                             workers=args.workers)  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "sources.yaml"
        cfg.write_text(
            f"sources:\n  - name: portal\n    kind: listing\n    start_urls: [{start}]\n"
            '    link_selector: "a.tieu-de"\n    next_selector: "a.sau"\n    max_pages: 1000\n'
            "    allow_private_network: true\n",
            encoding="utf-8",
        )
        sources = load_sources(cfg)
        raw_root = Path(tmp) / "raw"
        state = None
        print(f"{args.articles} articles, {args.workers} connections per host, loopback\n")
        header = (f"{'run':<22}{'requests':>9}{'conditional':>12}{'200':>6}{'304':>6}"
                  f"{'other':>6}{'new':>6}{'changed':>8}{'unchanged':>10}{'failed':>7}{'s':>7}")  # fmt: skip
        print(header)
        print("-" * len(header))
        for label in ("first run", "nothing changed", f"{args.changed} articles changed"):
            if label.endswith("changed") and label[0].isdigit():
                for i in range(args.changed):
                    site.add(f"/tin/{i}/bai-{i}.html",
                             generated_article(i).replace("tổng kết", "sơ kết"), "portal.example")  # fmt: skip
            site.reset_log()
            statuses: list[int] = []
            t0 = time.perf_counter()
            result = discover(sources, state, raw_root, settings=settings, resolver=dns)
            elapsed = time.perf_counter() - t0
            state = result.state
            for row in result.updated_rows():
                statuses.append(row["http_status"] or 0)
            c = result.counts["portal"]
            cond = sum(h.conditional for h in site.hits)
            print(f"{label:<22}{len(site.hits):>9}{cond:>12}{statuses.count(200):>6}"
                  f"{statuses.count(304):>6}{len(statuses) - statuses.count(200) - statuses.count(304):>6}"
                  f"{c['new']:>6}{c['changed']:>8}{c['unchanged']:>10}{c['failed']:>7}"
                  f"{elapsed:>7.2f}")  # fmt: skip
    site.stop()


if __name__ == "__main__":
    main()
