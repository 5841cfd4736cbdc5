-- v1: the first cut of the warehouse (documents, reports, facts, run log).
-- Kept byte-for-byte as it shipped: a v1 file is upgraded by the migrations after it.

CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    description VARCHAR NOT NULL,
    applied_at TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT current_timestamp
);

CREATE TABLE sources (
    name VARCHAR PRIMARY KEY,
    first_seen_run VARCHAR
);

CREATE TABLE documents (
    doc_id VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    uri VARCHAR NOT NULL,
    content_hash VARCHAR NOT NULL,
    title VARCHAR,
    published_date DATE,
    site VARCHAR,
    text VARCHAR NOT NULL,
    text_length BIGINT NOT NULL,
    extractor_version VARCHAR NOT NULL,
    fetched_at TIMESTAMP WITH TIME ZONE,
    first_seen_run VARCHAR,
    loaded_run VARCHAR
);

CREATE TABLE reports (
    doc_id VARCHAR PRIMARY KEY,
    title VARCHAR,
    organization VARCHAR,
    province VARCHAR,
    district VARCHAR,
    period VARCHAR,
    report_type VARCHAR,
    meeting_date DATE,
    published_date DATE,
    source_name VARCHAR,
    inferred VARCHAR[]
);

CREATE TABLE facts (
    fact_id VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    value DOUBLE NOT NULL,
    unit VARCHAR,
    qualifier VARCHAR,
    denominator DOUBLE,
    pct DOUBLE,
    scope VARCHAR NOT NULL,
    subject VARCHAR,
    label VARCHAR,
    evidence VARCHAR NOT NULL,
    start_offset BIGINT NOT NULL,
    end_offset BIGINT NOT NULL,
    doc_length BIGINT,
    organization VARCHAR,
    period VARCHAR,
    report_type VARCHAR,
    extractor_version VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    dq_status VARCHAR NOT NULL,
    dq_warnings VARCHAR[]
);

CREATE TABLE metric_catalog (
    code VARCHAR PRIMARY KEY,
    unit VARCHAR NOT NULL,
    description VARCHAR
);

CREATE TABLE runs (
    run_id VARCHAR PRIMARY KEY,
    started_at TIMESTAMP WITH TIME ZONE,
    finished_at TIMESTAMP WITH TIME ZONE,
    status VARCHAR,
    config_path VARCHAR,
    documents_read BIGINT,
    documents_new BIGINT,
    documents_changed BIGINT,
    documents_unchanged BIGINT,
    documents_failed BIGINT,
    facts_loaded BIGINT,
    facts_warned BIGINT,
    facts_quarantined BIGINT,
    extractor_version VARCHAR
);

CREATE TABLE dq_results (
    run_id VARCHAR NOT NULL,
    suite VARCHAR NOT NULL,
    expectation VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    success BOOLEAN NOT NULL,
    observed VARCHAR,
    unexpected_count BIGINT
);

CREATE TABLE quarantine (
    record_id VARCHAR PRIMARY KEY,
    record_type VARCHAR NOT NULL,
    doc_id VARCHAR NOT NULL,
    run_id VARCHAR NOT NULL,
    reasons VARCHAR[] NOT NULL,
    record VARCHAR NOT NULL
);
