//go:build !notorch

package optim

import (
	"fmt"
	"math"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// AdamConfig holds Adam's hyper-parameters. Zero Beta1, Beta2, Eps mean 0.9, 0.999, 1e-8.
type AdamConfig struct {
	LR           float64
	Beta1, Beta2 float64
	Eps          float64
	WeightDecay  float64
	// Decay selects the parameters weight decay applies to (nil: all).
	Decay DecayFilter
}

func (c *AdamConfig) defaults() {
	if c.Beta1 == 0 {
		c.Beta1 = 0.9
	}
	if c.Beta2 == 0 {
		c.Beta2 = 0.999
	}
	if c.Eps == 0 {
		c.Eps = 1e-8
	}
}

// Adam is torch.optim.Adam or, built by NewAdamW, torch.optim.AdamW.
type Adam struct {
	base
	cfg       AdamConfig
	decoupled bool
}

// NewAdam returns Adam with coupled L2 weight decay (torch.optim.Adam, what the reference uses).
// At step t, for each parameter p with gradient g:
//
//	g ← g + λ·p                      (weight decay, added to the gradient)
//	m ← β₁·m + (1−β₁)·g
//	v ← β₂·v + (1−β₂)·g²
//	p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε)
func NewAdam(params []*nn.Var, cfg AdamConfig) *Adam {
	cfg.defaults()
	return &Adam{base: newBase(params, cfg.LR, "exp_avg", "exp_avg_sq"), cfg: cfg}
}

// NewAdamW returns AdamW (torch.optim.AdamW): the same moments on the raw gradient, with
// decoupled weight decay applied to the parameter first: p ← p·(1 − lr·λ).
func NewAdamW(params []*nn.Var, cfg AdamConfig) *Adam {
	cfg.defaults()
	return &Adam{base: newBase(params, cfg.LR, "exp_avg", "exp_avg_sq"), cfg: cfg, decoupled: true}
}

// Step applies one Adam update to every parameter with a gradient: on the CPU one fused pass
// over each parameter (torch.FusedAdam), elsewhere multi-tensor ops (one call per formula line
// for all parameters, split into decayed and undecayed groups). Both evaluate the same float
// operations in the same order.
func (a *Adam) Step() error {
	c := a.cfg
	type group struct {
		ps, gs, ms, vs []*torch.Tensor
		names          []string
	}
	var decayed, plain group
	// The fused kernel takes every parameter in one list, each with its weight decay.
	var all group
	var wds []float64
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	for _, v := range a.params {
		g := ng.Grad(v.T)
		if g == nil {
			continue
		}
		grp, wd := &plain, 0.0
		if c.WeightDecay != 0 && (c.Decay == nil || c.Decay(v)) {
			grp, wd = &decayed, c.WeightDecay
		}
		m, sq := a.buf("exp_avg", v), a.buf("exp_avg_sq", v)
		for _, dst := range []*group{grp, &all} {
			dst.ps = append(dst.ps, v.T)
			dst.gs = append(dst.gs, g)
			dst.ms = append(dst.ms, m)
			dst.vs = append(dst.vs, sq)
			dst.names = append(dst.names, v.Name)
		}
		wds = append(wds, wd)
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: adam step %d: %w", a.steps+1, err)
	}
	if err := a.scope.Err(); err != nil {
		return fmt.Errorf("optim: adam step %d: state: %w", a.steps+1, err)
	}
	a.steps++
	t := float64(a.steps)
	bc1 := 1 - math.Pow(c.Beta1, t)
	bc2 := 1 - math.Pow(c.Beta2, t)
	upd := torch.AdamUpdate{LR: a.lr, Beta1: c.Beta1, Beta2: c.Beta2, Eps: c.Eps,
		StepSize: a.lr / bc1, BC2Sqrt: math.Sqrt(bc2), Decoupled: a.decoupled}
	if fusedUpdates && ng.FusedAdam(all.ps, all.gs, all.ms, all.vs, wds, upd) {
		return nil
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("optim: adam step %d: %w", a.steps, err)
	}
	for _, grp := range []*group{&decayed, &plain} {
		if len(grp.ps) == 0 {
			continue
		}
		gs := grp.gs
		if grp == &decayed {
			if a.decoupled {
				ng.ForeachMulScalarInPlace(grp.ps, 1-a.lr*c.WeightDecay)
			} else {
				gs = ng.ForeachAdd(gs, grp.ps, c.WeightDecay)
			}
		}
		ng.ForeachMulScalarInPlace(grp.ms, c.Beta1)
		ng.ForeachAddInPlace(grp.ms, gs, 1-c.Beta1)
		ng.ForeachMulScalarInPlace(grp.vs, c.Beta2)
		ng.ForeachAddcmulInPlace(grp.vs, gs, gs, 1-c.Beta2)
		den := ng.ForeachSqrt(grp.vs)
		ng.ForeachDivScalarInPlace(den, math.Sqrt(bc2))
		ng.ForeachAddScalarInPlace(den, c.Eps)
		ng.ForeachAddcdivInPlace(grp.ps, grp.ms, den, -a.lr/bc1)
		if err := s.Err(); err != nil {
			return fmt.Errorf("optim: adam step %d, parameters %v: %w", a.steps, grp.names, err)
		}
	}
	return nil
}
