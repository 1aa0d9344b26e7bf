package spannervalue

import (
	"encoding/json"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/revrepl/spanner-to-sourcedb/pure/failure"
	"github.com/revrepl/spanner-to-sourcedb/pure/schema"
	"github.com/revrepl/spanner-to-sourcedb/pure/spannertype"
)

// TestConvert checks the frame every target's Value runs in: NULL never
// reaches the target's encoder, a nil zone is UTC, and a failure of either
// step is a severe *ConversionError naming the target and the column type.
func TestConvert(t *testing.T) {
	int64Type := spannertype.Type{Code: spannertype.CodeInt64}
	col := schema.SourceColumn{Name: "c", DataType: "int", ColumnType: "int(11)"}
	tests := []struct {
		name    string
		raw     string
		col     schema.SourceColumn
		encErr  error
		want    any
		wantMsg string // "" when no error
	}{
		{name: "value", raw: `"7"`, col: col, want: "INT64"},
		{name: "null", raw: `null`, col: col, want: nil},
		{name: "decode fails", raw: `"x"`, col: col, wantMsg: `convert column "c": Spanner INT64 value "x" into T int(11): `},
		{name: "encode fails", raw: `"7"`, col: col, encErr: errors.New("too big"), wantMsg: `convert column "c": Spanner INT64 value "7" into T int(11): too big`},
		{name: "data type when no column type", raw: `"7"`, col: schema.SourceColumn{Name: "c", DataType: "int"}, encErr: errors.New("no"), wantMsg: `convert column "c": Spanner INT64 value "7" into T int: no`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Convert("T", int64Type, json.RawMessage(tt.raw), tt.col, nil, func(v any, tz *time.Location) (any, error) {
				if v == nil {
					t.Fatal("encode called with NULL")
				}
				if tz != time.UTC {
					t.Fatalf("encode called with zone %v; a nil zone is UTC", tz)
				}
				if tt.encErr != nil {
					return nil, tt.encErr
				}
				return KindName(v), nil
			})
			if tt.wantMsg == "" {
				if err != nil || got != tt.want {
					t.Fatalf("got %#v, %v; want %#v", got, err, tt.want)
				}
				return
			}
			var ce *ConversionError
			if !errors.As(err, &ce) || !IsConversionError(err) || failure.Of(err) != failure.Severe {
				t.Fatalf("got %v; want a severe *ConversionError", err)
			}
			if msg := err.Error(); len(msg) < len(tt.wantMsg) || msg[:len(tt.wantMsg)] != tt.wantMsg {
				t.Fatalf("message %q; want it to start with %q", msg, tt.wantMsg)
			}
		})
	}
}

func TestFloatText(t *testing.T) {
	for _, tt := range []struct {
		f    Float
		want string
	}{
		{Float{V: 0.1, Bits: 64}, "0.1"},
		{Float{V: float64(float32(0.1)), Bits: 32}, "0.1"},
		{Float{V: 1e21, Bits: 64}, "1e+21"},
		{Float{V: math.NaN(), Bits: 64}, "NaN"},
		{Float{V: math.Inf(1), Bits: 32}, "Infinity"},
		{Float{V: math.Inf(-1), Bits: 64}, "-Infinity"},
	} {
		if got := tt.f.Text(); got != tt.want {
			t.Errorf("%#v.Text() = %q, want %q", tt.f, got, tt.want)
		}
	}
}
