ALTER TABLE tickets DROP CONSTRAINT tickets_inhibited_check;
ALTER TABLE tickets DROP CONSTRAINT tickets_inhibited_on_end_check;
ALTER TABLE tickets DROP COLUMN inhibited_on_end;
ALTER TABLE tickets DROP COLUMN inhibited_by;
