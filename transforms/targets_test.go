package transforms

import (
	"strings"
	"testing"
)

func TestTargetBySourceType(t *testing.T) {
	for kind, want := range map[string]string{"": "MySQL", "mysql": "MySQL", "postgresql": "PostgreSQL"} {
		tg, err := Target(kind)
		if err != nil || tg.Name() != want {
			t.Errorf("Target(%q) = %v, %v; want %s", kind, tg, err, want)
		}
	}
	if _, err := Target("oracle"); err == nil || !strings.Contains(err.Error(), "mysql, postgresql") {
		t.Errorf("Target(oracle): %v", err)
	}
}
