package params

import "strings"

// Suggest returns the candidate a mistyped flag name most likely meant, or ""
// when none is close enough to be worth proposing. Names are compared with
// case, '-' and '_' ignored (so --runmode, --max-num-workers and
// --maxNumWorkers all find their flag), then by edit distance, allowing one
// edit per three characters of the typed name and at least one. Ties go to
// the earlier candidate, so callers list the template's parameters first.
func Suggest(name string, candidates []string) string {
	typed := foldName(name)
	if typed == "" {
		return ""
	}
	best, bestDist := "", max(1, len([]rune(typed))/3)+1
	for _, c := range candidates {
		d := editDistance(typed, foldName(c))
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}

// foldName lower-cases a flag name and drops the separators people swap
// between Go, Java and gcloud spellings.
func foldName(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '-' || r == '_' {
			return -1
		}
		return r
	}, strings.ToLower(s))
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
