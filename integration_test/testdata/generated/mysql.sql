CREATE TABLE people_both_gen (
  id INT NOT NULL,
  given VARCHAR(50),
  family VARCHAR(50),
  display VARCHAR(120) GENERATED ALWAYS AS (CONCAT(given, ' ', family)) STORED,
  PRIMARY KEY (id)
);

CREATE TABLE people_spanner_gen (
  given VARCHAR(50),
  family VARCHAR(50),
  slug VARCHAR(120) NOT NULL,
  handle VARCHAR(60) NOT NULL,
  PRIMARY KEY (handle)
);

CREATE TABLE tags_no_key (
  tag VARCHAR(40),
  note VARCHAR(40),
  tag_key VARCHAR(41) GENERATED ALWAYS AS (CONCAT(tag, '#')) STORED,
  UNIQUE KEY (tag_key)
);
