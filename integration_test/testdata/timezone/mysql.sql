CREATE TABLE clock_events (
  id INT NOT NULL,
  happened_at TIMESTAMP NULL,
  PRIMARY KEY (id)
);
