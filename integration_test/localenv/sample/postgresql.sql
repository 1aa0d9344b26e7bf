-- The PostgreSQL side of the sample schema (sample/spanner.sql). Names are
-- unquoted, so PostgreSQL folds them to lower case: the template matches
-- Spanner's Singers and SingerId to them without regard to case.
CREATE TABLE Singers (
  SingerId bigint NOT NULL PRIMARY KEY,
  FirstName varchar(100),
  Active boolean,
  Score double precision,
  Born date,
  UpdatedAt timestamp(6)
);
