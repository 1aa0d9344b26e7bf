package logs

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/runtime/harness"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/core/util/hooks"
	beamlog "github.com/apache/beam/sdks/v2/go/pkg/beam/log"
)

// hookName is the Beam worker hook that applies the logging configuration
// on each worker. Hooks enabled when the job is launched travel in the
// pipeline options, with their arguments, and run on every worker at start,
// before it connects to the runner: that is how a setting of the launch
// reaches the process-global Level of every worker.
const hookName = "revrepl_logging"

func init() {
	hooks.RegisterHook(hookName, func(args []string) hooks.Hook {
		return hooks.Hook{Init: func(ctx context.Context) (context.Context, error) {
			return ctx, applyOnWorker(ctx, args)
		}}
	})
}

// ParseLevel reads a logLevel value: DEBUG, INFO, WARN (or WARNING) or
// ERROR, in any case.
func ParseLevel(s string) (slog.Level, error) {
	switch strings.ToUpper(s) {
	case "DEBUG":
		return slog.LevelDebug, nil
	case "INFO":
		return slog.LevelInfo, nil
	case "WARN", "WARNING":
		return slog.LevelWarn, nil
	case "ERROR":
		return slog.LevelError, nil
	}
	return 0, fmt.Errorf("log level %q is not one of DEBUG, INFO, WARN, ERROR", s)
}

// Configure sets Level in this process and, for the job launched after it,
// on every worker. With fields, workers send each event's attributes as
// fields of the log entry (Fn API custom_data, shown by Dataflow as
// jsonPayload.custom_data) instead of key=value text in the message; it is
// for Dataflow, whose runner keeps those fields. Local runners print only
// the message of an entry, so there the text form stays.
func Configure(level slog.Level, fields bool) error {
	Level.Set(level)
	args := []string{"level=" + level.String()}
	if fields {
		args = append(args, "fields=true")
		// Both hooks would install Beam's logger; only one stream of
		// entries must reach the runner.
		hooks.DisableHook(harness.DefaultRemoteLoggingHook)
	}
	return hooks.EnableHook(hookName, args...)
}

// applyOnWorker applies Configure's arguments on a worker.
func applyOnWorker(ctx context.Context, args []string) error {
	fields := false
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		switch k {
		case "level":
			l, err := ParseLevel(v)
			if err != nil {
				return fmt.Errorf("logging hook: %w", err)
			}
			Level.Set(l)
		case "fields":
			fields = v == "true"
		}
	}
	if !fields {
		return nil
	}
	// The harness's own flag: the runner's logging service.
	endpoint := ""
	if f := flag.Lookup("logging_endpoint"); f != nil {
		endpoint = f.Value.String()
	}
	if endpoint == "" {
		fmt.Fprintln(os.Stderr, "logging hook: no --logging_endpoint; logs go to stderr")
		return nil
	}
	startRemote(ctx, endpoint)
	return nil
}

// startRemote makes a remote sender to endpoint Beam's logger and the
// field sink.
func startRemote(ctx context.Context, endpoint string) *remote {
	r := newRemote(2000)
	beamlog.SetLogger(r)
	fieldSink.Store(r)
	go r.run(ctx, endpoint)
	return r
}
