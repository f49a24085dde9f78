//go:build !notorch

package torch

// Multi-tensor ("foreach") updates: one native call, and on CUDA a few fused kernels, for a whole
// list of tensors — what optimizers use. In-place forms modify the tensors of xs.

var (
	opFeMulS    = newOp("aten::_foreach_mul_", "Scalar")
	opFeAddS    = newOp("aten::_foreach_add_", "Scalar")
	opFeAddL    = newOp("aten::_foreach_add_", "List")
	opFeAddLOut = newOp("aten::_foreach_add", "List")
	opFeDivS    = newOp("aten::_foreach_div_", "Scalar")
	opFeAddcmul = newOp("aten::_foreach_addcmul_", "Scalar")
	opFeAddcdiv = newOp("aten::_foreach_addcdiv_", "Scalar")
	opFeSqrt    = newOp("aten::_foreach_sqrt", "")
)

// ForeachMulScalarInPlace sets x ← v·x for every x in xs.
func (s *Scope) ForeachMulScalarInPlace(xs []*Tensor, v float64) {
	s.inplace(opFeMulS, newArgs().Tensors(xs...).Float(v))
}

// ForeachAddScalarInPlace sets x ← x + v for every x in xs.
func (s *Scope) ForeachAddScalarInPlace(xs []*Tensor, v float64) {
	s.inplace(opFeAddS, newArgs().Tensors(xs...).Float(v))
}

// ForeachAddInPlace sets xs[i] ← xs[i] + alpha·ys[i].
func (s *Scope) ForeachAddInPlace(xs, ys []*Tensor, alpha float64) {
	s.inplace(opFeAddL, newArgs().Tensors(xs...).Tensors(ys...).Float(alpha))
}

// ForeachAdd returns new tensors xs[i] + alpha·ys[i].
func (s *Scope) ForeachAdd(xs, ys []*Tensor, alpha float64) []*Tensor {
	return s.callOp(opFeAddLOut, newArgs().Tensors(xs...).Tensors(ys...).Float(alpha))
}

// ForeachDivScalarInPlace sets x ← x / v for every x in xs.
func (s *Scope) ForeachDivScalarInPlace(xs []*Tensor, v float64) {
	s.inplace(opFeDivS, newArgs().Tensors(xs...).Float(v))
}

// ForeachAddcmulInPlace sets xs[i] ← xs[i] + v·as[i]·bs[i].
func (s *Scope) ForeachAddcmulInPlace(xs, as, bs []*Tensor, v float64) {
	s.inplace(opFeAddcmul, newArgs().Tensors(xs...).Tensors(as...).Tensors(bs...).Float(v))
}

// ForeachAddcdivInPlace sets xs[i] ← xs[i] + v·as[i]/bs[i].
func (s *Scope) ForeachAddcdivInPlace(xs, as, bs []*Tensor, v float64) {
	s.inplace(opFeAddcdiv, newArgs().Tensors(xs...).Tensors(as...).Tensors(bs...).Float(v))
}

// ForeachSqrt returns new tensors √x for every x in xs.
func (s *Scope) ForeachSqrt(xs []*Tensor) []*Tensor {
	return s.callOp(opFeSqrt, newArgs().Tensors(xs...))
}
