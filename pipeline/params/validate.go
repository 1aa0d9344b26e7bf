package params

import (
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Values maps a parameter name to its raw value as given. An absent name
// means "use the default"; a name present with "" means the user explicitly
// passed an empty value, which is only fine where empty has a meaning.
type Values map[string]string

var (
	// The timestamp pattern is enforced before time.Parse so that Parse
	// accepts exactly what the metadata.json regex accepts (time.Parse alone
	// is more lenient, e.g. about the fraction separator).
	timestampRE    = regexp.MustCompile(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$`)
	offsetRE       = regexp.MustCompile(`^([+-])(0[0-9]|1[0-4]):([0-5][0-9])$`)
	subscriptionRE = regexp.MustCompile(`^projects/[^/]+/subscriptions/[^/]+$`)
	integerRE      = regexp.MustCompile(`^-?[0-9]+$`)
)

// parsed holds the typed form of every value that passed its Kind check, so
// cross-parameter checks and the Config are built from one parse.
type parsed struct {
	raw   map[string]string
	ok    map[string]bool
	ints  map[string]int64
	times map[string]time.Time
	bools map[string]bool
	zone  *time.Location
}

// Parse validates v and returns the typed configuration. now is used as the
// start timestamp when none is given (and to check endTimestamp against it).
// Every problem is reported: the error is an errors.Join of *Error values,
// one per problem; use Errors to split it.
func Parse(v Values, now time.Time) (*Config, error) {
	defs := Definitions()
	var errs []error

	known := make(map[string]bool, len(defs))
	for _, p := range defs {
		known[p.Name] = true
	}
	var unknown []string
	for name := range v {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	slices.Sort(unknown)
	for _, name := range unknown {
		errs = append(errs, &Error{Param: name, Value: v[name], Problem: "is for a parameter this template does not have", Kind: ErrUnknown})
	}

	ps := parsed{
		raw:   map[string]string{},
		ok:    map[string]bool{},
		ints:  map[string]int64{},
		times: map[string]time.Time{},
		bools: map[string]bool{},
	}
	for _, p := range defs {
		val, given := v[p.Name]
		if !given {
			val = p.Default
		}
		ps.raw[p.Name] = val
		errs = append(errs, ps.check(p, val)...)
	}
	errs = append(errs, ps.crossChecks(now)...)
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ps.config(now), nil
}

// check validates one value: its Kind first, then, only if it is well formed,
// the parameter's own Check and the not-supported-yet table.
func (ps *parsed) check(p Param, val string) []error {
	fail := func(kind error, problem string, cause error) []error {
		return []error{&Error{Param: p.Name, Value: val, Problem: problem, Kind: kind, Cause: cause}}
	}
	if p.Required && strings.TrimSpace(val) == "" {
		return fail(ErrRequired, "is missing: this parameter is required", nil)
	}
	// Empty is how the user says "not set" for optional parameters without a
	// default; for those with a default an explicit "" is checked like any
	// other value (and fails for every one of them).
	if val == "" && p.Default == "" {
		ps.ok[p.Name] = true
		return nil
	}

	if problem, cause := ps.parseKind(p, val); problem != "" {
		return fail(ErrInvalid, problem, cause)
	}
	ps.ok[p.Name] = true

	var errs []error
	if p.Check != nil {
		if problem := p.Check(val); problem != "" {
			ps.ok[p.Name] = false
			errs = append(errs, fail(ErrInvalid, problem, nil)...)
		}
	}
	if p.NotSupportedYet != nil {
		if reason := p.NotSupportedYet(val); reason != "" {
			ps.ok[p.Name] = false
			errs = append(errs, fail(ErrNotSupportedYet, "is not supported yet: "+reason, nil)...)
		}
	}
	return errs
}

// parseKind returns a problem phrase (and the underlying error, if any) when
// val is malformed for p.Kind, and records the typed value otherwise.
func (ps *parsed) parseKind(p Param, val string) (string, error) {
	switch p.Kind {
	case String:
	case Int:
		if !integerRE.MatchString(val) {
			return "is not a whole number", nil
		}
		n, err := strconv.ParseInt(val, 10, 64)
		if err != nil {
			return "is too large for a 64-bit integer", err
		}
		ps.ints[p.Name] = n
	case Bool:
		switch val {
		case "true", "false":
			ps.bools[p.Name] = val == "true"
		default:
			return "is not a boolean: use true or false", nil
		}
	case Enum:
		if !slices.Contains(p.Enum, val) {
			return "is not one of the allowed values: " + strings.Join(p.Enum, ", "), nil
		}
	case Timestamp:
		if !timestampRE.MatchString(val) {
			return "is not an RFC 3339 timestamp such as 2024-05-01T10:00:00Z", nil
		}
		t, err := time.Parse(time.RFC3339Nano, val)
		if err != nil {
			return "is not a valid RFC 3339 timestamp: " + err.Error(), err
		}
		ps.times[p.Name] = t
	case Offset:
		m := offsetRE.FindStringSubmatch(val)
		if m == nil {
			return "is not a UTC offset of the form +HH:MM or -HH:MM (hours 00-14, minutes 00-59)", nil
		}
		h, _ := strconv.Atoi(m[2])
		mins, _ := strconv.Atoi(m[3])
		secs := (h*60 + mins) * 60
		if m[1] == "-" {
			secs = -secs
		}
		ps.zone = time.FixedZone(val, secs)
	case Subscription:
		if !subscriptionRE.MatchString(val) {
			return "is not a Pub/Sub subscription of the form projects/<project>/subscriptions/<subscription>", nil
		}
	default:
		// A definition with a Kind this switch does not know is a bug in
		// this package; TestEveryKindParses keeps it from shipping.
		return fmt.Sprintf("cannot be checked: parameter kind %v is not handled", p.Kind), nil
	}
	return "", nil
}

// crossChecks covers rules that involve more than one parameter. They are
// independent of the single-value checks, so a value can be reported by both
// when it has two distinct problems.
func (ps *parsed) crossChecks(now time.Time) []error {
	var errs []error

	for _, pair := range [][2]string{
		{TransformationJarPath, TransformationClassName},
		{ShardingCustomJarPath, ShardingCustomClassName},
	} {
		module, export := pair[0], pair[1]
		if ps.raw[module] != "" && ps.raw[export] == "" {
			errs = append(errs, &Error{
				Param: module, Value: ps.raw[module], Kind: ErrInvalid,
				Problem: fmt.Sprintf("is given without %s, which must name the function to call in the module", export),
			})
		}
	}

	// The name mappings are alternatives; the pipeline could not tell which
	// one should win.
	var mappings []string
	for _, group := range [][]string{{SessionFilePath}, {TableOverrides, ColumnOverrides}, {SchemaOverridesFilePath}} {
		for _, name := range group {
			if ps.raw[name] != "" {
				mappings = append(mappings, name)
				break
			}
		}
	}
	if len(mappings) > 1 {
		var others []string
		for _, name := range mappings[1:] {
			others = append(others, fmt.Sprintf("%s=%q", name, ps.raw[name]))
		}
		errs = append(errs, &Error{
			Param: mappings[0], Value: ps.raw[mappings[0]], Kind: ErrInvalid,
			Problem: fmt.Sprintf("cannot be combined with %s: give only one of sessionFilePath, tableOverrides/columnOverrides or schemaOverridesFilePath",
				strings.Join(others, ", ")),
		})
	}

	if end, ok := ps.times[EndTimestamp]; ok && ps.ok[StartTimestamp] {
		start, explicit := ps.times[StartTimestamp]
		since := fmt.Sprintf("startTimestamp %q", ps.raw[StartTimestamp])
		if !explicit {
			start = now
			since = fmt.Sprintf("the launch time %s, which is the start when startTimestamp is empty", now.UTC().Format(time.RFC3339))
		}
		if end.Before(start) {
			errs = append(errs, &Error{Param: EndTimestamp, Value: ps.raw[EndTimestamp], Kind: ErrInvalid, Problem: "is before " + since})
		}
	}
	errs = append(errs, ps.verifyChecks(now)...)
	return errs
}

// verifyChecks: the verify parameters only mean something in runMode=verify
// (a regular job given them would silently ignore them), and Spanner
// cannot be read at a time still to come. Either shadowTableLocation
// verifies: the in-flight rule reads the shadow rows where the regular job
// keeps them.
func (ps *parsed) verifyChecks(now time.Time) []error {
	var errs []error
	verify := ps.raw[RunMode] == RunModeVerify
	for _, name := range []string{VerifyTimestamp, VerifyRepair} {
		if !verify && ps.raw[name] != "" && ps.raw[name] != "false" {
			errs = append(errs, &Error{Param: name, Value: ps.raw[name], Kind: ErrInvalid,
				Problem: fmt.Sprintf("is only used with %s=%s, not %s=%s", RunMode, RunModeVerify, RunMode, ps.raw[RunMode])})
		}
	}
	if t, ok := ps.times[VerifyTimestamp]; ok && t.After(now) {
		errs = append(errs, &Error{Param: VerifyTimestamp, Value: ps.raw[VerifyTimestamp], Kind: ErrInvalid,
			Problem: fmt.Sprintf("is after the launch time %s: Spanner cannot be read in the future", now.UTC().Format(time.RFC3339))})
	}
	return errs
}

// config builds the Config; it is only called when every check passed.
func (ps *parsed) config(now time.Time) *Config {
	s := func(name string) string { return ps.raw[name] }
	c := &Config{
		ChangeStreamName:               s(ChangeStreamName),
		InstanceID:                     s(InstanceID),
		DatabaseID:                     s(DatabaseID),
		SpannerProjectID:               s(SpannerProjectID),
		MetadataInstance:               s(MetadataInstance),
		MetadataDatabase:               s(MetadataDatabase),
		SourceShardsFilePath:           s(SourceShardsFilePath),
		StartTimestamp:                 now,
		EndTimestamp:                   ps.times[EndTimestamp],
		ShadowTablePrefix:              s(ShadowTablePrefix),
		ShadowTableLocation:            s(ShadowTableLocation),
		SessionFilePath:                s(SessionFilePath),
		FiltrationMode:                 s(FiltrationMode),
		ShardingCustomJarPath:          s(ShardingCustomJarPath),
		ShardingCustomClassName:        s(ShardingCustomClassName),
		ShardingCustomParameters:       s(ShardingCustomParameters),
		SourceDbTimezoneOffset:         s(SourceDbTimezoneOffset),
		SourceDbTimezone:               ps.zone,
		DlqGcsPubSubSubscription:       s(DlqGcsPubSubSubscription),
		SkipDirectoryName:              s(SkipDirectoryName),
		MaxShardConnections:            ps.ints[MaxShardConnections],
		DeadLetterQueueDirectory:       s(DeadLetterQueueDirectory),
		DlqMaxRetryCount:               ps.ints[DlqMaxRetryCount],
		RunMode:                        s(RunMode),
		DlqRetryMinutes:                ps.ints[DlqRetryMinutes],
		SourceType:                     s(SourceType),
		TransformationJarPath:          s(TransformationJarPath),
		TransformationClassName:        s(TransformationClassName),
		TransformationCustomParameters: s(TransformationCustomParameters),
		FilterEventsDirectoryName:      s(FilterEventsDirectoryName),
		ChangeStreamMetadataDatabase:   s(ChangeStreamMetadataDatabase),
		SpannerMetadataTableName:       s(SpannerMetadataTableName),
		TableOverrides:                 s(TableOverrides),
		ColumnOverrides:                s(ColumnOverrides),
		SchemaOverridesFilePath:        s(SchemaOverridesFilePath),
		IsShardedMigration:             ps.bools[IsShardedMigration],
		SpannerPriority:                s(SpannerPriority),
		LogLevel:                       normalLogLevel(s(LogLevel)),
		ExtraFilesToStage:              s(ExtraFilesToStage),
		DisabledAlgorithms:             s(DisabledAlgorithms),
		VerifyTimestamp:                ps.times[VerifyTimestamp],
		VerifyRepair:                   ps.bools[VerifyRepair],
	}
	if t, ok := ps.times[StartTimestamp]; ok {
		c.StartTimestamp = t
		c.StartTimestampGiven = true
	}
	if c.ChangeStreamMetadataDatabase == "" {
		c.ChangeStreamMetadataDatabase = c.MetadataDatabase
	}
	return c
}
