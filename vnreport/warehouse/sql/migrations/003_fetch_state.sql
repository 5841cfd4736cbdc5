-- v3: what the fetcher learnt about each URL, so the next night asks conditionally
-- (If-None-Match / If-Modified-Since) and a 304 costs neither a download nor processing.
-- Written with IF NOT EXISTS: the fetch-state writer creates the table the same way
-- on a file that has not been migrated yet, and this migration must then be a no-op.

CREATE TABLE IF NOT EXISTS fetch_state (
    url VARCHAR PRIMARY KEY,
    source VARCHAR NOT NULL,
    doc_id VARCHAR,
    kind VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    http_status INTEGER,
    etag VARCHAR,
    last_modified VARCHAR,
    content_hash VARCHAR,
    content_type VARCHAR,
    charset VARCHAR,
    reason VARCHAR,
    fetched_at TIMESTAMP WITH TIME ZONE,
    checked_at TIMESTAMP WITH TIME ZONE NOT NULL
);

COMMENT ON TABLE fetch_state IS 'Per-URL fetch state of web sources: validators for conditional requests, the last content hash and outcome.';
COMMENT ON COLUMN fetch_state.url IS 'The URL as requested, normalized (fragment and tracking parameters dropped).';
COMMENT ON COLUMN fetch_state.source IS 'Source name in sources.yaml that asked for the URL.';
COMMENT ON COLUMN fetch_state.doc_id IS 'Document id the page is stored under (articles only; null for listing pages, feeds, sitemaps, robots.txt).';
COMMENT ON COLUMN fetch_state.kind IS 'article (a report page) or index (listing page, feed, sitemap, robots.txt).';
COMMENT ON COLUMN fetch_state.status IS 'Outcome of the last request: ok, not_modified (304), skipped (robots.txt, content type) or failed.';
COMMENT ON COLUMN fetch_state.http_status IS 'HTTP status of the last answer; null when no answer came (timeout, refused address).';
COMMENT ON COLUMN fetch_state.etag IS 'ETag of the last good answer, sent back as If-None-Match.';
COMMENT ON COLUMN fetch_state.last_modified IS 'Last-Modified of the last good answer, sent back as If-Modified-Since.';
COMMENT ON COLUMN fetch_state.content_hash IS 'sha256 of the last body received; its bytes are in the raw page store under this hash.';
COMMENT ON COLUMN fetch_state.content_type IS 'Media type of the last answer (text/html, application/pdf, ...).';
COMMENT ON COLUMN fetch_state.charset IS 'Charset the server declared for the last body, if any.';
COMMENT ON COLUMN fetch_state.reason IS 'Why the last request was skipped or failed; null when it succeeded.';
COMMENT ON COLUMN fetch_state.fetched_at IS 'When the current body was downloaded (a 304 keeps the earlier time).';
COMMENT ON COLUMN fetch_state.checked_at IS 'When the URL was last requested, whatever the answer.';
