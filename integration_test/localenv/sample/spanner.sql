-- The sample schema of `make local-env` and of the end-to-end test: one
-- table with the common types, tracked by a NEW_ROW change stream.
CREATE TABLE Singers (
  SingerId INT64 NOT NULL,
  FirstName STRING(100),
  Active BOOL,
  Score FLOAT64,
  Born DATE,
  UpdatedAt TIMESTAMP,
) PRIMARY KEY (SingerId);

CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW', retention_period = '7d');
