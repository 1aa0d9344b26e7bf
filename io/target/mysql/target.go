package mysql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/mysql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Target is MySQL (and MariaDB) as a target.Target.
type Target struct{}

var _ target.Target = Target{}

// Shard is a shard of the shard file (io/target), in this package's
// signatures.
type Shard = target.Shard

// Port is a shard's port (io/target).
type Port = target.Port

// SingleShardID names the only shard when the shard file leaves it empty.
const SingleShardID = target.SingleShardID

// Name implements target.Target.
func (Target) Name() string { return "MySQL" }

// DefaultPort implements target.Target.
func (Target) DefaultPort() string { return "3306" }

// ValidateShard implements target.Target: the connection properties and
// time zone make a DSN.
func (Target) ValidateShard(s Shard) error {
	_, err := DSN(s)
	return err
}

// CheckShard implements target.Target.
func (Target) CheckShard(ctx context.Context, s Shard) error { return CheckShard(ctx, s) }

// ReadSchema implements target.Target: the tables of the shard's database
// in information_schema.
func (Target) ReadSchema(ctx context.Context, s Shard) (schema.Source, error) {
	db, err := Open(s, 2)
	if err != nil {
		return schema.Source{}, err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return schema.Source{}, fmt.Errorf("shard %q (%s:%s/%s): cannot connect: %w", s.LogicalShardID, s.Host, s.Port, s.DBName, err)
	}
	src, err := ReadSchema(pctx, db, s.DBName)
	if err != nil {
		return schema.Source{}, fmt.Errorf("shard %q: %w", s.LogicalShardID, err)
	}
	return src, nil
}

// Acquire implements target.Target (the package's Acquire).
func (Target) Acquire(s Shard, poolSize int) (*sql.DB, func(), error) { return Acquire(s, poolSize) }

// Values implements target.Target.
func (Target) Values() mapping.Values { return convert.Values{} }

// ParseShards parses a shard file for MySQL (target.ParseShards).
func ParseShards(data []byte) ([]Shard, error) { return target.ParseShards(data, Target{}) }

// ReadShardFile reads a shard file for MySQL (target.ReadShardFile).
func ReadShardFile(ctx context.Context, path string) ([]Shard, error) {
	return target.ReadShardFile(ctx, path, Target{})
}

// LoadShards reads a shard file for MySQL and resolves its secrets
// (target.LoadShards).
func LoadShards(ctx context.Context, path string) ([]Shard, error) {
	return target.LoadShards(ctx, path, Target{})
}
