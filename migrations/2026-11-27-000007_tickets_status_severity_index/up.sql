-- Lists filtered by status and severity (an operator's "open, critical or high" view): one
-- ordered walk per (status, severity) pair (repo.rs `split_for_index`). Without it the
-- planner walks one of the two single-column indexes and filters on the other: measured
-- over 1M tickets after a burst of 60,000 fresh open ones, `status=open&severity=critical,high`
-- past page 1 took up to 851 ms and `status=resolved&severity=info` 39-85 ms, both
-- walking past rows of the other status or severity. See 000002 for CONCURRENTLY.
CREATE INDEX CONCURRENTLY IF NOT EXISTS tickets_status_severity_created_idx
    ON tickets (status, severity, created_at DESC, id DESC);
