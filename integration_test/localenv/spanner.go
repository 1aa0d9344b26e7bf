// Package localenv starts and prepares local stand-ins for the cloud
// services: the Cloud Spanner emulator (a real Spanner implementation,
// change streams included) with an instance and databases. Tests use it
// through testenv; the local-run command uses it directly.
package localenv

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"time"

	database "cloud.google.com/go/spanner/admin/database/apiv1"
	"cloud.google.com/go/spanner/admin/database/apiv1/databasepb"
	instance "cloud.google.com/go/spanner/admin/instance/apiv1"
	"cloud.google.com/go/spanner/admin/instance/apiv1/instancepb"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// DefaultEmulatorPath is where the Cloud Spanner emulator is installed on
// the project's machines; REVREPL_SPANNER_EMULATOR overrides it.
const DefaultEmulatorPath = "/usr/lib/google-cloud-sdk/bin/cloud_spanner_emulator/emulator_main"

// Emulator is a reachable Cloud Spanner emulator with one instance.
type Emulator struct {
	Addr     string
	Project  string
	Instance string
	// Cmd is the emulator process when this process started it.
	Cmd *exec.Cmd
}

// EmulatorPath returns the emulator binary to use.
func EmulatorPath() string {
	if p := os.Getenv("REVREPL_SPANNER_EMULATOR"); p != "" {
		return p
	}
	return DefaultEmulatorPath
}

// StartEmulator starts the emulator on addr ("" = a free loopback port),
// or reuses one already listening there. The process dies with ours.
// SPANNER_EMULATOR_HOST is pointed at it, which every Spanner client honours.
func StartEmulator(ctx context.Context, addr string, flags ...string) (*Emulator, error) {
	return startEmulator(ctx, addr, false, flags)
}

// StartDetachedEmulator is StartEmulator for an emulator that outlives
// this process when it starts one (in its own session, not killed when
// this process dies): the demo's --keep leaves it running for inspection.
func StartDetachedEmulator(ctx context.Context, addr string) (*Emulator, error) {
	return startEmulator(ctx, addr, true, nil)
}

func startEmulator(ctx context.Context, addr string, detach bool, flags []string) (*Emulator, error) {
	e := &Emulator{Project: "test-project", Instance: "test-instance"}
	if addr != "" && Reachable(addr) {
		e.Addr = addr
	} else {
		if addr == "" {
			l, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				return nil, err
			}
			addr = l.Addr().String()
			l.Close()
		}
		cmd, err := spawnEmulator(addr, "", detach, flags)
		if err != nil {
			return nil, err
		}
		e.Addr, e.Cmd = addr, cmd
	}
	os.Setenv("SPANNER_EMULATOR_HOST", e.Addr)
	if err := e.createInstance(ctx); err != nil {
		return nil, err
	}
	return e, nil
}

// Stop kills the emulator process this process started, and its
// databases with it; it does nothing for an emulator found running.
func (e *Emulator) Stop() error {
	if e.Cmd == nil || e.Cmd.Process == nil {
		return nil
	}
	if err := e.Cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stopping the Spanner emulator (pid %d): %w", e.Cmd.Process.Pid, err)
	}
	// spawnEmulator's goroutine reaps it; wait until it is gone.
	pid := e.Cmd.Process.Pid
	for i := 0; i < 200 && IsEmulatorProcess(pid) && !zombie(pid); i++ {
		time.Sleep(50 * time.Millisecond)
	}
	e.Cmd = nil
	return nil
}

// DropDatabase drops database id.
func (e *Emulator) DropDatabase(ctx context.Context, id string) error {
	dc, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return err
	}
	defer dc.Close()
	if err := dc.DropDatabase(ctx, &databasepb.DropDatabaseRequest{Database: e.DatabasePath(id)}); err != nil && status.Code(err) != codes.NotFound {
		return fmt.Errorf("dropping Spanner database %s: %w", id, err)
	}
	return nil
}

// Reachable reports whether something accepts TCP connections at addr.
func Reachable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, 200*time.Millisecond)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

func (e *Emulator) createInstance(ctx context.Context) error {
	ic, err := instance.NewInstanceAdminClient(ctx)
	if err != nil {
		return err
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
	if err != nil && status.Code(err) != codes.AlreadyExists {
		return fmt.Errorf("creating emulator instance: %w", err)
	}
	return nil
}

// DatabasePath is the full name of database id.
func (e *Emulator) DatabasePath(id string) string {
	return fmt.Sprintf("projects/%s/instances/%s/databases/%s", e.Project, e.Instance, id)
}

// CreateDatabase creates database id with ddl and returns its full name.
func (e *Emulator) CreateDatabase(ctx context.Context, id string, postgres bool, ddl []string) (string, error) {
	dc, err := database.NewDatabaseAdminClient(ctx)
	if err != nil {
		return "", err
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
	if err == nil {
		_, err = op.Wait(ctx)
	}
	if err != nil {
		return "", fmt.Errorf("creating database %s: %w", id, err)
	}
	path := e.DatabasePath(id)
	if postgres && len(ddl) > 0 {
		// PostgreSQL databases take no DDL at creation.
		uop, err := dc.UpdateDatabaseDdl(ctx, &databasepb.UpdateDatabaseDdlRequest{Database: path, Statements: ddl})
		if err == nil {
			err = uop.Wait(ctx)
		}
		if err != nil {
			return "", fmt.Errorf("DDL on %s: %w\n%s", id, err, strings.Join(ddl, ";\n"))
		}
	}
	return path, nil
}
