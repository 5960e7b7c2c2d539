ALTER TABLE tickets ADD CONSTRAINT tickets_number_key UNIQUE (number);
