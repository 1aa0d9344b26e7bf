CREATE TABLE depots (
  depot_id INT NOT NULL,
  opened_at TIMESTAMP NULL,
  PRIMARY KEY (depot_id)
);

CREATE TABLE bins (
  bin_id INT NOT NULL,
  home_depot INT,
  label VARCHAR(40),
  checked_at DATETIME NULL,
  PRIMARY KEY (bin_id),
  FOREIGN KEY (home_depot) REFERENCES depots(depot_id)
);

CREATE TABLE parcels (
  parcel_id INT NOT NULL,
  depot_id INT,
  weight_kg DECIMAL(8,3),
  PRIMARY KEY (parcel_id),
  FOREIGN KEY (depot_id) REFERENCES depots(depot_id)
);
