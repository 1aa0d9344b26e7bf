-- A TIMESTAMP replicated to a source whose zone is sourceDbTimezoneOffset.
CREATE TABLE clock_events (
  id INT64 NOT NULL,
  happened_at TIMESTAMP,
) PRIMARY KEY (id);
