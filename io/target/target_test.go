package target

import "testing"

func TestPoolSize(t *testing.T) {
	tests := []struct {
		conns, workers int64
		want           int
		wantErr        bool
	}{
		{10000, 0, 10000, false},
		{10000, 3, 3333, false},
		{4, 4, 1, false},
		{3, 4, 0, true},
		{0, 1, 0, true},
	}
	for _, tt := range tests {
		got, err := PoolSize(tt.conns, tt.workers)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("PoolSize(%d, %d) = %d, %v", tt.conns, tt.workers, got, err)
		}
	}
}
