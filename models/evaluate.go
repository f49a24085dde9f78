package models

import (
	"fmt"
	"math"

	"github.com/scl-dev/scl/safetensors"
)

// hostTensor is a dense float32 tensor used by Evaluate.
type hostTensor struct {
	shape []int
	data  []float32
}

// Evaluate runs net in eval mode (BatchNorm with running statistics, stochastic depth as
// identity) on x, a batch of batch inputs of shape net.InputShape (with H, W given by hw for
// image networks; ignored for vector inputs), using the weights in tensors under prefix.
// It returns [batch, net.OutDim] row-major.
//
// Evaluate is a slow, straightforward reference (direct convolution, float64 accumulation)
// written independently of the ONNX writer and the libtorch builder, for tests.
func Evaluate(net *Network, prefix string, tensors map[string]*safetensors.Tensor, x []float32, batch int, hw [2]int) ([]float32, error) {
	if err := CheckState(net, prefix, tensors); err != nil {
		return nil, err
	}
	shape := []int{batch, net.InputShape[0]}
	if len(net.InputShape) == 3 {
		shape = append(shape, hw[0], hw[1])
	}
	n := 1
	for _, d := range shape {
		n *= d
	}
	if len(x) != n {
		return nil, fmt.Errorf("models: evaluate %s: input has %d values, want %d for shape %v", net.Name, len(x), n, shape)
	}
	vals := make([]*hostTensor, net.NumValues)
	vals[0] = &hostTensor{shape: shape, data: x}
	param := func(name string) []float32 {
		v, err := tensors[prefix+name].F32()
		if err != nil {
			panic(err) // CheckState validated dtypes and sizes
		}
		return v
	}
	for _, nd := range net.Nodes {
		in := vals[nd.Inputs[0]]
		var out *hostTensor
		switch nd.Op {
		case OpConv:
			var bias []float32
			if nd.Conv.Bias {
				bias = param(nd.Name + ".bias")
			}
			out = conv2d(in, param(nd.Name+".weight"), bias, nd.Conv)
		case OpBatchNorm:
			out = batchNorm(in, param(nd.Name+".weight"), param(nd.Name+".bias"),
				param(nd.Name+".running_mean"), param(nd.Name+".running_var"), nd.BN.Eps)
		case OpReLU:
			out = mapT(in, func(v float64) float64 { return math.Max(v, 0) })
		case OpSiLU:
			out = mapT(in, func(v float64) float64 { return v / (1 + math.Exp(-v)) })
		case OpSigmoid:
			out = mapT(in, func(v float64) float64 { return 1 / (1 + math.Exp(-v)) })
		case OpMaxPool:
			out = maxPool(in, nd.Pool)
		case OpGlobalAvgPool:
			out = globalAvgPool(in)
		case OpAdd, OpMul:
			out = binaryOp(nd.Op, in, vals[nd.Inputs[1]])
		case OpLinear:
			var bias []float32
			if nd.Linear.Bias {
				bias = param(nd.Name + ".bias")
			}
			out = linear(in, param(nd.Name+".weight"), bias, nd.Linear)
		case OpFlatten:
			out = &hostTensor{shape: []int{in.shape[0], len(in.data) / in.shape[0]}, data: in.data}
		case OpStochasticDepth:
			out = in
		default:
			return nil, fmt.Errorf("models: evaluate %s: node %q has unknown op %v", net.Name, nd.Name, nd.Op)
		}
		vals[nd.Output] = out
	}
	return vals[net.Output].data, nil
}

func mapT(in *hostTensor, f func(float64) float64) *hostTensor {
	out := &hostTensor{shape: in.shape, data: make([]float32, len(in.data))}
	for i, v := range in.data {
		out.data[i] = float32(f(float64(v)))
	}
	return out
}

func conv2d(in *hostTensor, w, bias []float32, c ConvSpec) *hostTensor {
	b, h, wd := in.shape[0], in.shape[2], in.shape[3]
	k, s, p := c.Kernel, c.Stride, c.Padding
	oh, ow := (h+2*p-k)/s+1, (wd+2*p-k)/s+1
	inPerG, outPerG := c.In/c.Groups, c.Out/c.Groups
	out := &hostTensor{shape: []int{b, c.Out, oh, ow}, data: make([]float32, b*c.Out*oh*ow)}
	for n := 0; n < b; n++ {
		for o := 0; o < c.Out; o++ {
			g := o / outPerG
			for i := 0; i < oh; i++ {
				for j := 0; j < ow; j++ {
					var acc float64
					if bias != nil {
						acc = float64(bias[o])
					}
					for ci := 0; ci < inPerG; ci++ {
						cin := g*inPerG + ci
						for di := 0; di < k; di++ {
							ii := i*s - p + di
							if ii < 0 || ii >= h {
								continue
							}
							for dj := 0; dj < k; dj++ {
								jj := j*s - p + dj
								if jj < 0 || jj >= wd {
									continue
								}
								acc += float64(w[((o*inPerG+ci)*k+di)*k+dj]) * float64(in.data[((n*c.In+cin)*h+ii)*wd+jj])
							}
						}
					}
					out.data[((n*c.Out+o)*oh+i)*ow+j] = float32(acc)
				}
			}
		}
	}
	return out
}

func batchNorm(in *hostTensor, gamma, beta, mean, variance []float32, eps float64) *hostTensor {
	b, c := in.shape[0], in.shape[1]
	inner := len(in.data) / (b * c)
	out := &hostTensor{shape: in.shape, data: make([]float32, len(in.data))}
	for n := 0; n < b; n++ {
		for ch := 0; ch < c; ch++ {
			scale := float64(gamma[ch]) / math.Sqrt(float64(variance[ch])+eps)
			for i := 0; i < inner; i++ {
				idx := (n*c+ch)*inner + i
				out.data[idx] = float32((float64(in.data[idx])-float64(mean[ch]))*scale + float64(beta[ch]))
			}
		}
	}
	return out
}

func maxPool(in *hostTensor, p PoolSpec) *hostTensor {
	b, c, h, w := in.shape[0], in.shape[1], in.shape[2], in.shape[3]
	oh, ow := (h+2*p.Padding-p.Kernel)/p.Stride+1, (w+2*p.Padding-p.Kernel)/p.Stride+1
	out := &hostTensor{shape: []int{b, c, oh, ow}, data: make([]float32, b*c*oh*ow)}
	for nc := 0; nc < b*c; nc++ {
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				m := float32(math.Inf(-1))
				for di := 0; di < p.Kernel; di++ {
					ii := i*p.Stride - p.Padding + di
					for dj := 0; dj < p.Kernel; dj++ {
						jj := j*p.Stride - p.Padding + dj
						if ii >= 0 && ii < h && jj >= 0 && jj < w {
							m = max(m, in.data[(nc*h+ii)*w+jj])
						}
					}
				}
				out.data[(nc*oh+i)*ow+j] = m
			}
		}
	}
	return out
}

func globalAvgPool(in *hostTensor) *hostTensor {
	b, c := in.shape[0], in.shape[1]
	inner := len(in.data) / (b * c)
	out := &hostTensor{shape: []int{b, c, 1, 1}, data: make([]float32, b*c)}
	for i := range out.data {
		var s float64
		for _, v := range in.data[i*inner : (i+1)*inner] {
			s += float64(v)
		}
		out.data[i] = float32(s / float64(inner))
	}
	return out
}

func binaryOp(op Op, x, y *hostTensor) *hostTensor {
	out := &hostTensor{shape: x.shape, data: make([]float32, len(x.data))}
	inner := len(x.data) / len(y.data) // 1 for same shapes, H·W for [B,C,1,1] broadcasting
	for i, v := range x.data {
		u := y.data[i/inner]
		if op == OpAdd {
			out.data[i] = v + u
		} else {
			out.data[i] = v * u
		}
	}
	return out
}

func linear(in *hostTensor, w, bias []float32, l LinearSpec) *hostTensor {
	b := in.shape[0]
	out := &hostTensor{shape: []int{b, l.Out}, data: make([]float32, b*l.Out)}
	for n := 0; n < b; n++ {
		for o := 0; o < l.Out; o++ {
			var acc float64
			if bias != nil {
				acc = float64(bias[o])
			}
			for i := 0; i < l.In; i++ {
				acc += float64(w[o*l.In+i]) * float64(in.data[n*l.In+i])
			}
			out.data[n*l.Out+o] = float32(acc)
		}
	}
	return out
}
