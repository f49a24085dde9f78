package search

// Recall is the mean fraction of the exact top-k rows found by the approximate results:
// recall@k = 1/Q Σ_q |approx_q ∩ exact_q| / |exact_q|. Queries with no exact hits count 1.
func Recall(approx, exact [][]Hit) float64 {
	if len(exact) == 0 {
		return 1
	}
	var sum float64
	for i, ex := range exact {
		if len(ex) == 0 {
			sum++
			continue
		}
		want := make(map[int]bool, len(ex))
		for _, h := range ex {
			want[h.Row] = true
		}
		got := 0
		if i < len(approx) {
			for _, h := range approx[i] {
				if want[h.Row] {
					got++
				}
			}
		}
		sum += float64(got) / float64(len(ex))
	}
	return sum / float64(len(exact))
}
