package shadow

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"cloud.google.com/go/civil"
	"cloud.google.com/go/spanner"

	"github.com/revrepl/spanner-to-sourcedb/io/target"
)

// SourceKey is key as a shadow table in a shard stores it
// (shadowTableLocation=source, see io/target): its identity (ShadowKey.ID)
// and each part as text.
//
// The identity starts from a canonical encoding of the parts: one entry
// per part, a byte telling NULL (0) from a value (1), then the value's
// canonical text, length first (uvarint). Parts come in primary-key order
// and each column has one type, so two keys share an encoding only when
// Spanner would take them for the same key:
//
//   - integers, booleans: their decimal text, "true"/"false";
//   - floats: the shortest text that reads back as the same float, -0 as 0
//     (Spanner orders -0 and 0 as equal keys);
//   - strings: their bytes, compared byte for byte as Spanner does;
//   - bytes: base64, so the text column holds valid text;
//   - timestamps: UTC, RFC 3339 with every nanosecond digit;
//   - dates: YYYY-MM-DD;
//   - NUMERIC: the exact fraction (big.Rat), so 1.50 and 1.5 are one key.
//
// An encoding of at most target.ShadowKeyMaxLen bytes is the identity
// itself; a longer one (a long string key) becomes longKeyMark, its first
// longKeyPrefix bytes and its SHA-256. Why this is still one identity per
// key: a short identity starts with a part's NULL byte (0 or 1), or is
// empty (a table whose key has no column), so it never starts with
// longKeyMark; two short ones are two encodings; two long ones are equal
// only when their encodings' SHA-256 are. And why not a hash of every
// key, as this package did before: keys that follow one another (a
// sequence, a timestamp) then have identities that follow one another
// (the decimal text of 2051 and 2052 differs only in its last byte), so
// a batch's shadow rows go to a few neighbouring pages of the shadow
// table's index, as its data rows do, not to a random page each. On
// MariaDB that made the insert of 256 new shadow rows about twice as
// fast (docs/performance.md).
//
// The encoding is prefix-free (the parts' lengths are in it), so no
// identity is another followed by spaces: MySQL's PAD SPACE comparisons
// cannot take two of them for one.
//
// The text parts are for people: NUL characters, which PostgreSQL text
// cannot hold, are shown as U+FFFD there.
func SourceKey(key spanner.Key) (target.ShadowKey, error) {
	var enc []byte
	parts := make([]any, len(key))
	for i, p := range key {
		text, ok, err := partText(p)
		if err != nil {
			return target.ShadowKey{}, fmt.Errorf("key part %d: %w", i, err)
		}
		if !ok {
			enc = append(enc, 0)
			continue
		}
		enc = append(enc, 1)
		enc = binary.AppendUvarint(enc, uint64(len(text)))
		enc = append(enc, text...)
		parts[i] = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", "\uFFFD"), "\uFFFD")
	}
	return target.ShadowKey{ID: shadowID(enc), Parts: parts}, nil
}

// The long form of a shadow key's identity (SourceKey).
const (
	longKeyMark   = 2
	longKeyPrefix = 64
)

// shadowID is the identity of the canonical encoding enc (see SourceKey).
func shadowID(enc []byte) []byte {
	if len(enc) <= target.ShadowKeyMaxLen {
		if enc == nil {
			return []byte{}
		}
		return enc
	}
	sum := sha256.Sum256(enc)
	id := make([]byte, 0, 1+longKeyPrefix+len(sum))
	id = append(id, longKeyMark)
	id = append(id, enc[:longKeyPrefix]...)
	return append(id, sum[:]...)
}

// partText is the canonical text of one key part; ok is false for NULL.
func partText(p any) (text string, ok bool, err error) {
	switch v := p.(type) {
	case int64:
		return strconv.FormatInt(v, 10), true, nil
	case string:
		return v, true, nil
	case bool:
		return strconv.FormatBool(v), true, nil
	case float64:
		return floatText(v, 64), true, nil
	case float32:
		return floatText(float64(v), 32), true, nil
	case []byte:
		if v == nil {
			return "", false, nil
		}
		return base64.StdEncoding.EncodeToString(v), true, nil
	case time.Time:
		return v.UTC().Format("2006-01-02T15:04:05.000000000Z"), true, nil
	case civil.Date:
		return v.String(), true, nil
	case big.Rat:
		return v.RatString(), true, nil
	case *big.Rat:
		if v == nil {
			return "", false, nil
		}
		return v.RatString(), true, nil
	case spanner.PGNumeric:
		if !v.Valid {
			return "", false, nil
		}
		if r, ok := new(big.Rat).SetString(v.Numeric); ok {
			return r.RatString(), true, nil
		}
		return v.Numeric, true, nil // NaN
	case spanner.NullInt64:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Int64) })
	case spanner.NullString:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.StringVal) })
	case spanner.NullBool:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Bool) })
	case spanner.NullFloat64:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Float64) })
	case spanner.NullFloat32:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Float32) })
	case spanner.NullTime:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Time) })
	case spanner.NullDate:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Date) })
	case spanner.NullNumeric:
		return nullPart(v.Valid, func() (string, bool, error) { return partText(v.Numeric) })
	case nil:
		return "", false, nil
	}
	return "", false, fmt.Errorf("type %T cannot be a shadow key part", p)
}

func nullPart(valid bool, value func() (string, bool, error)) (string, bool, error) {
	if !valid {
		return "", false, nil
	}
	return value()
}

func floatText(f float64, bits int) string {
	if f == 0 {
		f = 0 // -0 is 0
	}
	if math.IsNaN(f) {
		return "NaN"
	}
	return strconv.FormatFloat(f, 'g', -1, bits)
}
