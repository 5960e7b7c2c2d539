-- Validates 000059's constraints: scans that take SHARE UPDATE EXCLUSIVE only, so reads
-- and writes go on meanwhile.
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_inhibited_on_end_check;
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_inhibited_check;
