package augment

import (
	"math"
	"sort"
	"testing"
)

// ksUniform returns the Kolmogorov–Smirnov distance between the sample and U(lo, hi).
func ksUniform(xs []float64, lo, hi float64) float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	d := 0.0
	n := float64(len(s))
	for i, x := range s {
		f := (x - lo) / (hi - lo)
		d = math.Max(d, math.Max(math.Abs(f-float64(i)/n), math.Abs(float64(i+1)/n-f)))
	}
	return d
}

// TestCropDistribution checks RandomResizedCrop's sampling against its definition. For area
// fractions a ≤ 3/4 every aspect in [3/4, 4/3] fits a square image, so the first try is
// accepted: conditioned on a ≤ 0.7, a is U(0.1, 0.7) and log(w/h) is U(log 3/4, log 4/3),
// whatever the retries did for larger a.
func TestCropDistribution(t *testing.T) {
	const side = 4000 // large, so rounding w and h to integers moves a and w/h by < 0.1 %
	rng := NewRNG(42)
	var areas, logAspects, pos []float64
	const n = 20000
	for range n {
		c := CropParams(rng, side, side, [2]float64{0.1, 1}, [2]float64{3.0 / 4, 4.0 / 3})
		if c.W < 1 || c.H < 1 || c.I < 0 || c.J < 0 || c.I+c.H > side || c.J+c.W > side {
			t.Fatalf("crop %+v outside the %dx%d image", c, side, side)
		}
		a := float64(c.W*c.H) / (side * side)
		r := float64(c.W) / float64(c.H)
		if a < 0.0995 || a > 1 || r < 0.749 || r > 1.335 {
			t.Fatalf("crop %+v: area fraction %v, aspect %v outside [0.1, 1] × [3/4, 4/3]", c, a, r)
		}
		if a <= 0.7 {
			areas = append(areas, a)
			logAspects = append(logAspects, math.Log(r))
		}
		if c.H < side {
			pos = append(pos, float64(c.I)/float64(side-c.H))
		}
	}
	// 1.95/√m is the 0.1 % critical value of the KS statistic; 0.002 allows for integer rounding.
	crit := func(m int) float64 { return 1.95/math.Sqrt(float64(m)) + 0.002 }
	if d := ksUniform(areas, 0.1, 0.7); d > crit(len(areas)) {
		t.Errorf("area fraction | a ≤ 0.7: KS distance %.4f from U(0.1, 0.7), want ≤ %.4f", d, crit(len(areas)))
	}
	if d := ksUniform(logAspects, math.Log(0.75), math.Log(4.0/3)); d > crit(len(logAspects)) {
		t.Errorf("log aspect: KS distance %.4f from U(log 3/4, log 4/3), want ≤ %.4f", d, crit(len(logAspects)))
	}
	if d := ksUniform(pos, 0, 1); d > crit(len(pos)) {
		t.Errorf("vertical offset: KS distance %.4f from uniform, want ≤ %.4f", d, crit(len(pos)))
	}
	// P(a ≤ 0.7) over the first try is 0.6/0.9; retries only add mass above, so the observed
	// share is close to 2/3 but not below it by more than sampling noise.
	if share := float64(len(areas)) / n; share < 2.0/3-0.015 {
		t.Errorf("share of crops with a ≤ 0.7 got %.3f, want ≥ %.3f", share, 2.0/3-0.015)
	}
}

// TestCropFallback checks the central-crop fallback after ten failed tries.
func TestCropFallback(t *testing.T) {
	tests := []struct {
		name  string
		w, h  int
		scale [2]float64
		want  Crop
	}{
		// Too wide: h = 10, w = round(10·4/3) = 13, centred.
		{"wide", 100, 10, [2]float64{0.9, 1}, Crop{I: 0, J: 43, H: 10, W: 13}},
		// Too tall: w = 10, h = round(10/(3/4)) = 13.
		{"tall", 10, 100, [2]float64{0.9, 1}, Crop{I: 43, J: 0, H: 13, W: 10}},
		// Aspect inside the range but the scale cannot fit: the whole image.
		{"whole", 50, 40, [2]float64{1.5, 2}, Crop{I: 0, J: 0, H: 40, W: 50}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := CropParams(NewRNG(1), tc.w, tc.h, tc.scale, [2]float64{3.0 / 4, 4.0 / 3})
			if got != tc.want {
				t.Errorf("got %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestRNG(t *testing.T) {
	a, b := NewRNG(5), NewRNG(5)
	for range 100 {
		if a.Uint64() != b.Uint64() {
			t.Fatal("same seed gave different streams")
		}
	}
	if SeedFor(1, 2, 3) == SeedFor(1, 3, 2) || SeedFor(1, 0, 0) == SeedFor(2, 0, 0) {
		t.Errorf("SeedFor collides on swapped or different arguments")
	}
	// Intn(6): χ² over 60,000 draws with 5 degrees of freedom; 20.5 is the 0.1 % critical value.
	r := NewRNG(9)
	var counts [6]float64
	for range 60000 {
		counts[r.Intn(6)]++
	}
	chi := 0.0
	for _, c := range counts {
		chi += (c - 10000) * (c - 10000) / 10000
	}
	if chi > 20.5 {
		t.Errorf("Intn(6) χ² got %.1f, want ≤ 20.5 (counts %v)", chi, counts)
	}
	for range 1000 {
		if f := r.Float64(); f < 0 || f >= 1 {
			t.Fatalf("Float64 got %v, want [0, 1)", f)
		}
	}
}
