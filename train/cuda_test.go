//go:build !notorch

package train

import (
	"math"
	"testing"

	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/torch"
)

func requireCUDA(t *testing.T) {
	t.Helper()
	if !torch.CUDAAvailable() {
		t.Skip("no CUDA device: run on a GPU host with the PyTorch 2.x libtorch (bench/train/gpu.sh builds with scripts/torch-flags.sh and -tags customtorch)")
	}
}

// TestCUDAStepsMatchCPU runs the same first step on the GPU in every precision and on the CPU:
// fp32 agrees closely, bf16/fp16 within their rounding, the fp16 loss scale starts at 2¹⁶.
func TestCUDAStepsMatchCPU(t *testing.T) {
	requireCUDA(t)
	c := tinyConfig(t)
	cpu := newTrainer(t, c, 4)
	want, err := cpu.Step(syntheticBatch(c, 0))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		p   Precision
		tol float64 // relative; bf16 keeps 8 bits of mantissa, fp16 11
	}{{FP32, 1e-4}, {BF16, 5e-2}, {FP16, 1e-2}}
	for _, tt := range tests {
		t.Run(tt.p.String(), func(t *testing.T) {
			g := c
			g.Device = device.CUDASpec(0)
			g.Precision = tt.p
			tr := newTrainer(t, g, 4)
			var first StepResult
			for k := 0; k < 3; k++ {
				r, err := tr.Step(syntheticBatch(c, k))
				if err != nil {
					t.Fatal(err)
				}
				if math.IsNaN(r.Loss) || math.IsInf(r.Loss, 0) {
					t.Fatalf("step %d loss %v", k, r.Loss)
				}
				if k == 0 {
					first = r
				}
			}
			if e := math.Abs(first.Loss-want.Loss) / want.Loss; e > tt.tol {
				t.Errorf("first-step loss %v on CUDA %s, %v on CPU fp32 (relative difference %.2g > %g)", first.Loss, tt.p, want.Loss, e, tt.tol)
			}
			if tt.p == FP16 && first.LossScale != 65536 && !first.Skipped {
				t.Errorf("fp16 loss scale %v after a clean first step, want 65536", first.LossScale)
			}
		})
	}
}

func TestFP16NeedsCUDA(t *testing.T) {
	c := tinyConfig(t)
	c.Precision = FP16
	if _, err := NewTrainer(c, 4); err == nil {
		t.Errorf("fp16 on the CPU: got nil error, want one saying it needs CUDA")
	}
}
