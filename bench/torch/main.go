//go:build !notorch

// Command torch-bench measures a ResNet-18 (CIFAR stem) training step — forward, cross-entropy,
// backward, Adam — built with package torch (the network interpreted by models/torchnet), against
// the same step in Python PyTorch on the same machine in the same run, and prints both images/s
// and the ratio Go/Python (target ≥ 0.97).
//
//	go run ./bench/torch -python /usr/bin/python3 -steps 10 -rounds 3
//
// Rounds alternate Go and Python so background load affects both alike; the median of the
// per-round ratios is reported. On a shared machine, wall-clock rates swing with other load; the
// CPU-time ratio (process CPU seconds per step, Python ÷ Go) compares the work each side does
// and is the steadier figure there, with -threads 1 (spinning OpenMP threads inflate CPU time).
// -model inline uses a ResNet-18 written here with torchvision's in-place ReLU and residual
// addition; the default, torchnet, is the product's network (models/torchnet).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"syscall"
	"time"

	"github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/models/torchnet"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/amp"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
)

type config struct {
	batch, steps, warmup, rounds, threads int
	python, device, amp, model            string
}

func main() {
	var c config
	flag.IntVar(&c.batch, "batch", 64, "images per step")
	flag.IntVar(&c.steps, "steps", 10, "timed steps per round")
	flag.IntVar(&c.warmup, "warmup", 2, "untimed steps before each round")
	flag.IntVar(&c.rounds, "rounds", 3, "alternating Go/Python rounds")
	flag.IntVar(&c.threads, "threads", runtime.NumCPU(), "intra-op threads for both sides")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python with torch and torchvision")
	flag.StringVar(&c.device, "device", "cpu", "auto, cpu or cuda[:N]")
	flag.StringVar(&c.model, "model", "torchnet", "torchnet: models/torchnet's ResNet-18 (the product); inline: torchvision's structure written here with in-place ReLU/add")
	flag.StringVar(&c.amp, "amp", "", "mixed precision: fp16 (with loss scaling) or bf16; empty for float32")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "torch-bench:", err)
		os.Exit(1)
	}
	result.Exit()
}

func run(c config) error {
	spec, err := device.Parse(c.device)
	if err != nil {
		return err
	}
	dev, err := torch.ResolveDevice(spec)
	if err != nil {
		return err
	}
	torch.SetNumThreads(c.threads)
	if err := torch.ManualSeed(0); err != nil {
		return err
	}
	b, err := newBench(c, dev)
	if err != nil {
		return err
	}
	defer b.close()
	script, err := scriptPath()
	if err != nil {
		return err
	}
	fmt.Printf("ResNet-18 (CIFAR stem, model %s) training step, batch %d, 32×32, Adam, %s, amp %q, %d threads, libtorch %s\n",
		c.model, c.batch, dev, c.amp, c.threads, torch.Version())
	var gos, pys, ratios, cpuRatios []float64
	var pyTorch string
	for r := 0; r < c.rounds; r++ {
		g, gc, err := b.round()
		if err != nil {
			return err
		}
		p, pc, ver, err := pythonRound(c, script)
		if err != nil {
			return err
		}
		pyTorch = ver
		fmt.Printf("round %d: Go %.1f images/s (%.3f CPU s/step), Python %.1f images/s (%.3f CPU s/step), ratio %.3f\n",
			r+1, g, gc, p, pc, g/p)
		gos, pys, ratios, cpuRatios = append(gos, g), append(pys, p), append(ratios, g/p), append(cpuRatios, pc/gc)
	}
	fmt.Printf("Go (scl/torch):      %.1f images/s (median of %d rounds)\n", median(gos), c.rounds)
	fmt.Printf("Python (torch %s): %.1f images/s (median)\n", pyTorch, median(pys))
	fmt.Printf("ratio Go/Python:     %.3f (median of per-round ratios; target ≥ 0.97)\n", median(ratios))
	fmt.Printf("CPU-time ratio:      %.3f (Python CPU s/step ÷ Go CPU s/step, median; insensitive to other load)\n", median(cpuRatios))
	result.Report("torch", "training step Go / Python torch", fmt.Sprintf("%.1f images/s", median(gos)),
		fmt.Sprintf("%.1f images/s (torch %s)", median(pys), pyTorch), median(ratios), "≥ 0.97", median(ratios) >= 0.97)
	return nil
}

func median(v []float64) float64 {
	w := append([]float64(nil), v...)
	sort.Float64s(w)
	if len(w) == 0 {
		return 0
	}
	if len(w)%2 == 1 {
		return w[len(w)/2]
	}
	return (w[len(w)/2-1] + w[len(w)/2]) / 2
}

type bench struct {
	c    config
	dev  torch.Device
	st   *nn.Store
	enc  *torchnet.Module
	net  *resnet18 // -model inline
	head *nn.Linear
	opt  *optim.Adam
	lowp torch.DType // autocast type, Default for float32
	sc   *amp.Scaler
	data *torch.Scope
	x, y *torch.Tensor
}

func newBench(c config, dev torch.Device) (*bench, error) {
	net, err := models.Encoder(models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR})
	if err != nil {
		return nil, err
	}
	st := nn.NewStore(dev)
	b := &bench{c: c, dev: dev, st: st}
	switch c.model {
	case "torchnet":
		b.enc = torchnet.Build(net, st.Root().Sub("encoder"))
		b.head = nn.NewLinear(st.Root().Sub("fc"), 512, 10, true)
	case "inline":
		b.net = newResNet18(st.Root(), 10)
	default:
		st.Close()
		return nil, fmt.Errorf("-model %q: want torchnet or inline", c.model)
	}
	if err := st.Err(); err != nil {
		st.Close()
		return nil, err
	}
	b.opt = optim.NewAdam(st.Params(), optim.AdamConfig{LR: 3e-4, WeightDecay: 1e-5})
	switch c.amp {
	case "":
	case "fp16":
		b.lowp = torch.Float16
	case "bf16":
		b.lowp = torch.BFloat16
	default:
		b.close()
		return nil, fmt.Errorf("-amp %q: want fp16, bf16 or empty", c.amp)
	}
	b.sc = amp.NewScaler(amp.Config{Disabled: b.lowp != torch.Float16})
	b.data = torch.NewScope()
	b.x = b.data.ToDevice(b.data.Randn(torch.Opts{}, int64(c.batch), 3, 32, 32), dev, false)
	b.y = b.data.ToDevice(b.data.RandInt(torch.Opts{}, 0, 10, int64(c.batch)), dev, false)
	if err := b.data.Err(); err != nil {
		b.close()
		return nil, err
	}
	return b, nil
}

func (b *bench) close() {
	b.data.Close()
	if b.opt != nil {
		b.opt.Close()
	}
	b.st.Close()
}

func (b *bench) step() error {
	s := torch.NewScope()
	defer s.Close()
	if err := b.st.ZeroGrad(); err != nil {
		return err
	}
	fwd := s
	if b.lowp != torch.Default {
		fwd = s.Autocast(b.dev.Type, b.lowp)
	}
	var logits *torch.Tensor
	if b.net != nil {
		logits = b.net.forward(fwd, b.x)
	} else {
		logits = b.head.Forward(fwd, b.enc.Forward(fwd, b.x))
	}
	loss := s.CrossEntropy(s.To(logits, torch.Float32), b.y, torch.ReduceMean, 0)
	if err := s.Err(); err != nil {
		return err
	}
	if err := s.Backward(b.sc.Scale(s, loss)); err != nil {
		return err
	}
	_, err := b.sc.Step(b.opt, b.st.Params())
	return err
}

func (b *bench) sync() error {
	if b.dev.Type == torch.CUDADevice {
		return torch.CUDASynchronize(b.dev.Index)
	}
	return nil
}

// round returns images/s and process CPU seconds per step over c.steps steps after c.warmup
// untimed ones.
func (b *bench) round() (float64, float64, error) {
	for i := 0; i < b.c.warmup; i++ {
		if err := b.step(); err != nil {
			return 0, 0, err
		}
	}
	if err := b.sync(); err != nil {
		return 0, 0, err
	}
	t0 := time.Now()
	c0 := cpuTime()
	for i := 0; i < b.c.steps; i++ {
		if err := b.step(); err != nil {
			return 0, 0, err
		}
	}
	if err := b.sync(); err != nil {
		return 0, 0, err
	}
	return float64(b.c.batch*b.c.steps) / time.Since(t0).Seconds(), (cpuTime() - c0) / float64(b.c.steps), nil
}

func cpuTime() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Sec+ru.Stime.Sec) + float64(ru.Utime.Usec+ru.Stime.Usec)/1e6
}

func pythonRound(c config, script string) (float64, float64, string, error) {
	cmd := exec.Command(c.python, script, "--batch", fmt.Sprint(c.batch), "--steps", fmt.Sprint(c.steps),
		"--warmup", fmt.Sprint(c.warmup), "--threads", fmt.Sprint(c.threads), "--device", c.device, "--amp", c.amp)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, 0, "", fmt.Errorf("python baseline (%s): %w", c.python, err)
	}
	var res struct {
		ImagesPerS float64 `json:"images_per_s"`
		CPU        float64 `json:"cpu_s_per_step"`
		Torch      string  `json:"torch"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, 0, "", fmt.Errorf("python baseline output %q: %w", out, err)
	}
	return res.ImagesPerS, res.CPU, res.Torch, nil
}

// scriptPath finds resnet18_step.py next to this program's source (run from the repository root
// or from bench/torch).
func scriptPath() (string, error) {
	for _, p := range []string{"bench/torch/resnet18_step.py", "resnet18_step.py"} {
		if _, err := os.Stat(p); err == nil {
			return filepath.Abs(p)
		}
	}
	return "", fmt.Errorf("resnet18_step.py not found: run from the repository root")
}
