package models

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/scl-dev/scl/safetensors"
)

const systemPython = "/usr/bin/python3"

// requireTorchvision skips unless Debian's python3 with torch and torchvision is present.
func requireTorchvision(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("skipping the torchvision comparison in -short mode")
	}
	if err := exec.Command(systemPython, "-c", "import torch, torchvision").Run(); err != nil {
		t.Skipf("%s with torch and torchvision not available (%v): run scripts/setup.sh --bench", systemPython, err)
	}
}

func writeF32(t *testing.T, path string, v []float32) {
	t.Helper()
	b := make([]byte, 4*len(v))
	for i, x := range v {
		binary.LittleEndian.PutUint32(b[4*i:], math.Float32bits(x))
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readF32(t *testing.T, path string) []float32 {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v := make([]float32, len(b)/4)
	for i := range v {
		v[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
	}
	return v
}

// TestMatchesTorchvision loads the IR's freshly initialised weights into torchvision's own
// model (strict load_state_dict: every name and shape must match) and compares eval-mode
// features with Evaluate. This checks the structure, the names and the reference evaluator
// against an independent implementation.
func TestMatchesTorchvision(t *testing.T) {
	requireTorchvision(t)
	tests := []struct {
		cfg  Config
		size int
	}{
		{Config{Arch: ResNet18}, 32},
		{Config{Arch: ResNet18, Stem: StemCIFAR}, 16},
		{Config{Arch: ResNet50}, 32},
		{Config{Arch: EfficientNetV2S}, 32},
		{Config{Arch: EfficientNetB0}, 32},
	}
	for i, tc := range tests {
		cfg := tc.cfg.WithDefaults()
		t.Run(string(cfg.Arch)+"/"+string(cfg.Stem), func(t *testing.T) {
			net, err := Encoder(cfg)
			if err != nil {
				t.Fatal(err)
			}
			w := Init(net, "", uint64(i+1))
			RandomizeBatchNorm(net, "", w, uint64(i+10), 1)
			dir := t.TempDir()
			weights := filepath.Join(dir, "w.safetensors")
			if err := safetensors.WriteFile(weights, &safetensors.File{Tensors: w}); err != nil {
				t.Fatal(err)
			}
			const batch = 2
			r := rand.New(rand.NewPCG(uint64(i), 3))
			x := make([]float32, batch*3*tc.size*tc.size)
			for j := range x {
				x[j] = float32(r.NormFloat64())
			}
			writeF32(t, filepath.Join(dir, "x.f32"), x)
			cmd := exec.Command(systemPython, "testdata/torchvision_ref.py", string(cfg.Arch), string(cfg.Stem), weights,
				filepath.Join(dir, "x.f32"), "2", "3", itoa(tc.size), itoa(tc.size), filepath.Join(dir, "y.f32"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("torchvision reference failed: %v\n%s", err, out)
			}
			want := readF32(t, filepath.Join(dir, "y.f32"))
			got, err := Evaluate(net, "", w, x, batch, [2]int{tc.size, tc.size})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) || len(got) != batch*net.OutDim {
				t.Fatalf("got %d values, want %d (torchvision) and %d (batch·OutDim)", len(got), len(want), batch*net.OutDim)
			}
			var diff, scale float64
			for j := range got {
				diff = max(diff, math.Abs(float64(got[j]-want[j])))
				scale = max(scale, math.Abs(float64(want[j])))
			}
			// float32 torch against float64-accumulating Go over up to ~50 layers: float32
			// rounding relative to the largest feature, ~1e-6 observed.
			if rel := diff / max(scale, 1); rel > 1e-5 {
				t.Errorf("max difference to torchvision %.3g (features up to %.3g), want ≤ 1e-5 relative", diff, scale)
			}
			t.Logf("max difference to torchvision %.3g, largest feature %.3g", diff, scale)
		})
	}
}

func itoa(n int) string {
	b := []byte{}
	for n > 0 || len(b) == 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}
