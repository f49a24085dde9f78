package schedule

import (
	"fmt"
	"math"
)

// EMAAction says what the trainer does to the target network after optimizer step k.
type EMAAction int

const (
	// EMANone leaves the target network unchanged.
	EMANone EMAAction = iota
	// EMACopy copies the online network's parameters and float buffers into the target.
	EMACopy
	// EMAUpdate moves the target towards the online network: θₜ ← β·θₜ + (1−β)·θₒ, then
	// advances β with [EMA.Next].
	EMAUpdate
)

// String returns "none", "copy" or "update".
func (a EMAAction) String() string {
	switch a {
	case EMANone:
		return "none"
	case EMACopy:
		return "copy"
	case EMAUpdate:
		return "update"
	}
	return fmt.Sprintf("EMAAction(%d)", int(a))
}

// EMA is the target-network schedule of SPEC §4 (after ReLIC, Mitrovic et al. 2020).
//
// For the 0-based optimizer step k, evaluated after the optimizer step:
//
//	k ≤ UpdateAfter:                 hard copy online → target
//	k > UpdateAfter, k mod Every = 0: θₜ ← β·θₜ + (1−β)·θₒ, then β ← Next(k)
//	otherwise:                       nothing
//
//	Next(k) = 1 − (1 − β₀)·(cos(π·k/K) + 1)/2
//
// with K = Total. β starts at β₀ = Base; the value in use is state the trainer carries (and
// checkpoints), since it only changes on update steps. [EMA.BetaBefore] recomputes it from k
// alone.
//
// The reference computes Next in float32 (torch scalars); this is float64, which differs by
// less than 1e-7 absolute.
type EMA struct {
	// Base is β₀ (--beta, default 0.995).
	Base float64
	// UpdateAfter is the last step that hard-copies (--update_beta_after_step, default 1).
	UpdateAfter int
	// Every is the update period in steps (--update_beta_every_n_steps, default 1).
	Every int
	// Total is K of the cosine; see [TotalSteps].
	Total int
}

// TotalSteps returns K = stepsPerEpoch·(epochs + 2) − updateAfter, the reference's horizon of
// the β cosine.
func TotalSteps(stepsPerEpoch, epochs, updateAfter int) int {
	return stepsPerEpoch*(epochs+2) - updateAfter
}

// Validate reports a configuration the schedule cannot evaluate.
func (e EMA) Validate() error {
	if math.IsNaN(e.Base) || e.Base < 0 || e.Base > 1 {
		return fmt.Errorf("schedule: beta %v: want a value in [0, 1]", e.Base)
	}
	if e.UpdateAfter < 0 {
		return fmt.Errorf("schedule: update beta after step %d: want ≥ 0", e.UpdateAfter)
	}
	if e.Every <= 0 {
		return fmt.Errorf("schedule: update beta every n steps %d: want > 0", e.Every)
	}
	if e.Total <= 0 {
		return fmt.Errorf("schedule: EMA horizon K = %d steps: want > 0 (steps per epoch · (epochs + 2) − update-after)", e.Total)
	}
	return nil
}

// Action returns what happens to the target network after optimizer step k.
func (e EMA) Action(k int) EMAAction {
	if k <= e.UpdateAfter {
		return EMACopy
	}
	if k%e.Every == 0 {
		return EMAUpdate
	}
	return EMANone
}

// Next returns the β that follows an update at step k.
func (e EMA) Next(k int) float64 {
	return 1 - (1-e.Base)*(math.Cos(math.Pi*float64(k)/float64(e.Total))+1)/2
}

// BetaBefore returns the β in use when step k is taken, i.e. the value produced by the last
// update step before k, or Base if there was none.
func (e EMA) BetaBefore(k int) float64 {
	last := k - 1
	if last <= e.UpdateAfter {
		return e.Base
	}
	last -= last % e.Every
	if last <= e.UpdateAfter {
		return e.Base
	}
	return e.Next(last)
}
