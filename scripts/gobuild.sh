#!/usr/bin/env bash
# Builds one Go command and says what is going on while it does: the first
# build on a fresh machine downloads the modules and compiles Apache Beam,
# the Spanner client and gRPC (about 900 packages), which takes minutes;
# later builds come from Go's build cache in seconds.
#
# Usage: scripts/gobuild.sh OUTPUT PACKAGE
# Prints a heartbeat (elapsed time, packages compiled so far) every 15 s,
# rewritten in place on a terminal; on failure prints the compiler output.
set -euo pipefail

out=$1
pkg=$2
GO=${GO:-go}

log=$(mktemp)
trap 'rm -f "$log"' EXIT

start=$SECONDS
echo "Building $pkg into $out."
echo "  The first build downloads the Go modules and compiles Apache Beam, the Spanner client and gRPC"
echo "  (about 900 packages): 5 to 12 minutes on 2 cores. Later builds take seconds."

# -v prints each package as it is compiled: the heartbeat counts them.
"$GO" build -v -o "$out" "$pkg" >"$log" 2>&1 &
build=$!

tty=false
[ -t 1 ] && tty=true
every=15
$tty && every=1
last=0
while kill -0 "$build" 2>/dev/null; do
  sleep 1
  elapsed=$((SECONDS - start))
  if ((elapsed - last >= every)); then
    last=$elapsed
    pkgs=$(grep -vc '^go: downloading' "$log" || true)
    mods=$(grep -c '^go: downloading' "$log" || true)
    msg="  still building: ${elapsed}s, $pkgs packages compiled"
    ((mods > 0)) && msg="$msg, $mods modules downloaded"
    if $tty; then printf '\r\033[K%s' "$msg"; else echo "$msg"; fi
  fi
done
$tty && printf '\r\033[K'

if ! wait "$build"; then
  echo "Build of $pkg failed after $((SECONDS - start))s:" >&2
  grep -v '^go: downloading' "$log" | grep -v '^[a-zA-Z0-9_./~-]*$' >&2 || cat "$log" >&2
  exit 1
fi
echo "Built $out in $((SECONDS - start))s."
