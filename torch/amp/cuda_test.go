//go:build !notorch

package amp_test

import (
	"testing"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/torch/torchtest"
)

// TestCUDAMixedPrecisionSteps trains a small conv net on the GPU under fp16 autocast with the
// loss scaler, and under bf16 autocast without it: the loss must fall and no step may be
// skipped after the first few (the scaler starts at 2¹⁶ and may back off a few times).
func TestCUDAMixedPrecisionSteps(t *testing.T) {
	if !torch.CUDAAvailable() {
		t.Skip("no CUDA device: run scripts/gpu-check.sh on a GPU host")
	}
	for _, dt := range []torch.DType{torch.Float16, torch.BFloat16} {
		t.Run(dt.String(), func(t *testing.T) {
			torchtest.CheckLive(t)
			dev := torch.CUDA(0)
			st := nn.NewStore(dev)
			defer st.Close()
			r := st.Root()
			c1 := nn.NewConv2d(r.Sub("c1"), 3, 32, 3, nn.Conv2dConfig{Padding: 1})
			b1 := nn.NewBatchNorm2d(r.Sub("b1"), 32)
			c2 := nn.NewConv2d(r.Sub("c2"), 32, 64, 3, nn.Conv2dConfig{Padding: 1, Stride: 2})
			b2 := nn.NewBatchNorm2d(r.Sub("b2"), 64)
			fc := nn.NewLinear(r.Sub("fc"), 64, 10, true)
			if err := st.Err(); err != nil {
				t.Fatal(err)
			}
			opt := optim.NewAdam(st.Params(), optim.AdamConfig{LR: 1e-3})
			defer opt.Close()
			sc := amp.NewScaler(amp.Config{Disabled: dt != torch.Float16})
			data := torch.NewScope()
			defer data.Close()
			x := data.ToDevice(data.Randn(torch.Opts{}, 64, 3, 32, 32), dev, false)
			y := data.ToDevice(data.RandInt(torch.Opts{}, 0, 10, 64), dev, false)
			var first, last float64
			skipped := 0
			for i := 0; i < 60; i++ {
				s := torch.NewScope()
				st.ZeroGrad()
				ac := s.Autocast(torch.CUDADevice, dt)
				h := ac.Relu(b1.Forward(ac, c1.Forward(ac, x)))
				h = ac.Relu(b2.Forward(ac, c2.Forward(ac, h)))
				h = fc.Forward(ac, ac.Flatten(ac.AdaptiveAvgPool2d(h, 1, 1), 1, -1))
				if i == 0 && h.DType() != dt {
					t.Errorf("logits under autocast: got %v, want %v", h.DType(), dt)
				}
				loss := s.CrossEntropy(s.To(h, torch.Float32), y, torch.ReduceMean, 0)
				if err := s.Backward(sc.Scale(s, loss)); err != nil {
					t.Fatal(err)
				}
				stepped, err := sc.Step(opt, st.Params())
				if err != nil {
					t.Fatal(err)
				}
				if !stepped {
					skipped++
				}
				v, err := loss.Item()
				if err != nil {
					t.Fatal(err)
				}
				if i == 0 {
					first = v
				}
				last = v
				s.Close()
			}
			if !(last < first) || skipped > 5 {
				t.Errorf("%v: loss %v → %v with %d skipped steps; want a falling loss and ≤ 5 skips", dt, first, last, skipped)
			}
		})
	}
}
