//go:build !notorch

// Command torch-bench measures a ResNet-18 (CIFAR stem) training step — forward, cross-entropy,
// backward, Adam — built with package torch (the network interpreted by models/torchnet), against
// the same step in Python PyTorch on the same machine in the same run, and prints both images/s
// and the ratio Go/Python (target ≥ 0.97).
//
//	go run ./bench/torch -python /usr/bin/python3 -steps 10 -rounds 3
//
// Rounds alternate Go and Python so background load affects both alike; the best round of each
// is reported (the least-disturbed measurement of each side).
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"time"

	"scl/models"
	"scl/models/torchnet"
	"scl/torch"
	"scl/torch/amp"
	"scl/torch/nn"
	"scl/torch/optim"
)

type config struct {
	batch, steps, warmup, rounds, threads int
	python, device, amp                   string
}

func main() {
	var c config
	flag.IntVar(&c.batch, "batch", 64, "images per step")
	flag.IntVar(&c.steps, "steps", 10, "timed steps per round")
	flag.IntVar(&c.warmup, "warmup", 2, "untimed steps before each round")
	flag.IntVar(&c.rounds, "rounds", 3, "alternating Go/Python rounds")
	flag.IntVar(&c.threads, "threads", runtime.NumCPU(), "intra-op threads for both sides")
	flag.StringVar(&c.python, "python", "/usr/bin/python3", "Python with torch and torchvision")
	flag.StringVar(&c.device, "device", "cpu", "cpu or cuda[:N]")
	flag.StringVar(&c.amp, "amp", "", "mixed precision: fp16 (with loss scaling) or bf16; empty for float32")
	flag.Parse()
	if err := run(c); err != nil {
		fmt.Fprintln(os.Stderr, "torch-bench:", err)
		os.Exit(1)
	}
}

func run(c config) error {
	dev, err := torch.ParseDevice(c.device)
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
	fmt.Printf("ResNet-18 (CIFAR stem) training step, batch %d, 32×32, Adam, %s, amp %q, %d threads, libtorch %s\n",
		c.batch, dev, c.amp, c.threads, torch.Version())
	var bestGo, bestPy float64
	var pyTorch string
	for r := 0; r < c.rounds; r++ {
		g, err := b.round()
		if err != nil {
			return err
		}
		p, ver, err := pythonRound(c, script)
		if err != nil {
			return err
		}
		pyTorch = ver
		fmt.Printf("round %d: Go %.1f images/s, Python %.1f images/s\n", r+1, g, p)
		bestGo = max(bestGo, g)
		bestPy = max(bestPy, p)
	}
	fmt.Printf("Go (scl/torch):      %.1f images/s\n", bestGo)
	fmt.Printf("Python (torch %s): %.1f images/s\n", pyTorch, bestPy)
	fmt.Printf("ratio Go/Python:     %.3f (target ≥ 0.97)\n", bestGo/bestPy)
	return nil
}

type bench struct {
	c    config
	dev  torch.Device
	st   *nn.Store
	enc  *torchnet.Module
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
	b.enc = torchnet.Build(net, st.Root().Sub("encoder"))
	b.head = nn.NewLinear(st.Root().Sub("fc"), 512, 10, true)
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
	logits := b.head.Forward(fwd, b.enc.Forward(fwd, b.x))
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

// round returns images/s over c.steps steps after c.warmup untimed ones.
func (b *bench) round() (float64, error) {
	for i := 0; i < b.c.warmup; i++ {
		if err := b.step(); err != nil {
			return 0, err
		}
	}
	if err := b.sync(); err != nil {
		return 0, err
	}
	t0 := time.Now()
	for i := 0; i < b.c.steps; i++ {
		if err := b.step(); err != nil {
			return 0, err
		}
	}
	if err := b.sync(); err != nil {
		return 0, err
	}
	return float64(b.c.batch*b.c.steps) / time.Since(t0).Seconds(), nil
}

func pythonRound(c config, script string) (float64, string, error) {
	cmd := exec.Command(c.python, script, "--batch", fmt.Sprint(c.batch), "--steps", fmt.Sprint(c.steps),
		"--warmup", fmt.Sprint(c.warmup), "--threads", fmt.Sprint(c.threads), "--device", c.device, "--amp", c.amp)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return 0, "", fmt.Errorf("python baseline (%s): %w", c.python, err)
	}
	var res struct {
		ImagesPerS float64 `json:"images_per_s"`
		Torch      string  `json:"torch"`
	}
	if err := json.Unmarshal(out, &res); err != nil {
		return 0, "", fmt.Errorf("python baseline output %q: %w", out, err)
	}
	return res.ImagesPerS, res.Torch, nil
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
