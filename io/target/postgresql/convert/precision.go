package convert

import (
	"fmt"
	"math"
	"strconv"
	"time"
)

// PostgreSQL stores a timestamp(p), timestamptz(p) or time(p) with p < 6
// rounded to p fractional digits, but a bound parameter is parsed with the
// type's full precision: a key bound unrounded would never equal the stored
// one, and a DELETE or UPDATE by it would silently change nothing. So the
// writer binds such values already rounded, exactly as the server rounds
// them on input (datetime.c and AdjustTimestampForTypmod/AdjustTimeForTypmod):
//
//  1. the fraction's text is read as a double and rounded to microseconds
//     with rint (half to even, on the double's value);
//  2. the microseconds, counted from 2000-01-01 00:00:00 (PostgreSQL's
//     epoch; in UTC for timestamptz, on the wall clock for timestamp; from
//     midnight for time), are rounded to p digits half away from zero, so a
//     half before 2000 rounds to the earlier value.
//
// The carry may reach the next second, minute or day; a time of day may
// round up to 24:00:00, which PostgreSQL keeps as such.

// maxTimePrecision is PostgreSQL's largest (and default) fractional
// precision of the date/time types: microseconds.
const maxTimePrecision = 6

const (
	usPerSec = int64(1_000_000)
	usPerDay = 86_400 * usPerSec
)

// pgEpochUnix is PostgreSQL's timestamp origin in Unix seconds.
var pgEpochUnix = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

// timePrecision reads p of timestamp(p)/timestamptz(p)/time(p) from the
// type as format_type prints it; -1 when the column has none.
func timePrecision(columnType string) int {
	args := typeArgs(columnType)
	if len(args) != 1 {
		return -1
	}
	p, err := strconv.Atoi(args[0])
	if err != nil || p < 0 {
		return -1
	}
	return p
}

// reduced reports whether the column keeps fewer than six digits, so that
// the writer must round what it binds.
func (t target) reduced() bool { return t.fsp >= 0 && t.fsp < maxTimePrecision }

// fractionMicros is step 1: the microseconds PostgreSQL reads from the
// fraction ".ddddddddd" of ns nanoseconds (0 <= ns < 1e9); the result may
// be a whole second (1e6).
func fractionMicros(ns int) int64 {
	if ns%1000 == 0 {
		return int64(ns / 1000)
	}
	f, err := strconv.ParseFloat(fmt.Sprintf("0.%09d", ns), 64)
	if err != nil { // cannot happen: the text is a decimal fraction
		return int64(ns / 1000)
	}
	return int64(math.RoundToEven(f * 1e6))
}

// roundTypmod is step 2: us (from PostgreSQL's epoch) rounded to p
// fractional digits, halves away from the epoch, as PostgreSQL applies a
// column's precision (p >= 6 keeps us). The writer binds keys rounded so,
// and verify's canonical forms round the same way.
func roundTypmod(us int64, p int) int64 {
	scale := int64(1)
	for range maxTimePrecision - p {
		scale *= 10
	}
	half := scale / 2
	if us >= 0 {
		return (us + half) / scale * scale
	}
	return -((-us + half) / scale * scale)
}

// roundWall rounds the wall clock of w (its fields, whatever its zone) to p
// digits as PostgreSQL rounds a timestamp; the result is in UTC and carries
// the same wall clock. (Counts are int64 microseconds, not Durations, which
// span only 292 years.)
func roundWall(w time.Time, p int) time.Time {
	y, mo, d := w.Date()
	h, mi, s := w.Clock()
	secs := time.Date(y, mo, d, h, mi, s, 0, time.UTC).Unix() - pgEpochUnix
	us := roundTypmod(secs*usPerSec+fractionMicros(w.Nanosecond()), p)
	return time.UnixMicro(pgEpochUnix*usPerSec + us).UTC()
}

// roundTimeOfDay formats the wall clock of w as a time(p) value, rounded
// as PostgreSQL rounds it: 24:00:00 when it rounds up to the end of day.
func roundTimeOfDay(w time.Time, p int) string {
	h, mi, s := w.Clock()
	us := int64(h*3600+mi*60+s)*usPerSec + fractionMicros(w.Nanosecond())
	us = roundTypmod(us, p)
	if us >= usPerDay {
		return "24:00:00"
	}
	return time.UnixMicro(us).UTC().Format(pgTime)
}
