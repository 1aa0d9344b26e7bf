package postgresql

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/io/target/postgresql/convert"
	"github.com/revrepl/spanner-to-sourcedb/pure/mapping"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// Target is PostgreSQL as a target.Target.
type Target struct{}

var (
	_ target.Target       = Target{}
	_ target.TableChecker = Target{}
)

// Shard is a shard of the shard file (io/target), in this package's
// signatures.
type Shard = target.Shard

// name is the target's name in messages.
const name = "PostgreSQL"

// Name implements target.Target.
func (Target) Name() string { return name }

// DefaultPort implements target.Target.
func (Target) DefaultPort() string { return "5432" }

// ValidateShard implements target.Target: the connection properties, the
// time zone and the namespace make a pgx configuration.
func (Target) ValidateShard(s Shard) error {
	_, err := config(s)
	return err
}

// CheckShard implements target.Target.
func (Target) CheckShard(ctx context.Context, s Shard) error { return CheckShard(ctx, s) }

// CheckTables implements target.TableChecker.
func (Target) CheckTables(ctx context.Context, s Shard, tables []string) error {
	return CheckTables(ctx, s, tables)
}

// ReadSchema implements target.Target: the tables of the shard's namespace.
func (Target) ReadSchema(ctx context.Context, s Shard) (schema.Source, error) {
	db, err := Open(s, 2)
	if err != nil {
		return schema.Source{}, err
	}
	defer db.Close()
	pctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := db.PingContext(pctx); err != nil {
		return schema.Source{}, fmt.Errorf("shard %q (%s:%s/%s): cannot connect: %w", s.ID(), s.Host, s.Port, s.DBName, err)
	}
	src, err := ReadSchema(pctx, db, Namespace(s))
	if err != nil {
		return schema.Source{}, fmt.Errorf("shard %q: %w", s.ID(), err)
	}
	return src, nil
}

// Acquire implements target.Target (the package's Acquire).
func (Target) Acquire(s Shard, poolSize int) (*sql.DB, func(), error) { return Acquire(s, poolSize) }

// Values implements target.Target.
func (Target) Values() mapping.Values { return convert.Values{} }

// Namespace is the shard's schema: its namespace, public by default.
func Namespace(s Shard) string {
	if s.Namespace == "" {
		return DefaultNamespace
	}
	return s.Namespace
}

// ParseShards parses a shard file for PostgreSQL (target.ParseShards).
func ParseShards(data []byte) ([]Shard, error) { return target.ParseShards(data, Target{}) }
