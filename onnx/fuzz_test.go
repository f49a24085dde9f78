package onnx

import (
	"math/big"
	"testing"
)

// FuzzDecode: Decode never panics, and a decoded initializer passes validation only when its
// data length is exactly its element count times the element size (computed without overflow).
// CI runs the seeds; explore with `go test ./onnx -run '^$' -fuzz FuzzDecode -fuzztime 1m`.
func FuzzDecode(f *testing.F) {
	m := &Model{Graph: NewGraph("g")}
	g := m.Graph
	x := g.Input("x", Float, Dim("batch"), Dim(2))
	w := g.Initializer(FloatTensor("w", []int64{2, 2}, []float32{1, 2, 3, 4}))
	g.NodeNamed("MatMul", "y", []string{x, w})
	g.Output("y", Float, Dim("batch"), Dim(2))
	m.Metadata = map[string]string{"image_size": "2"}
	good, err := m.Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte{0x3a, 0x05, 0x2a, 0x03, 0x08, 0xff, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(b)
		if err != nil || m.Graph == nil {
			return
		}
		for _, tn := range m.Graph.Initializers {
			if tn.validate() != nil {
				continue
			}
			n := big.NewInt(int64(tn.DType.Size()))
			for _, d := range tn.Dims {
				n.Mul(n, big.NewInt(d))
			}
			if n.Cmp(big.NewInt(int64(len(tn.Raw)))) != 0 {
				t.Fatalf("tensor %q: dims %v of %v with %d bytes passed validation", tn.Name, tn.Dims, tn.DType, len(tn.Raw))
			}
		}
	})
}
