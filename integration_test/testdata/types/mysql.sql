-- Data types at the source: each table dt_<type> has a key id and a column val.

CREATE TABLE dt_bigint (
  id INT NOT NULL,
  val BIGINT,
  PRIMARY KEY (id)
);

CREATE TABLE dt_int_unsigned (
  id INT NOT NULL,
  val INT UNSIGNED,
  PRIMARY KEY (id)
);

CREATE TABLE dt_tinyint (
  id INT NOT NULL,
  val TINYINT,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bigint_unsigned (
  id INT NOT NULL,
  val BIGINT UNSIGNED,
  PRIMARY KEY (id)
);

CREATE TABLE dt_int_as_string (
  id INT NOT NULL,
  val INT,
  PRIMARY KEY (id)
);

CREATE TABLE dt_varchar (
  id INT NOT NULL,
  val VARCHAR(100),
  PRIMARY KEY (id)
);

CREATE TABLE dt_char (
  id INT NOT NULL,
  val CHAR(10),
  PRIMARY KEY (id)
);

CREATE TABLE dt_longtext (
  id INT NOT NULL,
  val LONGTEXT,
  PRIMARY KEY (id)
);

CREATE TABLE dt_bool (
  id INT NOT NULL,
  val TINYINT(1),
  PRIMARY KEY (id)
);

CREATE TABLE dt_bit (
  id INT NOT NULL,
  val BIT(64),
  PRIMARY KEY (id)
);

CREATE TABLE dt_bit_bool (
  id INT NOT NULL,
  val BIT(1),
  PRIMARY KEY (id)
);

CREATE TABLE dt_double (
  id INT NOT NULL,
  val DOUBLE,
  PRIMARY KEY (id)
);

CREATE TABLE dt_float (
  id INT NOT NULL,
  val FLOAT,
  PRIMARY KEY (id)
);

CREATE TABLE dt_decimal (
  id INT NOT NULL,
  val DECIMAL(20,6),
  PRIMARY KEY (id)
);

CREATE TABLE dt_varbinary (
  id INT NOT NULL,
  val VARBINARY(16),
  PRIMARY KEY (id)
);

CREATE TABLE dt_blob_as_string (
  id INT NOT NULL,
  val BLOB,
  PRIMARY KEY (id)
);

CREATE TABLE dt_date (
  id INT NOT NULL,
  val DATE,
  PRIMARY KEY (id)
);

CREATE TABLE dt_datetime (
  id INT NOT NULL,
  val DATETIME,
  PRIMARY KEY (id)
);

CREATE TABLE dt_timestamp (
  id INT NOT NULL,
  val TIMESTAMP NULL,
  PRIMARY KEY (id)
);

CREATE TABLE dt_time (
  id INT NOT NULL,
  val TIME,
  PRIMARY KEY (id)
);

CREATE TABLE dt_year (
  id INT NOT NULL,
  val YEAR,
  PRIMARY KEY (id)
);

CREATE TABLE dt_json (
  id INT NOT NULL,
  val JSON,
  PRIMARY KEY (id)
);

CREATE TABLE dt_enum (
  id INT NOT NULL,
  val ENUM('red','green','blue'),
  PRIMARY KEY (id)
);

CREATE TABLE dt_set (
  id INT NOT NULL,
  val SET('x','y','z'),
  PRIMARY KEY (id)
);

CREATE TABLE dt_set_array (
  id INT NOT NULL,
  val SET('x','y','z'),
  PRIMARY KEY (id)
);
