package archtest

import (
	"hash/fnv"
	"math"
	"strings"

	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/safetensors"
)

// Uniform returns n values in [−1, 1) for the tensor called name: multiples of
// 2⁻²³ (exact in float32) drawn by SplitMix64's output function from FNV-1a(name) + index.
// scripts/torchvision_golden.py draws the same values in Python, so architecture checks
// against torchvision need no weight files.
func Uniform(name string, n int) []float64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	base := h.Sum64()
	out := make([]float64, n)
	for i := range out {
		z := base + uint64(i) + 0x9E3779B97F4A7C15
		z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
		z = (z ^ (z >> 27)) * 0x94D049BB133111EB
		z ^= z >> 31
		out[i] = float64(z>>40)/float64(1<<24)*2 - 1
	}
	return out
}

// Weights returns a state dict for net (names prefix + Param.Name) whose values
// depend only on each tensor's name relative to the network and its shape, as
// scripts/torchvision_golden.py generates them: He-uniform conv and linear weights
// (±√(6/fan_in)), BatchNorm γ in [0.75, 1.25), β, biases and running means in [−0.1, 0.1),
// running variances in [1, 1.5), counters 0.
func Weights(net *models.Network, prefix string) map[string]*safetensors.Tensor {
	out := map[string]*safetensors.Tensor{}
	for _, p := range net.Params() {
		n := p.NumElements()
		if p.Int {
			out[prefix+p.Name] = safetensors.FromI64(p.Shape, make([]int64, n))
			continue
		}
		u := Uniform(p.Name, int(n))
		v := make([]float32, n)
		for i, x := range u {
			var y float64
			switch {
			case len(p.Shape) >= 2:
				fanIn := n / p.Shape[0]
				y = x * math.Sqrt(6/float64(fanIn))
			case strings.HasSuffix(p.Name, "running_var"):
				y = 1 + 0.25*(x+1)
			case strings.HasSuffix(p.Name, "running_mean"), strings.HasSuffix(p.Name, "bias"):
				y = 0.1 * x
			default:
				y = 1 + 0.25*x
			}
			v[i] = float32(y)
		}
		out[prefix+p.Name] = safetensors.FromF32(p.Shape, v)
	}
	return out
}
