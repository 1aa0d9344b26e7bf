-- The MySQL side of the sample schema (sample/spanner.sql): the shard's tables.
CREATE TABLE Singers (
  SingerId BIGINT NOT NULL PRIMARY KEY,
  FirstName VARCHAR(100),
  Active TINYINT(1),
  Score DOUBLE,
  Born DATE,
  UpdatedAt DATETIME(6)
);
