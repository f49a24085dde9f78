//go:build !notorch

package torch

// In-place updates, for optimizers, initialisers and statistics. They modify x's storage and
// create no handle. On a leaf that requires grad they must run through a NoGrad scope.

var (
	opAddI     = newOp("aten::add_", "Tensor")
	opAddSI    = newOp("aten::add_", "Scalar")
	opMulI     = newOp("aten::mul_", "Tensor")
	opMulSI    = newOp("aten::mul_", "Scalar")
	opDivI     = newOp("aten::div_", "Tensor")
	opAddcmulI = newOp("aten::addcmul_", "")
	opAddcdivI = newOp("aten::addcdiv_", "")
	opCopyI    = newOp("aten::copy_", "")
	opZeroI    = newOp("aten::zero_", "")
	opFillI    = newOp("aten::fill_", "Scalar")
	opUniformI = newOp("aten::uniform_", "")
	opNormalI  = newOp("aten::normal_", "")
	opLerpI    = newOp("aten::lerp_", "Scalar")
	opClampI   = newOp("aten::clamp_", "")
)

// AddInPlace sets x ← x + alpha·y.
func (s *Scope) AddInPlace(x, y *Tensor, alpha float64) {
	s.inplace(opAddI, newArgs().Tensor(x).Tensor(y).Float(alpha))
}

// AddScalarInPlace sets x ← x + v.
func (s *Scope) AddScalarInPlace(x *Tensor, v float64) {
	s.inplace(opAddSI, newArgs().Tensor(x).scalarFor(x, v).Int(1))
}

// MulInPlace sets x ← x·y.
func (s *Scope) MulInPlace(x, y *Tensor) { s.inplace(opMulI, newArgs().Tensor(x).Tensor(y)) }

// MulScalarInPlace sets x ← v·x.
func (s *Scope) MulScalarInPlace(x *Tensor, v float64) {
	s.inplace(opMulSI, newArgs().Tensor(x).scalarFor(x, v))
}

// DivInPlace sets x ← x / y.
func (s *Scope) DivInPlace(x, y *Tensor) { s.inplace(opDivI, newArgs().Tensor(x).Tensor(y)) }

// AddcmulInPlace sets x ← x + v·a·b.
func (s *Scope) AddcmulInPlace(x, a, b *Tensor, v float64) {
	s.inplace(opAddcmulI, newArgs().Tensor(x).Tensor(a).Tensor(b).Float(v))
}

// AddcdivInPlace sets x ← x + v·a/b.
func (s *Scope) AddcdivInPlace(x, a, b *Tensor, v float64) {
	s.inplace(opAddcdivI, newArgs().Tensor(x).Tensor(a).Tensor(b).Float(v))
}

// CopyInPlace copies src into x (broadcasting, converting dtype and device).
func (s *Scope) CopyInPlace(x, src *Tensor) {
	s.inplace(opCopyI, newArgs().Tensor(x).Tensor(src).Bool(false))
}

// ZeroInPlace sets every element of x to 0.
func (s *Scope) ZeroInPlace(x *Tensor) { s.inplace(opZeroI, newArgs().Tensor(x)) }

// FillInPlace sets every element of x to v.
func (s *Scope) FillInPlace(x *Tensor, v float64) {
	s.inplace(opFillI, newArgs().Tensor(x).scalarFor(x, v))
}

// UniformInPlace fills x with samples uniform on [lo, hi) from the default generator.
func (s *Scope) UniformInPlace(x *Tensor, lo, hi float64) {
	s.inplace(opUniformI, newArgs().Tensor(x).Float(lo).Float(hi).None())
}

// NormalInPlace fills x with samples from N(mean, std²).
func (s *Scope) NormalInPlace(x *Tensor, mean, std float64) {
	s.inplace(opNormalI, newArgs().Tensor(x).Float(mean).Float(std).None())
}

// LerpInPlace sets x ← x + w·(y − x) (an exponential moving average step with w = 1 − decay).
func (s *Scope) LerpInPlace(x, y *Tensor, w float64) {
	s.inplace(opLerpI, newArgs().Tensor(x).Tensor(y).Float(w))
}

// ClampInPlace limits x to [lo, hi].
func (s *Scope) ClampInPlace(x *Tensor, lo, hi float64) {
	s.inplace(opClampI, newArgs().Tensor(x).Float(lo).Float(hi))
}

var (
	opReluI = newOp("aten::relu_", "")
	opSiluI = newOp("aten::silu_", "")
)

// ReluInPlace sets x ← max(x, 0), recorded by autograd like nn.ReLU(inplace=True): it saves
// the allocation and memory traffic of a new activation. Autograd reports an error (through the
// scope) if x is needed unchanged by a backward function.
func (s *Scope) ReluInPlace(x *Tensor) { s.inplace(opReluI, newArgs().Tensor(x)) }

// SiluInPlace sets x ← x·σ(x) in place, like nn.SiLU(inplace=True).
func (s *Scope) SiluInPlace(x *Tensor) { s.inplace(opSiluI, newArgs().Tensor(x)) }
