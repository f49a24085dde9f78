// Package onnxtest writes tiny ONNX encoders for the tests and benchmarks of infer and
// infer/server, with scl's onnx writer: Conv(3×3, pad 1) → Relu (repeated) →
// GlobalAveragePool → Flatten (→ MatMul), input "input" [batch, C, H, W], output "features"
// [batch, D], preprocessing in metadata_props. Forward is an independent plain-Go reference.
package onnxtest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"github.com/scl-dev/scl/onnx"
)

// Model describes the tiny encoder to write. Weights are drawn from a PCG seeded by Seed.
type Model struct {
	Channels, Height, Width int // input layout C×H×W
	Dim                     int // output feature dimension (number of conv filters)
	Seed                    uint64
	Metadata                map[string]string // written as metadata_props
	// Heavy adds FLOPs without changing the output dimension: the number of extra
	// D→D 3×3 conv + relu layers (0 for the plain model).
	Heavy int
	// Project, when > 0, appends MatMul with a [Dim, Project] weight after pooling, so the
	// output has Project features: a weight-bound layer, where batching pays off on CPUs.
	Project int
}

// OutDim returns the output feature dimension.
func (m Model) OutDim() int {
	if m.Project > 0 {
		return m.Project
	}
	return m.Dim
}

// projection returns the MatMul weight [Dim][Project], drawn after the conv weights.
func (m Model) projection() []float32 {
	r := rand.New(rand.NewPCG(m.Seed, 0x9e0))
	p := make([]float32, m.Dim*m.Project)
	for i := range p {
		p[i] = float32(r.NormFloat64() / math.Sqrt(float64(m.Dim)))
	}
	return p
}

// Weights returns the conv weights [layer][out][in][3][3] and biases the model uses, in the
// order they are drawn, so that tests can compute the expected output independently.
func (m Model) Weights() (w [][]float32, b [][]float32) {
	r := rand.New(rand.NewPCG(m.Seed, 0x5c1))
	in := m.Channels
	for l := 0; l <= m.Heavy; l++ {
		wl := make([]float32, m.Dim*in*9)
		for i := range wl {
			wl[i] = float32(r.NormFloat64() * math.Sqrt(2/float64(in*9)))
		}
		bl := make([]float32, m.Dim)
		for i := range bl {
			bl[i] = float32(r.NormFloat64() * 0.1)
		}
		w, b = append(w, wl), append(b, bl)
		in = m.Dim
	}
	return w, b
}

// Write encodes the model and writes it to path.
func (m Model) Write(path string) error {
	b, err := m.Bytes()
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		return fmt.Errorf("onnxtest: %w", err)
	}
	return nil
}

// Bytes encodes the model as an ONNX ModelProto with scl's onnx writer.
func (m Model) Bytes() ([]byte, error) {
	w, b := m.Weights()
	g := onnx.NewGraph("tiny")
	prev := g.Input("input", onnx.Float, onnx.Dim("batch"), onnx.Dim(m.Channels), onnx.Dim(m.Height), onnx.Dim(m.Width))
	in := m.Channels
	for l := range w {
		wn := g.Initializer(onnx.FloatTensor(fmt.Sprintf("w%d", l), []int64{int64(m.Dim), int64(in), 3, 3}, w[l]))
		bn := g.Initializer(onnx.FloatTensor(fmt.Sprintf("b%d", l), []int64{int64(m.Dim)}, b[l]))
		conv := g.Node("Conv", []string{prev, wn, bn}, onnx.AttrInts("kernel_shape", 3, 3), onnx.AttrInts("pads", 1, 1, 1, 1))
		prev = g.Node("Relu", []string{conv})
		in = m.Dim
	}
	pooled := g.Node("GlobalAveragePool", []string{prev})
	if m.Project > 0 {
		flat := g.Node("Flatten", []string{pooled}, onnx.AttrInt("axis", 1))
		proj := g.Initializer(onnx.FloatTensor("proj", []int64{int64(m.Dim), int64(m.Project)}, m.projection()))
		g.NodeNamed("MatMul", "features", []string{flat, proj})
	} else {
		g.NodeNamed("Flatten", "features", []string{pooled}, onnx.AttrInt("axis", 1))
	}
	g.Output("features", onnx.Float, onnx.Dim("batch"), onnx.Dim(m.OutDim()))
	model := &onnx.Model{Graph: g, ProducerName: "onnxtest", Metadata: m.Metadata}
	out, err := model.Marshal()
	if err != nil {
		return nil, fmt.Errorf("onnxtest: %w", err)
	}
	return out, nil
}

// Forward computes the model's output for one CHW image in plain Go (float64 accumulation),
// the independent reference the tests compare ONNX Runtime against.
func (m Model) Forward(x []float32) []float32 {
	w, b := m.Weights()
	in := m.Channels
	cur := x
	H, W := m.Height, m.Width
	for l := range w {
		out := make([]float32, m.Dim*H*W)
		for o := 0; o < m.Dim; o++ {
			for y := 0; y < H; y++ {
				for xx := 0; xx < W; xx++ {
					s := float64(b[l][o])
					for c := 0; c < in; c++ {
						for ky := -1; ky <= 1; ky++ {
							for kx := -1; kx <= 1; kx++ {
								yy, xk := y+ky, xx+kx
								if yy < 0 || yy >= H || xk < 0 || xk >= W {
									continue
								}
								s += float64(w[l][((o*in+c)*3+ky+1)*3+kx+1]) * float64(cur[(c*H+yy)*W+xk])
							}
						}
					}
					out[(o*H+y)*W+xx] = float32(max(s, 0))
				}
			}
		}
		cur = out
		in = m.Dim
	}
	feat := make([]float32, m.Dim)
	for o := range feat {
		var s float64
		for i := 0; i < H*W; i++ {
			s += float64(cur[o*H*W+i])
		}
		feat[o] = float32(s / float64(H*W))
	}
	if m.Project > 0 {
		p := m.projection()
		out := make([]float32, m.Project)
		for j := range out {
			var s float64
			for i, f := range feat {
				s += float64(f) * float64(p[i*m.Project+j])
			}
			out[j] = float32(s)
		}
		return out
	}
	return feat
}
