//go:build !notorch

package nn

import (
	"fmt"
	"math"

	"github.com/scl-dev/scl/torch"
)

// Init fills a freshly created tensor in place, through a no-grad scope.
type Init func(s *torch.Scope, t *torch.Tensor) error

// FanMode selects which fan Kaiming initialisation preserves.
type FanMode int

// Fan modes.
const (
	FanIn FanMode = iota
	FanOut
)

// String returns "fan_in" or "fan_out".
func (m FanMode) String() string {
	if m == FanOut {
		return "fan_out"
	}
	return "fan_in"
}

// Fans returns (fan_in, fan_out) of a weight shape as torch.nn.init computes them:
// fan_in = shape[1]·receptive, fan_out = shape[0]·receptive, receptive = Π shape[2:].
func Fans(shape []int64) (fanIn, fanOut int64, err error) {
	if len(shape) < 2 {
		return 0, 0, fmt.Errorf("nn: fans of a %d-dimensional tensor: want at least 2 dimensions", len(shape))
	}
	rec := int64(1)
	for _, d := range shape[2:] {
		rec *= d
	}
	return shape[1] * rec, shape[0] * rec, nil
}

// LeakyReLUGain is torch.nn.init.calculate_gain("leaky_relu", a) = √(2/(1+a²)); a = 0 gives
// ReLU's √2.
func LeakyReLUGain(a float64) float64 { return math.Sqrt(2 / (1 + a*a)) }

func finish(s *torch.Scope) error { return s.Err() }

// Zeros sets every element to 0.
func Zeros() Init {
	return func(s *torch.Scope, t *torch.Tensor) error { s.ZeroInPlace(t); return finish(s) }
}

// Ones sets every element to 1.
func Ones() Init { return Const(1) }

// Const sets every element to v.
func Const(v float64) Init {
	return func(s *torch.Scope, t *torch.Tensor) error { s.FillInPlace(t, v); return finish(s) }
}

// Uniform draws from U(lo, hi).
func Uniform(lo, hi float64) Init {
	return func(s *torch.Scope, t *torch.Tensor) error { s.UniformInPlace(t, lo, hi); return finish(s) }
}

// Normal draws from N(mean, std²).
func Normal(mean, std float64) Init {
	return func(s *torch.Scope, t *torch.Tensor) error { s.NormalInPlace(t, mean, std); return finish(s) }
}

func fan(t *torch.Tensor, mode FanMode) (float64, error) {
	in, out, err := Fans(t.Shape())
	if err != nil {
		return 0, err
	}
	if mode == FanOut {
		return float64(out), nil
	}
	return float64(in), nil
}

// KaimingUniform is torch.nn.init.kaiming_uniform_(a, mode, nonlinearity="leaky_relu"):
// U(−b, b) with b = gain·√(3/fan), gain = √(2/(1+a²)). With a = √5 and FanIn it is the default
// weight initialisation of nn.Conv2d and nn.Linear, b = 1/√fan_in.
func KaimingUniform(a float64, mode FanMode) Init {
	return func(s *torch.Scope, t *torch.Tensor) error {
		f, err := fan(t, mode)
		if err != nil {
			return err
		}
		b := LeakyReLUGain(a) * math.Sqrt(3/f)
		s.UniformInPlace(t, -b, b)
		return finish(s)
	}
}

// KaimingNormal is torch.nn.init.kaiming_normal_(mode, nonlinearity="relu"): N(0, σ²) with
// σ = √2/√fan. FanOut is what torchvision's ResNet uses for convolutions.
func KaimingNormal(mode FanMode) Init {
	return func(s *torch.Scope, t *torch.Tensor) error {
		f, err := fan(t, mode)
		if err != nil {
			return err
		}
		s.NormalInPlace(t, 0, math.Sqrt2/math.Sqrt(f))
		return finish(s)
	}
}

// BiasUniform is the default bias initialisation of nn.Conv2d and nn.Linear: U(−b, b) with
// b = 1/√fan_in of the layer's weight shape.
func BiasUniform(weightShape []int64) Init {
	return func(s *torch.Scope, t *torch.Tensor) error {
		in, _, err := Fans(weightShape)
		if err != nil {
			return err
		}
		b := 0.0
		if in > 0 {
			b = 1 / math.Sqrt(float64(in))
		}
		s.UniformInPlace(t, -b, b)
		return finish(s)
	}
}
