package safetensors

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func sample() *File {
	return &File{
		Tensors: map[string]*Tensor{
			"b.weight":              FromF32([]int64{2, 3}, []float32{1, -2, 3.5, 0, 1e-8, -7}),
			"a.num_batches_tracked": FromI64(nil, []int64{42}),
			"c.half":                {DType: BF16, Shape: []int64{2}, Data: []byte{0x80, 0x3f, 0x00, 0xc0}}, // 1, -2
		},
		Metadata: map[string]string{"format": "pt"},
	}
}

func TestRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.safetensors")
	if err := WriteFile(path, sample()); err != nil {
		t.Fatal(err)
	}
	got, err := ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := sample()
	if !reflect.DeepEqual(got.Metadata, want.Metadata) {
		t.Errorf("got metadata %v, want %v", got.Metadata, want.Metadata)
	}
	for name, w := range want.Tensors {
		g := got.Tensors[name]
		if g == nil || g.DType != w.DType || !reflect.DeepEqual(g.Shape, w.Shape) || string(g.Data) != string(w.Data) {
			t.Errorf("tensor %q: got %+v, want %+v", name, g, w)
		}
	}
	f, _ := got.Tensors["b.weight"].F32()
	if !reflect.DeepEqual(f, []float32{1, -2, 3.5, 0, 1e-8, -7}) {
		t.Errorf("got F32 %v", f)
	}
	h, _ := got.Tensors["c.half"].F32()
	if !reflect.DeepEqual(h, []float32{1, -2}) {
		t.Errorf("got BF16→F32 %v, want [1 -2]", h)
	}
	i, _ := got.Tensors["a.num_batches_tracked"].I64()
	if !reflect.DeepEqual(i, []int64{42}) {
		t.Errorf("got I64 %v, want [42]", i)
	}
	// The header length is a multiple of 8 and the layout is sorted and gapless, as Python's
	// safetensors writes it.
	raw, _ := os.ReadFile(path)
	n := binary.LittleEndian.Uint64(raw)
	if n%8 != 0 {
		t.Errorf("got header length %d, want a multiple of 8", n)
	}
	if !strings.Contains(string(raw[8:8+n]), `"a.num_batches_tracked":{"dtype":"I64","shape":[],"data_offsets":[0,8]}`) {
		t.Errorf("header %s does not lay out the first sorted tensor at [0,8]", raw[8:8+n])
	}
}

func TestCorruptFiles(t *testing.T) {
	good, err := sample().Marshal()
	if err != nil {
		t.Fatal(err)
	}
	n := binary.LittleEndian.Uint64(good)
	header := string(good[8 : 8+n])
	withHeader := func(h string, data []byte) []byte {
		for len(h)%8 != 0 {
			h += " "
		}
		b := binary.LittleEndian.AppendUint64(nil, uint64(len(h)))
		return append(append(b, h...), data...)
	}
	tests := []struct {
		name, wantErr string
		data          []byte
	}{
		{"empty", "too short", nil},
		{"truncated data", "outside", good[:len(good)-3]},
		{"truncated header", "exceeds", good[:20]},
		{"bad json", "not valid JSON", withHeader(`{"a":`, nil)},
		{"unknown dtype", `"x": unknown dtype`, withHeader(`{"x":{"dtype":"Q7","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4))},
		{"shape mismatch", `"x": 4 data bytes, want 8`, withHeader(`{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}`, make([]byte, 4))},
		{"gap", `"y" starts at byte 8, want 4`, withHeader(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12))},
		{"trailing bytes", "cover 4 data bytes but the file holds 6", withHeader(`{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 6))},
		{"header intact, data lost", "outside", []byte(string(good[:8]) + header)},
		// Element counts that overflow int64 to the number of bytes present (issue 15).
		{"count overflows to 2", "overflows the element count", withHeader(`{"x":{"dtype":"F32","shape":[3,6148914691236517206],"data_offsets":[0,8]}}`, make([]byte, 8))},
		{"count overflows to 0", "overflows the element count", withHeader(`{"x":{"dtype":"F32","shape":[4294967296,4294967296],"data_offsets":[0,0]}}`, nil)},
		{"count overflows with a zero", "overflows", withHeader(`{"x":{"dtype":"U8","shape":[4294967296,4294967296,4294967296,0],"data_offsets":[0,0]}}`, nil)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Unmarshal(tc.data)
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("got error %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "bad.safetensors")
	os.WriteFile(path, good[:len(good)-1], 0o644)
	if _, err := ReadFile(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("got error %v, want one naming %s", err, path)
	}
}

// FuzzUnmarshal: whatever the bytes, Unmarshal returns an error or tensors whose data length
// is exactly their element count times the element size, and which encode back.
func FuzzUnmarshal(f *testing.F) {
	good, err := sample().Marshal()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte("\x10\x00\x00\x00\x00\x00\x00\x00{\"x\":{\"dtype\":\"F32\"}}"))
	f.Add(append(binary.LittleEndian.AppendUint64(nil, 72), `{"x":{"dtype":"F32","shape":[3,6148914691236517206],"data_offsets":[0,8]}}`+"\x00\x00\x00\x00\x00\x00\x00\x00"...))
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := Unmarshal(b)
		if err != nil {
			return
		}
		for name, tn := range file.Tensors {
			n := tn.NumElements()
			if n < 0 || n*int64(tn.DType.Size()) != int64(len(tn.Data)) {
				t.Fatalf("tensor %q: %s%v with %d bytes accepted", name, tn.DType, tn.Shape, len(tn.Data))
			}
		}
		if _, err := file.Marshal(); err != nil {
			t.Fatalf("accepted file does not encode back: %v", err)
		}
	})
}
