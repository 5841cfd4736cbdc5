-- Analyst views, recreated after every migration (they hold no data).
-- An organization's own numbers are facts with scope 'org' and no subject: facts about
-- a subordinate committee or a named enterprise (subject set) and context numbers (a
-- province's index, next year's plan) stay out of them.

CREATE OR REPLACE MACRO period_start(p) AS CASE
    WHEN regexp_full_match(p, '\d{4}') THEN make_date(TRY_CAST(p AS INTEGER), 1, 1)
    WHEN regexp_full_match(p, '\d{4}-Q[1-4]')
        THEN make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 1) AS INTEGER) * 3 - 2, 1)
    WHEN regexp_full_match(p, '\d{4}-H[12]')
        THEN make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 1) AS INTEGER) * 6 - 5, 1)
    WHEN regexp_full_match(p, '\d{4}-\d{4}') THEN make_date(TRY_CAST(left(p, 4) AS INTEGER), 1, 1)
    WHEN regexp_full_match(p, '\d{4}-\d{2}')
        THEN make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 2) AS INTEGER), 1)
    END;

CREATE OR REPLACE MACRO period_end(p) AS CASE
    WHEN regexp_full_match(p, '\d{4}') THEN make_date(TRY_CAST(p AS INTEGER), 12, 31)
    WHEN regexp_full_match(p, '\d{4}-Q[1-4]')
        THEN last_day(make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 1) AS INTEGER) * 3, 1))
    WHEN regexp_full_match(p, '\d{4}-H[12]')
        THEN last_day(make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 1) AS INTEGER) * 6, 1))
    WHEN regexp_full_match(p, '\d{4}-\d{4}') THEN make_date(TRY_CAST(right(p, 4) AS INTEGER), 12, 31)
    WHEN regexp_full_match(p, '\d{4}-\d{2}')
        THEN last_day(make_date(TRY_CAST(left(p, 4) AS INTEGER), TRY_CAST(right(p, 2) AS INTEGER), 1))
    END;

CREATE OR REPLACE VIEW org_facts AS
SELECT
    f.fact_id,
    f.org_id,
    o.canonical_name AS organization,
    o.kind AS org_kind,
    o.level AS org_level,
    o.province,
    o.district,
    f.metric,
    f.label,
    f.value,
    f.value_max,
    f.unit,
    f.qualifier,
    f.denominator,
    f.pct,
    f.period,
    period_start(f.period) AS period_start,
    period_end(f.period) AS period_end,
    f.report_type,
    r.meeting_date,
    d.published_date,
    coalesce(r.meeting_date, d.published_date, period_end(f.period)) AS as_of_date,
    f.doc_id,
    f.start_offset,
    f.end_offset,
    f.evidence,
    f.dq_status
FROM facts AS f
JOIN organizations AS o ON o.org_id = f.org_id
LEFT JOIN reports AS r ON r.doc_id = f.doc_id
LEFT JOIN documents AS d ON d.doc_id = f.doc_id
WHERE f.scope = 'org' AND f.subject IS NULL;

CREATE OR REPLACE VIEW latest_metric AS
SELECT * EXCLUDE (rn)
FROM (
    SELECT
        org_facts.*,
        row_number() OVER (
            PARTITION BY org_id, metric, coalesce(label, '')
            ORDER BY as_of_date DESC NULLS LAST, period_end DESC NULLS LAST, doc_id DESC,
                start_offset ASC
        ) AS rn
    FROM org_facts
)
WHERE rn = 1;

CREATE OR REPLACE VIEW metric_timeseries AS
WITH per_period AS (
    SELECT
        org_facts.*,
        count(DISTINCT doc_id) OVER (
            PARTITION BY org_id, metric, coalesce(label, ''), period
        ) AS n_documents,
        row_number() OVER (
            PARTITION BY org_id, metric, coalesce(label, ''), period
            ORDER BY as_of_date DESC NULLS LAST, doc_id DESC, start_offset ASC
        ) AS rn
    FROM org_facts
    WHERE period IS NOT NULL
)
SELECT
    org_id,
    organization,
    province,
    district,
    metric,
    label,
    unit,
    period,
    period_start,
    period_end,
    value,
    value_max,
    qualifier,
    value - lag(value) OVER (
        PARTITION BY org_id, metric, coalesce(label, '') ORDER BY period_end, period_start DESC
    ) AS change_from_previous,
    n_documents,
    doc_id,
    fact_id
FROM per_period
WHERE rn = 1;

CREATE OR REPLACE VIEW plan_attainment AS
SELECT
    fact_id,
    org_id,
    organization,
    province,
    district,
    metric,
    label,
    period,
    period_start,
    period_end,
    value,
    denominator,
    round(100.0 * value / nullif(denominator, 0), 2) AS computed_pct,
    pct AS stated_pct,
    round(pct - 100.0 * value / nullif(denominator, 0), 2) AS pct_gap,
    CASE
        WHEN denominator IS NULL OR denominator = 0 OR pct IS NULL THEN NULL
        ELSE abs(pct - 100.0 * value / denominator) <= greatest(0.6, 0.005 * pct)
    END AS stated_pct_consistent,
    doc_id,
    evidence
FROM org_facts
WHERE denominator IS NOT NULL OR pct IS NOT NULL;

CREATE OR REPLACE VIEW dq_summary AS
SELECT
    r.run_id,
    r.started_at,
    r.finished_at,
    r.status,
    r.extractor_version,
    r.documents_read,
    r.documents_new,
    r.documents_changed,
    r.documents_unchanged,
    r.documents_failed,
    r.facts_loaded,
    r.facts_warned,
    r.facts_quarantined,
    (SELECT count(*) FROM dq_results AS d WHERE d.run_id = r.run_id) AS expectations_evaluated,
    (SELECT count(*) FROM dq_results AS d
        WHERE d.run_id = r.run_id AND NOT d.success AND d.severity = 'fail') AS expectations_failed,
    (SELECT count(*) FROM dq_results AS d
        WHERE d.run_id = r.run_id AND NOT d.success AND d.severity = 'warn') AS expectations_warned,
    (SELECT coalesce(sum(d.unexpected_count), 0) FROM dq_results AS d
        WHERE d.run_id = r.run_id) AS unexpected_values,
    (SELECT count(*) FROM quarantine AS q WHERE q.run_id = r.run_id) AS records_quarantined,
    (SELECT count(*) FROM quarantine AS q WHERE q.released_run = r.run_id) AS records_released,
    (SELECT count(*) FROM failures AS x WHERE x.run_id = r.run_id) AS documents_failed_new,
    r.data_docs_index,
    r.report_path
FROM runs AS r;

CREATE OR REPLACE VIEW fact_provenance AS
SELECT
    f.fact_id,
    f.doc_id,
    f.org_id,
    f.metric,
    f.label,
    f.value,
    f.unit,
    f.scope,
    f.subject,
    f.evidence,
    d.uri,
    d.source,
    d.title,
    f.start_offset,
    f.end_offset,
    substring(d.text, f.start_offset + 1, f.end_offset - f.start_offset) AS text_at_offsets,
    substring(d.text, f.start_offset + 1, f.end_offset - f.start_offset) = f.evidence
        AS evidence_matches,
    f.extractor_version,
    f.run_id,
    f.dq_status,
    f.dq_warnings,
    'documents/' || url_encode(f.doc_id) || '.html#fact-' || url_encode(f.fact_id) AS viewer_href
FROM facts AS f
LEFT JOIN documents AS d ON d.doc_id = f.doc_id;

CREATE OR REPLACE VIEW subordinate_facts AS
SELECT
    f.fact_id,
    f.org_id AS parent_org_id,
    o.canonical_name AS parent_organization,
    f.subject,
    f.metric,
    f.label,
    f.value,
    f.unit,
    f.period,
    f.doc_id,
    f.evidence
FROM facts AS f
LEFT JOIN organizations AS o ON o.org_id = f.org_id
WHERE f.scope = 'org' AND f.subject IS NOT NULL;
