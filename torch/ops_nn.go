//go:build !notorch

package torch

// Neural-network functions: activations, convolution, normalisation, pooling, losses.

var (
	opRelu      = newOp("aten::relu", "")
	opSilu      = newOp("aten::silu", "")
	opSigmoid   = newOp("aten::sigmoid", "")
	opTanh      = newOp("aten::tanh", "")
	opGelu      = newOp("aten::gelu", "")
	opLogSig    = newOp("aten::log_sigmoid", "")
	opSoftplus  = newOp("aten::softplus", "")
	opMatmul    = newOp("aten::matmul", "")
	opMm        = newOp("aten::mm", "")
	opBmm       = newOp("aten::bmm", "")
	opLinear    = newOp("aten::linear", "")
	opConv2d    = newOp("aten::conv2d", "")
	opBatchNorm = newOp("aten::batch_norm", "")
	opMaxPool   = newOp("aten::max_pool2d", "")
	opAvgPool   = newOp("aten::avg_pool2d", "")
	opAdaAvg    = newOp("aten::adaptive_avg_pool2d", "")
	opDropout   = newOp("aten::dropout", "")
	opBilinear  = newOp("aten::upsample_bilinear2d", "")
	opKLDiv     = newOp("aten::kl_div", "")
	opCE        = newOp("aten::cross_entropy_loss", "")
	opBCELogits = newOp("aten::binary_cross_entropy_with_logits", "")
	opMSE       = newOp("aten::mse_loss", "")
)

// Reduction selects how a loss reduces over elements.
type Reduction int

// Reductions; values match at::Reduction.
const (
	ReduceNone Reduction = 0
	ReduceMean Reduction = 1
	ReduceSum  Reduction = 2
)

// String returns "none", "mean" or "sum".
func (r Reduction) String() string {
	switch r {
	case ReduceNone:
		return "none"
	case ReduceMean:
		return "mean"
	case ReduceSum:
		return "sum"
	}
	return "Reduction(?)"
}

// Relu returns max(x, 0).
func (s *Scope) Relu(x *Tensor) *Tensor { return s.unary(opRelu, x) }

// Silu returns x·σ(x).
func (s *Scope) Silu(x *Tensor) *Tensor { return s.unary(opSilu, x) }

// Sigmoid returns σ(x) = 1/(1+e⁻ˣ).
func (s *Scope) Sigmoid(x *Tensor) *Tensor { return s.unary(opSigmoid, x) }

// Tanh returns tanh x.
func (s *Scope) Tanh(x *Tensor) *Tensor { return s.unary(opTanh, x) }

// Gelu returns x·Φ(x) (exact form).
func (s *Scope) Gelu(x *Tensor) *Tensor {
	return s.call1(opGelu, newArgs().Tensor(x).String("none"))
}

// LogSigmoid returns log σ(x), computed stably.
func (s *Scope) LogSigmoid(x *Tensor) *Tensor { return s.unary(opLogSig, x) }

// Softplus returns log(1 + eˣ) (beta 1, threshold 20 as PyTorch).
func (s *Scope) Softplus(x *Tensor) *Tensor {
	return s.call1(opSoftplus, newArgs().Tensor(x).Float(1).Float(20))
}

// MatMul is torch.matmul (batched, broadcasting).
func (s *Scope) MatMul(a, b *Tensor) *Tensor { return s.binary(opMatmul, a, b) }

// Mm multiplies two matrices.
func (s *Scope) Mm(a, b *Tensor) *Tensor { return s.binary(opMm, a, b) }

// Bmm multiplies two batches of matrices.
func (s *Scope) Bmm(a, b *Tensor) *Tensor { return s.binary(opBmm, a, b) }

// Linear returns x·wᵀ + b (b may be nil).
func (s *Scope) Linear(x, w, b *Tensor) *Tensor {
	return s.call1(opLinear, newArgs().Tensor(x).Tensor(w).OptTensor(b))
}

// Conv2dOpts are the geometry of a 2-D convolution. Zero values mean stride 1, padding 0,
// dilation 1, groups 1.
type Conv2dOpts struct {
	Stride, Padding, Dilation [2]int64
	Groups                    int64
}

func pair(p [2]int64, def int64) (int64, int64) {
	a, b := p[0], p[1]
	if a == 0 {
		a = def
	}
	if b == 0 {
		b = def
	}
	return a, b
}

// Conv2d convolves x (N,C,H,W) with w (O,C/groups,kH,kW) and adds b (may be nil).
func (s *Scope) Conv2d(x, w, b *Tensor, o Conv2dOpts) *Tensor {
	s0, s1 := pair(o.Stride, 1)
	d0, d1 := pair(o.Dilation, 1)
	g := o.Groups
	if g == 0 {
		g = 1
	}
	return s.call1(opConv2d, newArgs().Tensor(x).Tensor(w).OptTensor(b).
		Ints(s0, s1).Ints(o.Padding[0], o.Padding[1]).Ints(d0, d1).Int(g))
}

// BatchNorm normalises x over all dimensions but 1 (channels). In training it uses the batch
// statistics and updates runningMean/runningVar in place (running = (1−momentum)·running +
// momentum·batch, unbiased variance); otherwise it uses the running statistics. weight, bias
// and the running tensors may be nil.
func (s *Scope) BatchNorm(x, weight, bias, runningMean, runningVar *Tensor, training bool, momentum, eps float64) *Tensor {
	return s.call1(opBatchNorm, newArgs().Tensor(x).OptTensor(weight).OptTensor(bias).
		OptTensor(runningMean).OptTensor(runningVar).Bool(training).Float(momentum).Float(eps).Bool(true))
}

// MaxPool2d takes the maximum over kernel windows. stride 0 means the kernel size.
func (s *Scope) MaxPool2d(x *Tensor, kernel, stride, padding int64, ceil bool) *Tensor {
	if stride == 0 {
		stride = kernel
	}
	return s.call1(opMaxPool, newArgs().Tensor(x).Ints(kernel, kernel).Ints(stride, stride).
		Ints(padding, padding).Ints(1, 1).Bool(ceil))
}

// AvgPool2d averages over kernel windows (padding counted). stride 0 means the kernel size.
func (s *Scope) AvgPool2d(x *Tensor, kernel, stride, padding int64, ceil bool) *Tensor {
	if stride == 0 {
		stride = kernel
	}
	return s.call1(opAvgPool, newArgs().Tensor(x).Ints(kernel, kernel).Ints(stride, stride).
		Ints(padding, padding).Bool(ceil).Bool(true).None())
}

// AdaptiveAvgPool2d averages into an h×w output grid.
func (s *Scope) AdaptiveAvgPool2d(x *Tensor, h, w int64) *Tensor {
	return s.call1(opAdaAvg, newArgs().Tensor(x).Ints(h, w))
}

// Dropout zeroes elements with probability p and scales the rest by 1/(1−p) when train is set;
// otherwise it returns x unchanged.
func (s *Scope) Dropout(x *Tensor, p float64, train bool) *Tensor {
	return s.call1(opDropout, newArgs().Tensor(x).Float(p).Bool(train))
}

// ResizeBilinear resizes x (N,C,H,W) to h×w with bilinear interpolation
// (F.interpolate(mode="bilinear", align_corners=alignCorners)).
func (s *Scope) ResizeBilinear(x *Tensor, h, w int64, alignCorners bool) *Tensor {
	return s.call1(opBilinear, newArgs().Tensor(x).Ints(h, w).Bool(alignCorners).None().None())
}

// Normalize divides x by its p-norm along dim: x / max(‖x‖ₚ, eps) (F.normalize).
func (s *Scope) Normalize(x *Tensor, p float64, dim int64, eps float64) *Tensor {
	n := s.ClampMin(s.Norm(x, p, true, dim), eps)
	return s.Div(x, n)
}

// KLDiv returns KL(q‖p) = Σ q·(log q − log p) reduced by r, given logP = log p and q
// (F.kl_div(logP, q, reduction); use ReduceSum and divide by the batch for "batchmean").
// With logTarget, q is given as log q.
func (s *Scope) KLDiv(logP, q *Tensor, r Reduction, logTarget bool) *Tensor {
	return s.call1(opKLDiv, newArgs().Tensor(logP).Tensor(q).Int(int64(r)).Bool(logTarget))
}

// CrossEntropy returns the cross-entropy of logits (N,C) against class indices (N, int64),
// with optional label smoothing.
func (s *Scope) CrossEntropy(logits, target *Tensor, r Reduction, labelSmoothing float64) *Tensor {
	return s.call1(opCE, newArgs().Tensor(logits).Tensor(target).None().Int(int64(r)).Int(-100).Float(labelSmoothing))
}

// BCEWithLogits returns the binary cross-entropy of sigmoid(logits) against target.
func (s *Scope) BCEWithLogits(logits, target *Tensor, r Reduction) *Tensor {
	return s.call1(opBCELogits, newArgs().Tensor(logits).Tensor(target).None().None().Int(int64(r)))
}

// MSE returns the mean (or summed) squared error.
func (s *Scope) MSE(a, b *Tensor, r Reduction) *Tensor {
	return s.call1(opMSE, newArgs().Tensor(a).Tensor(b).Int(int64(r)))
}
