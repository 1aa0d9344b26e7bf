package testenv

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	instance "cloud.google.com/go/spanner/admin/instance/apiv1"
	"cloud.google.com/go/spanner/admin/instance/apiv1/instancepb"
)

// DefaultEmulatorPath is where the Cloud Spanner emulator is installed on
// the project's machines; REVREPL_SPANNER_EMULATOR overrides it.
const DefaultEmulatorPath = "/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main"

// SpannerEmulator is a Cloud Spanner emulator started by this test process.
type SpannerEmulator struct {
	Addr     string
	Project  string
	Instance string
}

var (
	emuOnce sync.Once
	emu     *SpannerEmulator
	emuErr  error
)

// EmulatorFlags are extra emulator flags for the process-wide emulator, set
// before the first call to Spanner (e.g. from TestMain) to force partition
// churn with --override_change_stream_partition_token_alive_seconds.
var EmulatorFlags []string

// Spanner starts the emulator once per test process on a free loopback port,
// points SPANNER_EMULATOR_HOST at it and creates an instance. The emulator
// dies with the test process.
func Spanner(t testing.TB) *SpannerEmulator {
	t.Helper()
	emuOnce.Do(func() { emu, emuErr = startEmulator() })
	if emuErr != nil {
		Unavailable(t, "Cloud Spanner emulator: %v", emuErr)
	}
	return emu
}

func startEmulator() (*SpannerEmulator, error) {
	bin := envOr("REVREPL_SPANNER_EMULATOR", DefaultEmulatorPath)
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("binary not found at %s (install google-cloud-cli-spanner-emulator or set REVREPL_SPANNER_EMULATOR): %w", bin, err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	cmd := exec.Command(bin, append([]string{"--host_port", addr}, EmulatorFlags...)...)
	cmd.Stdout, cmd.Stderr = nil, nil
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			return nil, fmt.Errorf("emulator did not listen on %s within 20s", addr)
		}
		time.Sleep(50 * time.Millisecond)
	}
	os.Setenv("SPANNER_EMULATOR_HOST", addr)
	e := &SpannerEmulator{Addr: addr, Project: "test-project", Instance: "test-instance"}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	ic, err := instance.NewInstanceAdminClient(ctx)
	if err != nil {
		return nil, err
	}
	defer ic.Close()
	op, err := ic.CreateInstance(ctx, &instancepb.CreateInstanceRequest{
		Parent:     "projects/" + e.Project,
		InstanceId: e.Instance,
		Instance: &instancepb.Instance{
			Config: "projects/" + e.Project + "/instanceConfigs/emulator-config", DisplayName: "test", NodeCount: 1,
		},
	})
	if err == nil {
		_, err = op.Wait(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("creating emulator instance: %w", err)
	}
	return e, nil
}

// CreateDatabase creates a database named id (unique per emulator process)
// with the given DDL and returns its full path.
func (e *SpannerEmulator) CreateDatabase(t testing.TB, id string, postgres bool, ddl []string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dc, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer dc.Close()
	req := &databasepb.CreateDatabaseRequest{
		Parent:          "projects/" + e.Project + "/instances/" + e.Instance,
		CreateStatement: "CREATE DATABASE `" + id + "`",
	}
	if postgres {
		req.DatabaseDialect = databasepb.DatabaseDialect_POSTGRESQL
		req.CreateStatement = `CREATE DATABASE "` + id + `"`
	} else {
		req.ExtraStatements = ddl
	}
	op, err := dc.CreateDatabase(ctx, req)
	if err != nil {
		t.Fatalf("creating database %s: %v", id, err)
	}
	if _, err := op.Wait(ctx); err != nil {
		t.Fatalf("creating database %s: %v", id, err)
	}
	path := req.Parent + "/databases/" + id
	if postgres && len(ddl) > 0 {
		// PostgreSQL databases take no DDL at creation.
		uop, err := dc.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: path, Statements: ddl})
		if err == nil {
			err = uop.Wait(ctx)
		}
		if err != nil {
			t.Fatalf("DDL on %s: %v\n%s", id, err, strings.Join(ddl, ";\n"))
		}
	}
	return path
}
