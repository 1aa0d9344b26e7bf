package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"

	"github.com/revrepl/spanner-to-sourcedb/io/shadow"
	"github.com/revrepl/spanner-to-sourcedb/io/target"
	"github.com/revrepl/spanner-to-sourcedb/pure/routing"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
)

// sourceShadowTables are the shadow tables of shadowTableLocation=source:
// one per Spanner table that is replicated to the source (tables not at
// the source never reach the shadow check: their changes go to skip/).
func sourceShadowTables(prefix string, sp schema.Spanner, tables routing.StaticTables) []target.ShadowTable {
	var out []target.ShadowTable
	for name, t := range sp.Tables {
		if !tables.SourceTables[name] {
			continue
		}
		cols := make([]string, len(t.PrimaryKey))
		for i, k := range t.PrimaryKey {
			cols[i] = k.Column
		}
		out = append(out, target.ShadowTable{Name: shadow.TableName(prefix, name), KeyColumns: cols})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// ensureSourceShadowTables creates the shadow tables in every shard, in
// parallel, and reports every shard that failed together (as
// target.CheckShards does). created lists shard/table of the new ones.
func ensureSourceShadowTables(ctx context.Context, t target.Target, shards []target.Shard, tz string, tables []target.ShadowTable) ([]string, error) {
	created := make([][]string, len(shards))
	errs := make([]error, len(shards))
	var wg sync.WaitGroup
	for i, s := range shards {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, target.CheckTimeout)
			defer cancel()
			s.TimeZone = tz
			names, err := t.EnsureShadowTables(cctx, s, tables)
			if err != nil {
				errs[i] = fmt.Errorf("shard %q (%s@%s:%s/%s): %w", s.ID(), s.User, s.Host, s.Port, s.DBName, err)
				return
			}
			for _, n := range names {
				created[i] = append(created[i], s.ID()+"/"+n)
			}
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	var out []string
	for _, c := range created {
		out = append(out, c...)
	}
	return out, nil
}

// withoutSourceShadows drops the shard's own shadow tables (made by an
// earlier launch) from the source schema: they are not replicated tables.
func withoutSourceShadows(src schema.Source, prefix string, sp schema.Spanner) schema.Source {
	for name := range sp.Tables {
		n := shadow.TableName(prefix, name)
		if _, isSpanner := sp.Tables[n]; !isSpanner {
			delete(src.Tables, n)
		}
	}
	return src
}
