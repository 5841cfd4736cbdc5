"""Read-only SQL for analysts (`vnreport query`).

DuckDB enforces the rules; the statement check only explains them. The
connection is opened `read_only` (no writes), with `enable_external_access =
false` (no ATTACH, COPY, INSTALL/LOAD or file readers), extension autoloading
off and `lock_configuration` on, so no statement can turn those back. Before
that, each statement is classified with DuckDB's own parser and refused with a
message saying why: only SELECT-like statements (SELECT, WITH, DESCRIBE, SHOW,
SUMMARIZE, EXPLAIN of those) and a few catalog PRAGMAs pass. `allow_files`
lets file *readers* through (read_csv, read_parquet, glob, `FROM 'x.csv'`);
statements that write or attach stay refused by type.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import duckdb

from vnreport.warehouse import db


class QueryRefused(ValueError):
    """The statement is not a read of the warehouse; the message says what and why."""


FILE_FUNCTIONS = frozenset(
    {
        "read_csv", "read_csv_auto", "csv_scan", "sniff_csv", "read_parquet", "parquet_scan",
        "parquet_metadata", "parquet_schema", "parquet_file_metadata", "parquet_kv_metadata",
        "parquet_bloom_probe", "read_json", "read_json_auto", "read_json_objects",
        "read_json_objects_auto", "read_ndjson", "read_ndjson_auto", "read_ndjson_objects",
        "read_text", "read_blob", "glob", "read_xlsx", "st_read", "iceberg_scan",
        "delta_scan", "sqlite_scan", "sqlite_attach", "read_duckdb", "postgres_scan",
        "mysql_scan",
    }
)  # fmt: skip
ALLOWED_PRAGMAS = frozenset(
    {
        "table_info", "show_tables", "show_tables_expanded", "database_size", "storage_info",
        "version", "show", "metadata_info", "functions", "collations", "platform",
    }
)  # fmt: skip
ALLOWED_TYPES = {"SELECT", "EXPLAIN", "PRAGMA"}
_PATHLIKE = re.compile(r"[/\\.]|^[a-z][a-z0-9+]*://", re.I)


def _walk(node, found: set[str]) -> None:
    """Collect function names and path-like table names from a serialized DuckDB AST."""
    if isinstance(node, dict):
        name = node.get("function_name")
        if isinstance(name, str):
            found.add(name.lower())
        if node.get("type") == "BASE_TABLE":
            table = node.get("table_name") or ""
            if _PATHLIKE.search(table) and not node.get("schema_name"):
                found.add(f"file:{table}")
        for v in node.values():
            _walk(v, found)
    elif isinstance(node, list):
        for v in node:
            _walk(v, found)


def _file_reads(sql: str) -> set[str]:
    """File readers a SELECT calls, found in DuckDB's parse tree (not by string matching)."""
    con = duckdb.connect()
    try:
        out = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchall()[0][0]
    finally:
        con.close()
    tree = json.loads(out)
    if tree.get("error"):
        # Not serializable (some SHOW forms): fall back to a conservative scan of the text.
        words = {w.lower() for w in re.findall(r"([A-Za-z_]+)\s*\(", sql)}
        hits = words & FILE_FUNCTIONS
        if re.search(r"\bFROM\s+'[^']*'", sql, re.I):
            hits.add("file:'...'")
        return hits
    found: set[str] = set()
    _walk(tree.get("statements", []), found)
    return {f for f in found if f in FILE_FUNCTIONS or f.startswith("file:")}


def check_sql(sql: str, *, allow_files: bool = False) -> list[str]:
    """The statements of `sql` if all are reads; else QueryRefused naming the first that is not."""
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.ParserException as exc:
        raise QueryRefused(f"not valid SQL: {exc}") from exc
    if not statements:
        raise QueryRefused("no SQL statement given")
    out = []
    for st in statements:
        kind = st.type.name
        text = st.query.strip().rstrip(";").strip()
        head = text.split()[0].upper() if text else kind
        if kind == "MULTI" and head == "PIVOT":
            raise QueryRefused(
                "refused: a PIVOT without an IN list creates a type first; list the values, "
                "e.g. PIVOT ... ON metric IN ('party_members', 'party_cells') USING max(value)"
            )
        if kind not in ALLOWED_TYPES:
            raise QueryRefused(
                f"refused: {kind} statements are not allowed, vnreport query is read-only "
                f"({head}...). Only SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE and EXPLAIN run here."
            )
        if kind == "PRAGMA":
            m = re.match(r"(?is)pragma\s+([a-z_]+)", text)
            name = m.group(1).lower() if m else "?"
            if name not in ALLOWED_PRAGMAS:
                raise QueryRefused(f"refused: PRAGMA {name} is not a catalog query")
        if kind == "EXPLAIN":
            inner = re.sub(r"(?is)^explain\s+(analyze\s+)?", "", text)
            check_sql(inner, allow_files=allow_files)
        if kind == "SELECT" and not allow_files:
            reads = _file_reads(text)
            if reads:
                shown = ", ".join(sorted(r.removeprefix("file:") for r in reads))
                raise QueryRefused(
                    f"refused: the query reads files ({shown}); pass --allow-files to allow "
                    "file readers"
                )
        out.append(text)
    return out


def connect(db_path: Path | str, *, allow_files: bool = False) -> duckdb.DuckDBPyConnection:
    """A read-only, locked-down connection (see the module docstring)."""
    config = {
        "enable_external_access": bool(allow_files),
        "autoload_known_extensions": False,
        "autoinstall_known_extensions": False,
        "allow_community_extensions": False,
        "python_enable_replacements": False,
        "lock_configuration": True,
    }
    return db.connect_read(db_path, **config)


def run_query(
    db_path: Path | str, sql: str, *, allow_files: bool = False
) -> tuple[list[str], list[tuple]]:
    """Columns and rows of the last statement; QueryRefused for anything but a read."""
    statements = check_sql(sql, allow_files=allow_files)
    con = connect(db_path, allow_files=allow_files)
    try:
        columns: list[str] = []
        rows: list[tuple] = []
        for st in statements:
            try:
                cur = con.execute(st)
            except duckdb.PermissionException as exc:
                raise QueryRefused(f"refused by DuckDB: {exc}") from exc
            columns = [d[0] for d in (cur.description or [])]
            rows = cur.fetchall()
        return columns, rows
    finally:
        con.close()
