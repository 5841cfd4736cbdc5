"""Loading a run into the warehouse: one transaction, deterministic, idempotent.

The flow skips documents whose content hash and extractor version the warehouse
already holds (`known_documents`), and `load_run` applies the same rule: a
document it is handed again unchanged is left exactly as it is, so a re-run over
the same inputs changes no table but `runs` (one row per run). A new or changed
document replaces its report and facts in the same transaction as everything
else; documents not in the batch are never touched. Frames go into DuckDB
through Arrow, never row by row. The whole load runs on a snapshot (see
`db.writer`), so a failure at any point leaves the previous warehouse in place.
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

import polars as pl

from vnreport.records import Failure
from vnreport.warehouse import db, orgs

# DuckDB's memory for one load (its default is most of the machine's RAM). Loading
# 100,000 documents with 1.76 million facts took as long at 192 MB as at 384 MB and
# peaked 190 MB lower; at 64 MB it ran out of memory.
LOAD_MEMORY_LIMIT = "192MB"


class LoadError(ValueError):
    """A batch cannot be loaded as given; the message names the documents and the reason."""


DOCUMENT_COLUMNS = (
    "doc_id", "source", "uri", "content_hash", "title", "published_date", "site", "text",
    "text_length", "extractor_version", "fetched_at",
)  # fmt: skip
REPORT_COLUMNS = (
    "doc_id", "title", "organization", "province", "district", "period", "report_type",
    "meeting_date", "published_date", "source_name", "inferred",
)  # fmt: skip
FACT_COLUMNS = (
    "fact_id", "doc_id", "metric", "value", "value_max", "unit", "qualifier", "denominator",
    "pct", "scope", "subject", "label", "evidence", "start", "end", "doc_length", "organization",
    "period", "report_type", "extractor_version", "run_id", "dq_status", "dq_warnings",
)  # fmt: skip
FACT_TABLE_COLUMNS = [
    "start_offset" if c == "start" else "end_offset" if c == "end" else c for c in FACT_COLUMNS
] + ["org_id"]
QUARANTINE_COLUMNS = ("record_id", "record_type", "doc_id", "run_id", "reasons", "record")
DQ_COLUMNS = (
    "run_id", "suite", "expectation", "severity", "success", "observed", "unexpected_count",
)  # fmt: skip
RUN_COLUMNS = (
    "run_id", "started_at", "finished_at", "status", "config_path", "documents_read",
    "documents_new", "documents_changed", "documents_unchanged", "documents_failed",
    "facts_loaded", "facts_warned", "facts_quarantined", "extractor_version", "summary_md",
    "data_docs_index", "report_path",
)  # fmt: skip
REQUIRED = {
    "documents": ("doc_id", "source", "uri", "content_hash", "text", "extractor_version"),
    "reports": ("doc_id",),
    "facts": ("fact_id", "doc_id", "metric", "value", "scope", "evidence", "start", "end",
              "extractor_version", "run_id"),
    "quarantine": ("record_id", "record_type", "doc_id", "run_id", "reasons", "record"),
    "dq_results": ("run_id", "suite", "expectation", "severity", "success"),
}  # fmt: skip
HISTORY_SCHEMA = {
    "organization": pl.Utf8, "metric": pl.Utf8, "period": pl.Utf8, "value": pl.Float64,
    "doc_id": pl.Utf8,
}  # fmt: skip


def _arrow(frame: pl.DataFrame):
    """Arrow without copying strings (string views), cut in row-group-sized batches so
    DuckDB scans and compresses them on all threads."""
    import pyarrow as pa

    table = frame.to_arrow(compat_level=pl.CompatLevel.newest())
    return pa.Table.from_batches(table.to_batches(max_chunksize=122_880), schema=table.schema)


def _names(ids) -> str:
    ids = sorted({str(i) for i in ids})
    more = f" and {len(ids) - 5} more" if len(ids) > 5 else ""
    return ", ".join(ids[:5]) + more


def _conform(name: str, frame: pl.DataFrame | None, columns: tuple[str, ...]) -> pl.DataFrame:
    """The columns the warehouse stores, in order; optional ones missing become nulls."""
    if frame is None:
        frame = pl.DataFrame()
    missing = [c for c in REQUIRED.get(name, ()) if c not in frame.columns]
    if missing and frame.height:
        raise LoadError(f"{name}: required columns missing: {', '.join(missing)}")
    exprs = [pl.col(c) if c in frame.columns else pl.lit(None).alias(c) for c in columns]
    return frame.select(exprs) if frame.width else pl.DataFrame({c: [] for c in columns})


def _check_batch(
    documents: pl.DataFrame, reports: pl.DataFrame, facts: pl.DataFrame, quarantine: pl.DataFrame
) -> None:
    """Refuse, naming the documents, what the warehouse could not trace or would mis-key."""
    for name, frame, key in (
        ("documents", documents, "doc_id"),
        ("reports", reports, "doc_id"),
        ("facts", facts, "fact_id"),
        ("quarantine", quarantine, "record_id"),
    ):
        nulls = frame.filter(pl.col(key).is_null())
        if nulls.height:
            raise LoadError(f"{name}: {nulls.height} rows without {key}")
        if frame[key].n_unique() == frame.height:
            continue
        dup = frame.filter(pl.col(key).is_duplicated())
        if dup.height:
            raise LoadError(f"{name}: duplicate {key}: {_names(dup[key].to_list())}")
    for col in ("source", "uri", "content_hash", "text", "extractor_version"):
        bad = documents.filter(pl.col(_text_or_len(documents, col)).is_null())
        if bad.height:
            raise LoadError(f"documents {_names(bad['doc_id'])}: {col} is missing")
    batch = set(documents["doc_id"].to_list())
    for name, frame in (("reports", reports), ("facts", facts), ("quarantine", quarantine)):
        stray = set(frame["doc_id"].to_list()) - batch
        if stray:
            raise LoadError(
                f"{name} for documents not in this batch: {_names(stray)} "
                "(every loaded record must come with its document)"
            )
    needed = ("metric", "value", "scope", "evidence", "start", "end")
    nulls = facts.select(pl.col(needed).null_count()).row(0) if facts.height else (0,) * 6
    for col, n in zip(needed, nulls, strict=True):
        if n:
            bad = facts.filter(pl.col(col).is_null())
            raise LoadError(f"facts of documents {_names(bad['doc_id'])}: {col} is missing")
    lengths = _lengths(documents)
    bad = facts.join(lengths, on="doc_id", how="left").filter(
        (pl.col("start") < 0) | (pl.col("end") < pl.col("start")) | (pl.col("end") > pl.col("_len"))
    )
    if bad.height:
        raise LoadError(
            f"facts of documents {_names(bad['doc_id'])}: offsets outside the document text "
            f"(e.g. fact {bad['fact_id'][0]}: {bad['start'][0]}..{bad['end'][0]})"
        )


def _text_or_len(documents: pl.DataFrame, col: str) -> str:
    """A document frame read from files carries its text's length (`_len`), not the text."""
    return "_len" if col == "text" and "text" not in documents.columns else col


def _lengths(documents: pl.DataFrame) -> pl.DataFrame:
    if "text" not in documents.columns:
        return documents.select("doc_id", "_len")
    return documents.select("doc_id", pl.col("text").str.len_chars().alias("_len"))


def _document_files(files: list[str], exclude: list[str]) -> tuple[pl.DataFrame, str]:
    """Documents in Parquet files: every column but the text (with its length instead),
    for the checks, and the SQL that reads them whole, for the load."""
    lazy = pl.scan_parquet(files)
    if exclude:
        lazy = lazy.filter(~pl.col("doc_id").is_in(exclude))
    names = lazy.collect_schema().names()
    light = lazy.select(
        *[pl.col(c) if c in names else pl.lit(None).alias(c) for c in DOCUMENT_COLUMNS
          if c != "text"],
        pl.col("text").str.len_chars().alias("_len"),
    ).collect(engine="streaming")  # fmt: skip
    quoted = ", ".join("'" + e.replace("'", "''") + "'" for e in exclude)
    where = f" WHERE doc_id NOT IN ({quoted})" if exclude else ""
    cols = ", ".join(f'"{c}"' if c in names else f'NULL AS "{c}"' for c in DOCUMENT_COLUMNS)
    return light, f"SELECT {cols} FROM {_parquet(files)}{where}"


def _check_dates(con, table: str, checks: tuple[tuple[str, str], ...]) -> None:
    for column, sql_type in checks:
        bad = con.execute(
            f"SELECT doc_id, {column} FROM {table} WHERE {column} IS NOT NULL "
            f"AND TRY_CAST({column} AS {sql_type}) IS NULL ORDER BY doc_id LIMIT 5"
        ).fetchall()
        if bad:
            shown = ", ".join(f"{d} ({v!r})" for d, v in bad)
            raise LoadError(f"{table.strip('_')}: {column} is not an ISO date: {shown}")


def _failure_id(doc_id: str, stage: str) -> str:
    return hashlib.sha1(f"{doc_id}\x1f{stage}".encode()).hexdigest()[:16]


def _load_catalog(con) -> int:
    """metric_catalog mirrors the project's catalog file; unchanged rows stay untouched."""
    try:
        from vnreport.transforms.catalog import load_catalog
    except ImportError:
        return 0
    rows = sorted(
        (m.code, m.unit, m.description, len(m.rules), m.min, m.max)
        for m in load_catalog().metrics.values()
    )
    con.execute(
        "CREATE TEMP TABLE _catalog_in (code VARCHAR, unit VARCHAR, description VARCHAR, "
        "rules INTEGER, min_value DOUBLE, max_value DOUBLE)"
    )
    if rows:
        con.executemany("INSERT INTO _catalog_in VALUES (?, ?, ?, ?, ?, ?)", rows)
    changed = con.execute(
        "SELECT count(*) FROM (SELECT * FROM _catalog_in EXCEPT "
        "SELECT code, unit, description, rules, min_value, max_value FROM metric_catalog)"
    ).fetchall()[0][0]
    if changed:
        con.execute(
            "INSERT OR REPLACE INTO metric_catalog (code, unit, description, rules, "
            "min_value, max_value) SELECT * FROM _catalog_in EXCEPT "
            "SELECT code, unit, description, rules, min_value, max_value "
            "FROM metric_catalog"
        )
    con.execute("DROP TABLE _catalog_in")
    return int(changed)


def load_run(
    db_path: Path | str,
    *,
    run: dict,
    documents: pl.DataFrame,
    reports: pl.DataFrame,
    facts: pl.DataFrame,
    quarantine: pl.DataFrame,
    dq_results: pl.DataFrame,
    failures: list[Failure],
    fetch_state: list[dict] | None = None,
    lock_timeout: float = 600.0,
    facts_files: list[str | Path] | None = None,
    documents_files: list[str | Path] | None = None,
    exclude_documents: list[str] | set[str] = (),
) -> dict[str, int]:
    """Load one run in one transaction; returns what changed, by table.

    `fetch_state` (per-URL conditional-request memory) is written in the same
    transaction, so the state never runs ahead of the documents it describes.
    `facts_files`: Parquet files holding the facts (`facts` then adds nothing and
    may be None); DuckDB reads them inside the same transaction, so a run's facts
    never have to be in memory at once. They are checked as a frame is.
    `documents_files` (with `exclude_documents` left out) does the same for the
    documents: only their other columns and text lengths are read for the checks.
    """
    from vnreport.warehouse.fetch_state import save_state

    run_id = run.get("run_id")
    if not run_id:
        raise LoadError("run: run_id is missing")
    files = [str(f) for f in facts_files or []]
    if files and facts is not None and facts.height:
        raise LoadError("facts: pass a frame or Parquet files, not both")
    if files:  # the frame checks see no facts, typed as the files are
        facts = pl.DataFrame(schema=pl.read_parquet_schema(files[0]))
    doc_sql = None
    if documents_files:
        if documents is not None and documents.height:
            raise LoadError("documents: pass a frame or Parquet files, not both")
        documents, doc_sql = _document_files(
            [str(f) for f in documents_files], sorted(set(exclude_documents))
        )
    else:
        documents = _conform("documents", documents, DOCUMENT_COLUMNS)
    reports = _conform("reports", reports, REPORT_COLUMNS)
    facts = _conform("facts", facts, FACT_COLUMNS)
    quarantine = _conform("quarantine", quarantine, QUARANTINE_COLUMNS)
    dq_results = _conform("dq_results", dq_results, DQ_COLUMNS)
    facts = facts.with_columns(
        pl.col("dq_status").fill_null("pass"),
        pl.col("dq_warnings").cast(pl.List(pl.Utf8)),
    )
    reports = reports.with_columns(pl.col("inferred").cast(pl.List(pl.Utf8)))
    quarantine = quarantine.with_columns(pl.col("reasons").cast(pl.List(pl.Utf8)))
    _check_batch(documents, reports, facts, quarantine)
    if files:
        _check_fact_files(files, documents)
    failure_rows = sorted(
        {
            _failure_id(f.doc_id, f.stage): (
                _failure_id(f.doc_id, f.stage),
                f.doc_id,
                f.uri,
                f.stage,
                f.reason,
                run_id,
            )
            for f in failures
        }.values()
    )

    counts: dict[str, int] = {}
    with db.writer(db_path, lock_timeout=lock_timeout) as con:
        # A run's facts and texts are read from Parquet: past this DuckDB spills to disk
        # rather than growing with the run.
        con.execute(f"SET memory_limit = '{LOAD_MEMORY_LIMIT}'")
        if doc_sql is not None:
            con.execute(f"CREATE TEMP VIEW _docs_in AS {doc_sql}")
        else:
            con.register("_docs_in", _arrow(documents))
        con.register("_reports_in", _arrow(reports))
        con.register("_quarantine_in", _arrow(quarantine))
        con.register("_dq_in", _arrow(dq_results))
        _check_dates(con, "_docs_in", (("published_date", "DATE"), ("fetched_at", "TIMESTAMPTZ")))
        _check_dates(con, "_reports_in", (("meeting_date", "DATE"), ("published_date", "DATE")))
        con.execute("BEGIN TRANSACTION")
        try:
            counts = _load(con, run, run_id, reports, facts, failure_rows, files)
            counts["fetch_state"] = save_state(con, fetch_state or [])
            db.fault_point("load-transaction")
            con.execute("COMMIT")
        except BaseException:
            db.rollback_quietly(con)  # a failed COMMIT has already rolled back
            raise
    return counts


def _load(
    con,
    run: dict,
    run_id: str,
    reports: pl.DataFrame,
    facts: pl.DataFrame,
    failure_rows: list[tuple],
    files: list[str] | None = None,
) -> dict[str, int]:
    counts: dict[str, int] = {}
    con.execute(
        "CREATE TEMP TABLE _batch AS SELECT i.doc_id, CASE "
        "WHEN d.doc_id IS NULL THEN 'new' "
        "WHEN d.content_hash = i.content_hash AND d.extractor_version = i.extractor_version "
        "THEN 'unchanged' ELSE 'changed' END AS status, d.first_seen_run "
        "FROM _docs_in i LEFT JOIN documents d USING (doc_id)"
    )
    for status in ("new", "changed", "unchanged"):
        counts[f"documents_{status}"] = con.execute(
            "SELECT count(*) FROM _batch WHERE status = ?", [status]
        ).fetchall()[0][0]
    con.execute("CREATE TEMP TABLE _todo AS SELECT doc_id FROM _batch WHERE status <> 'unchanged'")

    counts["sources_added"] = con.execute(
        "INSERT INTO sources (name, first_seen_run) SELECT DISTINCT i.source, ? "
        "FROM _docs_in i JOIN _todo USING (doc_id) "
        "WHERE i.source NOT IN (SELECT name FROM sources)",
        [run_id],
    ).fetchall()[0][0]
    # Changed documents are deleted and inserted again: an upsert (INSERT OR REPLACE) keeps
    # the whole input in memory, which for 100,000 texts is past the load's memory limit.
    con.execute(
        "DELETE FROM documents WHERE doc_id IN (SELECT doc_id FROM _batch WHERE status = 'changed')"
    )
    con.execute(
        "INSERT INTO documents (doc_id, source, uri, content_hash, title, "
        "published_date, site, text, text_length, extractor_version, fetched_at, "
        "first_seen_run, loaded_run) "
        "SELECT i.doc_id, i.source, i.uri, i.content_hash, i.title, "
        "CAST(i.published_date AS DATE), i.site, i.text, "
        "coalesce(i.text_length, length(i.text)), i.extractor_version, "
        "CAST(i.fetched_at AS TIMESTAMPTZ), coalesce(b.first_seen_run, $run), $run "
        "FROM _docs_in i JOIN _batch b USING (doc_id) WHERE b.status <> 'unchanged'",
        {"run": run_id},
    )

    # Organizations: the report's name and place, else the name the facts carry.
    todo = {r[0] for r in con.execute("SELECT doc_id FROM _todo").fetchall()}
    mentions: dict[str, orgs.Mention] = {}
    for r in reports.filter(pl.col("doc_id").is_in(list(todo))).iter_rows(named=True):
        if r["organization"]:
            mentions[r["doc_id"]] = orgs.Mention(
                r["organization"], r["province"], r["district"], r["doc_id"]
            )
    unnamed = todo - set(mentions)
    if unnamed:
        if files:
            con.register("_unnamed", _arrow(pl.DataFrame({"doc_id": sorted(unnamed)})))
            named = con.execute(
                f"SELECT doc_id, min(organization) FROM {_parquet(files)} "
                "WHERE doc_id IN (SELECT doc_id FROM _unnamed) AND organization IS NOT NULL "
                "GROUP BY doc_id ORDER BY doc_id"
            ).fetchall()
            con.unregister("_unnamed")
        else:
            named = (
                facts.filter(
                    pl.col("doc_id").is_in(list(unnamed)) & pl.col("organization").is_not_null()
                )
                .group_by("doc_id")
                .agg(pl.col("organization").min())
                .sort("doc_id")
                .iter_rows()
            )
        for doc_id, name in named:
            mentions[doc_id] = orgs.Mention(name, None, None, doc_id)
    doc_org, org_counts = orgs.resolve_into(con, list(mentions.values()), run_id=run_id)
    counts.update(org_counts)
    doc_org_frame = pl.DataFrame(
        {"doc_id": list(doc_org), "org_id": list(doc_org.values())},
        schema={"doc_id": pl.Utf8, "org_id": pl.Utf8},
    )
    con.register("_doc_org", _arrow(doc_org_frame))

    con.execute(
        "DELETE FROM reports WHERE doc_id IN (SELECT doc_id FROM _todo) "
        "AND doc_id NOT IN (SELECT doc_id FROM _reports_in)"
    )
    counts["reports_loaded"] = con.execute(
        "INSERT OR REPLACE INTO reports (doc_id, title, organization, province, district, period, "
        "report_type, meeting_date, published_date, source_name, inferred, org_id) "
        "SELECT r.doc_id, r.title, r.organization, r.province, r.district, r.period, "
        "r.report_type, CAST(r.meeting_date AS DATE), CAST(r.published_date AS DATE), "
        "r.source_name, r.inferred, m.org_id "
        "FROM _reports_in r JOIN _todo USING (doc_id) LEFT JOIN _doc_org m USING (doc_id) "
        "ORDER BY r.doc_id"
    ).fetchall()[0][0]

    counts["facts_deleted"] = con.execute(
        "DELETE FROM facts WHERE doc_id IN (SELECT doc_id FROM _todo)"
    ).fetchall()[0][0]
    if files:
        counts.update(_insert_fact_files(con, files))
    else:
        counts.update(_insert_facts(con, facts, todo, doc_org_frame))

    # Quarantine: a record keeps its first quarantine row; one that failed, was released and
    # fails again is reopened; one whose document came back without it is released.
    quarantine_rows = con.execute("SELECT count(*) FROM _quarantine_in").fetchall()[0][0]
    counts["quarantine_reopened"] = con.execute(
        "UPDATE quarantine SET released = false, released_run = NULL, run_id = q.run_id, "
        "reasons = q.reasons, record = q.record FROM _quarantine_in q "
        "WHERE quarantine.record_id = q.record_id AND quarantine.released"
    ).fetchall()[0][0]
    counts["quarantine_added"] = con.execute(
        "INSERT INTO quarantine (record_id, record_type, doc_id, run_id, reasons, record, "
        "released, released_run) SELECT record_id, record_type, doc_id, run_id, reasons, record, "
        "false, NULL FROM _quarantine_in "
        "WHERE record_id NOT IN (SELECT record_id FROM quarantine) ORDER BY record_id"
    ).fetchall()[0][0]
    counts["quarantine_released"] = con.execute(
        "UPDATE quarantine SET released = true, released_run = ? "
        "WHERE NOT released AND doc_id IN (SELECT doc_id FROM _todo) "
        "AND record_id NOT IN (SELECT record_id FROM _quarantine_in)",
        [run_id],
    ).fetchall()[0][0]

    # A run that validated nothing (every document unchanged, nothing quarantined) adds no
    # dq_results: its expectations ran over no records, and so a re-run over the same inputs
    # leaves every table but `runs` as it was.
    counts["dq_results"] = 0
    if todo or quarantine_rows:
        con.execute("DELETE FROM dq_results WHERE run_id IN (SELECT DISTINCT run_id FROM _dq_in)")
        counts["dq_results"] = con.execute(
            "INSERT INTO dq_results (run_id, suite, expectation, severity, success, observed, "
            "unexpected_count) SELECT run_id, suite, expectation, severity, success, "
            "CAST(observed AS VARCHAR), unexpected_count FROM _dq_in "
            "ORDER BY run_id, suite, expectation"
        ).fetchall()[0][0]

    # Failures: one row per document and stage; reopened if it fails again after a fix.
    con.execute(
        "CREATE TEMP TABLE _fail_in (failure_id VARCHAR, doc_id VARCHAR, uri VARCHAR, "
        "stage VARCHAR, reason VARCHAR, run_id VARCHAR)"
    )
    if failure_rows:
        con.executemany("INSERT INTO _fail_in VALUES (?, ?, ?, ?, ?, ?)", failure_rows)
    con.execute(
        "UPDATE failures SET resolved_run = NULL, run_id = i.run_id, reason = i.reason, "
        "uri = i.uri FROM _fail_in i "
        "WHERE failures.failure_id = i.failure_id AND failures.resolved_run IS NOT NULL"
    )
    counts["failures_added"] = con.execute(
        "INSERT INTO failures (failure_id, doc_id, uri, stage, reason, run_id) "
        "SELECT * FROM _fail_in WHERE failure_id NOT IN (SELECT failure_id FROM failures) "
        "ORDER BY failure_id"
    ).fetchall()[0][0]
    counts["failures_resolved"] = con.execute(
        "UPDATE failures SET resolved_run = ? WHERE resolved_run IS NULL "
        "AND doc_id IN (SELECT doc_id FROM _todo) "
        "AND failure_id NOT IN (SELECT failure_id FROM _fail_in)",
        [run_id],
    ).fetchall()[0][0]

    counts["catalog_changed"] = _load_catalog(con)

    values = {c: run.get(c) for c in RUN_COLUMNS}
    for c in ("documents_new", "documents_changed", "documents_unchanged", "facts_loaded"):
        if values[c] is None:
            values[c] = counts.get(c)
    cols = ", ".join(RUN_COLUMNS)
    marks = ", ".join("?" for _ in RUN_COLUMNS)
    con.execute(
        f"INSERT OR REPLACE INTO runs ({cols}) VALUES ({marks})", [values[c] for c in RUN_COLUMNS]
    )
    counts["runs"] = 1

    for t in ("_batch", "_todo", "_fail_in"):
        con.execute(f"DROP TABLE {t}")
    return {k: int(v) for k, v in counts.items()}


def _insert_facts(con, facts: pl.DataFrame, todo: set, doc_org: pl.DataFrame) -> dict[str, int]:
    """Facts are put in table shape in Polars and go in through Arrow in one INSERT."""
    fact_docs = set(facts["doc_id"].unique().to_list())
    loaded = facts if fact_docs <= todo else facts.filter(pl.col("doc_id").is_in(list(todo)))
    loaded = (
        loaded.join(doc_org, on="doc_id", how="left")
        .rename({"start": "start_offset", "end": "end_offset"})
        .select(FACT_TABLE_COLUMNS)
    )
    con.register("_facts_in", _arrow(loaded))
    cols = ", ".join(FACT_TABLE_COLUMNS)
    n = con.execute(f"INSERT INTO facts ({cols}) SELECT {cols} FROM _facts_in").fetchall()[0][0]
    con.unregister("_facts_in")
    return {"facts_loaded": n, "facts_skipped": facts.height - n}


def _parquet(files: list[str]) -> str:
    """A read_parquet table expression over files (paths quoted as SQL strings)."""
    quoted = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
    return f"read_parquet([{quoted}], union_by_name = true)"


def _fact_select(files: list[str], con=None) -> str:
    """The facts of Parquet files in the shape `_conform` gives a frame: contract columns in
    order, an absent optional column as null, dq_status defaulting to pass."""
    import duckdb

    conn = con or duckdb.connect()
    try:
        present = {
            r[0] for r in conn.execute(f"DESCRIBE SELECT * FROM {_parquet(files)}").fetchall()
        }
    finally:
        if con is None:
            conn.close()
    exprs = []
    for c in FACT_COLUMNS:
        if c == "dq_status":
            exprs.append("coalesce(dq_status, 'pass') AS dq_status" if c in present
                         else "'pass' AS dq_status")  # fmt: skip
        elif c == "dq_warnings":
            exprs.append("CAST(dq_warnings AS VARCHAR[]) AS dq_warnings" if c in present
                         else "CAST(NULL AS VARCHAR[]) AS dq_warnings")  # fmt: skip
        else:
            exprs.append(f'"{c}"' if c in present else f'NULL AS "{c}"')
    return f"SELECT {', '.join(exprs)} FROM {_parquet(files)}"


def _check_fact_files(files: list[str], documents: pl.DataFrame) -> None:
    """`_check_batch`'s rules for facts, applied to Parquet files by DuckDB (out of memory)."""
    import duckdb

    missing = [c for c in REQUIRED["facts"] if c not in _fact_columns(files)]
    # Bounded like the load itself (DuckDB's default is most of the machine's RAM),
    # spilling past it to a folder of its own
    with tempfile.TemporaryDirectory(prefix="vnreport-check-") as tmp:
        con = duckdb.connect(config={"memory_limit": LOAD_MEMORY_LIMIT, "temp_directory": tmp})
        try:
            _fact_file_checks(con, files, documents, missing)
        finally:
            con.close()


def _fact_file_checks(con, files: list[str], documents: pl.DataFrame, missing: list[str]) -> None:
    if missing and con.execute(f"SELECT count(*) FROM {_parquet(files)}").fetchall()[0][0]:
        raise LoadError(f"facts: required columns missing: {', '.join(missing)}")
    con.execute(f"CREATE TEMP VIEW f AS {_fact_select(files, con)}")
    con.register("d", _arrow(_lengths(documents)))
    n = con.execute("SELECT count(*) FROM f WHERE fact_id IS NULL").fetchall()[0][0]
    if n:
        raise LoadError(f"facts: {n} rows without fact_id")
    dup = con.execute(
        "SELECT fact_id FROM f GROUP BY fact_id HAVING count(*) > 1 ORDER BY fact_id"
    ).fetchall()
    if dup:
        raise LoadError(f"facts: duplicate fact_id: {_names(r[0] for r in dup)}")
    stray = con.execute(
        "SELECT DISTINCT doc_id FROM f WHERE doc_id IS NULL OR doc_id NOT IN (SELECT doc_id FROM d)"
    ).fetchall()
    if stray:
        raise LoadError(
            f"facts for documents not in this batch: {_names(r[0] for r in stray)} "
            "(every loaded record must come with its document)"
        )
    for col in ("metric", "value", "scope", "evidence", "start", "end"):
        bad = con.execute(
            f'SELECT DISTINCT doc_id FROM f WHERE "{col}" IS NULL ORDER BY doc_id'
        ).fetchall()
        if bad:
            raise LoadError(f"facts of documents {_names(r[0] for r in bad)}: {col} is missing")
    bad = con.execute(
        'SELECT f.doc_id, f.fact_id, f."start", f."end" FROM f LEFT JOIN d USING (doc_id) '
        'WHERE f."start" < 0 OR f."end" < f."start" OR f."end" > d._len ORDER BY f.doc_id'
    ).fetchall()
    if bad:
        raise LoadError(
            f"facts of documents {_names(r[0] for r in bad)}: offsets outside the document "
            f"text (e.g. fact {bad[0][1]}: {bad[0][2]}..{bad[0][3]})"
        )


def _fact_columns(files: list[str]) -> set[str]:
    import duckdb

    con = duckdb.connect()
    try:
        return {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {_parquet(files)}").fetchall()}
    finally:
        con.close()


def _insert_fact_files(con, files: list[str]) -> dict[str, int]:
    """The facts of Parquet files go in with one INSERT ... SELECT, read by DuckDB."""
    cols = ", ".join(FACT_TABLE_COLUMNS)
    select = (
        'SELECT f.* EXCLUDE ("start", "end"), f."start" AS start_offset, '
        f'f."end" AS end_offset, m.org_id FROM ({_fact_select(files, con)}) f '
        "JOIN _todo USING (doc_id) LEFT JOIN _doc_org m USING (doc_id)"
    )
    n = con.execute(f"INSERT INTO facts ({cols}) SELECT {cols} FROM ({select})").fetchall()[0][0]
    total = con.execute(f"SELECT count(*) FROM {_parquet(files)}").fetchall()[0][0]
    return {"facts_loaded": n, "facts_skipped": total - n}


def known_documents(db_path: Path | str) -> dict[str, tuple[str, str]]:
    """doc_id -> (content_hash, extractor_version): what the flow may skip tonight."""
    db_path = Path(db_path)
    if not db_path.exists():
        return {}
    con = db.connect_current(db_path)
    try:
        rows = con.execute(
            "SELECT doc_id, content_hash, extractor_version FROM documents"
        ).fetchall()
    finally:
        con.close()
    return {d: (h, v) for d, h, v in rows}


def fact_history(db_path: Path | str) -> pl.DataFrame:
    """Earlier values of organizations' own numbers, for cross-run checks.

    Each value is listed under every name its organization was written with, so a
    check grouping by the name in tonight's article finds it whatever the spelling.
    """
    db_path = Path(db_path)
    if not db_path.exists():
        return pl.DataFrame(schema=HISTORY_SCHEMA)
    con = db.connect_current(db_path)
    try:
        frame = con.sql(
            "SELECT DISTINCT coalesce(a.alias, f.organization) AS organization, f.metric, "
            "f.period, f.value, f.doc_id FROM facts f "
            "LEFT JOIN org_aliases a ON a.org_id = f.org_id "
            "WHERE f.scope = 'org' AND f.subject IS NULL AND (a.alias IS NOT NULL OR "
            "f.organization IS NOT NULL) "
            "UNION SELECT f.organization, f.metric, f.period, f.value, f.doc_id FROM facts f "
            "WHERE f.scope = 'org' AND f.subject IS NULL AND f.organization IS NOT NULL "
            "ORDER BY ALL"
        ).pl()
    finally:
        con.close()
    return frame.cast(HISTORY_SCHEMA)
