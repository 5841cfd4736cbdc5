"""Fetch state in the warehouse: the per-URL memory behind conditional requests.

Kept in the warehouse (not beside it) so that the state and the documents it
describes are swapped in together: a run that fails before its load leaves
both as they were, and the next night asks again for what it did not store.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import duckdb

from vnreport.warehouse import db

COLUMNS = (
    "url", "source", "doc_id", "kind", "status", "http_status", "etag", "last_modified",
    "content_hash", "content_type", "charset", "reason", "fetched_at", "checked_at",
)  # fmt: skip
_TIMES = ("fetched_at", "checked_at")
MIGRATION_FILE = "migrations/003_fetch_state.sql"


def _has_table(con: duckdb.DuckDBPyConnection) -> bool:
    row = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
        "AND table_name = 'fetch_state'"
    ).fetchall()
    return bool(row[0][0])


def load_state(db_path: Path | str) -> dict[str, dict]:
    """url -> state row (times as ISO text); empty for a new or pre-fetch warehouse."""
    db_path = Path(db_path)
    if not db_path.exists():
        return {}
    con = db.connect_read(db_path)
    try:
        if not _has_table(con):
            return {}
        cols = ", ".join(
            f"strftime({c} AT TIME ZONE 'UTC', '%Y-%m-%dT%H:%M:%S+00:00') AS {c}"
            if c in _TIMES
            else c
            for c in COLUMNS
        )
        rows = con.execute(f"SELECT {cols} FROM fetch_state ORDER BY url").fetchall()
    finally:
        con.close()
    return {r[0]: dict(zip(COLUMNS, r, strict=True)) for r in rows}


def save_state(con_or_path: duckdb.DuckDBPyConnection | Path | str, rows: Iterable[dict]) -> int:
    """Upsert state rows (DiscoveryResult.updated_rows()); returns how many were written.

    Given a connection (inside the loader's writer), writes there; given a
    path, opens the warehouse's writer, which migrates and swaps the file in.
    """
    rows = list(rows)
    if isinstance(con_or_path, duckdb.DuckDBPyConnection):
        return _save(con_or_path, rows)
    with db.writer(con_or_path) as con:
        return _save(con, rows)


def _save(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> int:
    import pyarrow as pa

    if not _has_table(con):
        con.execute(db.sql_text(MIGRATION_FILE)).fetchall()
    if not rows:
        return 0
    for i, row in enumerate(rows):
        missing = [c for c in ("url", "source", "kind", "status", "checked_at") if not row.get(c)]
        if missing:
            raise ValueError(f"fetch state row {i} ({row.get('url')!r}): {missing} missing")
    schema = pa.schema(
        [pa.field(c, pa.int32() if c == "http_status" else pa.string()) for c in COLUMNS]
    )
    latest = {r["url"]: {c: r.get(c) for c in COLUMNS} for r in rows}  # last row wins
    table = pa.Table.from_pylist(list(latest.values()), schema=schema)
    con.register("_fetch_state_in", table)
    try:
        select = ", ".join(
            f"CAST({c} AS TIMESTAMP WITH TIME ZONE)" if c in _TIMES else c for c in COLUMNS
        )
        con.execute(
            f"INSERT OR REPLACE INTO fetch_state ({', '.join(COLUMNS)}) "
            f"SELECT {select} FROM _fetch_state_in"
        )
    finally:
        con.unregister("_fetch_state_in")
    return len(latest)
