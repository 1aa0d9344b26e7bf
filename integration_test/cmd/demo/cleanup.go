package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/revrepl/spanner-to-sourcedb/integration_test/localenv"
)

// resources are what one demo run created, in creation order: each with
// how the demo removes it and how a user removes it by hand after --keep.
type resources struct {
	items []resource
}

type resource struct {
	what   string                      // e.g. "folder /tmp/revrepl-demo-123"
	byHand string                      // how to remove it by hand
	remove func(context.Context) error // how the demo removes it
}

func (r *resources) add(what, byHand string, remove func(context.Context) error) {
	r.items = append(r.items, resource{what: what, byHand: byHand, remove: remove})
}

// addFolder registers the run's folder.
func (r *resources) addFolder(dir string) {
	r.add("folder "+dir, "rm -rf "+shellQuote(dir), func(context.Context) error { return os.RemoveAll(dir) })
}

// shellQuote makes s one word for a POSIX shell: s in single quotes, where
// each single quote of s ends the quoted part, is escaped with a
// backslash, and starts a new quoted part.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// addEmulator registers the emulator when this run started it: stopping it
// removes its databases too (it keeps them in memory only).
func (r *resources) addEmulator(emu *localenv.Emulator) {
	if emu.Cmd == nil || emu.Cmd.Process == nil {
		return
	}
	pid := emu.Cmd.Process.Pid
	r.add(fmt.Sprintf("Spanner emulator on %s (pid %d) with the demo's databases", emu.Addr, pid),
		fmt.Sprintf("kill %d", pid), func(context.Context) error { return emu.Stop() })
}

// addSpannerDatabase registers a database created on an emulator the run
// found running (one it started goes with the emulator).
func (r *resources) addSpannerDatabase(emu *localenv.Emulator, id string) {
	if emu.Cmd != nil {
		return
	}
	r.add(fmt.Sprintf("Spanner database %s on the emulator at %s", id, emu.Addr),
		"restart that emulator (it keeps databases in memory only), or drop the database with the Spanner admin API",
		func(ctx context.Context) error { return emu.DropDatabase(ctx, id) })
}

// addShards registers the MySQL databases and account.
func (r *resources) addShards(s *localenv.DemoShardSet, addr, rootUser string) {
	host, port, _ := strings.Cut(addr, ":")
	r.add(fmt.Sprintf("MySQL databases %s and user %s on %s", strings.Join(s.Databases(), ", "), s.User, addr),
		fmt.Sprintf("mysql -h%s -P%s -u%s -e '%s'", host, port, rootUser, strings.Join(s.DropStatements(), "; ")),
		s.Drop)
}

// release removes everything, newest first, telling w what it removed; or,
// with keep, lists what is kept and how to remove each by hand. It tries
// every removal and returns the errors of all that failed.
func (r *resources) release(ctx context.Context, keep bool, w io.Writer) error {
	if len(r.items) == 0 {
		return nil
	}
	if keep {
		fmt.Fprintln(w, "kept (--keep); remove them by hand when done:")
		for _, it := range r.items {
			fmt.Fprintf(w, "  %s:\n    %s\n", it.what, it.byHand)
		}
		return nil
	}
	var errs []error
	for i := len(r.items) - 1; i >= 0; i-- {
		it := r.items[i]
		if err := it.remove(ctx); err != nil {
			errs = append(errs, fmt.Errorf("removing %s: %w (remove it by hand: %s)", it.what, err, it.byHand))
			continue
		}
		fmt.Fprintf(w, "removed: %s\n", it.what)
	}
	r.items = nil
	return errors.Join(errs...)
}
