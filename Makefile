# Reverse replication (Spanner change stream -> MySQL) on Beam Go.
BINARY      ?= bin/revrepl
# bash for `set -o pipefail` in the test target.
SHELL       := /bin/bash
GO          ?= go
TEST_TIMEOUT ?= 30m
TEST_PKGS   ?= ./...
# For `make image` / `make template`. Give every build its own VERSION
# (`make image template VERSION=1.2.0`): the image is tagged with it and the
# template spec, stored per version, points at that tag, so a running job
# keeps its image and an older spec can be launched again to roll back.
PROJECT     ?= my-project
REGION      ?= us-central1
REPOSITORY  ?= dataflow
VERSION     ?= latest
IMAGE       ?= $(REGION)-docker.pkg.dev/$(PROJECT)/$(REPOSITORY)/spanner-to-sourcedb:$(VERSION)
TEMPLATE_GCS ?= gs://$(PROJECT)-dataflow/templates/spanner-to-sourcedb$(if $(filter latest,$(VERSION)),,-$(VERSION)).json

.PHONY: build test integration-test unit-test lint metadata services demo local-env local-env-stop local-env-sql local-env-check run-local bench bench-verify image template wasm-example

build:
	$(GO) build -o $(BINARY) ./template

# The whole suite, integration tests (Spanner emulator + MariaDB on prism) included.
# Ends with "N passed, N failed, N skipped" and the names of skipped tests;
# fails when any test or package fails (pipefail keeps go test's status).
test: services
	set -o pipefail; $(GO) test -json -count=1 -timeout $(TEST_TIMEOUT) $(TEST_PKGS) | $(GO) run ./integration_test/cmd/testsummary

unit-test:
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) $$($(GO) list ./... | grep -v /integration_test)

integration-test: services
	$(GO) test -count=1 -timeout $(TEST_TIMEOUT) -v ./integration_test/...

# goimports (pinned in go.mod's tool line) formats like gofmt and also checks
# the import groups: standard library, then others, with this module's
# packages in their own group (-local). scripts/layers.sh checks that imports
# only go down template -> pipeline -> transforms -> io -> pure.
MODULE      := github.com/revrepl/spanner-to-sourcedb
lint:
	@out=$$($(GO) tool goimports -local $(MODULE) -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "goimports -local $(MODULE) needed:"; echo "$$out"; exit 1; fi
	GO=$(GO) scripts/layers.sh
	$(GO) vet ./...
	GOOS=wasip1 GOARCH=wasm $(GO) vet ./io/plugin/guest ./io/plugin/examples/shardbycolumn ./io/plugin/examples/transform

# The example modules, WASI reactors: custom sharding (shardingCustomJarPath)
# and custom transformation (transformationJarPath).
wasm-example:
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o bin/shard_by_column.wasm ./io/plugin/examples/shardbycolumn
	GOOS=wasip1 GOARCH=wasm $(GO) build -buildmode=c-shared -o bin/transform_example.wasm ./io/plugin/examples/transform

# Regenerates metadata.json, the README's launch command and docs/parameters.md.
metadata:
	$(GO) run ./template/cmd/genparams

services:
	@scripts/services.sh

# The one-command demo: a sharded sample shop replicated from the Spanner
# emulator into two MariaDB shards on prism, with live progress and a
# row-by-row verification. DEMO_FLAGS='--duration=2m --rate=50' to vary it
# (bin/demo --help lists the flags). TARGET=postgresql replicates into two
# PostgreSQL databases instead. Builds first, saying so: the first build
# compiles Beam and takes minutes.
demo: services
	@GO=$(GO) scripts/gobuild.sh bin/demo ./integration_test/cmd/demo
	bin/demo $(if $(TARGET),--target=$(TARGET)) $(DEMO_FLAGS)

# A local environment that stays up: the Spanner emulator in the background
# on 127.0.0.1:9010, instance, data database with a change stream from DDL
# (the sample by default), metadata database, a MariaDB shard database with
# the target tables, an account with a password, a shard file. Prints the
# launch command and writes it to $(LOCAL_ENV_DIR)/run.sh. Idempotent.
#   make local-env DDL=my_spanner.sql MYSQL_DDL=my_mysql.sql
LOCAL_ENV_DIR ?= .local-env
LOCAL_ENV = $(GO) run ./integration_test/cmd/localenv --dir=$(LOCAL_ENV_DIR)
local-env: services
	$(LOCAL_ENV) $(if $(DDL),--ddl=$(DDL)) $(if $(MYSQL_DDL),--mysql_ddl=$(MYSQL_DDL)) $(if $(STREAM),--stream=$(STREAM)) $(LOCAL_ENV_FLAGS)

# Stops the emulator local-env started, drops the shard database, removes
# $(LOCAL_ENV_DIR).
local-env-stop:
	$(LOCAL_ENV) --stop

# Runs DML on the local data database: make local-env-sql SQL="INSERT ...".
local-env-sql:
	$(LOCAL_ENV) --sql="$$SQL"

# Runs the template on prism against the local environment until Ctrl-C;
# RUN_FLAGS adds flags, e.g. RUN_FLAGS=--endTimestamp=2030-01-01T00:00:00Z.
run-local:
	@test -x $(LOCAL_ENV_DIR)/run.sh || { echo "run-local: no local environment in $(LOCAL_ENV_DIR): run make local-env first" >&2; exit 1; }
	$(LOCAL_ENV_DIR)/run.sh $(RUN_FLAGS)

# A fresh local environment, a bounded make run-local, and a check that the
# sample is in MySQL (CI).
local-env-check:
	scripts/check-local-env.sh

# Writer throughput (batch size 1 vs batched vs its Spanner side alone vs raw
# upserts), end-to-end lag at 1,000 changes/s for 60 s, and the ramp to the
# highest rate sustained (max_rate), on the emulator and MariaDB (TARGET=postgresql:
# PostgreSQL); see docs/performance.md.
bench: services
	$(GO) run ./integration_test/cmd/bench $(if $(TARGET),--target=$(TARGET)) $(BENCH_FLAGS)

# Rows verified per second by runMode=verify (a table of VERIFY_ROWS equal
# rows in the emulator and MariaDB). VERIFY_ROWS=20000 for a quick run.
VERIFY_ROWS ?= 1000000
bench-verify: services
	$(GO) run ./integration_test/cmd/bench --verify_rows=$(VERIFY_ROWS) $(BENCH_FLAGS)

# Builds the container image with Cloud Build (no local Docker needed).
image:
	gcloud builds submit --project $(PROJECT) --tag $(IMAGE) .

template:
	gcloud dataflow flex-template build $(TEMPLATE_GCS) \
	  --project $(PROJECT) --image $(IMAGE) --sdk-language GO --metadata-file metadata.json
