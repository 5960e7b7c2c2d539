-- Validates 000049's constraint: a scan that takes SHARE UPDATE EXCLUSIVE only, so reads
-- and writes go on meanwhile.
ALTER TABLE ticket_timers VALIDATE CONSTRAINT ticket_timers_kind_check;
