-- Validates 000052's constraint: a scan that takes SHARE UPDATE EXCLUSIVE only, so reads
-- and writes go on meanwhile.
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_reopen_count_check;
