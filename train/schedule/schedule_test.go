package schedule

import (
	"math"
	"testing"
)

func TestGammaCheckValues(t *testing.T) {
	// SPEC §4 check values for γ₀ = 1, T = 20000, printed to 6 decimals there.
	g := Gamma{Initial: 1, Scaling: true, Steps: 20000}
	tests := []struct {
		step int
		want float64
	}{
		{0, 1},
		{5000, 0.853553},
		{10000, 0.5},
		{20000, 0},
		{20001, 0},
		{1 << 30, 0},
	}
	for _, tt := range tests {
		got := g.At(tt.step)
		// The SPEC prints 6 decimals, so agreement is to half a unit in the last place.
		if math.Abs(got-tt.want) > 5e-7 {
			t.Errorf("Gamma.At(%d) = %v, want %v", tt.step, got, tt.want)
		}
	}
}

func TestGammaConstantAndScaled(t *testing.T) {
	tests := []struct {
		name string
		g    Gamma
		step int
		want float64
	}{
		{"constant ignores steps", Gamma{Initial: 0.7, Steps: 10}, 1000, 0.7},
		{"constant zero value is siglip", Gamma{}, 3, 0},
		{"scaled γ₀=2 quarter", Gamma{Initial: 2, Scaling: true, Steps: 4}, 1, 2 * (1 + math.Sqrt2/2) / 2},
		{"scaled negative step clamps to 0", Gamma{Initial: 2, Scaling: true, Steps: 4}, -5, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.g.At(tt.step); math.Abs(got-tt.want) > 1e-15 {
				t.Errorf("At(%d) = %v, want %v", tt.step, got, tt.want)
			}
		})
	}
}

func TestGammaValidate(t *testing.T) {
	tests := []struct {
		name string
		g    Gamma
		ok   bool
	}{
		{"default", Gamma{Initial: 1, Steps: 20000}, true},
		{"scaling needs steps", Gamma{Initial: 1, Scaling: true}, false},
		{"negative", Gamma{Initial: -1}, false},
		{"nan", Gamma{Initial: math.NaN()}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.g.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

// simulateEMA replays the reference training loop's bookkeeping step by step: it returns the
// action taken at each step and the β used by each update (0 when no update happened).
func simulateEMA(t *testing.T, e EMA, steps int) ([]EMAAction, []float64, []float64) {
	t.Helper()
	beta := e.Base
	acts := make([]EMAAction, steps)
	used := make([]float64, steps)
	before := make([]float64, steps)
	for k := 0; k < steps; k++ {
		before[k] = beta
		if k > e.UpdateAfter && k%e.Every == 0 {
			acts[k] = EMAUpdate
			used[k] = beta
			beta = 1 - (1-e.Base)*(math.Cos(math.Pi*float64(k)/float64(e.Total))+1)/2
		}
		if k <= e.UpdateAfter {
			acts[k] = EMACopy
		}
	}
	return acts, used, before
}

func TestEMAScheduleAgainstLoop(t *testing.T) {
	tests := []struct {
		name string
		e    EMA
	}{
		{"defaults", EMA{Base: 0.995, UpdateAfter: 1, Every: 1, Total: TotalSteps(10, 3, 1)}},
		{"every 3", EMA{Base: 0.99, UpdateAfter: 4, Every: 3, Total: TotalSteps(7, 2, 4)}},
		{"no copy window", EMA{Base: 0.9, UpdateAfter: 0, Every: 2, Total: 25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Validate(); err != nil {
				t.Fatal(err)
			}
			const steps = 60
			acts, _, before := simulateEMA(t, tt.e, steps)
			for k := 0; k < steps; k++ {
				if got := tt.e.Action(k); got != acts[k] {
					t.Errorf("Action(%d) = %v, want %v", k, got, acts[k])
				}
				if got := tt.e.BetaBefore(k); got != before[k] {
					t.Errorf("BetaBefore(%d) = %v, want %v", k, got, before[k])
				}
			}
		})
	}
}

func TestEMANextEndpoints(t *testing.T) {
	e := EMA{Base: 0.995, UpdateAfter: 1, Every: 1, Total: 1000}
	tests := []struct {
		k    int
		want float64
	}{
		{0, 0.995},
		{500, 1 - 0.005/2},
		{1000, 1},
	}
	for _, tt := range tests {
		// cos(π/2) is 6e-17 in float64, hence the 1e-15 tolerance.
		if got := e.Next(tt.k); math.Abs(got-tt.want) > 1e-15 {
			t.Errorf("Next(%d) = %v, want %v", tt.k, got, tt.want)
		}
	}
	// β only grows towards 1 over the horizon.
	for k := 1; k <= 1000; k++ {
		if e.Next(k) < e.Next(k-1) {
			t.Fatalf("Next(%d) = %v < Next(%d) = %v, want non-decreasing", k, e.Next(k), k-1, e.Next(k-1))
		}
	}
}

func TestTotalSteps(t *testing.T) {
	// The reference: len(loader)·(epochs+2) − update_beta_after_step; STL10 unlabeled
	// (100,000 images) at batch 256 with drop_last has 390 steps per epoch.
	if got, want := TotalSteps(390, 100, 1), 390*102-1; got != want {
		t.Errorf("TotalSteps = %d, want %d", got, want)
	}
}

func TestEMAValidate(t *testing.T) {
	tests := []struct {
		name string
		e    EMA
		ok   bool
	}{
		{"ok", EMA{Base: 0.99, UpdateAfter: 1, Every: 1, Total: 10}, true},
		{"beta > 1", EMA{Base: 1.5, UpdateAfter: 1, Every: 1, Total: 10}, false},
		{"every 0", EMA{Base: 0.99, UpdateAfter: 1, Every: 0, Total: 10}, false},
		{"total 0", EMA{Base: 0.99, UpdateAfter: 1, Every: 1, Total: 0}, false},
		{"negative after", EMA{Base: 0.99, UpdateAfter: -2, Every: 1, Total: 10}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.e.Validate(); (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

func TestEMAActionString(t *testing.T) {
	for a, want := range map[EMAAction]string{EMANone: "none", EMACopy: "copy", EMAUpdate: "update", 7: "EMAAction(7)"} {
		if got := a.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
}
