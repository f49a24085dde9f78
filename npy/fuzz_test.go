package npy

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzRead: reading arbitrary bytes as a .npy file never panics, and an accepted array has as
// many elements as its shape says. CI runs the seeds; explore with
// `go test ./npy -run '^$' -fuzz FuzzRead -fuzztime 1m`.
func FuzzRead(f *testing.F) {
	dir := f.TempDir()
	for i, w := range []func(string) error{
		func(p string) error { return WriteFloat32(p, []float32{1, 2, 3, 4, 5, 6}, 2, 3) },
		func(p string) error { return WriteInt64(p, []int64{7, -1}, 2) },
		func(p string) error { return WriteFloat64(p, []float64{0.5}) },
	} {
		p := filepath.Join(dir, "seed.npy")
		if err := w(p); err != nil {
			f.Fatal(err)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		if i == 0 {
			f.Add(b[:len(b)-3])
		}
	}
	f.Add([]byte("\x93NUMPY\x01\x00\x46\x00{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4), }"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(t.TempDir(), "x.npy")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		check := func(n int, shape []int, err error) {
			if err != nil {
				return
			}
			want := 1
			for _, d := range shape {
				if d < 0 {
					t.Fatalf("negative dimension in shape %v accepted", shape)
				}
				want *= d
			}
			if n != want {
				t.Fatalf("%d elements for shape %v", n, shape)
			}
		}
		x, shape, err := ReadFloat32(p)
		check(len(x), shape, err)
		y, shape, err := ReadInts(p)
		check(len(y), shape, err)
		z, shape, err := ReadFloat64(p)
		check(len(z), shape, err)
	})
}
