package pth

import (
	"os"
	"testing"
)

// FuzzDecode checks that no input panics the zip and legacy readers or allocates beyond its
// size. The seed corpus is both fixtures; explore with
// `go test ./pth -run '^$' -fuzz FuzzDecode -fuzztime 1m`.
func FuzzDecode(f *testing.F) {
	for _, file := range []string{"testdata/tensors_zip.pt", "testdata/tensors_legacy.pt"} {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if file, err := Decode(b); err == nil {
			_, _, _ = Tensors(file.Object)
		}
	})
}
