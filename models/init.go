package models

import (
	"math/rand/v2"

	"scl/checkpoint/safetensors"
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
