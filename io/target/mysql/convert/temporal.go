package convert

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannervalue"
)

// Layouts of the bound strings. The trailing .999999 drops zero fractions,
// so whole seconds read "2024-02-03 06:00:00".
const (
	mysqlDatetime = "2006-01-02 15:04:05.999999"
	mysqlTime     = "15:04:05.999999"
)

// Wall-clock forms of a STRING that carry no zone: already source-local.
var localLayouts = []string{
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.DateOnly,
}

// MySQL TIMESTAMP range, as instants. The writer's session time_zone is
// the source zone tz (mysql.DSN), in which MySQL reads the bound text.
var (
	minTimestamp = time.Date(1970, 1, 1, 0, 0, 1, 0, time.UTC)
	maxTimestamp = time.Date(2038, 1, 19, 3, 14, 7, 999999999, time.UTC)
)

// wallClock returns v as a source-local wall-clock time (in a UTC-labelled
// time.Time). Instants are shifted into tz; zone-less text is taken as is.
func wallClock(v any, tz *time.Location) (time.Time, error) {
	switch x := v.(type) {
	case time.Time:
		return asWall(x.In(tz)), nil
	case civilDay:
		return time.Parse(time.DateOnly, string(x))
	case string:
		if ts, err := time.Parse(time.RFC3339Nano, x); err == nil {
			return asWall(ts.In(tz)), nil
		}
		for _, layout := range localLayouts {
			if ts, err := time.Parse(layout, x); err == nil {
				return ts, nil
			}
		}
		return time.Time{}, fmt.Errorf("%q is not a date/time (RFC 3339 or YYYY-MM-DD[ HH:MM:SS[.ffffff]])", spannertype.Shorten(x))
	}
	return time.Time{}, fmt.Errorf("a %s value is not a point in time", spannervalue.KindName(v))
}

// asWall keeps the wall-clock reading of t and drops its zone, so later
// rounding and formatting cannot shift it again.
func asWall(t time.Time) time.Time {
	y, mo, d := t.Date()
	h, mi, s := t.Clock()
	return time.Date(y, mo, d, h, mi, s, t.Nanosecond(), time.UTC)
}

// roundFsp rounds half up to fsp fractional digits, as MySQL does by default
// when a value has more digits than the column.
func roundFsp(t time.Time, fsp int) time.Time {
	unit := time.Second
	for range fsp {
		unit /= 10
	}
	return t.Round(unit)
}

func toDatetime(v any, t target, tz *time.Location) (any, error) {
	w, err := wallClock(v, tz)
	if err != nil {
		return nil, err
	}
	w = roundFsp(w, t.fsp)
	if y := w.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("year %d is outside %s's range", y, t.dataType)
	}
	if t.fam == famTimestamp {
		at := time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), tz)
		if at.Before(minTimestamp) || at.After(maxTimestamp) {
			return nil, fmt.Errorf("%s (%s) is outside TIMESTAMP's range 1970-01-01 00:00:01 .. 2038-01-19 03:14:07 UTC",
				w.Format(mysqlDatetime), tz)
		}
	}
	return w.Format(mysqlDatetime), nil
}

// toDate keeps the date part of the source-local time, as MySQL does when a
// datetime is stored in a DATE column.
func toDate(v any, tz *time.Location) (any, error) {
	w, err := wallClock(v, tz)
	if err != nil {
		return nil, err
	}
	if y := w.Year(); y < 1 || y > 9999 {
		return nil, fmt.Errorf("year %d is outside DATE's range", y)
	}
	return w.Format(time.DateOnly), nil
}

// timeText is MySQL's TIME literal: an optionally negative hour count up to
// 838 (TIME is also an interval type), minutes, seconds, up to 6 fraction digits.
var timeText = regexp.MustCompile(`^(-?)([0-9]{1,3}):([0-5][0-9]):([0-5][0-9])(\.[0-9]{1,6})?$`)

// toTime takes the source-local time of day of an instant; a STRING may also
// be a TIME literal, which passes through after a range check.
func toTime(v any, t target, tz *time.Location) (any, error) {
	if s, ok := v.(string); ok {
		if m := timeText.FindStringSubmatch(s); m != nil {
			if h, _ := strconv.Atoi(m[2]); h > 838 {
				return nil, errors.New("hours exceed TIME's 838")
			}
			return s, nil
		}
	}
	if isDateOnly(v) {
		return nil, errors.New("a date has no time of day")
	}
	w, err := wallClock(v, tz)
	if err != nil {
		return nil, err
	}
	return roundFsp(w, t.fsp).Format(mysqlTime), nil
}

func isDateOnly(v any) bool {
	switch x := v.(type) {
	case civilDay:
		return true
	case string:
		_, err := time.Parse(time.DateOnly, x)
		return err == nil
	}
	return false
}
