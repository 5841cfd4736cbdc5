"""Parquet export for BI tools: one file per table and per analyst view.

Read from a read-only connection, so an export runs beside the nightly load and
analysts' sessions. Each file is written under a temporary name and renamed, so
a BI tool polling the folder never reads half a file.
"""

from __future__ import annotations

import os
from pathlib import Path

from vnreport.warehouse import db


def export_parquet(db_path: Path | str, out_dir: Path | str) -> list[Path]:
    """Write `<name>.parquet` for every table and view; returns the paths written."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    con = db.connect_read(db_path)
    written: list[Path] = []
    try:
        names = con.execute(
            "SELECT table_name FROM duckdb_tables() WHERE schema_name = 'main' AND NOT internal "
            "UNION ALL SELECT view_name FROM duckdb_views() WHERE schema_name = 'main' "
            "AND NOT internal ORDER BY 1"
        ).fetchall()
        for (name,) in names:
            target = out_dir / f"{name}.parquet"
            tmp = out_dir / f".{name}.parquet.tmp"
            path_sql = str(tmp).replace("'", "''")
            con.execute(
                f"COPY (SELECT * FROM \"{name}\") TO '{path_sql}' "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            os.replace(tmp, target)
            written.append(target)
    finally:
        con.close()
    return written
