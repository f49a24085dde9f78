package multicrop

import "fmt"

// Pair is one term of the step loss: the online projections of view Online scored against
// the target projections of view Target. Views are numbered with the G global views first,
// then the local views.
type Pair struct {
	// Target is the target (global) view a ∈ [0, G).
	Target int
	// Online is the online view c ∈ [0, G+Lc), c ≠ Target.
	Online int
}

// Pairs lists the pairs of SPEC §2 for global views G and local views Lc, in the order the
// reference sums them: for every target view a ∈ [0, G), every online view c ∈ [0, G+Lc) with
// c ≠ a. There are G·(G+Lc−1) of them (10 for the default 2+4).
//
// It returns an error for G < 1, Lc < 0, and for G = 1 with Lc = 0, which has no pair.
func Pairs(global, local int) ([]Pair, error) {
	if global < 1 {
		return nil, fmt.Errorf("multicrop: %d global views: want ≥ 1 (the target network sees only global views)", global)
	}
	if local < 0 {
		return nil, fmt.Errorf("multicrop: %d local views: want ≥ 0", local)
	}
	total := global + local
	if total < 2 {
		return nil, fmt.Errorf("multicrop: %d global and %d local views give no (online, target) pair with different views: want ≥ 2 views in all", global, local)
	}
	pairs := make([]Pair, 0, global*(total-1))
	for a := 0; a < global; a++ {
		for c := 0; c < total; c++ {
			if c != a {
				pairs = append(pairs, Pair{Target: a, Online: c})
			}
		}
	}
	return pairs, nil
}
