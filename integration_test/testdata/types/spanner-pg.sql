-- Data types (PostgreSQL dialect): the tables of spanner.sql.

CREATE TABLE dt_bigint (
  id bigint NOT NULL,
  val bigint,
  PRIMARY KEY (id)
);

CREATE TABLE dt_int_unsigned (
  id bigint NOT NULL,
  val bigint,
  PRIMARY KEY (id)
);

CREATE TABLE dt_tinyint (
  id bigint NOT NULL,
  val bigint,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bigint_unsigned (
  id bigint NOT NULL,
  val numeric,
  PRIMARY KEY (id)
);

CREATE TABLE dt_int_as_string (
  id bigint NOT NULL,
  val varchar(20),
  PRIMARY KEY (id)
);

CREATE TABLE dt_varchar (
  id bigint NOT NULL,
  val varchar(100),
  PRIMARY KEY (id)
);

CREATE TABLE dt_char (
  id bigint NOT NULL,
  val varchar(10),
  PRIMARY KEY (id)
);

CREATE TABLE dt_longtext (
  id bigint NOT NULL,
  val text,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bool (
  id bigint NOT NULL,
  val boolean,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bit (
  id bigint NOT NULL,
  val bytea,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bit_bool (
  id bigint NOT NULL,
  val boolean,
  PRIMARY KEY (id)
);

CREATE TABLE dt_double (
  id bigint NOT NULL,
  val float8,
  PRIMARY KEY (id)
);

CREATE TABLE dt_float (
  id bigint NOT NULL,
  val float4,
  PRIMARY KEY (id)
);

CREATE TABLE dt_decimal (
  id bigint NOT NULL,
  val numeric,
  PRIMARY KEY (id)
);

CREATE TABLE dt_varbinary (
  id bigint NOT NULL,
  val bytea,
  PRIMARY KEY (id)
);

CREATE TABLE dt_blob_as_string (
  id bigint NOT NULL,
  val text,
  PRIMARY KEY (id)
);

CREATE TABLE dt_date (
  id bigint NOT NULL,
  val date,
  PRIMARY KEY (id)
);

CREATE TABLE dt_datetime (
  id bigint NOT NULL,
  val timestamptz,
  PRIMARY KEY (id)
);

CREATE TABLE dt_timestamp (
  id bigint NOT NULL,
  val timestamptz,
  PRIMARY KEY (id)
);

CREATE TABLE dt_time (
  id bigint NOT NULL,
  val varchar(20),
  PRIMARY KEY (id)
);

CREATE TABLE dt_year (
  id bigint NOT NULL,
  val varchar(4),
  PRIMARY KEY (id)
);

CREATE TABLE dt_json (
  id bigint NOT NULL,
  val jsonb,
  PRIMARY KEY (id)
);

CREATE TABLE dt_enum (
  id bigint NOT NULL,
  val varchar(10),
  PRIMARY KEY (id)
);

CREATE TABLE dt_set (
  id bigint NOT NULL,
  val text,
  PRIMARY KEY (id)
);

CREATE TABLE dt_set_array (
  id bigint NOT NULL,
  val varchar[],
  PRIMARY KEY (id)
);
