package pth

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/scl-dev/scl/safetensors"
)

// values decodes any tensor into float64 values, independently of package safetensors'
// converters, for comparison with PyTorch's values in testdata/tensors.json.
func values(t *testing.T, x *safetensors.Tensor) []float64 {
	t.Helper()
	n := int(x.NumElements())
	out := make([]float64, n)
	b := x.Data
	if len(b) != n*x.DType.Size() {
		t.Fatalf("%d bytes for %d elements of %s", len(b), n, x.DType)
	}
	for i := range out {
		switch x.DType {
		case safetensors.F32:
			out[i] = float64(math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:])))
		case safetensors.F64:
			out[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
		case safetensors.BF16:
			out[i] = float64(math.Float32frombits(uint32(binary.LittleEndian.Uint16(b[2*i:])) << 16))
		case safetensors.F16:
			h := binary.LittleEndian.Uint16(b[2*i:])
			sign, exp, frac := float64(1), int(h>>10&0x1f), float64(h&0x3ff)
			if h&0x8000 != 0 {
				sign = -1
			}
			if exp == 0 {
				out[i] = sign * frac * math.Pow(2, -24)
			} else {
				out[i] = sign * (1 + frac/1024) * math.Pow(2, float64(exp-15))
			}
		case safetensors.I64:
			out[i] = float64(int64(binary.LittleEndian.Uint64(b[8*i:])))
		case safetensors.I32:
			out[i] = float64(int32(binary.LittleEndian.Uint32(b[4*i:])))
		case safetensors.I8:
			out[i] = float64(int8(b[i]))
		case safetensors.U8, safetensors.Bool:
			out[i] = float64(b[i])
		default:
			t.Fatalf("dtype %s", x.DType)
		}
	}
	return out
}

type wantTensor struct {
	DType  safetensors.DType `json:"dtype"`
	Shape  []int64           `json:"shape"`
	Values []float64         `json:"values"`
}

// TestTensors reads the same state dict saved by torch.save in both formats (see
// scripts/torch-fixtures.py) and compares every tensor with PyTorch's own values: every dtype,
// a scalar, an empty tensor, a transposed view, views at an offset with strides, a nested dict.
func TestTensors(t *testing.T) {
	b, err := os.ReadFile("testdata/tensors.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]wantTensor
	if err := json.Unmarshal(b, &want); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		file   string
		format Format
	}{{"testdata/tensors_zip.pt", Zip}, {"testdata/tensors_legacy.pt", Legacy}} {
		t.Run(string(tc.format), func(t *testing.T) {
			f, err := ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			if f.Format != tc.format {
				t.Errorf("format %s, want %s", f.Format, tc.format)
			}
			got, skipped, err := Tensors(f.Object)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(skipped, []string{"step"}) {
				t.Errorf("skipped %v, want [step]", skipped)
			}
			if len(got) != len(want) {
				t.Errorf("%d tensors, want %d", len(got), len(want))
			}
			for name, w := range want {
				g, ok := got[name]
				if !ok {
					t.Errorf("%s missing", name)
					continue
				}
				if g.DType != w.DType || !slices.Equal(g.Shape, w.Shape) {
					t.Errorf("%s: %s %v, want %s %v", name, g.DType, g.Shape, w.DType, w.Shape)
					continue
				}
				if v := values(t, g); !slices.Equal(v, w.Values) {
					t.Errorf("%s: got %v, want %v", name, v, w.Values)
				}
			}
		})
	}
}

// TestTruncated cuts both fixtures at many lengths: every prefix is an error, none panics.
func TestTruncated(t *testing.T) {
	for _, file := range []string{"testdata/tensors_zip.pt", "testdata/tensors_legacy.pt"} {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		step := max(1, len(b)/500)
		for n := 0; n < len(b); n += step {
			if _, err := Decode(b[:n]); err == nil {
				t.Fatalf("%s cut at %d of %d bytes: no error", file, n, len(b))
			}
		}
	}
}

func TestForeign(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"empty", nil, "empty file"},
		{"text", []byte("hello"), "not a torch.save file"},
		{"plain pickle", []byte("\x80\x02K\x05."), "not a torch.save file"},
		{"zip without pickle", zipOf(t, "a/b.txt", "x"), "without <name>/data.pkl"},
		{"module object", zipOf(t, "archive/data.pkl", "\x80\x02ctorch.nn.modules.linear\nLinear\n)\x81."), "not a state dict"},
		{"foreign global", zipOf(t, "archive/data.pkl", "\x80\x02ctorch._utils\n_rebuild_sparse_tensor\n)R."), "unsupported tensor kind"},
		{"missing storage", zipOf(t, "archive/data.pkl", "\x80\x02(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQ."), "archive has no archive/data/0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := Decode(tc.in)
			if err == nil {
				_, _, err = Tensors(f.Object)
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestViewOutOfStorage rebuilds a tensor whose view addresses past its storage.
func TestViewOutOfStorage(t *testing.T) {
	st := &storage{key: "0", dtype: safetensors.F32, numel: 6}
	for _, args := range [][]any{
		{st, int64(0), []any{int64(7)}, []any{int64(1)}},
		{st, int64(3), []any{int64(2), int64(2)}, []any{int64(2), int64(1)}},
		{st, int64(0), []any{int64(1 << 40)}, []any{int64(0)}},
	} {
		tup := []any{args[0], args[1], tupleOf(args[2].([]any)), tupleOf(args[3].([]any))}
		if _, err := rebuild(tup); err == nil {
			t.Errorf("rebuild(%v): no error", args[1:])
		}
	}
}
