-- Validates 000052's constraints: scans that take SHARE UPDATE EXCLUSIVE only, so reads
-- and writes go on meanwhile.
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_reopen_count_check;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_resolved_by_check;
