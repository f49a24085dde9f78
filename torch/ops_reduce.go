//go:build !notorch

package torch

var (
	opSum      = newOp("aten::sum", "")
	opSumDim   = newOp("aten::sum", "dim_IntList")
	opMean     = newOp("aten::mean", "")
	opMeanDim  = newOp("aten::mean", "dim")
	opMax      = newOp("aten::max", "")
	opMin      = newOp("aten::min", "")
	opMaxDim   = newOp("aten::max", "dim")
	opMinDim   = newOp("aten::min", "dim")
	opArgmax   = newOp("aten::argmax", "")
	opTopk     = newOp("aten::topk", "")
	opSort     = newOp("aten::sort", "")
	opLSE      = newOp("aten::logsumexp", "")
	opVecNorm  = newOp("aten::linalg_vector_norm", "")
	opVarDim   = newOp("aten::var", "dim")
	opAll      = newOp("aten::all", "")
	opAny      = newOp("aten::any", "")
	opCumsum   = newOp("aten::cumsum", "")
	opSoftmax  = newOp("aten::softmax", "int")
	opLSoftmax = newOp("aten::log_softmax", "int")
)

// Sum returns the sum of all elements (0-dimensional).
func (s *Scope) Sum(x *Tensor) *Tensor { return s.call1(opSum, newArgs().Tensor(x).None()) }

// SumDims sums over dims, keeping them as size 1 when keep is set.
func (s *Scope) SumDims(x *Tensor, keep bool, dims ...int64) *Tensor {
	return s.call1(opSumDim, newArgs().Tensor(x).Ints(dims...).Bool(keep).None())
}

// Mean returns the mean of all elements.
func (s *Scope) Mean(x *Tensor) *Tensor { return s.call1(opMean, newArgs().Tensor(x).None()) }

// MeanDims averages over dims.
func (s *Scope) MeanDims(x *Tensor, keep bool, dims ...int64) *Tensor {
	return s.call1(opMeanDim, newArgs().Tensor(x).Ints(dims...).Bool(keep).None())
}

// Var returns the variance over dims (unbiased when unbiased is set).
func (s *Scope) Var(x *Tensor, unbiased, keep bool, dims ...int64) *Tensor {
	return s.call1(opVarDim, newArgs().Tensor(x).Ints(dims...).Bool(unbiased).Bool(keep))
}

// Max returns the largest element (0-dimensional).
func (s *Scope) Max(x *Tensor) *Tensor { return s.unary(opMax, x) }

// Min returns the smallest element.
func (s *Scope) Min(x *Tensor) *Tensor { return s.unary(opMin, x) }

// MaxDim returns the maxima along dim and their indices.
func (s *Scope) MaxDim(x *Tensor, dim int64, keep bool) (values, indices *Tensor) {
	return s.call2(opMaxDim, newArgs().Tensor(x).Int(dim).Bool(keep))
}

// MinDim returns the minima along dim and their indices.
func (s *Scope) MinDim(x *Tensor, dim int64, keep bool) (values, indices *Tensor) {
	return s.call2(opMinDim, newArgs().Tensor(x).Int(dim).Bool(keep))
}

// Argmax returns the indices of the maxima along dim (int64).
func (s *Scope) Argmax(x *Tensor, dim int64, keep bool) *Tensor {
	return s.call1(opArgmax, newArgs().Tensor(x).Int(dim).Bool(keep))
}

// TopK returns the k largest (or smallest) elements along dim and their indices, sorted.
func (s *Scope) TopK(x *Tensor, k, dim int64, largest bool) (values, indices *Tensor) {
	return s.call2(opTopk, newArgs().Tensor(x).Int(k).Int(dim).Bool(largest).Bool(true))
}

// Sort sorts along dim and returns the values and their original indices.
func (s *Scope) Sort(x *Tensor, dim int64, descending bool) (values, indices *Tensor) {
	return s.call2(opSort, newArgs().Tensor(x).Int(dim).Bool(descending))
}

// LogSumExp returns log Σ exp(x) over dims, computed stably.
func (s *Scope) LogSumExp(x *Tensor, keep bool, dims ...int64) *Tensor {
	return s.call1(opLSE, newArgs().Tensor(x).Ints(dims...).Bool(keep))
}

// Norm returns the p-norm (‖x‖ₚ = (Σ|xᵢ|ᵖ)^(1/p)) over dims (all elements when dims is empty).
func (s *Scope) Norm(x *Tensor, p float64, keep bool, dims ...int64) *Tensor {
	a := newArgs().Tensor(x).Float(p)
	if len(dims) == 0 {
		a.None()
	} else {
		a.Ints(dims...)
	}
	return s.call1(opVecNorm, a.Bool(keep).None())
}

// All returns whether every element is true (0-dimensional bool).
func (s *Scope) All(x *Tensor) *Tensor { return s.unary(opAll, x) }

// Any returns whether some element is true.
func (s *Scope) Any(x *Tensor) *Tensor { return s.unary(opAny, x) }

// Cumsum returns cumulative sums along dim.
func (s *Scope) Cumsum(x *Tensor, dim int64) *Tensor {
	return s.call1(opCumsum, newArgs().Tensor(x).Int(dim).None())
}

// Softmax returns exp(xᵢ)/Σⱼexp(xⱼ) along dim.
func (s *Scope) Softmax(x *Tensor, dim int64) *Tensor {
	return s.call1(opSoftmax, newArgs().Tensor(x).Int(dim).None())
}

// LogSoftmax returns xᵢ − log Σⱼexp(xⱼ) along dim.
func (s *Scope) LogSoftmax(x *Tensor, dim int64) *Tensor {
	return s.call1(opLSoftmax, newArgs().Tensor(x).Int(dim).None())
}
