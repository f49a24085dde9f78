//go:build !notorch

package optim

import (
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// SGDConfig holds SGD's hyper-parameters.
type SGDConfig struct {
	LR, Momentum, Dampening, WeightDecay float64
	Nesterov                             bool
	// Decay selects the parameters weight decay applies to (nil: all).
	Decay DecayFilter
}

// SGD is torch.optim.SGD.
type SGD struct {
	base
	cfg SGDConfig
}

// NewSGD returns SGD with optional momentum μ, dampening τ and Nesterov:
//
//	d ← g + λ·p
//	b ← d (first step), else b ← μ·b + (1−τ)·d        (when μ ≠ 0)
//	d ← d + μ·b (Nesterov) or d ← b
//	p ← p − lr·d
func NewSGD(params []*nn.Var, cfg SGDConfig) *SGD {
	return &SGD{base: newBase(params, cfg.LR, "momentum_buffer"), cfg: cfg}
}

// Step applies one SGD update.
func (o *SGD) Step() error {
	c := o.cfg
	return o.each(func(s *torch.Scope, v *nn.Var, g *torch.Tensor) {
		d := g
		if c.WeightDecay != 0 && (c.Decay == nil || c.Decay(v)) {
			d = s.AddScaled(d, v.T, c.WeightDecay)
		}
		if c.Momentum != 0 {
			_, seen := o.bufs["momentum_buffer"][v.Name]
			b := o.buf("momentum_buffer", v)
			if !seen {
				s.CopyInPlace(b, d)
			} else {
				s.MulScalarInPlace(b, c.Momentum)
				s.AddInPlace(b, d, 1-c.Dampening)
			}
			if c.Nesterov {
				d = s.AddScaled(d, b, c.Momentum)
			} else {
				d = b
			}
		}
		s.AddInPlace(v.T, d, -o.lr)
	})
}

// LARSConfig holds LARS's hyper-parameters. Zero Momentum and TrustCoefficient mean 0.9 and
// 0.001.
type LARSConfig struct {
	LR, Momentum, WeightDecay, TrustCoefficient float64
	// Adapt selects the parameters that get weight decay and the trust ratio (nil:
	// ExcludeOneDim, sparing biases and batch-norm parameters).
	Adapt DecayFilter
}

// LARS is layer-wise adaptive rate scaling (You et al. 2017) in the form used by SimCLR/BYOL
// and Barlow Twins. For adapted parameters:
//
//	d ← g + λ·p
//	q ← η·‖p‖/‖d‖ when both norms are positive, else 1
//	d ← q·d
//
// then for all parameters: b ← μ·b + d, p ← p − lr·b.
type LARS struct {
	base
	cfg LARSConfig
}

// NewLARS returns a LARS optimizer.
func NewLARS(params []*nn.Var, cfg LARSConfig) *LARS {
	if cfg.Momentum == 0 {
		cfg.Momentum = 0.9
	}
	if cfg.TrustCoefficient == 0 {
		cfg.TrustCoefficient = 0.001
	}
	if cfg.Adapt == nil {
		cfg.Adapt = ExcludeOneDim
	}
	return &LARS{base: newBase(params, cfg.LR, "momentum_buffer"), cfg: cfg}
}

// Step applies one LARS update.
func (o *LARS) Step() error {
	c := o.cfg
	return o.each(func(s *torch.Scope, v *nn.Var, g *torch.Tensor) {
		d := g
		if c.Adapt(v) {
			d = s.AddScaled(d, v.T, c.WeightDecay)
			pn := s.Norm(v.T, 2, false)
			dn := s.Norm(d, 2, false)
			one := s.OnesLike(pn)
			q := s.Where(s.GtScalar(pn, 0),
				s.Where(s.GtScalar(dn, 0), s.MulScalar(s.Div(pn, dn), c.TrustCoefficient), one), one)
			d = s.Mul(d, q)
		}
		b := o.buf("momentum_buffer", v)
		s.MulScalarInPlace(b, c.Momentum)
		s.AddInPlace(b, d, 1)
		s.AddInPlace(v.T, b, -o.lr)
	})
}
