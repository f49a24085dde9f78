package optim

import (
	"fmt"
	"math"
)

// Schedule gives the learning rate for a 0-based optimizer step.
type Schedule interface {
	LR(step int64) float64
}

// Constant is a fixed learning rate.
type Constant float64

// LR returns the constant.
func (c Constant) LR(int64) float64 { return float64(c) }

// WarmupConstant rises linearly to Base over the first Warmup steps (Base·(step+1)/Warmup),
// then stays at Base.
type WarmupConstant struct {
	Base   float64
	Warmup int64
}

// LR returns the learning rate at step.
func (w WarmupConstant) LR(step int64) float64 {
	if step < w.Warmup {
		return w.Base * float64(step+1) / float64(w.Warmup)
	}
	return w.Base
}

// WarmupCosine rises linearly from Base/Warmup to Base over the first Warmup steps, then
// decays along a half cosine to Final at step Total and stays there:
//
//	step < W:      lr = Base·(step+1)/W
//	W ≤ step ≤ T:  lr = Final + (Base − Final)·(1 + cos(π·(step−W)/(T−W)))/2
//	step > T:      lr = Final
type WarmupCosine struct {
	Base, Final   float64
	Warmup, Total int64
}

// Validate checks the schedule's fields.
func (w WarmupCosine) Validate() error {
	if w.Warmup < 0 || w.Total < w.Warmup {
		return fmt.Errorf("optim: warm-up cosine: want 0 ≤ Warmup (%d) ≤ Total (%d)", w.Warmup, w.Total)
	}
	return nil
}

// LR returns the learning rate at step.
func (w WarmupCosine) LR(step int64) float64 {
	if step < w.Warmup {
		return w.Base * float64(step+1) / float64(w.Warmup)
	}
	if step >= w.Total || w.Total == w.Warmup {
		return w.Final
	}
	p := float64(step-w.Warmup) / float64(w.Total-w.Warmup)
	return w.Final + (w.Base-w.Final)*(1+math.Cos(math.Pi*p))/2
}

// WarmupStableDecay rises linearly to Base over the first Warmup steps, holds Base until
// DecayStart, then decays linearly to 0 at step Total and stays there (the warm-up–stable–decay
// schedule, whose short final decay suits runs stopped by a budget):
//
//	step < W:       lr = Base·(step+1)/W
//	W ≤ step < D:   lr = Base
//	D ≤ step < T:   lr = Base·(T−step)/(T−D)
//	step ≥ T:       lr = 0
type WarmupStableDecay struct {
	Base                      float64
	Warmup, DecayStart, Total int64
}

// Validate checks the schedule's fields.
func (w WarmupStableDecay) Validate() error {
	if w.Warmup < 0 || w.DecayStart < w.Warmup || w.Total < w.DecayStart {
		return fmt.Errorf("optim: warm-up–stable–decay: want 0 ≤ Warmup (%d) ≤ DecayStart (%d) ≤ Total (%d)",
			w.Warmup, w.DecayStart, w.Total)
	}
	return nil
}

// LR returns the learning rate at step.
func (w WarmupStableDecay) LR(step int64) float64 {
	switch {
	case step < w.Warmup:
		return w.Base * float64(step+1) / float64(w.Warmup)
	case step < w.DecayStart:
		return w.Base
	case step < w.Total:
		return w.Base * float64(w.Total-step) / float64(w.Total-w.DecayStart)
	}
	return 0
}
