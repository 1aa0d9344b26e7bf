package convert

import (
	"fmt"
	"strings"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// Layouts of the bound text. PostgreSQL keeps microseconds and rounds
// finer fractions itself, as it would for any input.
const (
	pgTimestamp   = "2006-01-02 15:04:05.999999999"
	pgTimestamptz = "2006-01-02 15:04:05.999999999Z07:00"
	pgTime        = "15:04:05.999999999"
)

// Wall-clock forms of a STRING that carry no zone: source-local already.
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

// instant reads a point in time: a TIMESTAMP, a DATE (midnight in the
// source zone), or text in RFC 3339 or, without an offset, source-local.
func instant(v any, tz *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return x, nil
	case spannervalue.Date:
		return time.ParseInLocation(time.DateOnly, string(x), tz)
	case string:
		s := strings.TrimSpace(x)
		if ts, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return ts, nil
		}
		for _, layout := range localLayouts {
			if ts, err := time.ParseInLocation(layout, s, tz); err == nil {
				return ts, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a date/time (RFC 3339 or YYYY-MM-DD[ HH:MM:SS[.ffffff]])", spannertype.Shorten(x))
	}
	return time.Time{}, fmt.Errorf("a %s value is not a point in time", spannervalue.KindName(v))
}

// toTimestamptz binds the instant in UTC; a timestamptz(p) with p < 6 gets
// it rounded as the server would store it (precision.go).
func toTimestamptz(v any, t target, tz *time.Location) (any, error) {
	ts, err := instant(v, tz)
	if err != nil {
		return nil, err
	}
	if t.reduced() {
		return roundWall(ts.UTC(), t.fsp).Format(pgTimestamptz), nil
	}
	return ts.UTC().Format(pgTimestamptz), nil
}

// toTimestamp binds the wall clock of the instant in the source zone
// (sourceDbTimezoneOffset): a timestamp without time zone holds what the
// source application wrote there. A timestamp(p) with p < 6 gets it
// rounded as the server would store it (precision.go).
func toTimestamp(v any, t target, tz *time.Location) (any, error) {
	ts, err := instant(v, tz)
	if err != nil {
		return nil, err
	}
	if t.reduced() {
		return roundWall(ts.In(tz), t.fsp).Format(pgTimestamp), nil
	}
	return ts.In(tz).Format(pgTimestamp), nil
}

func toDate(v any, t target, tz *time.Location) (any, error) {
	switch x := v.(type) {
	case spannervalue.Date:
		return string(x), nil
	case time.Time, string:
		ts, err := instant(x, tz)
		if err != nil {
			return nil, err
		}
		in := ts.In(tz)
		if h, m, s := in.Clock(); h != 0 || m != 0 || s != 0 || in.Nanosecond() != 0 {
			return nil, fmt.Errorf("%s is not midnight in the source time zone, so a date would lose its time", in.Format(time.RFC3339Nano))
		}
		return in.Format(time.DateOnly), nil
	}
	return nil, notFor(v, t)
}

// toTime binds a time of day: a TIMESTAMP's wall clock in the source zone,
// or HH:MM:SS[.f] text. A time(p) with p < 6 gets it rounded (precision.go).
func toTime(v any, t target, tz *time.Location) (any, error) {
	switch x := v.(type) {
	case time.Time:
		if t.reduced() {
			return roundTimeOfDay(x.In(tz), t.fsp), nil
		}
		return x.In(tz).Format(pgTime), nil
	case string:
		s := strings.TrimSpace(x)
		if ts, err := time.Parse(pgTime, s); err == nil {
			if t.reduced() {
				return roundTimeOfDay(ts, t.fsp), nil
			}
			return ts.Format(pgTime), nil
		}
		if s == "24:00:00" {
			return s, nil // PostgreSQL's end of day
		}
		return nil, fmt.Errorf("%q is not a time of day (HH:MM:SS[.ffffff])", spannertype.Shorten(x))
	}
	return nil, notFor(v, t)
}
