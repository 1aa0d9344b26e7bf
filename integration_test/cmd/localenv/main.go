// Command localenv makes a local environment the template can run against
// on prism, and leaves it running: the Cloud Spanner emulator in the
// background (pid and log in the state folder), an instance, a data
// database with a change stream made from a DDL file (the sample by
// default), a metadata database, a MariaDB shard database with the target
// tables, an account with a password, and a shard file. It prints the
// exact launch command and writes it to <dir>/run.sh (what `make
// run-local` runs). Re-running keeps what is there.
//
//	localenv [--ddl=spanner.sql --mysql_ddl=mysql.sql]   make or check the environment
//	localenv --sql='INSERT ...'                          run DML on the data database
//	localenv --verify                                    compare the sample table in Spanner and MySQL
//	localenv --stop                                      tear it down
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
)

var (
	dir      = flag.String("dir", ".local-env", "state folder: state.json, run.sh, shards.json, the emulator's log, the DLQ")
	emulator = flag.String("emulator", localenv.DefaultLocalEmulatorAddr, "Spanner emulator address; one is started there (in the background) when nothing listens")
	ddl      = flag.String("ddl", "", "Spanner DDL file (GoogleSQL; statements separated by ;) with the tables and a change stream; empty: the sample")
	mysqlDDL = flag.String("mysql_ddl", "", "MySQL DDL file with the shard's tables; required with --ddl")
	stream   = flag.String("stream", "", "the change stream to replicate when the DDL creates several (default: the first)")
	mysqlAdr = flag.String("mysql", localenv.DefaultMySQLAddr, "MariaDB/MySQL address; MariaDB is started (scripts/services.sh) when nothing listens on the default")
	root     = flag.String("mysql_root", "root", "MySQL account (empty password) allowed to create databases and users")
	spDB     = flag.String("database", localenv.DefaultLocalDatabase, "Spanner data database id")
	metaDB   = flag.String("metadata", localenv.DefaultLocalMetadata, "Spanner metadata database id")
	myDB     = flag.String("mysql_database", localenv.DefaultLocalMySQLDB, "MySQL shard database name")
	stop     = flag.Bool("stop", false, "stop the emulator this command started, drop the shard database and remove the state folder")
	verify   = flag.Bool("verify", false, "sample only: compare the Singers table in Spanner and MySQL; fails unless MySQL has rows and nothing differs")
	execSQL  = flag.String("sql", "", "DML to run on the data database (statements separated by ;), to make changes to replicate")
)

func main() {
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	if err := run(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "local-env:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	switch {
	case *stop:
		if err := localenv.StopLocal(ctx, *dir); err != nil {
			return err
		}
		fmt.Printf("local environment in %s stopped and removed\n", *dir)
		return nil
	case *verify:
		return verifySample(ctx)
	case *execSQL != "":
		st, err := localenv.LoadLocalState(*dir)
		if err != nil {
			return err
		}
		n, err := st.ExecSQL(ctx, localenv.SplitDDL(*execSQL))
		if err != nil {
			return err
		}
		fmt.Printf("%d rows changed in %s\n", n, st.Database)
		return nil
	}
	if err := localenv.EnsureMariaDB(ctx, *mysqlAdr); err != nil {
		return err
	}
	st, err := localenv.SetupLocal(ctx, localenv.LocalOptions{
		Dir: *dir, EmulatorAddr: *emulator, SpannerDDLFile: *ddl, MySQLDDLFile: *mysqlDDL, Stream: *stream,
		MySQLAddr: *mysqlAdr, MySQLRoot: *root, Database: *spDB, Metadata: *metaDB, MySQLDatabase: *myDB,
	})
	if err != nil {
		return err
	}
	report(st)
	return nil
}

func report(st *localenv.LocalState) {
	switch {
	case st.EmulatorPID > 0:
		fmt.Printf("Spanner emulator: %s (pid %d, log %s)\n", st.EmulatorAddr, st.EmulatorPID, st.EmulatorLog)
	default:
		fmt.Printf("Spanner emulator: %s (already running, not started by local-env: `make local-env-stop` leaves it)\n", st.EmulatorAddr)
	}
	verb := "kept (same schema)"
	if st.CreatedDatabases {
		verb = "created"
	}
	schema := "the sample (" + fmt.Sprint(localenv.LocalSampleRows) + " singers written, 6 left after updates and deletes)"
	if !st.Sample {
		schema = st.SpannerDDLFile + " / " + st.MySQLDDLFile
	}
	fmt.Printf("schema: %s\n", schema)
	fmt.Printf("Spanner: project %s, instance %s, data database %s with change stream %s, metadata database %s: %s\n",
		st.Project, st.Instance, st.Database, st.Stream, st.Metadata, verb)
	fmt.Printf("MySQL: database %s on %s, user %s (password in the shard file %s)\n", st.MySQLDatabase, st.MySQLAddr, st.MySQLUser, st.ShardFile)
	fmt.Printf("\nLaunch command (also in %s/run.sh; `make run-local` runs it until Ctrl-C):\n\n%s\n\n", *dir, st.LaunchCommand())
	fmt.Println("Make changes to replicate:  make local-env-sql SQL=\"INSERT INTO ... \"")
	fmt.Println("Tear down:                  make local-env-stop")
}

func verifySample(ctx context.Context) error {
	st, err := localenv.LoadLocalState(*dir)
	if err != nil {
		return err
	}
	rows, mm, err := st.VerifySample(ctx)
	if err != nil {
		return err
	}
	for _, m := range mm {
		fmt.Println("  mismatch:", m)
	}
	fmt.Printf("MySQL rows: %d, mismatches: %d\n", rows, len(mm))
	if rows == 0 || len(mm) > 0 {
		return fmt.Errorf("the sample is not replicated (run `make run-local` first)")
	}
	return nil
}
