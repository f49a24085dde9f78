//go:build !notorch

package torch_test

import (
	"runtime"
	"sync"
	"testing"

	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/torch"
)

// TestGradModeTravelsWithTheCall runs no-grad and grad ops from many goroutines at once. Were
// grad mode left in libtorch's thread-local state between calls, a goroutine landing on a thread
// another left in no-grad mode would get results without a graph (or the reverse).
func TestGradModeTravelsWithTheCall(t *testing.T) {
	checkLive(t)
	var wg sync.WaitGroup
	errs := make(chan string, 64)
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				s := torch.NewScope()
				x := s.Ones(torch.Opts{}, 4)
				x.SetRequiresGrad(true)
				var y *torch.Tensor
				noGrad := (g+i)%2 == 0
				if noGrad {
					y = s.NoGrad().MulScalar(x, 2)
				} else {
					y = s.MulScalar(x, 2)
				}
				if err := s.Err(); err != nil {
					errs <- err.Error()
				} else if y.RequiresGrad() == noGrad {
					errs <- "requires_grad of the result does not follow the scope's mode"
				}
				s.Close()
				runtime.Gosched()
			}
		}(g)
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Fatal(e)
	}
}

// TestAutocastCPU uses libtorch's CPU autocast (bfloat16), which exists in 1.13: a matmul
// under autocast yields bfloat16, the same op outside it float32, and a softmax (an fp32-policy
// op) stays float32.
func TestAutocastCPU(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	a := s.Randn(torch.Opts{}, 4, 8)
	b := s.Randn(torch.Opts{}, 8, 3)
	ac := s.Autocast(torch.CPUDevice, torch.BFloat16)
	low := ac.Mm(a, b)
	full := s.Mm(a, b)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got := low.DType(); got != torch.BFloat16 {
		t.Errorf("mm under bf16 autocast: got %v, want bfloat16", got)
	}
	if got := full.DType(); got != torch.Float32 {
		t.Errorf("mm outside autocast: got %v, want float32", got)
	}
	// the result agrees with float32 to bfloat16's precision (8 bits of mantissa: 2⁻⁸ relative
	// per product, summed over 8 terms of size ≈ 1 → a few 1e-2 absolute)
	lv, _ := s.To(low, torch.Float32).Float32s()
	fv, _ := full.Float32s()
	for i := range fv {
		if d := lv[i] - fv[i]; d > 0.1 || d < -0.1 {
			t.Errorf("bf16 mm[%d]: got %v, want ≈ %v", i, lv[i], fv[i])
		}
	}
	// a second call without autocast on the same goroutine is unaffected
	if got := s.Mm(a, b).DType(); got != torch.Float32 {
		t.Errorf("mm after an autocast call: got %v, want float32", got)
	}
}

// TestHoldAutocastCache shows the cast cache's lifetime through its one observable effect: a
// weight changed in place after its first cast. Without a hold every op casts it afresh; under
// a hold the second op reuses the first cast (which is why holds must end before an optimizer
// step), and after the release the new value is seen again.
func TestHoldAutocastCache(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	ac := s.Autocast(torch.CPUDevice, torch.BFloat16)
	w := s.Ones(torch.Opts{}, 2, 2)
	if err := w.SetRequiresGrad(true); err != nil {
		t.Fatal(err)
	}
	x := s.Ones(torch.Opts{}, 1, 2)
	first := func() float64 {
		t.Helper()
		v, err := s.To(ac.Mm(x, w), torch.Float32).Float32s()
		if err != nil || s.Err() != nil {
			t.Fatal(err, s.Err())
		}
		return float64(v[0])
	}
	// x·w with w all ones gives 2; after w ← 2w it gives 4.
	if got := first(); got != 2 {
		t.Fatalf("x·w before the change: got %v, want 2", got)
	}
	s.NoGrad().MulScalarInPlace(w, 2)
	if got := first(); got != 4 {
		t.Errorf("without a hold, x·w after w ← 2w: got %v, want 4 (a fresh cast)", got)
	}
	release := torch.HoldAutocastCache()
	if got := first(); got != 4 {
		t.Errorf("first op under the hold: got %v, want 4", got)
	}
	s.NoGrad().MulScalarInPlace(w, 2)
	if got := first(); got != 4 {
		t.Errorf("under the hold, x·w after w ← 2w: got %v, want 4 (the cached cast)", got)
	}
	release()
	release() // idempotent
	if got := first(); got != 8 {
		t.Errorf("after the release: got %v, want 8 (a fresh cast)", got)
	}
}

func TestDevices(t *testing.T) {
	if n := torch.CUDADeviceCount(); n < 0 {
		t.Errorf("CUDADeviceCount: got %d, want ≥ 0", n)
	}
	if torch.Version() == "" || torch.Version() == "unknown" {
		t.Errorf("Version: got %q, want a libtorch version", torch.Version())
	}
	old := torch.NumThreads()
	torch.SetNumThreads(1)
	if got := torch.NumThreads(); got != 1 {
		t.Errorf("NumThreads after SetNumThreads(1): got %d, want 1", got)
	}
	torch.SetNumThreads(old)
	for _, c := range []struct {
		in   device.Spec
		want torch.Device
	}{{device.CPUSpec, torch.CPU}, {device.CUDASpec(0), torch.CUDA(0)}, {device.CUDASpec(3), torch.CUDA(3)}} {
		got, err := torch.DeviceOf(c.in)
		if err != nil || got != c.want || got.Spec() != c.in {
			t.Errorf("DeviceOf(%v): got %v, %v; want %v", c.in, got, err, c.want)
		}
	}
	if _, err := torch.DeviceOf(device.AutoSpec); err == nil {
		t.Errorf("DeviceOf(auto): got nil error, want one")
	}
	want := torch.CPU
	if torch.CUDAAvailable() {
		want = torch.CUDA(0)
	}
	if got, err := torch.ResolveDevice(device.AutoSpec); err != nil || got != want {
		t.Errorf("ResolveDevice(auto) = %v, %v; want %v", got, err, want)
	}
	if _, err := torch.ResolveDevice(device.CUDASpec(torch.CUDADeviceCount())); err == nil {
		t.Errorf("ResolveDevice(cuda:%d) with %d GPUs: got nil error, want one", torch.CUDADeviceCount(), torch.CUDADeviceCount())
	}
}

func TestManualSeedReproducible(t *testing.T) {
	checkLive(t)
	draw := func() []float32 {
		if err := torch.ManualSeed(42); err != nil {
			t.Fatal(err)
		}
		s := torch.NewScope()
		defer s.Close()
		v, err := s.Randn(torch.Opts{}, 5).Float32s()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	a, b := draw(), draw()
	if sprint(a) != sprint(b) {
		t.Errorf("randn after the same seed: got %v then %v, want equal", a, b)
	}
}

// TestCUDA runs only where libtorch sees a GPU (scripts/gpu-check.sh builds against a CUDA
// libtorch and runs it).
func TestCUDA(t *testing.T) {
	if !torch.CUDAAvailable() {
		t.Skip("no CUDA device: run scripts/gpu-check.sh on a GPU host (builds with -tags customtorch against PyTorch's libtorch)")
	}
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat32s([]float32{1, 2, 3, 4}, 2, 2)
	g := s.ToDevice(x, torch.CUDA(0), false)
	if got := g.Device(); got != torch.CUDA(0) {
		t.Fatalf("device after move: got %v, want cuda:0", got)
	}
	back, err := s.ToDevice(s.MulScalar(g, 2), torch.CPU, false).Float32s()
	if err != nil || sprint(back) != "[2 4 6 8]" {
		t.Errorf("round trip through CUDA: got %v (%v), want [2 4 6 8]", back, err)
	}
	for _, dt := range []torch.DType{torch.Float16, torch.BFloat16} {
		y := s.Autocast(torch.CUDADevice, dt).Mm(g, g)
		if err := s.Err(); err != nil {
			t.Fatal(err)
		}
		if y.DType() != dt {
			t.Errorf("CUDA mm under %v autocast: got %v", dt, y.DType())
		}
	}
}
