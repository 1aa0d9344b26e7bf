package main

import "time"

// inTurns runs each of measures rounds times over about n/rounds records,
// the measures taking turns (in an order that rotates each round), and
// returns each one's records per second over all its rounds. Measured one
// after the other, a measure would get the machine as it was at its time:
// on a shared machine, or as the tables grow, that drift alone moved a
// ratio by 40% between two runs.
func inTurns(rounds, n int, measures []func(n int) (float64, error)) ([]float64, error) {
	rounds = max(1, min(rounds, n))
	elapsed := make([]time.Duration, len(measures))
	done := make([]int, len(measures))
	for r := range rounds {
		chunk := n/rounds + boolInt(r < n%rounds)
		for i := range measures {
			m := (i + r) % len(measures)
			rate, err := measures[m](chunk)
			if err != nil {
				return nil, err
			}
			elapsed[m] += time.Duration(float64(chunk) / rate * float64(time.Second))
			done[m] += chunk
		}
	}
	out := make([]float64, len(measures))
	for i := range measures {
		out[i] = float64(done[i]) / elapsed[i].Seconds()
	}
	return out, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
