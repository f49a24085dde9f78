//go:build !notorch

package loss

import (
	"fmt"
	"math"

	"github.com/scl-dev/scl/torch"
)

// Config holds the loss hyper-parameters of one step.
type Config struct {
	// Alpha is the weight α of the KL term.
	Alpha float64
	// Gamma is the confidence-penalty exponent γ (0 gives plain SigLIP).
	Gamma float64
	// MaxScale clamps exp(τ) from above (5 in the reference); 0 means 5.
	MaxScale float64
	// Filter turns hard filtering on for this step; the caller decides from its warm-up
	// (filtering only applies once step > warm-up steps).
	Filter bool
	// FilterThreshold is the penalty weight above which off-diagonal entries are kept.
	FilterThreshold float64
}

// Validate reports hyper-parameters the loss cannot use.
func (c Config) Validate() error {
	switch {
	case math.IsNaN(c.Alpha) || math.IsInf(c.Alpha, 0) || c.Alpha < 0:
		return fmt.Errorf("loss: alpha %v: want a finite value ≥ 0", c.Alpha)
	case math.IsNaN(c.Gamma) || math.IsInf(c.Gamma, 0) || c.Gamma < 0:
		return fmt.Errorf("loss: gamma %v: want a finite value ≥ 0", c.Gamma)
	case math.IsNaN(c.MaxScale) || c.MaxScale < 0:
		return fmt.Errorf("loss: max scale %v: want > 0 (0 means 5)", c.MaxScale)
	}
	return nil
}

// Pair returns the loss ℓ_sig + α·KL of one (online, target) pair and its KL part, both
// 0-dimensional tensors owned by s. online and target are [n, d]; tau and bias are
// 0-dimensional (typically leaves that require grad). The target should carry no gradient
// (compute it under s.NoGrad()). Errors (shape mismatch, bad config) are recorded in s.
func Pair(s *torch.Scope, online, target, tau, bias *torch.Tensor, c Config) (loss, kl *torch.Tensor) {
	if err := c.Validate(); err != nil {
		s.Fail(err)
		return nil, nil
	}
	if err := checkShapes(online, target); err != nil {
		s.Fail(err)
		return nil, nil
	}
	maxScale := c.MaxScale
	if maxScale == 0 {
		maxScale = 5
	}
	// Loss math in float32 or float64 with autocast off, whatever the caller's mode.
	s = s.Autocast(torch.CPUDevice, torch.Default)
	online = upcast(s, online)
	target = upcast(s, target)
	n := online.Shape()[0]
	opts := torch.Opts{DType: online.DType(), Device: online.Device()}

	x := s.Normalize(online, 2, 1, 1e-12)
	xt := s.Normalize(target, 2, 1, 1e-12)
	scale := s.Clamp(s.Exp(upcastTo(s, tau, opts.DType)), 0, maxScale)
	logits := s.Add(s.Mul(s.Mm(x, s.T(xt)), scale), upcastTo(s, bias, opts.DType))

	// Y = 2I − 1, z = Y∘L.
	eye := s.Eye(opts, n)
	labels := s.SubScalar(s.MulScalar(eye, 2), 1)
	z := s.Mul(labels, logits)
	logSig := s.LogSigmoid(z)

	var sig *torch.Tensor
	if c.Filter {
		// The mask carries no gradient: kept entries count with weight 1.
		ng := s.NoGrad()
		w := ng.Exp(ng.MulScalar(ng.LogSigmoid(ng.Neg(z)), c.Gamma))
		keep := ng.Clamp(ng.Add(ng.To(ng.GtScalar(w, c.FilterThreshold), opts.DType), eye), 0, 1)
		sig = s.Mul(keep, logSig)
	} else if c.Gamma == 0 {
		sig = logSig
	} else {
		w := s.Exp(s.MulScalar(s.LogSigmoid(s.Neg(z)), c.Gamma))
		sig = s.Mul(w, logSig)
	}
	lsig := s.DivScalar(s.Neg(s.Sum(sig)), float64(n))

	// KL(Q‖P) with P row-softmax and Q column-softmax transposed, "batchmean" over n rows.
	logP := s.LogSoftmax(logits, 1)
	logQ := s.T(s.LogSoftmax(logits, 0))
	q := s.Exp(logQ)
	kl = s.DivScalar(s.Sum(s.Mul(q, s.Sub(logQ, logP))), float64(n))

	if c.Alpha == 0 {
		loss = lsig
	} else {
		loss = s.Add(lsig, s.MulScalar(kl, c.Alpha))
	}
	return loss, kl
}

func checkShapes(online, target *torch.Tensor) error {
	if online.Closed() || target.Closed() {
		return fmt.Errorf("loss: nil or closed projections")
	}
	os, ts := online.Shape(), target.Shape()
	if len(os) != 2 || len(ts) != 2 || os[0] != ts[0] || os[1] != ts[1] {
		return fmt.Errorf("loss: online projections %v and target projections %v: want the same [n, d] shape", os, ts)
	}
	if os[0] < 1 {
		return fmt.Errorf("loss: %d rows: want ≥ 1", os[0])
	}
	return nil
}

// upcast returns x in float32 when it is half precision, x itself otherwise.
func upcast(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	switch x.DType() {
	case torch.Float16, torch.BFloat16:
		return s.To(x, torch.Float32)
	}
	return x
}

// upcastTo returns x converted to dt when their types differ.
func upcastTo(s *torch.Scope, x *torch.Tensor, dt torch.DType) *torch.Tensor {
	if x.DType() == dt {
		return x
	}
	return s.To(x, dt)
}
