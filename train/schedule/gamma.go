package schedule

import (
	"fmt"
	"math"
)

// Gamma is the confidence-penalty exponent γ of the modulated sigmoid loss as a function of
// the optimizer step.
//
// With Scaling false γ is the constant Initial. With Scaling true it follows a half cosine
// from Initial down to 0 over Steps optimizer steps and stays 0 afterwards:
//
//	γ(s) = γ₀·(1 + cos(π·s/T))/2   for 0 ≤ s ≤ T
//	γ(s) = 0                        for s > T
//
// The zero value is γ = 0 at every step (plain SigLIP).
type Gamma struct {
	// Initial is γ₀ (the reference's --gamma, default 1.0).
	Initial float64
	// Scaling enables the cosine decay (the reference's --use_gamma_scaling).
	Scaling bool
	// Steps is T, the number of optimizer steps of the decay (--gamma_scaling_steps,
	// default 20000). Only used when Scaling is true; must then be positive.
	Steps int
}

// Validate reports a configuration the schedule cannot evaluate.
func (g Gamma) Validate() error {
	if math.IsNaN(g.Initial) || math.IsInf(g.Initial, 0) || g.Initial < 0 {
		return fmt.Errorf("schedule: gamma %v: want a finite value ≥ 0", g.Initial)
	}
	if g.Scaling && g.Steps <= 0 {
		return fmt.Errorf("schedule: gamma scaling steps %d: want > 0 when gamma scaling is on", g.Steps)
	}
	return nil
}

// At returns γ for optimizer step s (0-based). Negative steps are treated as 0.
func (g Gamma) At(s int) float64 {
	if !g.Scaling {
		return g.Initial
	}
	if s < 0 {
		s = 0
	}
	if s > g.Steps {
		return 0
	}
	return g.Initial * (1 + math.Cos(math.Pi*float64(s)/float64(g.Steps))) / 2
}
