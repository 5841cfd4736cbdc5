-- v2: organizations resolved across articles, document failures, released quarantine,
-- run report links, ranges on facts and plausible ranges in the catalog.

CREATE TABLE organizations (
    org_id VARCHAR PRIMARY KEY,
    canonical_name VARCHAR NOT NULL,
    kind VARCHAR NOT NULL,
    level VARCHAR NOT NULL,
    province VARCHAR,
    district VARCHAR,
    match_key VARCHAR NOT NULL,
    first_seen_run VARCHAR
);

CREATE TABLE org_aliases (
    alias_id VARCHAR PRIMARY KEY,
    alias VARCHAR NOT NULL,
    province VARCHAR,
    district VARCHAR,
    org_id VARCHAR NOT NULL,
    first_doc_id VARCHAR
);

CREATE TABLE schema_objects (
    name VARCHAR PRIMARY KEY,
    sha256 VARCHAR NOT NULL
);

CREATE TABLE failures (
    failure_id VARCHAR PRIMARY KEY,
    doc_id VARCHAR NOT NULL,
    uri VARCHAR,
    stage VARCHAR NOT NULL,
    reason VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    resolved_run VARCHAR
);

ALTER TABLE facts ADD COLUMN value_max DOUBLE;
ALTER TABLE facts ADD COLUMN org_id VARCHAR;
ALTER TABLE reports ADD COLUMN org_id VARCHAR;
ALTER TABLE runs ADD COLUMN summary_md VARCHAR;
ALTER TABLE runs ADD COLUMN data_docs_index VARCHAR;
ALTER TABLE runs ADD COLUMN report_path VARCHAR;
ALTER TABLE quarantine ADD COLUMN released BOOLEAN DEFAULT false;
ALTER TABLE quarantine ADD COLUMN released_run VARCHAR;
UPDATE quarantine SET released = false WHERE released IS NULL;
ALTER TABLE metric_catalog ADD COLUMN rules INTEGER;
ALTER TABLE metric_catalog ADD COLUMN min_value DOUBLE;
ALTER TABLE metric_catalog ADD COLUMN max_value DOUBLE;
