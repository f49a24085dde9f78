package infer

import (
	"errors"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/scl-dev/scl/infer/internal/onnxtest"
)

// requireRuntime skips the test with an instruction when the ONNX Runtime library is absent.
func requireRuntime(t testing.TB) {
	t.Helper()
	if _, err := LoadRuntime(""); err != nil {
		if errors.Is(err, ErrLibrary) {
			t.Skipf("ONNX Runtime not available (run scripts/setup.sh or set SCL_ORT_LIB): %v", err)
		}
		t.Fatal(err)
	}
}

// writeModel writes a tiny encoder into a temporary folder and returns its path.
func writeModel(t testing.TB, m onnxtest.Model) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := m.Write(p); err != nil {
		t.Fatal(err)
	}
	return p
}

func randomInput(seed uint64, n int) []float32 {
	r := rand.New(rand.NewPCG(seed, 7))
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(r.NormFloat64())
	}
	return x
}
