package localenv

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cloud.google.com/go/spanner"
	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	"github.com/go-sql-driver/mysql"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// The local environment (make local-env): a Spanner emulator left running
// in the background with an instance, a data database made from a DDL
// file, a metadata database, and a MySQL shard database with the target
// tables and an account with a password; its state (the launch flags
// among it) is kept in a folder, .local-env/ by default.

// LocalOptions say what Setup creates. Empty fields take the defaults.
type LocalOptions struct {
	Dir          string // state folder
	EmulatorAddr string // where the emulator listens (reused if something listens)
	Project      string
	Instance     string
	Database     string // data database id
	Metadata     string // metadata database id
	// SpannerDDLFile and MySQLDDLFile are the schema; both empty: the sample.
	SpannerDDLFile string
	MySQLDDLFile   string
	// Stream picks one of the DDL's change streams (default: the first).
	Stream        string
	MySQLAddr     string
	MySQLRoot     string // account with an empty password allowed to create databases and users
	MySQLDatabase string // the shard database
	MySQLUser     string // the pipeline's account
	MySQLPassword string
	// RepoDir is where run.sh runs `go run ./template`.
	RepoDir string
}

// Defaults of the local environment; the README documents them.
const (
	DefaultLocalEmulatorAddr = "127.0.0.1:9010"
	DefaultLocalProject      = "local-project"
	DefaultLocalInstance     = "local-instance"
	DefaultLocalDatabase     = "localdb"
	DefaultLocalMetadata     = "localmeta"
	DefaultLocalMySQLDB      = "revrepl_local"
	DefaultLocalMySQLUser    = "revrepl_local"
	DefaultLocalMySQLPass    = "revrepl-local"
	// LocalShardID is the logical shard id of the one shard.
	LocalShardID = "local"
	// LocalSampleRows is how many singers the sample workload writes.
	LocalSampleRows = 10
)

func (o *LocalOptions) defaults() {
	set := func(f *string, v string) {
		if *f == "" {
			*f = v
		}
	}
	set(&o.Dir, ".local-env")
	set(&o.EmulatorAddr, DefaultLocalEmulatorAddr)
	set(&o.Project, DefaultLocalProject)
	set(&o.Instance, DefaultLocalInstance)
	set(&o.Database, DefaultLocalDatabase)
	set(&o.Metadata, DefaultLocalMetadata)
	set(&o.MySQLAddr, "127.0.0.1:3306")
	set(&o.MySQLRoot, "root")
	set(&o.MySQLDatabase, DefaultLocalMySQLDB)
	set(&o.MySQLUser, DefaultLocalMySQLUser)
	set(&o.MySQLPassword, DefaultLocalMySQLPass)
	set(&o.RepoDir, ".")
}

// LocalState is what Setup made, saved as state.json in the state folder.
type LocalState struct {
	EmulatorAddr string
	// EmulatorPID is the emulator Setup started (0: one was already there).
	EmulatorPID      int
	EmulatorLog      string `json:",omitempty"`
	Project          string
	Instance         string
	Database         string
	Metadata         string
	Stream           string
	Sample           bool   // the sample schema, with its sample rows
	SchemaHash       string // of both DDL files: a re-run with others is refused
	SpannerDDLFile   string
	MySQLDDLFile     string
	MySQLAddr        string
	MySQLRoot        string
	MySQLDatabase    string
	MySQLUser        string
	ShardFile        string
	DLQDir           string
	StartTimestamp   time.Time
	RepoDir          string
	LaunchArgs       []string // the template's flags
	CreatedDatabases bool     `json:"-"` // this Setup created them (rather than kept them)
}

const stateFile = "state.json"

// LoadLocalState reads the state of the environment in dir.
func LoadLocalState(dir string) (*LocalState, error) {
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("no local environment in %s: run `make local-env` first", dir)
		}
		return nil, err
	}
	var s LocalState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, stateFile), err)
	}
	return &s, nil
}

// SetupLocal makes the local environment, or checks and keeps the one in
// o.Dir: the emulator (started in the background on o.EmulatorAddr unless
// something listens there), the instance, the data and metadata databases,
// the MySQL shard database and account, the shard file, run.sh and
// state.json. Databases of the same names are kept when the schema is the
// same; a different schema is refused (tear down first).
func SetupLocal(ctx context.Context, o LocalOptions) (*LocalState, error) {
	o.defaults()
	var err error
	if o.Dir, err = filepath.Abs(o.Dir); err != nil {
		return nil, err
	}
	if o.RepoDir, err = filepath.Abs(o.RepoDir); err != nil {
		return nil, err
	}
	spDDL, myDDL, hash, err := o.schema()
	if err != nil {
		return nil, err
	}
	streams := ChangeStreams(spDDL)
	stream := o.Stream
	switch {
	case len(streams) == 0:
		return nil, fmt.Errorf("%s creates no change stream: add one, e.g. CREATE CHANGE STREAM allstream FOR ALL OPTIONS (value_capture_type = 'NEW_ROW')", o.SpannerDDLFile)
	case stream == "":
		stream = streams[0]
	case !containsFold(streams, stream):
		return nil, fmt.Errorf("change stream %q: %s creates only %s", stream, o.SpannerDDLFile, strings.Join(streams, ", "))
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return nil, err
	}
	prev, _ := LoadLocalState(o.Dir)

	st := &LocalState{
		EmulatorAddr: o.EmulatorAddr, Project: o.Project, Instance: o.Instance, Database: o.Database, Metadata: o.Metadata,
		Stream: stream, Sample: o.SpannerDDLFile == "", SchemaHash: hash, SpannerDDLFile: o.SpannerDDLFile, MySQLDDLFile: o.MySQLDDLFile,
		MySQLAddr: o.MySQLAddr, MySQLRoot: o.MySQLRoot, MySQLDatabase: o.MySQLDatabase, MySQLUser: o.MySQLUser,
		ShardFile: filepath.Join(o.Dir, "shards.json"), DLQDir: filepath.Join(o.Dir, "dlq"), RepoDir: o.RepoDir,
	}
	if Reachable(o.EmulatorAddr) {
		if prev != nil && prev.EmulatorAddr == o.EmulatorAddr && IsEmulatorProcess(prev.EmulatorPID) {
			st.EmulatorPID, st.EmulatorLog = prev.EmulatorPID, prev.EmulatorLog
		}
	} else {
		st.EmulatorLog = filepath.Join(o.Dir, "emulator.log")
		if st.EmulatorPID, err = StartBackgroundEmulator(o.EmulatorAddr, st.EmulatorLog); err != nil {
			return nil, err
		}
	}
	emu := &Emulator{Addr: o.EmulatorAddr, Project: o.Project, Instance: o.Instance}
	os.Setenv("SPANNER_EMULATOR_HOST", emu.Addr)
	if err := emu.createInstance(ctx); err != nil {
		return nil, err
	}

	exists, err := emu.databaseExists(ctx, o.Database)
	if err != nil {
		return nil, err
	}
	if exists {
		// Keep what is there: the same schema, made by an earlier run.
		if prev == nil || prev.SchemaHash != hash || prev.Database != o.Database || prev.MySQLDatabase != o.MySQLDatabase {
			return nil, fmt.Errorf("database %s already exists on the emulator at %s with another schema (or not made by local-env); "+
				"run `make local-env-stop` to start afresh", o.Database, o.EmulatorAddr)
		}
		st.StartTimestamp = prev.StartTimestamp
	} else {
		if err := st.create(ctx, emu, spDDL, myDDL, o.MySQLPassword); err != nil {
			return nil, err
		}
	}
	st.LaunchArgs = st.launchArgs()
	if err := st.save(o.Dir); err != nil {
		return nil, err
	}
	return st, nil
}

// schema reads the two DDL files (both or neither: the sample).
func (o *LocalOptions) schema() (spDDL, myDDL []string, hash string, err error) {
	h := sha256.New()
	switch {
	case o.SpannerDDLFile == "" && o.MySQLDDLFile == "":
		spDDL, myDDL = SampleSpannerDDL, SplitDDL(SampleMySQLFile)
		h.Write([]byte(SampleSpannerFile + "\x00" + SampleMySQLFile))
	case o.SpannerDDLFile == "" || o.MySQLDDLFile == "":
		return nil, nil, "", errors.New("give both DDL files, the Spanner one (DDL=) and the MySQL one (MYSQL_DDL=), or neither for the sample")
	default:
		for _, f := range []struct {
			path string
			out  *[]string
		}{{o.SpannerDDLFile, &spDDL}, {o.MySQLDDLFile, &myDDL}} {
			if *f.out, err = ReadDDL(f.path); err != nil {
				return nil, nil, "", err
			}
			h.Write([]byte(strings.Join(*f.out, ";\n") + "\x00"))
		}
	}
	return spDDL, myDDL, hex.EncodeToString(h.Sum(nil))[:16], nil
}

// create makes the Spanner databases and the MySQL shard database afresh
// (an old shard database of the same name is dropped: it mirrored Spanner
// data that is gone) and, for the sample, writes the sample rows.
func (st *LocalState) create(ctx context.Context, emu *Emulator, spDDL, myDDL []string, password string) error {
	if err := emu.dropDatabase(ctx, st.Metadata); err != nil {
		return err
	}
	path, err := emu.CreateDatabase(ctx, st.Database, false, spDDL)
	if err != nil {
		return err
	}
	if _, err := emu.CreateDatabase(ctx, st.Metadata, false, nil); err != nil {
		return err
	}
	// Reading starts here: the change stream exists from now on.
	st.StartTimestamp = time.Now().UTC()
	st.CreatedDatabases = true
	shards, err := CreateShards(ctx, ShardSetup{
		Addr: st.MySQLAddr, RootUser: st.MySQLRoot, User: st.MySQLUser, Password: password,
		Databases: []ShardDB{{ID: LocalShardID, Name: st.MySQLDatabase}}, DDL: myDDL, Replace: true,
	})
	if err != nil {
		return err
	}
	shards.Close()
	if err := os.WriteFile(st.ShardFile, shards.ShardFile, 0o600); err != nil {
		return err
	}
	if err := os.RemoveAll(st.DLQDir); err != nil {
		return err
	}
	if !st.Sample {
		return nil
	}
	client, err := spanner.NewClient(ctx, path)
	if err != nil {
		return err
	}
	defer client.Close()
	if err := WriteSampleWorkload(ctx, client, LocalSampleRows, 0); err != nil {
		return fmt.Errorf("writing the sample rows: %w", err)
	}
	return nil
}

// launchArgs are the template's flags for this environment. The start
// timestamp is the databases' creation, so that a first run replicates
// what was written before it and a relaunch resumes.
func (st *LocalState) launchArgs() []string {
	return []string{
		"--changeStreamName=" + st.Stream,
		"--instanceId=" + st.Instance, "--databaseId=" + st.Database, "--spannerProjectId=" + st.Project,
		"--metadataInstance=" + st.Instance, "--metadataDatabase=" + st.Metadata,
		"--sourceShardsFilePath=" + st.ShardFile, "--deadLetterQueueDirectory=" + st.DLQDir,
		"--startTimestamp=" + st.StartTimestamp.Format(time.RFC3339Nano),
	}
}

// LaunchCommand is the shell command that runs the template on prism
// against this environment, extra flags appended.
func (st *LocalState) LaunchCommand(extra ...string) string {
	var b strings.Builder
	b.WriteString("SPANNER_EMULATOR_HOST=" + st.EmulatorAddr + " go run ./template")
	for _, a := range append(append([]string{}, st.LaunchArgs...), extra...) {
		b.WriteString(" \\\n  " + shellQuote(a))
	}
	return b.String()
}

// RunScript is run.sh: the launch command, from the repository root, with
// the script's arguments appended as further flags.
func (st *LocalState) RunScript() string {
	return "#!/bin/sh\n# Written by make local-env: runs the template on prism against the local environment.\n" +
		"# Further flags (e.g. --endTimestamp=...) are appended.\nset -e\ncd " + shellQuote(st.RepoDir) + "\nexec env " +
		st.LaunchCommand() + " \\\n  \"$@\"\n"
}

func (st *LocalState) save(dir string) error {
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dir, stateFile), append(b, '\n'), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "run.sh"), []byte(st.RunScript()), 0o755)
}

// StopLocal tears the environment in dir down: stops the emulator if
// SetupLocal started it, drops the MySQL shard database and removes the
// folder. Without an environment it does nothing.
func StopLocal(ctx context.Context, dir string) error {
	st, err := LoadLocalState(dir)
	if err != nil {
		if _, statErr := os.Stat(filepath.Join(dir, stateFile)); errors.Is(statErr, os.ErrNotExist) {
			return nil
		}
		return err
	}
	if err := StopEmulatorProcess(st.EmulatorPID); err != nil {
		return err
	}
	if root, err := RootDB(ctx, st.MySQLAddr, st.MySQLRoot); err == nil {
		_, err = root.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+st.MySQLDatabase+"`")
		root.Close()
		if err != nil {
			return fmt.Errorf("MariaDB: dropping %s: %w", st.MySQLDatabase, err)
		}
	}
	return os.RemoveAll(dir)
}

// VerifySample compares the sample table in Spanner and in the shard
// database: the rows in MySQL and every difference.
func (st *LocalState) VerifySample(ctx context.Context) (mysqlRows int, mismatches []string, err error) {
	if !st.Sample {
		return 0, nil, errors.New("the environment was made from your own DDL: only the sample can be verified")
	}
	os.Setenv("SPANNER_EMULATOR_HOST", st.EmulatorAddr)
	client, err := spanner.NewClient(ctx, st.databasePath(st.Database))
	if err != nil {
		return 0, nil, err
	}
	defer client.Close()
	c := mysql.NewConfig()
	c.Net, c.Addr, c.User, c.DBName = "tcp", st.MySQLAddr, st.MySQLRoot, st.MySQLDatabase
	db, err := sql.Open("mysql", c.FormatDSN())
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	rows, err := MySQLSingers(ctx, db)
	if err != nil {
		return 0, nil, fmt.Errorf("MySQL database %s: %w", st.MySQLDatabase, err)
	}
	mismatches, _, err = CompareSingers(ctx, client, db)
	return len(rows), mismatches, err
}

// ExecSQL runs DML statements on the data database in one read-write
// transaction and returns the rows they changed.
func (st *LocalState) ExecSQL(ctx context.Context, stmts []string) (int64, error) {
	os.Setenv("SPANNER_EMULATOR_HOST", st.EmulatorAddr)
	client, err := spanner.NewClient(ctx, st.databasePath(st.Database))
	if err != nil {
		return 0, err
	}
	defer client.Close()
	var n int64
	_, err = client.ReadWriteTransaction(ctx, func(ctx context.Context, tx *spanner.ReadWriteTransaction) error {
		n = 0
		for _, s := range stmts {
			c, err := tx.Update(ctx, spanner.Statement{SQL: s})
			if err != nil {
				return fmt.Errorf("%s: %w", s, err)
			}
			n += c
		}
		return nil
	})
	return n, err
}

func (st *LocalState) databasePath(id string) string {
	return fmt.Sprintf("projects/%s/instances/%s/databases/%s", st.Project, st.Instance, id)
}

func (e *Emulator) databaseExists(ctx context.Context, id string) (bool, error) {
	dc, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return false, err
	}
	defer dc.Close()
	_, err = dc.GetDatabase(ctx, &databasepb.GetDatabaseRequest{Name: e.DatabasePath(id)})
	switch {
	case err == nil:
		return true, nil
	case status.Code(err) == codes.NotFound:
		return false, nil
	}
	return false, fmt.Errorf("looking up database %s: %w", id, err)
}

func (e *Emulator) dropDatabase(ctx context.Context, id string) error {
	dc, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	err = dc.DropDatabase(ctx, &databasepb.DropDatabaseRequest{Database: e.DatabasePath(id)})
	if err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("dropping database %s: %w", id, err)
	}
	return nil
}

func containsFold(list []string, s string) bool {
	for _, v := range list {
		if strings.EqualFold(v, s) {
			return true
		}
	}
	return false
}

// shellQuote quotes s for sh when it needs it.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_=./:,+@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
