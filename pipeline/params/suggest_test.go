package params

import "testing"

func TestSuggest(t *testing.T) {
	var names []string
	for _, p := range Definitions() {
		names = append(names, p.Name)
	}
	names = append(names, "runner", "project", "region", "zone", "job_name", "max_num_workers", "temp_location")

	tests := []struct {
		typed, want string
	}{
		{"runMod", RunMode},                    // one letter missing
		{"runmode", RunMode},                   // case
		{"RUNMODE", RunMode},                   // case
		{"run_mode", RunMode},                  // separator
		{"changeStreamNam", ChangeStreamName},  // long name, one edit
		{"chngeStremName", ChangeStreamName},   // long name, two edits
		{"instanceID", InstanceID},             // Java-style capitals
		{"dlqRetryMinute", DlqRetryMinutes},    // plural
		{"maxNumWorkers", "max_num_workers"},   // camelCase for a snake_case flag
		{"max-num-workers", "max_num_workers"}, // gcloud spelling
		{"tempLocation", "temp_location"},
		{"runer", "runner"},
		{"regoin", "region"}, // transposition: two edits in six letters
		{"foo", ""},          // nothing close
		{"name", ""},         // "zone" is two edits away: too far for four letters
		{"parameters", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.typed, func(t *testing.T) {
			if got := Suggest(tt.typed, names); got != tt.want {
				t.Errorf("Suggest(%q) = %q, want %q", tt.typed, got, tt.want)
			}
		})
	}
}

// Ties go to the earlier candidate: callers list parameters first.
func TestSuggestTieGoesToFirst(t *testing.T) {
	if got := Suggest("ab", []string{"abc", "abd"}); got != "abc" {
		t.Errorf("Suggest = %q, want abc", got)
	}
}

func TestEditDistance(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"", "", 0},
		{"abc", "", 3},
		{"", "abc", 3},
		{"kitten", "sitting", 3},
		{"runmod", "runmode", 1},
		{"région", "region", 1}, // runes, not bytes
	}
	for _, tt := range tests {
		if got := editDistance(tt.a, tt.b); got != tt.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}
