package probe_test

import (
	"context"
	"fmt"

	"github.com/scl-dev/scl/probe"
)

// A trainer evaluating its encoder: embed a labelled train and test split,
// then score them. Here the "features" are two well separated clusters.
func ExampleAssess() {
	mk := func(n int) *probe.Dataset {
		x := make([]float32, 0, 2*n)
		y := make([]int64, 0, n)
		for i := 0; i < n; i++ {
			c := i % 2
			jitter := float32(i%7) * 0.01
			x = append(x, float32(c)+jitter, float32(1-c)+jitter)
			y = append(y, int64(c))
		}
		ds, err := probe.NewDataset("example", x, n, 2, y)
		if err != nil {
			panic(err)
		}
		return ds
	}
	rep, err := probe.Assess(context.Background(), mk(40), mk(10), probe.Options{KNN: probe.KNNConfig{K: 5}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("linear top-1 %.2f, knn top-1 %.2f, converged %v\n",
		rep.Linear.Metrics.Top1, rep.KNN.Metrics.Top1, rep.Linear.Fit.Converged)
	// Output: linear top-1 1.00, knn top-1 1.00, converged true
}
