-- Validates 000056's constraints: scans that take SHARE UPDATE EXCLUSIVE only, so reads
-- and writes go on meanwhile.
ALTER TABLE tickets VALIDATE CONSTRAINT tickets_suppressed_check;
ALTER TABLE ticket_timers VALIDATE CONSTRAINT ticket_timers_kind_check;
