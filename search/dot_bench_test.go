package search

import (
	"testing"

	"gonum.org/v1/gonum/blas/blas32"
)

func BenchmarkDot(b *testing.B) {
	x := clustered(2, 128, 1, 1, 1)
	a, c := x[:128], x[128:]
	b.Run("go", func(b *testing.B) {
		var s float32
		for b.Loop() {
			s += dot(a, c)
		}
		_ = s
	})
	b.Run("gonum", func(b *testing.B) {
		impl := blas32.Implementation()
		var s float32
		for b.Loop() {
			s += impl.Sdot(128, a, 1, c, 1)
		}
		_ = s
	})
}
