package models

import (
	"math/rand/v2"

	"github.com/scl-dev/scl/safetensors"
)

// Init draws a fresh state dict for net following each Param's rule (torchvision's
// initialisation), naming tensors prefix + Param.Name. Tensors are float32 except integer
// buffers (int64). The same seed gives the same tensors.
func Init(net *Network, prefix string, seed uint64) map[string]*safetensors.Tensor {
	r := rand.New(rand.NewPCG(seed, 0x5c1))
	out := map[string]*safetensors.Tensor{}
	for _, p := range net.Params() {
		n := p.NumElements()
		if p.Int {
			out[prefix+p.Name] = safetensors.FromI64(p.Shape, make([]int64, n))
			continue
		}
		v := make([]float32, n)
		for i := range v {
			switch p.Init {
			case InitNormal:
				v[i] = float32(r.NormFloat64() * p.Scale)
			case InitUniform:
				v[i] = float32((2*r.Float64() - 1) * p.Scale)
			default:
				v[i] = float32(p.Scale)
			}
		}
		out[prefix+p.Name] = safetensors.FromF32(p.Shape, v)
	}
	return out
}

// RandomizeBatchNorm replaces every BatchNorm's affine parameters and running statistics in
// tensors with random values (γ around 1, β and mean around 0, var around 1, each spread by
// spread; num_batches_tracked random), so that tests of eval-mode BatchNorm cannot pass by
// accident with identity statistics. spread 1 gives γ ∈ [0.5, 1.5), var ∈ [0.5, 1.5),
// β, mean ~ N(0, 0.2²); smaller spreads keep deep networks' activations small.
func RandomizeBatchNorm(net *Network, prefix string, tensors map[string]*safetensors.Tensor, seed uint64, spread float64) {
	r := rand.New(rand.NewPCG(seed, 7))
	for _, nd := range net.Nodes {
		if nd.Op != OpBatchNorm {
			continue
		}
		c := nd.BN.Channels
		mk := func(f func() float64) *safetensors.Tensor {
			v := make([]float32, c)
			for i := range v {
				v[i] = float32(f())
			}
			return safetensors.FromF32([]int64{int64(c)}, v)
		}
		p := prefix + nd.Name
		tensors[p+".weight"] = mk(func() float64 { return 1 + spread*(r.Float64()-0.5) })
		tensors[p+".bias"] = mk(func() float64 { return 0.2 * spread * r.NormFloat64() })
		tensors[p+".running_mean"] = mk(func() float64 { return 0.2 * spread * r.NormFloat64() })
		tensors[p+".running_var"] = mk(func() float64 { return 1 + spread*(r.Float64()-0.5) })
		tensors[p+".num_batches_tracked"] = safetensors.FromI64(nil, []int64{int64(r.IntN(1000))})
	}
}
