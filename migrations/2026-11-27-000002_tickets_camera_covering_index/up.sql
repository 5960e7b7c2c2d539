-- Serves a camera's list (as tickets_camera_created_idx did, which 000003 drops) and its
-- statistics by index-only scan: every column the stats read is in the index, so a
-- camera's tickets, spread over the whole table, need no heap page each. Measured over
-- 1M tickets (docs/PERFORMANCE.md): busiest camera (22,000 tickets) 256 -> 50 ms.
-- CONCURRENTLY, so writes go on while it builds: hence one statement and no transaction
-- (metadata.toml). An interrupted build leaves an INVALID index that IF NOT EXISTS would
-- accept: see docs/OPERATIONS.md.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_camera_created_cov_idx
    ON tickets (camera_id, created_at DESC, id DESC)
    INCLUDE (status, severity, provider_id, first_responded_at, first_response_due_at, resolved_at, resolution_due_at);
