"""The DuckDB warehouse analysts live in.

- `sql/migrations/*.sql`: versioned DDL (v1 the first cut, v2 organizations and more);
  `sql/views.sql` analyst views; `sql/comments.sql` the data dictionary (COMMENT ON).
- `db`: migrations, read-only connections, and the single writer (snapshot + atomic swap).
- `load`: `load_run`, `known_documents`, `fact_history` for the nightly flow.
- `orgs`: one organization however articles write its name.
- `query`: read-only SQL for `vnreport query`; `export`: Parquet for BI tools.
"""
