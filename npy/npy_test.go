package npy

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// The files under testdata were written by NumPy 1.24 (testdata/make_testdata.py).

// ref3x4 recomputes the array saved by make_testdata.py: (arange(12) - 5.5) / 3
// in float32, reshaped to 3×4.
func ref3x4() []float32 {
	out := make([]float32, 12)
	for i := range out {
		out[i] = (float32(i) - 5.5) / 3
	}
	return out
}

func TestReadNumPyFiles(t *testing.T) {
	tests := []struct {
		file  string
		shape []int
	}{
		{"f4_3x4.npy", []int{3, 4}},
		{"f4_3x4_v2.npy", []int{3, 4}},
		{"f4be_3x4.npy", []int{3, 4}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			got, shape, err := ReadFloat32(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(shape, tc.shape) {
				t.Errorf("shape: got %v, want %v", shape, tc.shape)
			}
			if want := ref3x4(); !reflect.DeepEqual(got, want) {
				t.Errorf("data: got %v, want %v", got, want)
			}
		})
	}
}

func TestReadOtherDTypes(t *testing.T) {
	i8, shape, err := ReadInt64("testdata/i8_5.npy")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0, -1, 7, 1 << 40, -(1 << 62)}; !reflect.DeepEqual(i8, want) || !reflect.DeepEqual(shape, []int{5}) {
		t.Errorf("i8: got %v %v, want %v [5]", i8, shape, want)
	}
	i4, _, err := ReadInts("testdata/i4_4.npy")
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{3, -2, 9, 0}; !reflect.DeepEqual(i4, want) {
		t.Errorf("i4 widened: got %v, want %v", i4, want)
	}
	f8, _, err := ReadFloat64("testdata/f8_2x2.npy")
	if err != nil {
		t.Fatal(err)
	}
	if want := []float64{1.5, -2.25, 1e300, math.Copysign(0, -1)}; !reflect.DeepEqual(f8, want) || !math.Signbit(f8[3]) {
		t.Errorf("f8: got %v, want %v", f8, want)
	}
	empty, shape, err := ReadFloat32("testdata/f4_0x7.npy")
	if err != nil {
		t.Fatal(err)
	}
	if len(empty) != 0 || !reflect.DeepEqual(shape, []int{0, 7}) {
		t.Errorf("empty: got %d elements shape %v, want 0 [0 7]", len(empty), shape)
	}
}

// TestWriteMatchesNumPy checks our bytes against NumPy's for the same arrays.
func TestWriteMatchesNumPy(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		ref   string
		write func(path string) error
	}{
		{"f4_3x4.npy", func(p string) error { return WriteFloat32(p, ref3x4(), 3, 4) }},
		{"i8_5.npy", func(p string) error { return WriteInt64(p, []int64{0, -1, 7, 1 << 40, -(1 << 62)}, 5) }},
		{"f4_0x7.npy", func(p string) error { return WriteFloat32(p, nil, 0, 7) }},
		{"f8_2x2.npy", func(p string) error {
			return WriteFloat64(p, []float64{1.5, -2.25, 1e300, math.Copysign(0, -1)}, 2, 2)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.ref, func(t *testing.T) {
			path := filepath.Join(dir, tc.ref)
			if err := tc.write(path); err != nil {
				t.Fatal(err)
			}
			assertSameBytes(t, path, filepath.Join("testdata", tc.ref))
		})
	}
}

func assertSameBytes(t *testing.T, gotPath, wantPath string) {
	t.Helper()
	got, err := os.ReadFile(gotPath)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile(wantPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("bytes of %s: got %q, want %q", gotPath, got, want)
	}
}

func TestStreamingWriter(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "features.npy")
	w, err := Create(path, Float32, 4)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	data := ref3x4()
	for _, chunk := range [][]float32{data[:4], data[4:4], data[4:]} {
		if err := w.WriteFloat32(chunk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("file visible before Close: stat error %v, want not-exist", err)
	}
	if err := w.WriteFloat32(data[:3]); err == nil {
		t.Error("partial row: got nil error, want an error")
	}
	if err := w.WriteInt64([]int64{1, 2, 3, 4}); err == nil {
		t.Error("wrong dtype: got nil error, want an error")
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got, shape, err := ReadFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, data) || !reflect.DeepEqual(shape, []int{3, 4}) {
		t.Errorf("got %v %v, want %v [3 4]", got, shape, data)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1 (temporary file left behind)", len(entries))
	}

	// 1-D labels through the streaming writer.
	lpath := filepath.Join(dir, "labels.npy")
	lw, err := Create(lpath, Int64)
	if err != nil {
		t.Fatal(err)
	}
	if err := lw.WriteInt64([]int64{0, -1, 7}); err != nil {
		t.Fatal(err)
	}
	if err := lw.WriteInt64([]int64{1 << 40, -(1 << 62)}); err != nil {
		t.Fatal(err)
	}
	if err := lw.Close(); err != nil {
		t.Fatal(err)
	}
	labels, shape, err := ReadInt64(lpath)
	if err != nil {
		t.Fatal(err)
	}
	if want := []int64{0, -1, 7, 1 << 40, -(1 << 62)}; !reflect.DeepEqual(labels, want) || !reflect.DeepEqual(shape, []int{5}) {
		t.Errorf("labels: got %v %v, want %v [5]", labels, shape, want)
	}
}

func TestAbortLeavesNothing(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.npy")
	if err := WriteFloat32(path, []float32{1, 2}, 2); err != nil {
		t.Fatal(err)
	}
	w, err := Create(path, Float32, 2)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.WriteFloat32([]float32{9, 9, 9, 9}); err != nil {
		t.Fatal(err)
	}
	if err := w.Abort(); err != nil {
		t.Fatal(err)
	}
	got, _, err := ReadFloat32(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []float32{1, 2}) {
		t.Errorf("after Abort: got %v, want the old contents [1 2]", got)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("directory holds %d entries, want 1", len(entries))
	}
}

func TestReadErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile("testdata/f4_3x4.npy")
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	badHeader := bytes.Replace(good, []byte("'shape': (3, 4)"), []byte("'shape': (3, x)"), 1)
	tests := []struct {
		name, path, want string
	}{
		{"missing", filepath.Join(dir, "nope.npy"), "no such file"},
		{"empty", write("empty.npy", nil), "empty or truncated"},
		{"magic", write("magic.npy", append([]byte("PK\x03\x04xxxx"), good[8:]...)), "bad magic"},
		{"truncated", write("trunc.npy", good[:len(good)-1]), "want 176"},
		{"trailing", write("trail.npy", append(append([]byte{}, good...), 0)), "want 176"},
		{"header", write("hdr.npy", badHeader), "'shape'"},
		{"dtype", "testdata/i8_5.npy", "dtype int64, want float32"},
		{"unsupported", "testdata/u1_3.npy", "unsupported dtype"},
		{"fortran", "testdata/f4_fortran_3x4.npy", "Fortran"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := ReadFloat32(tc.path)
			if err == nil {
				t.Fatalf("got nil error, want one containing %q", tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.Contains(msg, filepath.Base(tc.path)) || !strings.HasPrefix(msg, "npy: ") {
				t.Errorf("got %q, want an npy error naming %s and containing %q", msg, filepath.Base(tc.path), tc.want)
			}
		})
	}
}

func TestWriteErrors(t *testing.T) {
	dir := t.TempDir()
	if err := WriteFloat32(filepath.Join(dir, "a.npy"), []float32{1, 2, 3}, 2, 2); err == nil {
		t.Error("shape/length mismatch: got nil error, want an error")
	}
	if err := os.WriteFile(filepath.Join(dir, "plain"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "plain", "a.npy")
	if err := WriteFloat32(p, []float32{1}, 1); err == nil || !strings.HasPrefix(err.Error(), "npy: ") || !strings.Contains(err.Error(), p) {
		t.Errorf("parent is a file: got error %v, want an npy error naming %s", err, p)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("failed writes left %d entries, want 1 (plain)", len(entries))
	}
}

// TestWriteCreatesParents: a missing parent directory is created, for WriteFloat32 and Create.
func TestWriteCreatesParents(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "new", "deeper", "a.npy")
	if err := WriteFloat32(p, []float32{1, 2}, 2); err != nil {
		t.Fatal(err)
	}
	if got, shape, err := ReadFloat32(p); err != nil || len(got) != 2 || got[1] != 2 || len(shape) != 1 || shape[0] != 2 {
		t.Errorf("got %v %v %v, want [1 2] [2] nil", got, shape, err)
	}
	q := filepath.Join(dir, "other", "b.npy")
	w, err := Create(q, Int64)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if err := w.WriteInt64([]int64{7, 8, 9}); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if got, shape, err := ReadInt64(q); err != nil || len(got) != 3 || got[2] != 9 || shape[0] != 3 {
		t.Errorf("got %v %v %v, want [7 8 9] [3] nil", got, shape, err)
	}
}

func TestHeaderAlignment(t *testing.T) {
	for _, shape := range [][]int{{}, {0}, {1}, {123456789, 2048}, {2, 3, 4, 5}} {
		hdr, err := encodeHeader(Float32, shape, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hdr)%headerAlign != 0 || hdr[len(hdr)-1] != '\n' {
			t.Errorf("shape %v: header length %d, want a multiple of %d ending in newline", shape, len(hdr), headerAlign)
		}
		h, err := readHeader(bytes.NewReader(hdr), "mem")
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h.Shape, shape) || h.DType != Float32 {
			t.Errorf("round trip: got %v %v, want %v float32", h.Shape, h.DType, shape)
		}
	}
}
