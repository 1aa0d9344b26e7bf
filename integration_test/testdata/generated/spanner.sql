-- Generated columns.
-- people_both_gen: display is generated on both sides.
CREATE TABLE people_both_gen (
  id INT64 NOT NULL,
  given STRING(50),
  family STRING(50),
  display STRING(120) AS (CONCAT(given, ' ', family)) STORED,
) PRIMARY KEY (id);

-- people_spanner_gen: generated in Spanner only, key included; plain
-- columns at the source.
CREATE TABLE people_spanner_gen (
  given STRING(50),
  family STRING(50),
  slug STRING(120) AS (CONCAT(given, '.', family)) STORED,
  handle STRING(60) AS (LOWER(given)) STORED,
) PRIMARY KEY (handle);

-- tags_no_key: the source table's only key is a unique key on a generated
-- column, so it has no primary key.
CREATE TABLE tags_no_key (
  tag STRING(40) NOT NULL,
  note STRING(40),
) PRIMARY KEY (tag);
