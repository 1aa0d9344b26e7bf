package failure

import (
	"errors"
	"fmt"
	"testing"
)

type classed struct{ c Class }

func (e classed) Error() string       { return "classed " + e.c.String() }
func (e classed) FailureClass() Class { return e.c }

func TestOf(t *testing.T) {
	sentinel := NewSevere("no such thing")
	tests := []struct {
		name string
		err  error
		want Class
	}{
		{"nil", nil, Retryable},
		{"plain", errors.New("x"), Retryable},
		{"marked", MarkSevere(errors.New("bad statement")), Severe},
		{"marked, wrapped", fmt.Errorf("table t: %w", MarkSevere(errors.New("bad"))), Severe},
		{"sentinel, wrapped", fmt.Errorf("table t: %w", sentinel), Severe},
		{"retryable class", fmt.Errorf("x: %w", classed{Retryable}), Retryable},
		{"severe class deep", fmt.Errorf("a: %w", fmt.Errorf("b: %w", classed{Severe})), Severe},
		{"severe in a join", errors.Join(errors.New("x"), classed{Severe}), Severe},
		{"severe in a multi-%w", fmt.Errorf("%w: %w", classed{Retryable}, sentinel), Severe},
		{"retryable around severe", classedWrap{classed{Retryable}, MarkSevere(errors.New("x"))}, Severe},
	}
	for _, tt := range tests {
		if got := Of(tt.err); got != tt.want {
			t.Errorf("%s: Of(%v) = %v, want %v", tt.name, tt.err, got, tt.want)
		}
	}
	if !errors.Is(fmt.Errorf("x: %w", sentinel), sentinel) || sentinel.Error() != "no such thing" {
		t.Errorf("sentinel %v: errors.Is or text broken", sentinel)
	}
	if MarkSevere(nil) != nil {
		t.Error("MarkSevere(nil) != nil")
	}
}

// classedWrap is a retryable error that wraps another.
type classedWrap struct {
	classed
	inner error
}

func (e classedWrap) Unwrap() error { return e.inner }
