-- no change stream here
CREATE TABLE T (K INT64 NOT NULL) PRIMARY KEY (K);
