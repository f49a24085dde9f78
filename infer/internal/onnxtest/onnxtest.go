// Package onnxtest writes tiny ONNX encoders for the tests of infer and infer/server:
// Conv(3×3, pad 1) → Relu → GlobalAveragePool → Flatten, input "input" [batch, C, H, W],
// output "features" [batch, D], with preprocessing in metadata_props. It encodes the protobuf
// by hand (google.golang.org/protobuf/encoding/protowire) so the tests do not depend on the
// export packages; it is a test fixture, not a model writer.
package onnxtest

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"os"

	"google.golang.org/protobuf/encoding/protowire"
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
	if err := os.WriteFile(path, m.Bytes(), 0o644); err != nil {
		return fmt.Errorf("onnxtest: %w", err)
	}
	return nil
}

// Bytes encodes the model as an ONNX ModelProto.
func (m Model) Bytes() []byte {
	w, b := m.Weights()
	var graph []byte
	prev := "input"
	in := m.Channels
	for l := range w {
		wn, bn := fmt.Sprintf("w%d", l), fmt.Sprintf("b%d", l)
		graph = msg(graph, 5, tensor(wn, []int64{int64(m.Dim), int64(in), 3, 3}, w[l]))
		graph = msg(graph, 5, tensor(bn, []int64{int64(m.Dim)}, b[l]))
		conv := fmt.Sprintf("conv%d", l)
		relu := fmt.Sprintf("relu%d", l)
		graph = msg(graph, 1, node("Conv", []string{prev, wn, bn}, conv,
			intsAttr("kernel_shape", 3, 3), intsAttr("pads", 1, 1, 1, 1)))
		graph = msg(graph, 1, node("Relu", []string{conv}, relu))
		prev = relu
		in = m.Dim
	}
	graph = msg(graph, 1, node("GlobalAveragePool", []string{prev}, "pooled"))
	if m.Project > 0 {
		graph = msg(graph, 1, node("Flatten", []string{"pooled"}, "flat", intAttr("axis", 1)))
		graph = msg(graph, 5, tensor("proj", []int64{int64(m.Dim), int64(m.Project)}, m.projection()))
		graph = msg(graph, 1, node("MatMul", []string{"flat", "proj"}, "features"))
	} else {
		graph = msg(graph, 1, node("Flatten", []string{"pooled"}, "features", intAttr("axis", 1)))
	}
	graph = str(graph, 2, "tiny")
	graph = msg(graph, 11, valueInfo("input", dimParam("batch"),
		dimValue(m.Channels), dimValue(m.Height), dimValue(m.Width)))
	graph = msg(graph, 12, valueInfo("features", dimParam("batch"), dimValue(m.OutDim())))

	var model []byte
	model = protowire.AppendTag(model, 1, protowire.VarintType)
	model = protowire.AppendVarint(model, 8) // ir_version
	var opset []byte
	opset = str(opset, 1, "")
	opset = protowire.AppendTag(opset, 2, protowire.VarintType)
	opset = protowire.AppendVarint(opset, 17)
	model = msg(model, 8, opset)
	model = str(model, 2, "onnxtest")
	model = msg(model, 7, graph)
	for k, v := range m.Metadata {
		var e []byte
		e = str(e, 1, k)
		e = str(e, 2, v)
		model = msg(model, 14, e)
	}
	return model
}

func msg(b []byte, field protowire.Number, m []byte) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendBytes(b, m)
}

func str(b []byte, field protowire.Number, s string) []byte {
	b = protowire.AppendTag(b, field, protowire.BytesType)
	return protowire.AppendString(b, s)
}

func tensor(name string, dims []int64, data []float32) []byte {
	var t []byte
	for _, d := range dims {
		t = protowire.AppendTag(t, 1, protowire.VarintType)
		t = protowire.AppendVarint(t, uint64(d))
	}
	t = protowire.AppendTag(t, 2, protowire.VarintType)
	t = protowire.AppendVarint(t, 1) // FLOAT
	t = str(t, 8, name)
	raw := make([]byte, 4*len(data))
	for i, v := range data {
		binary.LittleEndian.PutUint32(raw[4*i:], math.Float32bits(v))
	}
	return msg(t, 9, raw)
}

func node(op string, inputs []string, output string, attrs ...[]byte) []byte {
	var n []byte
	for _, in := range inputs {
		n = str(n, 1, in)
	}
	n = str(n, 2, output)
	n = str(n, 3, output)
	n = str(n, 4, op)
	for _, a := range attrs {
		n = msg(n, 5, a)
	}
	return n
}

func intsAttr(name string, v ...int64) []byte {
	var a []byte
	a = str(a, 1, name)
	for _, x := range v {
		a = protowire.AppendTag(a, 8, protowire.VarintType)
		a = protowire.AppendVarint(a, uint64(x))
	}
	a = protowire.AppendTag(a, 20, protowire.VarintType)
	return protowire.AppendVarint(a, 7) // INTS
}

func intAttr(name string, v int64) []byte {
	var a []byte
	a = str(a, 1, name)
	a = protowire.AppendTag(a, 3, protowire.VarintType)
	a = protowire.AppendVarint(a, uint64(v))
	a = protowire.AppendTag(a, 20, protowire.VarintType)
	return protowire.AppendVarint(a, 2) // INT
}

func dimValue(v int) []byte {
	var d []byte
	d = protowire.AppendTag(d, 1, protowire.VarintType)
	return protowire.AppendVarint(d, uint64(v))
}

func dimParam(name string) []byte { return str(nil, 2, name) }

func valueInfo(name string, dims ...[]byte) []byte {
	var shape []byte
	for _, d := range dims {
		shape = msg(shape, 1, d)
	}
	var tt []byte
	tt = protowire.AppendTag(tt, 1, protowire.VarintType)
	tt = protowire.AppendVarint(tt, 1) // FLOAT
	tt = msg(tt, 2, shape)
	var typ []byte
	typ = msg(typ, 1, tt)
	var v []byte
	v = str(v, 1, name)
	return msg(v, 2, typ)
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
