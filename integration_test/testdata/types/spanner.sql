-- Data types (GoogleSQL): each table dt_<type> has a key id and a column val.

CREATE TABLE dt_bigint (
  id INT64 NOT NULL,
  val INT64,
) PRIMARY KEY (id);

CREATE TABLE dt_int_unsigned (
  id INT64 NOT NULL,
  val INT64,
) PRIMARY KEY (id);

CREATE TABLE dt_tinyint (
  id INT64 NOT NULL,
  val INT64,
) PRIMARY KEY (id);

CREATE TABLE dt_bigint_unsigned (
  id INT64 NOT NULL,
  val NUMERIC,
) PRIMARY KEY (id);

CREATE TABLE dt_int_as_string (
  id INT64 NOT NULL,
  val STRING(20),
) PRIMARY KEY (id);

CREATE TABLE dt_varchar (
  id INT64 NOT NULL,
  val STRING(100),
) PRIMARY KEY (id);

CREATE TABLE dt_char (
  id INT64 NOT NULL,
  val STRING(10),
) PRIMARY KEY (id);

CREATE TABLE dt_longtext (
  id INT64 NOT NULL,
  val STRING(MAX),
) PRIMARY KEY (id);

CREATE TABLE dt_bool (
  id INT64 NOT NULL,
  val BOOL,
) PRIMARY KEY (id);

CREATE TABLE dt_bit (
  id INT64 NOT NULL,
  val BYTES(8),
) PRIMARY KEY (id);

CREATE TABLE dt_bit_bool (
  id INT64 NOT NULL,
  val BOOL,
) PRIMARY KEY (id);

CREATE TABLE dt_double (
  id INT64 NOT NULL,
  val FLOAT64,
) PRIMARY KEY (id);

CREATE TABLE dt_float (
  id INT64 NOT NULL,
  val FLOAT32,
) PRIMARY KEY (id);

CREATE TABLE dt_decimal (
  id INT64 NOT NULL,
  val NUMERIC,
) PRIMARY KEY (id);

CREATE TABLE dt_varbinary (
  id INT64 NOT NULL,
  val BYTES(16),
) PRIMARY KEY (id);

CREATE TABLE dt_blob_as_string (
  id INT64 NOT NULL,
  val STRING(MAX),
) PRIMARY KEY (id);

CREATE TABLE dt_date (
  id INT64 NOT NULL,
  val DATE,
) PRIMARY KEY (id);

CREATE TABLE dt_datetime (
  id INT64 NOT NULL,
  val TIMESTAMP,
) PRIMARY KEY (id);

CREATE TABLE dt_timestamp (
  id INT64 NOT NULL,
  val TIMESTAMP,
) PRIMARY KEY (id);

CREATE TABLE dt_time (
  id INT64 NOT NULL,
  val STRING(20),
) PRIMARY KEY (id);

CREATE TABLE dt_year (
  id INT64 NOT NULL,
  val STRING(4),
) PRIMARY KEY (id);

CREATE TABLE dt_json (
  id INT64 NOT NULL,
  val JSON,
) PRIMARY KEY (id);

CREATE TABLE dt_enum (
  id INT64 NOT NULL,
  val STRING(10),
) PRIMARY KEY (id);

CREATE TABLE dt_set (
  id INT64 NOT NULL,
  val STRING(MAX),
) PRIMARY KEY (id);

CREATE TABLE dt_set_array (
  id INT64 NOT NULL,
  val ARRAY<STRING(MAX)>,
) PRIMARY KEY (id);
