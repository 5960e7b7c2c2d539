ALTER TABLE tickets DROP COLUMN flapping;
ALTER TABLE tickets DROP COLUMN resolved_by;
ALTER TABLE tickets DROP CONSTRAINT tickets_reopen_count_check;
ALTER TABLE tickets DROP COLUMN reopen_count;
