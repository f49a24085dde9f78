//go:build !notorch

package amp

import (
	"fmt"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
)

// Config holds the scaler's constants. Zero values mean PyTorch's defaults: Init 2¹⁶, Growth 2,
// Backoff 0.5, Interval 2000.
type Config struct {
	Init, Growth, Backoff float64
	Interval              int64
	// Disabled makes every method a pass-through (scale 1, never skips), for float32 or bfloat16.
	Disabled bool
}

// Scaler is a dynamic loss scaler.
type Scaler struct {
	cfg      Config
	scale    float64
	tracker  int64 // consecutive clean steps since the last change
	unscaled bool  // gradients of the current step already divided by the scale
	found    bool  // inf/NaN found by the current step's Unscale
}

// NewScaler returns a scaler at cfg.Init.
func NewScaler(cfg Config) *Scaler {
	if cfg.Init == 0 {
		cfg.Init = 65536
	}
	if cfg.Growth == 0 {
		cfg.Growth = 2
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = 0.5
	}
	if cfg.Interval == 0 {
		cfg.Interval = 2000
	}
	sc := &Scaler{cfg: cfg, scale: cfg.Init}
	if cfg.Disabled {
		sc.scale = 1
	}
	return sc
}

// Value returns the current scale.
func (sc *Scaler) Value() float64 { return sc.scale }

// Scale returns loss·scale (a new tensor in s).
func (sc *Scaler) Scale(s *torch.Scope, loss *torch.Tensor) *torch.Tensor {
	if sc.cfg.Disabled {
		return loss
	}
	return s.MulScalar(loss, sc.scale)
}

// Unscale divides every parameter's gradient by the scale in place and reports whether all of
// them are finite. Call it before gradient clipping; Step then does not divide again.
func (sc *Scaler) Unscale(params []*nn.Var) (finite bool, err error) {
	if sc.cfg.Disabled {
		return true, nil
	}
	if sc.unscaled {
		return !sc.found, nil
	}
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	var bad *torch.Tensor
	inv := 1 / sc.scale
	for _, v := range params {
		g := ng.Grad(v.T)
		if g == nil {
			continue
		}
		// count of non-finite elements, summed over parameters; read once at the end so a
		// GPU step synchronises once
		nf := ng.Sum(ng.To(ng.LogicalNot(ng.IsFinite(g)), torch.Float32))
		if bad == nil {
			bad = nf
		} else {
			bad = ng.Add(bad, nf)
		}
		ng.MulScalarInPlace(g, inv)
	}
	if err := s.Err(); err != nil {
		return false, fmt.Errorf("amp: unscale: %w", err)
	}
	found := false
	if bad != nil {
		b, err := bad.Item()
		if err != nil {
			return false, fmt.Errorf("amp: unscale: %w", err)
		}
		found = b != 0
	}
	sc.unscaled, sc.found = true, found
	return !found, nil
}

// Step unscales the gradients (unless Unscale already did), runs opt.Step when they are all
// finite, and updates the scale. It reports whether the optimizer stepped.
func (sc *Scaler) Step(opt optim.Optimizer, params []*nn.Var) (stepped bool, err error) {
	finite, err := sc.Unscale(params)
	if err != nil {
		return false, err
	}
	if finite {
		if err := opt.Step(); err != nil {
			return false, err
		}
	}
	sc.Update(!finite)
	return finite, nil
}

// Update adapts the scale after a step: back off when foundInf, grow after Interval clean steps.
// Step calls it; call it yourself only when stepping the optimizer by hand.
func (sc *Scaler) Update(foundInf bool) {
	sc.unscaled, sc.found = false, false
	if sc.cfg.Disabled {
		return
	}
	if foundInf {
		sc.scale *= sc.cfg.Backoff
		sc.tracker = 0
		return
	}
	sc.tracker++
	if sc.tracker >= sc.cfg.Interval {
		sc.scale *= sc.cfg.Growth
		sc.tracker = 0
	}
}

// State is the scaler's checkpointable state.
type State struct {
	Scale   float64 `json:"scale"`
	Tracker int64   `json:"growth_tracker"`
}

// State returns the current state.
func (sc *Scaler) State() State { return State{Scale: sc.scale, Tracker: sc.tracker} }

// LoadState restores a State.
func (sc *Scaler) LoadState(st State) error {
	if !(st.Scale > 0) || st.Tracker < 0 {
		return fmt.Errorf("amp: load state: scale %v, growth tracker %d: want scale > 0, tracker ≥ 0", st.Scale, st.Tracker)
	}
	sc.scale, sc.tracker = st.Scale, st.Tracker
	return nil
}
