#!/usr/bin/env bash
# Checks the newcomer's path end to end, as the README tells it: a fresh
# `make local-env` (the sample), `make run-local` bounded by an
# endTimestamp 40 s ahead, then the sample table compared row by row in
# Spanner and MySQL (at least one row, no mismatch). Uses its own state
# folder and emulator port, and tears everything down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

dir=${LOCAL_ENV_CHECK_DIR:-.local-env-check}
port=${LOCAL_ENV_CHECK_EMULATOR:-127.0.0.1:9011}
make_env=(LOCAL_ENV_DIR="$dir" LOCAL_ENV_FLAGS="--emulator=$port --mysql_database=revrepl_local_check --database=checkdb --metadata=checkmeta")

stop() { make --no-print-directory local-env-stop "${make_env[@]}" >/dev/null || true; }
log=$(mktemp)
trap 'stop; rm -f "$log"' EXIT
stop
make --no-print-directory local-env "${make_env[@]}"
end=$(date -u -d '+40 seconds' +%Y-%m-%dT%H:%M:%SZ)
make --no-print-directory run-local "${make_env[@]}" RUN_FLAGS="--endTimestamp=$end" >"$log" 2>&1 ||
  { tail -50 "$log" >&2; echo "check-local-env: make run-local failed (log above)" >&2; exit 1; }
go run ./integration_test/cmd/localenv --dir="$dir" --verify
echo "check-local-env: ok"
