//go:build !notorch

package nn

import (
	"math"

	"github.com/scl-dev/scl/torch"
)

// Conv2dConfig is a convolution's geometry and options. Zero Stride, Dilation, Groups mean 1.
// WeightInit nil means PyTorch's default, KaimingUniform(√5, FanIn).
type Conv2dConfig struct {
	Stride, Padding, Dilation, Groups int64
	Bias                              bool
	WeightInit                        Init
}

// Conv2d is nn.Conv2d with square kernels: parameters "weight" (out, in/groups, k, k) and,
// with Bias, "bias" (out).
type Conv2d struct {
	W, B *torch.Tensor // owned by the Store; B is nil without bias
	Opts torch.Conv2dOpts
}

// NewConv2d registers a convolution's parameters under p.
func NewConv2d(p Path, in, out, k int64, cfg Conv2dConfig) *Conv2d {
	g := cfg.Groups
	if g == 0 {
		g = 1
	}
	wi := cfg.WeightInit
	if wi == nil {
		wi = KaimingUniform(math.Sqrt(5), FanIn)
	}
	shape := []int64{out, in / g, k, k}
	c := &Conv2d{
		W: p.Param("weight", wi, shape...),
		Opts: torch.Conv2dOpts{
			Stride:   [2]int64{cfg.Stride, cfg.Stride},
			Padding:  [2]int64{cfg.Padding, cfg.Padding},
			Dilation: [2]int64{cfg.Dilation, cfg.Dilation},
			Groups:   g,
		},
	}
	if cfg.Bias {
		c.B = p.Param("bias", BiasUniform(shape), out)
	}
	return c
}

// Forward convolves x (N, in, H, W).
func (c *Conv2d) Forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	return s.Conv2d(x, c.W, c.B, c.Opts)
}

// BatchNorm2d is nn.BatchNorm2d (affine, tracking running statistics): parameters "weight"
// (ones) and "bias" (zeros), buffers "running_mean" (zeros), "running_var" (ones) and
// "num_batches_tracked" (int64 0), in PyTorch's state_dict order.
type BatchNorm2d struct {
	W, B, RunningMean, RunningVar, NumBatchesTracked *torch.Tensor // owned by the Store
	Momentum, Eps                                    float64
	st                                               *Store
}

// NewBatchNorm2d registers a batch norm over c channels with momentum 0.1 and eps 1e-5.
func NewBatchNorm2d(p Path, c int64) *BatchNorm2d {
	return &BatchNorm2d{
		W:                 p.Param("weight", Ones(), c),
		B:                 p.Param("bias", Zeros(), c),
		RunningMean:       p.Buffer("running_mean", torch.Float32, Zeros(), c),
		RunningVar:        p.Buffer("running_var", torch.Float32, Ones(), c),
		NumBatchesTracked: p.Buffer("num_batches_tracked", torch.Int64, Zeros()),
		Momentum:          0.1,
		Eps:               1e-5,
		st:                p.st,
	}
}

// Forward normalises x (N, C, H, W): with batch statistics in training (updating the running
// statistics and the batch counter), with the running statistics in evaluation.
func (b *BatchNorm2d) Forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	train := b.st.Training()
	if train {
		s.NoGrad().AddScalarInPlace(b.NumBatchesTracked, 1)
	}
	return s.BatchNorm(x, b.W, b.B, b.RunningMean, b.RunningVar, train, b.Momentum, b.Eps)
}

// Linear is nn.Linear: "weight" (out, in) with KaimingUniform(√5) and "bias" (out) with
// BiasUniform, i.e. both U(−1/√in, 1/√in).
type Linear struct {
	W, B *torch.Tensor // owned by the Store; B is nil without bias
}

// NewLinear registers a linear layer in→out.
func NewLinear(p Path, in, out int64, bias bool) *Linear {
	l := &Linear{W: p.Param("weight", KaimingUniform(math.Sqrt(5), FanIn), out, in)}
	if bias {
		l.B = p.Param("bias", BiasUniform([]int64{out, in}), out)
	}
	return l
}

// Forward returns x·Wᵀ + b.
func (l *Linear) Forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	return s.Linear(x, l.W, l.B)
}

// Dropout zeroes elements with probability P in training mode.
type Dropout struct {
	P  float64
	st *Store
}

// NewDropout returns a dropout block following st's training mode.
func NewDropout(st *Store, p float64) *Dropout { return &Dropout{P: p, st: st} }

// Forward applies dropout in training mode and is the identity in evaluation.
func (d *Dropout) Forward(s *torch.Scope, x *torch.Tensor) *torch.Tensor {
	return s.Dropout(x, d.P, d.st.Training())
}
