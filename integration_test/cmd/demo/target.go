package main

import (
	"context"
	"fmt"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

// targetName names --target's database in messages.
func targetName() string {
	if *targetKind == "postgresql" {
		return "PostgreSQL"
	}
	return "MySQL"
}

// createShards creates the demo's two shard databases and the pipeline's
// account on the --target server, registering them in res.
func createShards(ctx context.Context, res *resources, prefix string) (*localenv.DemoShardSet, error) {
	addr := *mysqlAddr
	create, admin := localenv.CreateDemoShards, *mysqlRoot
	if *targetKind == "postgresql" {
		addr, create, admin = *pgAddr, localenv.CreateDemoPGShards, *pgAdmin
	}
	shards, err := create(ctx, addr, admin, prefix)
	if err != nil {
		return nil, err
	}
	if *targetKind == "postgresql" {
		res.addPGShards(shards, addr, admin)
	} else {
		res.addShards(shards, addr, admin)
	}
	for _, s := range shards.Shards {
		fmt.Printf("%s shard %s: database %s on %s (pipeline user %s)\n", targetName(), s.ID, shards.DBName[s.ID], addr, prefix)
		if *shadowIn == params.ShadowInSource {
			// The launch creates the shadow tables in the shard.
			grant := fmt.Sprintf("GRANT CREATE ON `%s`.* TO '%s'@'%%'", shards.DBName[s.ID], shards.User)
			if *targetKind == "postgresql" {
				grant = fmt.Sprintf(`GRANT CREATE ON SCHEMA public TO "%s"`, shards.User)
			}
			if _, err := s.DB.ExecContext(ctx, grant); err != nil {
				return nil, fmt.Errorf("%s: %w", grant, err)
			}
		}
	}
	return shards, nil
}

// addPGShards registers the PostgreSQL databases and role.
func (r *resources) addPGShards(s *localenv.DemoShardSet, addr, admin string) {
	host, port, _ := strings.Cut(addr, ":")
	r.add(fmt.Sprintf("PostgreSQL databases %s and role %s on %s", strings.Join(s.Databases(), ", "), s.User, addr),
		fmt.Sprintf("psql -h %s -p %s -U %s -d postgres %s", host, port, admin, psqlCommands(s.DropStatements())),
		s.Drop)
}

// psqlCommands passes each statement as its own -c (DROP DATABASE cannot
// run in the transaction that one -c with several statements is).
func psqlCommands(stmts []string) string {
	var b strings.Builder
	for i, st := range stmts {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("-c " + shellQuote(st))
	}
	return b.String()
}
