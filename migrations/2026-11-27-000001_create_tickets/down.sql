DROP TABLE notification_logs;
DROP TABLE ticket_state_history;
DROP TABLE ticket_comments;
DROP TABLE ticket_alerts;
DROP TABLE tickets;
DROP SEQUENCE ticket_number_seq;
