package pipeline

import (
	"strings"
	"testing"

	"github.com/revrepl/spanner-to-sourcedb/pipeline/params"
)

func TestWorkers(t *testing.T) {
	tests := []struct {
		name       string
		env        Env
		runMode    string
		want       int64
		wantAssume bool
		wantErr    string
	}{
		{name: "max given", env: Env{Runner: "dataflow", MaxWorkers: 5}, want: 5},
		{name: "num above max", env: Env{Runner: "dataflow", MaxWorkers: 5, NumWorkers: 8}, want: 8},
		{name: "local prism", env: Env{}, want: 1},
		{name: "local with max", env: Env{Runner: "prism", MaxWorkers: 3}, want: 3},
		{name: "prism started here", env: Env{Runner: "prism"}, want: 1},
		{name: "direct runner", env: Env{Runner: "direct"}, want: 1},
		{name: "prism job service with loopback", env: Env{Runner: "prism", Endpoint: "localhost:8073", EnvironmentType: "LOOPBACK"}, want: 1},
		{name: "portable job service behind --endpoint", env: Env{Runner: "prism", Endpoint: "flink-jobserver:8099"}, wantErr: "--max_num_workers=N"},
		{name: "flink without max refused", env: Env{Runner: "flink", Endpoint: "flink-jobserver:8099", EnvironmentType: "DOCKER"}, wantErr: "runner flink (job service flink-jobserver:8099) may run many SDK harness processes"},
		{name: "spark without max refused", env: Env{Runner: "spark"}, wantErr: "--max_num_workers"},
		{name: "universal without max refused", env: Env{Runner: "universal", Endpoint: "localhost:8099", EnvironmentType: "EXTERNAL"}, wantErr: "--max_num_workers"},
		{name: "flink with loopback runs here", env: Env{Runner: "flink", EnvironmentType: "loopback"}, want: 1},
		{name: "flink with max", env: Env{Runner: "flink", MaxWorkers: 6}, want: 6},
		{name: "dataflow, no max: streaming assumes the default cap", env: Env{Runner: "dataflow"}, want: AssumedStreamingMaxWorkers, wantAssume: true},
		{name: "DataflowRunner spelling", env: Env{Runner: "DataflowRunner"}, want: AssumedStreamingMaxWorkers, wantAssume: true},
		{name: "more initial workers than the cap", env: Env{Runner: "dataflow", NumWorkers: 150}, want: 150, wantAssume: true},
		{name: "autoscaling off keeps num_workers", env: Env{Runner: "dataflow", NumWorkers: 4, AutoscalingAlgorithm: "NONE"}, want: 4},
		{name: "autoscaling off without num_workers", env: Env{Runner: "dataflow", AutoscalingAlgorithm: "NONE"}, want: AssumedStreamingMaxWorkers, wantAssume: true},
		{name: "retryAllDLQ streams", env: Env{Runner: "dataflow"}, runMode: params.RunModeRetryAllDLQ, want: AssumedStreamingMaxWorkers, wantAssume: true},
		{name: "batch retryDLQ refused", env: Env{Runner: "dataflow"}, runMode: params.RunModeRetryDLQ, wantErr: "--max-workers"},
		{name: "batch retryDLQ with max", env: Env{Runner: "dataflow", MaxWorkers: 7}, runMode: params.RunModeRetryDLQ, want: 7},
		{name: "batch verify refused", env: Env{Runner: "dataflow"}, runMode: params.RunModeVerify, wantErr: "--max-workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode := tt.runMode
			if mode == "" {
				mode = params.RunModeRegular
			}
			got, err := Workers(tt.env, mode)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Workers = %+v, %v; want an error naming %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.N != tt.want || (got.Assumed != "") != tt.wantAssume {
				t.Errorf("Workers = %+v, want N=%d assumed=%v", got, tt.want, tt.wantAssume)
			}
			if tt.wantAssume && !strings.Contains(got.Assumed, "max_num_workers") {
				t.Errorf("the warning %q does not say that max_num_workers was missing", got.Assumed)
			}
		})
	}
}

// TestPoolSizeWithoutMaxNumWorkers is the pool a Dataflow worker opens to
// each shard when the launcher passes no max_num_workers: the budget
// shared by the assumed cap, never the whole budget per worker.
func TestPoolSizeWithoutMaxNumWorkers(t *testing.T) {
	tests := []struct {
		name    string
		conns   int64
		env     Env
		runMode string
		want    int
		wantErr string
	}{
		{name: "default budget", conns: 10000, env: Env{Runner: "dataflow"}, want: 10000 / AssumedStreamingMaxWorkers},
		{name: "given max", conns: 10000, env: Env{Runner: "dataflow", MaxWorkers: 4}, want: 2500},
		{name: "local run keeps the budget", conns: 10000, env: Env{}, want: 10000},
		{name: "budget below the assumed cap", conns: 50, env: Env{Runner: "dataflow"}, wantErr: "did not pass max_num_workers"},
		{name: "batch", conns: 10000, env: Env{Runner: "dataflow"}, runMode: params.RunModeRetryDLQ, wantErr: "--max-workers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mode := tt.runMode
			if mode == "" {
				mode = params.RunModeRegular
			}
			cfg := &params.Config{MaxShardConnections: tt.conns, RunMode: mode}
			got, _, err := poolSize(cfg, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("poolSize = %d, %v; want an error naming %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("poolSize = %d, %v; want %d", got, err, tt.want)
			}
		})
	}
}
