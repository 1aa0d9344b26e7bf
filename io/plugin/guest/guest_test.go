package guest

import (
	"errors"
	"testing"
)

func TestRunAnswers(t *testing.T) {
	tests := []struct {
		name string
		h    Handler
		want string
	}{
		{"answer", func(in []byte) ([]byte, error) { return append(in, '!'), nil }, "\x00in!"},
		{"error", func([]byte) ([]byte, error) { return nil, errors.New("bad input") }, "\x01bad input"},
		{"panic", func([]byte) ([]byte, error) { panic("boom") }, "\x01panic: boom"},
	}
	for _, tt := range tests {
		if got := string(run(tt.h, []byte("in"))); got != tt.want {
			t.Errorf("%s: run = %q, want %q", tt.name, got, tt.want)
		}
	}
	Init = func(p string) error {
		if p != "ok" {
			return errors.New("refused " + p)
		}
		return nil
	}
	defer func() { Init = nil }()
	if got := string(run(initHandler, []byte("ok"))); got != "\x00" {
		t.Errorf("init ok = %q", got)
	}
	if got := string(run(initHandler, []byte("x"))); got != "\x01refused x" {
		t.Errorf("init refused = %q", got)
	}
}
