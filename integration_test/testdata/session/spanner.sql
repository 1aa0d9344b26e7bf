-- A sharded migration (session.json): migration_shard_id exists in Spanner
-- only; bins is interleaved in depots, so its first key column is named
-- depot_id like the parent's key, while the source calls it home_depot.
CREATE TABLE depots (
  depot_id INT64 NOT NULL,
  opened_at TIMESTAMP,
  migration_shard_id STRING(50),
) PRIMARY KEY (depot_id);

CREATE TABLE bins (
  depot_id INT64 NOT NULL,
  bin_id INT64 NOT NULL,
  label STRING(40),
  checked_at TIMESTAMP,
  migration_shard_id STRING(50),
) PRIMARY KEY (depot_id, bin_id),
  INTERLEAVE IN PARENT depots ON DELETE CASCADE;

CREATE TABLE parcels (
  parcel_id INT64 NOT NULL,
  depot_id INT64,
  weight_kg NUMERIC,
  migration_shard_id STRING(50),
) PRIMARY KEY (parcel_id);

CREATE INDEX parcels_by_depot ON parcels(depot_id);
