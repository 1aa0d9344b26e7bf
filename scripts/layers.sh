#!/usr/bin/env bash
# Checks the one-way layers (make lint): template -> pipeline -> transforms
# -> io -> pure. A package may import its own layer or a lower one, never a
# higher one; pure/ (libraries without I/O) imports no network, file, SQL or
# cloud client package; and the folders two levels deep import each other
# without a loop. integration_test/ is outside the layers. Reads the
# non-test imports from go list.
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
module=$($GO list -m)
$GO list -f '{{.ImportPath}} {{join .Imports " "}}' ./... | awk -v m="$module" '
function rank(p) {
	if (p == m || index(p, m "/") != 1) return 0
	split(substr(p, length(m) + 2), part, "/")
	if (part[1] == "template") return 5
	if (part[1] == "pipeline") return 4
	if (part[1] == "transforms") return 3
	if (part[1] == "io") return 2
	if (part[1] == "pure") return 1
	return -1
}
function folder(p,   part, n) {
	n = split(substr(p, length(m) + 2), part, "/")
	return n >= 2 ? part[1] "/" part[2] : part[1]
}
function fail(msg) { print "layers: " msg > "/dev/stderr"; bad = 1 }
{
	from = $1
	if (index(from, m "/integration_test") == 1) next
	r = rank(from)
	if (r < 0) { fail(from " is in no layer (template, pipeline, transforms, io, pure)"); next }
	for (i = 2; i <= NF; i++) {
		to = $i
		t = rank(to)
		if (t > r) fail(from " imports " to ", a higher layer")
		if (r == 1 && to ~ /^(net|net\/.*|os|os\/.*|database\/sql.*|cloud\.google\.com\/.*|google\.golang\.org\/(api|grpc)(\/.*)?|github\.com\/go-sql-driver\/.*|github\.com\/jackc\/.*|github\.com\/tetratelabs\/.*|github\.com\/apache\/beam\/sdks\/v2\/go\/pkg\/beam\/io\/filesystem.*)$/)
			fail(from " (pure: no I/O) imports " to)
		if (t > 0 && folder(from) != folder(to)) print folder(from), folder(to)
	}
}
END { exit bad }
' > "${TMPDIR:-/tmp}/layers.$$" || { rm -f "${TMPDIR:-/tmp}/layers.$$"; exit 1; }
# tsort reports a loop among the folder pairs (and exits non-zero with GNU tsort).
if ! out=$(sort -u "${TMPDIR:-/tmp}/layers.$$" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
	rm -f "${TMPDIR:-/tmp}/layers.$$"
	echo "layers: folders import each other in a loop:" >&2
	echo "$out" >&2
	exit 1
fi
rm -f "${TMPDIR:-/tmp}/layers.$$"
echo "layers: ok"
