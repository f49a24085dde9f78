//go:build !notorch

package torch

var (
	opZeros    = newOp("aten::zeros", "")
	opOnes     = newOp("aten::ones", "")
	opFull     = newOp("aten::full", "")
	opRandn    = newOp("aten::randn", "")
	opRand     = newOp("aten::rand", "")
	opRandint  = newOp("aten::randint", "low")
	opRandperm = newOp("aten::randperm", "")
	opArange   = newOp("aten::arange", "start_step")
	opEye      = newOp("aten::eye", "")
	opEmpty    = newOp("aten::empty", "memory_format")
	opZerosL   = newOp("aten::zeros_like", "")
	opOnesL    = newOp("aten::ones_like", "")
	opRandnL   = newOp("aten::randn_like", "")
	opFullL    = newOp("aten::full_like", "")
	opBernP    = newOp("aten::bernoulli", "p")
)

// factory appends the keyword tail (dtype, layout, device, pin_memory) of aten factories.
func factory(a *Args, o Opts) *Args {
	dt := o.DType
	if dt == Default {
		dt = Float32
	}
	return a.DType(dt).None().Device(o.Device).None()
}

// likeTail appends (dtype, layout, device, pin_memory, memory_format) of *_like factories,
// keeping the source's type and device.
func likeTail(a *Args) *Args { return a.None().None().None().None().None() }

// Zeros returns a tensor of zeros of the given shape.
func (s *Scope) Zeros(o Opts, shape ...int64) *Tensor {
	return s.call1(opZeros, factory(newArgs().Ints(shape...), o))
}

// Ones returns a tensor of ones.
func (s *Scope) Ones(o Opts, shape ...int64) *Tensor {
	return s.call1(opOnes, factory(newArgs().Ints(shape...), o))
}

// Empty returns an uninitialised tensor.
func (s *Scope) Empty(o Opts, shape ...int64) *Tensor {
	return s.call1(opEmpty, factory(newArgs().Ints(shape...), o).None())
}

// Full returns a tensor filled with v.
func (s *Scope) Full(o Opts, v float64, shape ...int64) *Tensor {
	return s.call1(opFull, factory(newArgs().Ints(shape...).Float(v), o))
}

// Scalar returns a 0-dimensional tensor holding v.
func (s *Scope) Scalar(o Opts, v float64) *Tensor { return s.Full(o, v) }

// Randn returns standard normal samples from the default generator (see ManualSeed).
func (s *Scope) Randn(o Opts, shape ...int64) *Tensor {
	return s.call1(opRandn, factory(newArgs().Ints(shape...), o))
}

// Rand returns samples uniform on [0, 1).
func (s *Scope) Rand(o Opts, shape ...int64) *Tensor {
	return s.call1(opRand, factory(newArgs().Ints(shape...), o))
}

// RandInt returns integers uniform on [low, high); o.DType defaults to Int64 here.
func (s *Scope) RandInt(o Opts, low, high int64, shape ...int64) *Tensor {
	if o.DType == Default {
		o.DType = Int64
	}
	return s.call1(opRandint, factory(newArgs().Int(low).Int(high).Ints(shape...), o))
}

// RandPerm returns a random permutation of 0..n-1 (int64).
func (s *Scope) RandPerm(n int64, dev Device) *Tensor {
	return s.call1(opRandperm, factory(newArgs().Int(n), Opts{DType: Int64, Device: dev}))
}

// Arange returns start, start+step, … below end.
func (s *Scope) Arange(o Opts, start, end, step float64) *Tensor {
	return s.call1(opArange, factory(newArgs().Float(start).Float(end).Float(step), o))
}

// Eye returns the n×n identity matrix.
func (s *Scope) Eye(o Opts, n int64) *Tensor {
	return s.call1(opEye, factory(newArgs().Int(n), o))
}

// ZerosLike returns zeros with x's shape, dtype and device.
func (s *Scope) ZerosLike(x *Tensor) *Tensor {
	return s.call1(opZerosL, likeTail(newArgs().Tensor(x)))
}

// OnesLike returns ones with x's shape, dtype and device.
func (s *Scope) OnesLike(x *Tensor) *Tensor {
	return s.call1(opOnesL, likeTail(newArgs().Tensor(x)))
}

// FullLike returns v with x's shape, dtype and device.
func (s *Scope) FullLike(x *Tensor, v float64) *Tensor {
	return s.call1(opFullL, likeTail(newArgs().Tensor(x).Float(v)))
}

// RandnLike returns standard normal samples with x's shape, dtype and device.
func (s *Scope) RandnLike(x *Tensor) *Tensor {
	return s.call1(opRandnL, likeTail(newArgs().Tensor(x)))
}

// Bernoulli returns samples that are 1 with probability p, with x's shape, dtype and device.
func (s *Scope) Bernoulli(x *Tensor, p float64) *Tensor {
	return s.call1(opBernP, newArgs().Tensor(x).Float(p).None())
}
