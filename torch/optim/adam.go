//go:build !notorch

package optim

import (
	"math"

	"scl/torch"
	"scl/torch/nn"
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

// Step applies one Adam update.
func (a *Adam) Step() error {
	c := a.cfg
	return a.each(func(s *torch.Scope, v *nn.Var, g *torch.Tensor) {
		decay := c.WeightDecay != 0 && (c.Decay == nil || c.Decay(v))
		if decay {
			if a.decoupled {
				s.MulScalarInPlace(v.T, 1-a.lr*c.WeightDecay)
			} else {
				g = s.AddScaled(g, v.T, c.WeightDecay)
			}
		}
		m := a.buf("exp_avg", v)
		sq := a.buf("exp_avg_sq", v)
		t := float64(a.steps)
		s.MulScalarInPlace(m, c.Beta1)
		s.AddInPlace(m, g, 1-c.Beta1)
		s.MulScalarInPlace(sq, c.Beta2)
		s.AddcmulInPlace(sq, g, g, 1-c.Beta2)
		bc1 := 1 - math.Pow(c.Beta1, t)
		bc2 := 1 - math.Pow(c.Beta2, t)
		denom := s.AddScalar(s.DivScalar(s.Sqrt(sq), math.Sqrt(bc2)), c.Eps)
		s.AddcdivInPlace(v.T, m, denom, -a.lr/bc1)
	})
}
