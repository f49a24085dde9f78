//go:build !notorch

package torch

// Element-wise arithmetic and functions. Binary ops broadcast like PyTorch.

var (
	opAdd       = newOp("aten::add", "Tensor")
	opAddS      = newOp("aten::add", "Scalar")
	opSub       = newOp("aten::sub", "Tensor")
	opSubS      = newOp("aten::sub", "Scalar")
	opMul       = newOp("aten::mul", "Tensor")
	opMulS      = newOp("aten::mul", "Scalar")
	opDiv       = newOp("aten::div", "Tensor")
	opDivS      = newOp("aten::div", "Scalar")
	opNeg       = newOp("aten::neg", "")
	opPow       = newOp("aten::pow", "Tensor_Tensor")
	opPowS      = newOp("aten::pow", "Tensor_Scalar")
	opExp       = newOp("aten::exp", "")
	opLog       = newOp("aten::log", "")
	opLog1p     = newOp("aten::log1p", "")
	opSqrt      = newOp("aten::sqrt", "")
	opRsqrt     = newOp("aten::rsqrt", "")
	opAbs       = newOp("aten::abs", "")
	opSquare    = newOp("aten::square", "")
	opRecip     = newOp("aten::reciprocal", "")
	opSign      = newOp("aten::sign", "")
	opMaximum   = newOp("aten::maximum", "")
	opMinimum   = newOp("aten::minimum", "")
	opClamp     = newOp("aten::clamp", "")
	opLerp      = newOp("aten::lerp", "Scalar")
	opSin       = newOp("aten::sin", "")
	opCos       = newOp("aten::cos", "")
	opFloor     = newOp("aten::floor", "")
	opEq        = newOp("aten::eq", "Tensor")
	opNe        = newOp("aten::ne", "Tensor")
	opLt        = newOp("aten::lt", "Tensor")
	opLe        = newOp("aten::le", "Tensor")
	opGt        = newOp("aten::gt", "Tensor")
	opGe        = newOp("aten::ge", "Tensor")
	opEqS       = newOp("aten::eq", "Scalar")
	opLtS       = newOp("aten::lt", "Scalar")
	opGtS       = newOp("aten::gt", "Scalar")
	opWhere     = newOp("aten::where", "self")
	opIsFinite  = newOp("aten::isfinite", "")
	opLogicNot  = newOp("aten::logical_not", "")
	opLogicAnd  = newOp("aten::logical_and", "")
	opMaskFillS = newOp("aten::masked_fill", "Scalar")
)

func (s *Scope) unary(op *opRef, x *Tensor) *Tensor { return s.call1(op, newArgs().Tensor(x)) }

func (s *Scope) binary(op *opRef, a, b *Tensor) *Tensor {
	return s.call1(op, newArgs().Tensor(a).Tensor(b))
}

// Add returns a + b.
func (s *Scope) Add(a, b *Tensor) *Tensor {
	return s.call1(opAdd, newArgs().Tensor(a).Tensor(b).Int(1))
}

// AddScaled returns a + alpha·b.
func (s *Scope) AddScaled(a, b *Tensor, alpha float64) *Tensor {
	return s.call1(opAdd, newArgs().Tensor(a).Tensor(b).Float(alpha))
}

// AddScalar returns a + v.
func (s *Scope) AddScalar(a *Tensor, v float64) *Tensor {
	return s.call1(opAddS, newArgs().Tensor(a).scalarFor(a, v).Int(1))
}

// Sub returns a − b.
func (s *Scope) Sub(a, b *Tensor) *Tensor {
	return s.call1(opSub, newArgs().Tensor(a).Tensor(b).Int(1))
}

// SubScalar returns a − v.
func (s *Scope) SubScalar(a *Tensor, v float64) *Tensor {
	return s.call1(opSubS, newArgs().Tensor(a).scalarFor(a, v).Int(1))
}

// RSubScalar returns v − a.
func (s *Scope) RSubScalar(v float64, a *Tensor) *Tensor {
	return s.AddScalar(s.Neg(a), v)
}

// Mul returns a·b element-wise.
func (s *Scope) Mul(a, b *Tensor) *Tensor { return s.binary(opMul, a, b) }

// MulScalar returns a·v.
func (s *Scope) MulScalar(a *Tensor, v float64) *Tensor {
	return s.call1(opMulS, newArgs().Tensor(a).scalarFor(a, v))
}

// Div returns a / b element-wise (true division).
func (s *Scope) Div(a, b *Tensor) *Tensor { return s.binary(opDiv, a, b) }

// DivScalar returns a / v.
func (s *Scope) DivScalar(a *Tensor, v float64) *Tensor {
	return s.call1(opDivS, newArgs().Tensor(a).Float(v))
}

// Neg returns −x.
func (s *Scope) Neg(x *Tensor) *Tensor { return s.unary(opNeg, x) }

// Pow returns a^b element-wise.
func (s *Scope) Pow(a, b *Tensor) *Tensor { return s.binary(opPow, a, b) }

// PowScalar returns x^p.
func (s *Scope) PowScalar(x *Tensor, p float64) *Tensor {
	return s.call1(opPowS, newArgs().Tensor(x).Float(p))
}

// Exp returns eˣ.
func (s *Scope) Exp(x *Tensor) *Tensor { return s.unary(opExp, x) }

// Log returns ln x.
func (s *Scope) Log(x *Tensor) *Tensor { return s.unary(opLog, x) }

// Log1p returns ln(1 + x).
func (s *Scope) Log1p(x *Tensor) *Tensor { return s.unary(opLog1p, x) }

// Sqrt returns √x.
func (s *Scope) Sqrt(x *Tensor) *Tensor { return s.unary(opSqrt, x) }

// Rsqrt returns 1/√x.
func (s *Scope) Rsqrt(x *Tensor) *Tensor { return s.unary(opRsqrt, x) }

// Abs returns |x|.
func (s *Scope) Abs(x *Tensor) *Tensor { return s.unary(opAbs, x) }

// Square returns x².
func (s *Scope) Square(x *Tensor) *Tensor { return s.unary(opSquare, x) }

// Reciprocal returns 1/x.
func (s *Scope) Reciprocal(x *Tensor) *Tensor { return s.unary(opRecip, x) }

// Sign returns −1, 0 or 1 by the sign of x.
func (s *Scope) Sign(x *Tensor) *Tensor { return s.unary(opSign, x) }

// Sin returns sin x.
func (s *Scope) Sin(x *Tensor) *Tensor { return s.unary(opSin, x) }

// Cos returns cos x.
func (s *Scope) Cos(x *Tensor) *Tensor { return s.unary(opCos, x) }

// Floor returns ⌊x⌋.
func (s *Scope) Floor(x *Tensor) *Tensor { return s.unary(opFloor, x) }

// Maximum returns the element-wise maximum of a and b.
func (s *Scope) Maximum(a, b *Tensor) *Tensor { return s.binary(opMaximum, a, b) }

// Minimum returns the element-wise minimum of a and b.
func (s *Scope) Minimum(a, b *Tensor) *Tensor { return s.binary(opMinimum, a, b) }

// Clamp limits x to [lo, hi].
func (s *Scope) Clamp(x *Tensor, lo, hi float64) *Tensor {
	return s.call1(opClamp, newArgs().Tensor(x).Float(lo).Float(hi))
}

// ClampMin limits x to [lo, ∞).
func (s *Scope) ClampMin(x *Tensor, lo float64) *Tensor {
	return s.call1(opClamp, newArgs().Tensor(x).Float(lo).None())
}

// ClampMax limits x to (−∞, hi].
func (s *Scope) ClampMax(x *Tensor, hi float64) *Tensor {
	return s.call1(opClamp, newArgs().Tensor(x).None().Float(hi))
}

// Lerp returns a + w·(b − a).
func (s *Scope) Lerp(a, b *Tensor, w float64) *Tensor {
	return s.call1(opLerp, newArgs().Tensor(a).Tensor(b).Float(w))
}

// Eq returns a == b element-wise (bool).
func (s *Scope) Eq(a, b *Tensor) *Tensor { return s.binary(opEq, a, b) }

// Ne returns a != b.
func (s *Scope) Ne(a, b *Tensor) *Tensor { return s.binary(opNe, a, b) }

// Lt returns a < b.
func (s *Scope) Lt(a, b *Tensor) *Tensor { return s.binary(opLt, a, b) }

// Le returns a <= b.
func (s *Scope) Le(a, b *Tensor) *Tensor { return s.binary(opLe, a, b) }

// Gt returns a > b.
func (s *Scope) Gt(a, b *Tensor) *Tensor { return s.binary(opGt, a, b) }

// Ge returns a >= b.
func (s *Scope) Ge(a, b *Tensor) *Tensor { return s.binary(opGe, a, b) }

// EqScalar returns x == v.
func (s *Scope) EqScalar(x *Tensor, v float64) *Tensor {
	return s.call1(opEqS, newArgs().Tensor(x).scalarFor(x, v))
}

// LtScalar returns x < v.
func (s *Scope) LtScalar(x *Tensor, v float64) *Tensor {
	return s.call1(opLtS, newArgs().Tensor(x).Float(v))
}

// GtScalar returns x > v.
func (s *Scope) GtScalar(x *Tensor, v float64) *Tensor {
	return s.call1(opGtS, newArgs().Tensor(x).Float(v))
}

// Where returns a where cond is true and b elsewhere.
func (s *Scope) Where(cond, a, b *Tensor) *Tensor {
	return s.call1(opWhere, newArgs().Tensor(cond).Tensor(a).Tensor(b))
}

// IsFinite returns whether each element is finite (bool).
func (s *Scope) IsFinite(x *Tensor) *Tensor { return s.unary(opIsFinite, x) }

// LogicalNot returns !x.
func (s *Scope) LogicalNot(x *Tensor) *Tensor { return s.unary(opLogicNot, x) }

// LogicalAnd returns a && b.
func (s *Scope) LogicalAnd(a, b *Tensor) *Tensor { return s.binary(opLogicAnd, a, b) }

// MaskedFill returns x with v where mask is true.
func (s *Scope) MaskedFill(x, mask *Tensor, v float64) *Tensor {
	return s.call1(opMaskFillS, newArgs().Tensor(x).Tensor(mask).Float(v))
}
