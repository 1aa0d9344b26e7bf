package params

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestParseDefaults(t *testing.T) {
	got, err := Parse(base(), testNow)
	if err != nil {
		t.Fatalf("Parse(required only): %v", err)
	}
	if got.SourceDbTimezone == nil {
		t.Fatal("SourceDbTimezone is nil")
	}
	if _, off := testNow.In(got.SourceDbTimezone).Zone(); off != 0 {
		t.Errorf("SourceDbTimezone offset = %d, want 0", off)
	}
	got.SourceDbTimezone = nil
	want := &Config{
		ChangeStreamName:             "allstream",
		InstanceID:                   "inst",
		DatabaseID:                   "db",
		SpannerProjectID:             "proj",
		MetadataInstance:             "meta-inst",
		MetadataDatabase:             "meta-db",
		SourceShardsFilePath:         "gs://bucket/shards.json",
		StartTimestamp:               testNow,
		ShadowTablePrefix:            "shadow_",
		ShadowTableLocation:          "metadata",
		FiltrationMode:               "forward_migration",
		SourceDbTimezoneOffset:       "+00:00",
		SkipDirectoryName:            "skip",
		MaxShardConnections:          10000,
		DlqMaxRetryCount:             500,
		RunMode:                      "regular",
		DlqRetryMinutes:              10,
		SourceType:                   "mysql",
		FilterEventsDirectoryName:    "skip",
		ChangeStreamMetadataDatabase: "meta-db",
		SpannerPriority:              "HIGH",
		LogLevel:                     "INFO",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Parse(required only) =\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseAllSet(t *testing.T) {
	v := with(
		StartTimestamp, "2024-05-01T10:00:00.123456789Z",
		ShadowTablePrefix, "rev_shadow_",
		FiltrationMode, "none",
		ShardingCustomParameters, "a=b",
		SourceDbTimezoneOffset, "-05:30",
		SkipDirectoryName, "skipped",
		MaxShardConnections, "42",
		DeadLetterQueueDirectory, "gs://bucket/dlq",
		DlqMaxRetryCount, "0",
		DlqRetryMinutes, "3",
		TransformationCustomParameters, "x",
		FilterEventsDirectoryName, "filtered",
		ChangeStreamMetadataDatabase, "cs-meta",
		SpannerMetadataTableName, "Metadata_table_1",
		IsShardedMigration, "false",
		SpannerPriority, "LOW",
		ExtraFilesToStage, "gs://certs/ca.pem",
		DisabledAlgorithms, "TLSv1.3",
		EndTimestamp, "2024-05-01T12:00:01+02:00", // after the start: offsets are honoured
	)
	c, err := Parse(v, testNow)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"StartTimestamp", c.StartTimestamp.UTC(), time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)},
		{"EndTimestamp", c.EndTimestamp.UTC(), time.Date(2024, 5, 1, 10, 0, 1, 0, time.UTC)},
		{"ShadowTablePrefix", c.ShadowTablePrefix, "rev_shadow_"},
		{"FiltrationMode", c.FiltrationMode, "none"},
		{"SourceDbTimezoneOffset", c.SourceDbTimezoneOffset, "-05:30"},
		{"MaxShardConnections", c.MaxShardConnections, int64(42)},
		{"DlqMaxRetryCount", c.DlqMaxRetryCount, int64(0)},
		{"DlqRetryMinutes", c.DlqRetryMinutes, int64(3)},
		{"ChangeStreamMetadataDatabase", c.ChangeStreamMetadataDatabase, "cs-meta"},
		{"SpannerMetadataTableName", c.SpannerMetadataTableName, "Metadata_table_1"},
		{"SpannerPriority", c.SpannerPriority, "LOW"},
		{"SkipDirectoryName", c.SkipDirectoryName, "skipped"},
		{"FilterEventsDirectoryName", c.FilterEventsDirectoryName, "filtered"},
		{"DeadLetterQueueDirectory", c.DeadLetterQueueDirectory, "gs://bucket/dlq"},
		{"ExtraFilesToStage", c.ExtraFilesToStage, "gs://certs/ca.pem"},
		{"DisabledAlgorithms", c.DisabledAlgorithms, "TLSv1.3"},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	if _, off := testNow.In(c.SourceDbTimezone).Zone(); off != -(5*3600 + 30*60) {
		t.Errorf("SourceDbTimezone offset = %d, want -19800", off)
	}
}

func TestParseSingleValueProblems(t *testing.T) {
	tests := []struct {
		param, value string
		kind         error
		contains     string
	}{
		// Required parameters: absent, empty and blank.
		{ChangeStreamName, "\x00", ErrRequired, "required"},
		{InstanceID, "", ErrRequired, "required"},
		{SourceShardsFilePath, "  ", ErrRequired, "required"},

		{FiltrationMode, "all", ErrInvalid, "allowed values: none, forward_migration"},
		{FiltrationMode, "", ErrInvalid, "allowed values"},
		{RunMode, "retrydlq", ErrInvalid, "allowed values: regular, retryDLQ, retryAllDLQ"},
		{SourceType, "mongodb", ErrInvalid, "allowed values: mysql, postgresql"},
		{SpannerPriority, "high", ErrInvalid, "allowed values: LOW, MEDIUM, HIGH"},

		{StartTimestamp, "2024-05-01 10:00:00", ErrInvalid, "RFC 3339"},
		{StartTimestamp, "2024-05-01T10:00:00", ErrInvalid, "RFC 3339"},
		{EndTimestamp, "yesterday", ErrInvalid, "RFC 3339"},
		{EndTimestamp, "2024-13-01T10:00:00Z", ErrInvalid, "RFC 3339"},
		{EndTimestamp, "2024-05-01T10:00:00,5Z", ErrInvalid, "RFC 3339"},

		{SourceDbTimezoneOffset, "+15:00", ErrInvalid, "+HH:MM"},
		{SourceDbTimezoneOffset, "+05:60", ErrInvalid, "+HH:MM"},
		{SourceDbTimezoneOffset, "05:00", ErrInvalid, "+HH:MM"},
		{SourceDbTimezoneOffset, "+5:00", ErrInvalid, "+HH:MM"},
		{SourceDbTimezoneOffset, "UTC", ErrInvalid, "+HH:MM"},
		{SourceDbTimezoneOffset, "", ErrInvalid, "+HH:MM"},

		{MaxShardConnections, "0", ErrInvalid, "greater than 0"},
		{MaxShardConnections, "-5", ErrInvalid, "greater than 0"},

		{ExtraFilesToStage, "gs://bucket", ErrInvalid, `has an entry "gs://bucket" that is not a Cloud Storage file path`},
		{ExtraFilesToStage, "gs://a/ca.pem,gs://b/certs/ca.pem", ErrInvalid, "would both be staged as /extra_files/ca.pem"},
		{ExtraFilesToStage, "projects/p/secrets/ca/versions/1", ErrInvalid, "Secret Manager entries are not supported"},
		{DisabledAlgorithms, "SSLv3, Blowfish", ErrInvalid, `is not usable: "Blowfish" is not understood`},
		{DisabledAlgorithms, "TLSv1.2, TLSv1.3", ErrInvalid, "leaves no protocol version"},
		{DlqRetryMinutes, "0", ErrInvalid, "greater than 0"},
		{DlqMaxRetryCount, "-1", ErrInvalid, "0 or greater"},
		{MaxShardConnections, "ten", ErrInvalid, "whole number"},
		{DlqRetryMinutes, "1.5", ErrInvalid, "whole number"},
		{DlqMaxRetryCount, "+3", ErrInvalid, "whole number"},
		{DlqMaxRetryCount, "", ErrInvalid, "whole number"},
		{MaxShardConnections, "99999999999999999999", ErrInvalid, "too large"},

		{IsShardedMigration, "yes", ErrInvalid, "true or false"},
		{IsShardedMigration, "1", ErrInvalid, "true or false"},

		{DlqGcsPubSubSubscription, "my-sub", ErrInvalid, "projects/<project>/subscriptions/<subscription>"},
		{DlqGcsPubSubSubscription, "projects/p/topics/t", ErrInvalid, "projects/<project>/subscriptions/<subscription>"},
		{DlqGcsPubSubSubscription, "projects//subscriptions/s", ErrInvalid, "projects/<project>/subscriptions/<subscription>"},

		{ShadowTablePrefix, "", ErrInvalid, "must not be empty"},
		{ShadowTablePrefix, "shadow-", ErrInvalid, "letters, digits and underscores"},
		{ShadowTablePrefix, "rev shadow", ErrInvalid, "letters, digits and underscores"},
		{ShadowTablePrefix, "_shadow", ErrInvalid, "starting with a letter"},
		{ShadowTableLocation, "spanner", ErrInvalid, ""},

		{SkipDirectoryName, "", ErrInvalid, "must not be empty"},
		{SkipDirectoryName, "a/b", ErrInvalid, "without /"},
		{SkipDirectoryName, "..", ErrInvalid, "not . or .."},
		{SkipDirectoryName, "retry", ErrInvalid, "clashes"},
		{FilterEventsDirectoryName, "", ErrInvalid, "must not be empty"},
		{FilterEventsDirectoryName, "x/", ErrInvalid, "without /"},

		{SpannerMetadataTableName, "1table", ErrInvalid, "Spanner table name"},
		{SpannerMetadataTableName, "my-table", ErrInvalid, "Spanner table name"},
		{SpannerMetadataTableName, strings.Repeat("a", 129), ErrInvalid, "Spanner table name"},

		{SourceShardsFilePath, "gs://bucket", ErrInvalid, "gs://<bucket>/<object>"},
		{SourceShardsFilePath, "gs:///shards.json", ErrInvalid, "gs://<bucket>/<object>"},
		{SourceShardsFilePath, "gs://bucket/dir/", ErrInvalid, "gs://<bucket>/<object>"},
		{DeadLetterQueueDirectory, "gs:///dlq", ErrInvalid, "gs://<bucket>/<folder>"},

		{LogLevel, "TRACE", ErrInvalid, "use DEBUG, INFO, WARN or ERROR"},
		{LogLevel, "", ErrInvalid, "is not a log level"},
		{LogLevel, "info ", ErrInvalid, "is not a log level"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.param, tt.value), func(t *testing.T) {
			v := with(tt.param, tt.value)
			_, err := Parse(v, testNow)
			if err == nil {
				t.Fatal("Parse succeeded, want an error")
			}
			pe := findError(t, err, tt.param, tt.contains)
			value := tt.value
			if value == "\x00" {
				value = ""
			}
			prefix := fmt.Sprintf("%s: value %q ", tt.param, value)
			if !strings.HasPrefix(pe.Error(), prefix) {
				t.Errorf("message %q does not start with %q", pe.Error(), prefix)
			}
			if !errors.Is(pe, tt.kind) {
				t.Errorf("error %q is not %v", pe, tt.kind)
			}
		})
	}
}

func TestParseAcceptsEdgeValues(t *testing.T) {
	tests := []struct{ param, value string }{
		{SourceDbTimezoneOffset, "+14:00"},
		{SourceDbTimezoneOffset, "-14:59"},
		{SourceDbTimezoneOffset, "+00:00"},
		{StartTimestamp, "2024-05-01T10:00:00+05:30"},
		{StartTimestamp, "2024-05-01T10:00:00.5Z"},
		{EndTimestamp, "9999-12-31T23:59:59.999999999Z"},
		{DlqMaxRetryCount, "0"},
		{MaxShardConnections, "1"},
		{SpannerMetadataTableName, strings.Repeat("a", 128)},
		{SpannerMetadataTableName, ""},
		{SourceShardsFilePath, "/local/shards.json"},
		{SourceShardsFilePath, "shards.json"},
		{DeadLetterQueueDirectory, "gs://bucket"},
		{DeadLetterQueueDirectory, "/tmp/dlq"},
		{SkipDirectoryName, "skip_dir.v2"},
		{ShadowTablePrefix, "S"},
		{DlqGcsPubSubSubscription, ""},
		{SessionFilePath, ""},
		{IsShardedMigration, "false"},
		{ChangeStreamMetadataDatabase, ""},
		{LogLevel, "debug"},
		{LogLevel, "Warning"},
		{ExtraFilesToStage, "gs://certs/ca.pem, gs://certs/client/key.pem"},
		{ExtraFilesToStage, "/local/ca.pem"},
		{DisabledAlgorithms, "none"},
		{DisabledAlgorithms, "SSLv3, TLSv1, TLSv1.1, RC4, DES, MD5withRSA, DH keySize < 1024, EC keySize < 224, 3DES_EDE_CBC, anon, NULL"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.param, tt.value), func(t *testing.T) {
			if _, err := Parse(with(tt.param, tt.value), testNow); err != nil {
				t.Errorf("Parse: %v", err)
			}
		})
	}
}

func TestParseCrossParameterProblems(t *testing.T) {
	tests := []struct {
		name         string
		values       Values
		param, value string
		contains     []string
	}{
		{
			name:   "end before start",
			values: with(StartTimestamp, "2024-05-02T00:00:00Z", EndTimestamp, "2024-05-01T00:00:00Z"),
			param:  EndTimestamp, value: "2024-05-01T00:00:00Z",
			contains: []string{`before startTimestamp "2024-05-02T00:00:00Z"`},
		},
		{
			name:   "end before launch time",
			values: with(EndTimestamp, "2026-02-28T00:00:00Z"),
			param:  EndTimestamp, value: "2026-02-28T00:00:00Z",
			contains: []string{"before the launch time 2026-03-01T12:00:00Z"},
		},
		{
			name:   "transformation module without function",
			values: with(TransformationJarPath, "gs://b/t.wasm"),
			param:  TransformationJarPath, value: "gs://b/t.wasm",
			contains: []string{"without transformationClassName"},
		},
		{
			name:   "sharding module without function",
			values: with(ShardingCustomJarPath, "/opt/shard.wasm"),
			param:  ShardingCustomJarPath, value: "/opt/shard.wasm",
			contains: []string{"without shardingCustomClassName"},
		},
		{
			name:   "session file and overrides",
			values: with(SessionFilePath, "gs://b/s.json", ColumnOverrides, "[{t.a, t.b}]"),
			param:  SessionFilePath, value: "gs://b/s.json",
			contains: []string{`columnOverrides="[{t.a, t.b}]"`, "only one of"},
		},
		{
			name:   "overrides and overrides file",
			values: with(TableOverrides, "[{a, b}]", SchemaOverridesFilePath, "gs://b/o.json"),
			param:  TableOverrides, value: "[{a, b}]",
			contains: []string{`schemaOverridesFilePath="gs://b/o.json"`},
		},
		{
			name:   "all three mappings",
			values: with(SessionFilePath, "s.json", TableOverrides, "[{a, b}]", SchemaOverridesFilePath, "o.json"),
			param:  SessionFilePath, value: "s.json",
			contains: []string{`tableOverrides="[{a, b}]"`, `schemaOverridesFilePath="o.json"`},
		},
		{
			name:   "verify timestamp outside verify mode",
			values: with(VerifyTimestamp, "2026-03-01T11:00:00Z"),
			param:  VerifyTimestamp, value: "2026-03-01T11:00:00Z",
			contains: []string{"only used with runMode=verify"},
		},
		{
			name:   "verify repair outside verify mode",
			values: with(RunMode, RunModeRetryDLQ, VerifyRepair, "true"),
			param:  VerifyRepair, value: "true",
			contains: []string{"only used with runMode=verify, not runMode=retryDLQ"},
		},
		{
			name:   "verify timestamp in the future",
			values: with(RunMode, RunModeVerify, VerifyTimestamp, "2026-03-01T12:00:01Z"),
			param:  VerifyTimestamp, value: "2026-03-01T12:00:01Z",
			contains: []string{"after the launch time 2026-03-01T12:00:00Z"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.values, testNow)
			pe := findError(t, err, tt.param, tt.contains[0])
			if pe.Value != tt.value {
				t.Errorf("Value = %q, want %q", pe.Value, tt.value)
			}
			for _, s := range tt.contains {
				if !strings.Contains(pe.Error(), s) {
					t.Errorf("message %q lacks %q", pe.Error(), s)
				}
			}
			if !errors.Is(pe, ErrInvalid) {
				t.Errorf("error %q is not ErrInvalid", pe)
			}
		})
	}
}

func TestParseCrossParameterAccepted(t *testing.T) {
	tests := []struct {
		name   string
		values Values
	}{
		{"end equals start", with(StartTimestamp, "2024-05-01T00:00:00Z", EndTimestamp, "2024-05-01T02:00:00+02:00")},
		{"end after launch time", with(EndTimestamp, "2026-03-01T12:00:00Z")},
		{"table and column overrides together", with(TableOverrides, "[{a, b}]", ColumnOverrides, "[{a.x, a.y}]")},
		{"verify with a past timestamp and repair", with(RunMode, RunModeVerify, VerifyTimestamp, "2026-03-01T11:00:00Z", VerifyRepair, "true")},
		{"verify timestamp at the launch time", with(RunMode, RunModeVerify, VerifyTimestamp, "2026-03-01T12:00:00Z")},
		{"verify with shadow tables in metadata", with(RunMode, RunModeVerify, ShadowTableLocation, ShadowInMetadata)},
		// verify reads the shadow rows in the shards (issue 17).
		{"verify with shadow tables in the source", with(RunMode, RunModeVerify, ShadowTableLocation, ShadowInSource, VerifyRepair, "true")},
		{"shadow tables in the source outside verify", with(ShadowTableLocation, ShadowInSource)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse(tt.values, testNow)
			for _, e := range Errors(err) {
				// Overrides are not supported yet; only the combination rule
				// is under test here.
				if !errors.Is(e, ErrNotSupportedYet) {
					t.Errorf("unexpected error: %v", e)
				}
			}
		})
	}
}

func TestModuleFunctionAloneIsNotAConflict(t *testing.T) {
	for _, name := range []string{TransformationClassName, ShardingCustomClassName} {
		_, err := Parse(with(name, "builtin"), testNow)
		for _, e := range Errors(err) {
			if !errors.Is(e, ErrNotSupportedYet) {
				t.Errorf("%s alone: unexpected error %v", name, e)
			}
		}
	}
}

// TestNotSupportedYet lists the values switched off in unsupported.go. Delete
// a case when its feature lands.
func TestNotSupportedYet(t *testing.T) {
	tests := []struct{ param, value string }{
		{SourceType, "cassandra"},
		{SourceType, "spanner"},
		{SourceType, "oracle"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%s=%q", tt.param, tt.value), func(t *testing.T) {
			var found *Error
			for _, pe := range paramErrors(tt.param, tt.value) {
				if errors.Is(pe, ErrNotSupportedYet) {
					found = pe
				}
			}
			if found == nil {
				t.Fatal("no not-supported-yet error")
			}
			prefix := fmt.Sprintf("%s: value %q is not supported yet: ", tt.param, tt.value)
			if !strings.HasPrefix(found.Error(), prefix) || len(found.Error()) == len(prefix) {
				t.Errorf("message %q does not have the form %q<reason>", found, prefix)
			}
		})
	}
}

// The supported source databases parse, and the refusal of the others
// names them.
func TestSupportedSourceTypes(t *testing.T) {
	for _, v := range []string{SourceMySQL, SourcePostgreSQL} {
		if errs := paramErrors(SourceType, v); len(errs) != 0 {
			t.Errorf("%s=%s: %v", SourceType, v, errs)
		}
	}
	for _, pe := range paramErrors(SourceType, SourceOracle) {
		if !strings.Contains(pe.Error(), "mysql and postgresql") {
			t.Errorf("refusal %q does not name the supported values", pe)
		}
	}
}

// A malformed value is reported as malformed only; whether it would be
// supported is meaningless until it parses.
func TestNotSupportedYetNeedsWellFormedValue(t *testing.T) {
	errs := paramErrors(DlqGcsPubSubSubscription, "my-sub")
	if len(errs) != 1 || !errors.Is(errs[0], ErrInvalid) {
		t.Errorf("got %v, want exactly one ErrInvalid", errs)
	}
}

func TestParseReportsEverythingAtOnce(t *testing.T) {
	v := with(
		ChangeStreamName, "\x00",
		MaxShardConnections, "0",
		SourceDbTimezoneOffset, "+25:00",
		SpannerPriority, "URGENT",
		"noSuchParam", "1",
	)
	_, err := Parse(v, testNow)
	errs := Errors(err)
	want := map[string]error{
		ChangeStreamName:       ErrRequired,
		MaxShardConnections:    ErrInvalid,
		SourceDbTimezoneOffset: ErrInvalid,
		SpannerPriority:        ErrInvalid,
		"noSuchParam":          ErrUnknown,
	}
	if len(errs) != len(want) {
		t.Errorf("got %d errors, want %d:\n%v", len(errs), len(want), err)
	}
	for param, kind := range want {
		pe := findError(t, err, param, param)
		if !errors.Is(pe, kind) {
			t.Errorf("%s: %v is not %v", param, pe, kind)
		}
	}
}

func TestErrorsFlattens(t *testing.T) {
	a, b, c := errors.New("a"), errors.New("b"), errors.New("c")
	if got := Errors(nil); got != nil {
		t.Errorf("Errors(nil) = %v", got)
	}
	if got := Errors(a); len(got) != 1 || got[0] != a {
		t.Errorf("Errors(a) = %v", got)
	}
	got := Errors(errors.Join(a, errors.Join(b, c)))
	if len(got) != 3 || got[0] != a || got[1] != b || got[2] != c {
		t.Errorf("Errors(join) = %v", got)
	}
	pe := &Error{Param: "p", Value: "v", Problem: "is bad", Kind: ErrInvalid, Cause: a}
	if got := Errors(pe); len(got) != 1 || got[0] != pe {
		t.Errorf("Errors(*Error) = %v, want the *Error itself", got)
	}
}

func TestResolveDeadLetterQueueDirectory(t *testing.T) {
	tests := []struct{ configured, temp, want string }{
		{"", "gs://b/tmp", "gs://b/tmp/dlq/"},
		{"", "gs://b/tmp/", "gs://b/tmp/dlq/"},
		{"", "", "dlq/"},
		{"gs://b/mydlq", "gs://b/tmp", "gs://b/mydlq/"},
		{"gs://b/mydlq/", "", "gs://b/mydlq/"},
	}
	for _, tt := range tests {
		c := &Config{DeadLetterQueueDirectory: tt.configured}
		if got := c.ResolveDeadLetterQueueDirectory(tt.temp); got != tt.want {
			t.Errorf("(%q).Resolve(%q) = %q, want %q", tt.configured, tt.temp, got, tt.want)
		}
	}
}

// logLevel is read in any case and kept upper case, WARNING as WARN.
func TestLogLevel(t *testing.T) {
	for in, want := range map[string]string{"debug": "DEBUG", "Info": "INFO", "warning": "WARN", "WARN": "WARN", "error": "ERROR"} {
		c, err := Parse(with(LogLevel, in), testNow)
		if err != nil || c.LogLevel != want {
			t.Errorf("logLevel=%q: got %+v, %v; want %s", in, c, err, want)
		}
	}
}

func TestStartTimestampGiven(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	c, err := Parse(base(), now)
	if err != nil || c.StartTimestampGiven || !c.StartTimestamp.Equal(now) {
		t.Fatalf("empty start: given %v start %v err %v, want not given and now", c.StartTimestampGiven, c.StartTimestamp, err)
	}
	v := base()
	v[StartTimestamp] = "2026-01-01T00:00:00Z"
	if c, err = Parse(v, now); err != nil || !c.StartTimestampGiven {
		t.Fatalf("explicit start: given %v err %v, want given", c.StartTimestampGiven, err)
	}
}
