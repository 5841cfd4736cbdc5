-- One row per table the run report's warehouse sections read: its row count and an
-- order-free digest of its rows. Equal rows here mean equal sections, so a night that
-- changed nothing reuses the sections it rendered last time.
SELECT 'documents' AS t, count(*) AS n, bit_xor(hash(d)) AS h
FROM (SELECT * EXCLUDE (text) FROM documents) AS d
UNION ALL SELECT 'facts', count(*), bit_xor(hash(f)) FROM facts AS f
UNION ALL SELECT 'reports', count(*), bit_xor(hash(r)) FROM reports AS r
UNION ALL SELECT 'organizations', count(*), bit_xor(hash(o)) FROM organizations AS o
UNION ALL SELECT 'org_aliases', count(*), bit_xor(hash(a)) FROM org_aliases AS a
UNION ALL SELECT 'quarantine', count(*), bit_xor(hash(q)) FROM quarantine AS q
UNION ALL SELECT 'dq_results', count(*), bit_xor(hash(x)) FROM dq_results AS x
UNION ALL SELECT 'metric_catalog', count(*), bit_xor(hash(m)) FROM metric_catalog AS m
UNION ALL SELECT 'sources', count(*), bit_xor(hash(s)) FROM sources AS s
UNION ALL
SELECT 'runs with results', count(*), bit_xor(hash(r.run_id, r.started_at))
FROM runs AS r WHERE r.run_id IN (SELECT run_id FROM dq_results)
ORDER BY t
