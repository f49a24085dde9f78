//go:build !notorch

// Command dist measures data-parallel scaling on this machine: ReLIC training steps of a small
// encoder (ResNet-18 layout, CIFAR stem, width 16, 1×28×28 inputs, projector 128→32, two global
// views, SGD, EMA target) for one global batch, run by
//
//   - one process with 1 intra-op thread (the per-core baseline),
//   - one process with W intra-op threads (what W cores give without data parallelism),
//   - W processes with 1 thread each, Gloo on loopback (torch/dist + parallel).
//
// Each configuration is measured -rounds times, interleaved, and the fastest round is kept (the
// machine is shared; the minimum is the least disturbed). It prints seconds per step and the
// ratios: strong-scaling efficiency = t(1 process, 1 thread) / (W · t(W processes)), and the
// speedup over one process with W threads. The workers are this binary spawned with torchrun's
// environment variables.
//
//	go run ./bench/dist [-world 2] [-batch 64] [-steps 6] [-rounds 3]
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	benchresult "github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/models/torchnet"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/nn"
	"github.com/scl-dev/scl/torch/optim"
	"github.com/scl-dev/scl/train/loss"
	"github.com/scl-dev/scl/train/multicrop"
	"github.com/scl-dev/scl/train/parallel"
)

const workerEnv = "SCL_BENCH_DIST_WORKER"

type config struct {
	Batch, Steps, Warmup, Threads, Image int
	// CUDA runs rank r on GPU r with NCCL; Group joins a process group even for one process
	// (the world-size-1 check of the NCCL path on a single-GPU host).
	CUDA, Group bool
}

type result struct {
	SecPerStep float64 // wall-clock per step, rank 0
	CommShare  float64 // fraction of the step spent in gradient all-reduce (rank 0)
	Loss       float64
	// Bucketed and PerTensor are the seconds of one gradient all-reduce with 25 MiB buckets and
	// with one bucket per tensor (distributed runs only).
	Bucketed, PerTensor float64
	Tensors, Buckets    int
}

func main() {
	var err error
	if os.Getenv(workerEnv) != "" {
		err = worker()
	} else {
		err = run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench/dist:", err)
		os.Exit(1)
	}
}

func run() error {
	world := flag.Int("world", 2, "processes in the data-parallel run")
	batch := flag.Int("batch", 64, "global batch size")
	steps := flag.Int("steps", 6, "timed steps per measurement")
	rounds := flag.Int("rounds", 3, "interleaved rounds (the fastest is kept)")
	cuda := flag.Bool("cuda", false, "one GPU per process with NCCL (build with -tags customtorch,nccl); -world 1 runs one process through an NCCL group")
	flag.Parse()
	if *batch%*world != 0 {
		return fmt.Errorf("-batch %d: want a multiple of -world %d", *batch, *world)
	}
	if *cuda {
		return runCUDA(*world, config{Batch: *batch, Steps: *steps, Warmup: 2, Image: 28, Threads: 1, CUDA: true}, *rounds)
	}
	cfg := config{Batch: *batch, Steps: *steps, Warmup: 2, Image: 28}
	type runSpec struct {
		name           string
		world, threads int
	}
	specs := []runSpec{
		{"1 process × 1 thread", 1, 1},
		{fmt.Sprintf("1 process × 1 thread, batch %d", *batch / *world), 1, 1},
		{fmt.Sprintf("1 process × %d threads", *world), 1, *world},
		{fmt.Sprintf("%d processes × 1 thread (gloo)", *world), *world, 1},
	}
	best := make([]result, len(specs))
	for r := 0; r < *rounds; r++ {
		for i, sp := range specs {
			c := cfg
			c.Threads = sp.threads
			if i == 1 {
				c.Batch = cfg.Batch / *world // one rank's share of the work, no communication
			}
			res, err := spawn(sp.world, c)
			if err != nil {
				return fmt.Errorf("%s: %w", sp.name, err)
			}
			if r == 0 || res.SecPerStep < best[i].SecPerStep {
				best[i] = res
			}
		}
	}
	fmt.Printf("data-parallel scaling, small encoder (resnet18 cifar stem, width 16, 1×%d×%d), global batch %d, 2 global views, best of %d rounds × %d steps\n",
		cfg.Image, cfg.Image, cfg.Batch, *rounds, cfg.Steps)
	for i, sp := range specs {
		fmt.Printf("  %-32s %.3f s/step  (gradient all-reduce %.1f%% of the step, loss %.4f)\n", sp.name, best[i].SecPerStep, 100*best[i].CommShare, best[i].Loss)
	}
	t1, tshare, tw, tdp := best[0].SecPerStep, best[1].SecPerStep, best[2].SecPerStep, best[3].SecPerStep
	fmt.Printf("strong-scaling efficiency of %d processes vs 1 process × 1 thread: %.2f (speedup %.2f×)\n", *world, t1/(float64(*world)*tdp), t1/tdp)
	fmt.Printf("  of which compute at batch %d: one rank's share alone runs at efficiency %.2f; distribution overhead: %d processes take %.2f× the time of that share\n",
		cfg.Batch / *world, t1/(float64(*world)*tshare), *world, tdp/tshare)
	fmt.Printf("speedup of %d processes vs 1 process × %d threads: %.2f×\n", *world, *world, tw/tdp)
	d := best[3]
	fmt.Printf("gradient all-reduce of %d tensors: %d bucket(s) of ≤25 MiB %.1f ms vs one bucket per tensor %.1f ms: bucketing %.2f× faster\n",
		d.Tensors, d.Buckets, 1e3*d.Bucketed, 1e3*d.PerTensor, d.PerTensor/d.Bucketed)
	if l, err := os.ReadFile("/proc/loadavg"); err == nil {
		fmt.Printf("load average during the run: %s", l)
	}
	// No target: the figure depends on what else the cores run.
	benchresult.Report("dist", fmt.Sprintf("%d-process strong-scaling efficiency (Gloo)", *world), fmt.Sprintf("%.3f s/step", tdp),
		fmt.Sprintf("%.3f s/step (1 process × 1 thread)", t1), t1/(float64(*world)*tdp), "none", true)
	return nil
}

// runCUDA compares one GPU without any process group against world GPUs with NCCL (or, with
// world 1, one GPU through an NCCL group of one).
func runCUDA(world int, cfg config, rounds int) error {
	if torch.CUDADeviceCount() < world {
		return fmt.Errorf("-world %d: this libtorch sees %d CUDA devices", world, torch.CUDADeviceCount())
	}
	if err := dist.Available(dist.NCCL); err != nil {
		return err
	}
	var base, dp result
	for r := 0; r < rounds; r++ {
		b, err := spawn(1, cfg)
		if err != nil {
			return fmt.Errorf("1 GPU: %w", err)
		}
		c := cfg
		c.Group = true
		d, err := spawn(world, c)
		if err != nil {
			return fmt.Errorf("%d GPUs with nccl: %w", world, err)
		}
		if r == 0 || b.SecPerStep < base.SecPerStep {
			base = b
		}
		if r == 0 || d.SecPerStep < dp.SecPerStep {
			dp = d
		}
	}
	fmt.Printf("data-parallel on CUDA, small encoder, global batch %d, best of %d rounds × %d steps\n", cfg.Batch, rounds, cfg.Steps)
	fmt.Printf("  1 GPU, no process group        %.4f s/step (loss %.4f)\n", base.SecPerStep, base.Loss)
	fmt.Printf("  %d GPU(s), nccl                 %.4f s/step (gradient all-reduce %.1f%%, loss %.4f)\n", world, dp.SecPerStep, 100*dp.CommShare, dp.Loss)
	fmt.Printf("scaling efficiency of %d GPU(s) vs 1: %.2f (speedup %.2f×)\n", world, base.SecPerStep/(float64(world)*dp.SecPerStep), base.SecPerStep/dp.SecPerStep)
	if dp.Tensors > 0 {
		fmt.Printf("gradient all-reduce of %d tensors: bucketed %.2f ms vs per tensor %.2f ms: bucketing %.2f× faster\n",
			dp.Tensors, 1e3*dp.Bucketed, 1e3*dp.PerTensor, dp.PerTensor/dp.Bucketed)
	}
	return nil
}

func spawn(world int, c config) (result, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return result{}, err
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	js, _ := json.Marshal(c)
	cmds := make([]*exec.Cmd, world)
	outs := make([]*strings.Builder, world)
	for r := 0; r < world; r++ {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), workerEnv+"="+string(js), "RANK="+strconv.Itoa(r), "WORLD_SIZE="+strconv.Itoa(world),
			"LOCAL_RANK="+strconv.Itoa(r), "MASTER_ADDR=127.0.0.1", "MASTER_PORT="+strconv.Itoa(port))
		outs[r] = &strings.Builder{}
		cmd.Stdout = outs[r]
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			return result{}, err
		}
		cmds[r] = cmd
	}
	var errs []error
	for r, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			errs = append(errs, fmt.Errorf("rank %d: %w", r, err))
		}
	}
	if err := errors.Join(errs...); err != nil {
		return result{}, err
	}
	var res result
	if err := json.Unmarshal([]byte(outs[0].String()), &res); err != nil {
		return result{}, fmt.Errorf("rank 0 output %q: %w", outs[0].String(), err)
	}
	return res, nil
}

func worker() error {
	var c config
	if err := json.Unmarshal([]byte(os.Getenv(workerEnv)), &c); err != nil {
		return err
	}
	torch.SetNumThreads(c.Threads)
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return err
	}
	dev, backend := torch.Device{}, dist.Gloo
	if c.CUDA {
		idx, err := parallel.DeviceIndex(env.LocalRank, torch.CUDADeviceCount())
		if err != nil {
			return err
		}
		dev, backend = torch.CUDA(idx), dist.NCCL
	}
	var g *dist.Group
	if env.Distributed() || c.Group {
		if g, err = parallel.Join(env, dev, parallel.Config{Backend: backend, Timeout: 2 * time.Minute}); err != nil {
			return err
		}
		defer g.Close()
		if err := selfCheck(g, dev); err != nil {
			return err
		}
	}
	mcfg := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1, Width: 16, ProjectorHidden: 128, ProjectorOut: 32}
	if err := torch.ManualSeed(1); err != nil {
		return err
	}
	online, err := torchnet.New(mcfg, dev)
	if err != nil {
		return err
	}
	defer online.Close()
	target, err := torchnet.New(mcfg, dev)
	if err != nil {
		return err
	}
	defer target.Close()
	scalars := nn.NewStore(dev)
	defer scalars.Close()
	tau := scalars.Root().Param("tau", nn.Const(1.6))
	bias := scalars.Root().Param("bias", nn.Const(-5))
	params := append(online.Store.Params(), scalars.Params()...)
	var dp *parallel.DataParallel
	if g != nil {
		if err := parallel.Broadcast(g, append(parallel.Tensors(online.Store.Vars()), tau, bias)...); err != nil {
			return err
		}
		if dp, err = parallel.New(g, parallel.Tensors(params), parallel.Config{}); err != nil {
			return err
		}
	}
	if err := target.Store.CopyFrom(online.Store); err != nil {
		return err
	}
	opt := optim.NewSGD(params, optim.SGDConfig{LR: 0.01, Momentum: 0.9})
	defer opt.Close()
	pairs, err := multicrop.Pairs(2, 0)
	if err != nil {
		return err
	}
	// Two fixed global batches of two views, the same on every rank; each keeps its rows.
	data := torch.NewScope()
	defer data.Close()
	n := int64(c.Batch / env.World)
	var batches [2][2]*torch.Tensor
	for b := range batches {
		for v := range batches[b] {
			x := data.Randn(torch.Opts{}, int64(c.Batch), 1, int64(c.Image), int64(c.Image))
			x = data.Contiguous(data.Narrow(x, 0, int64(env.Rank)*n, n))
			if c.CUDA {
				x = data.ToDevice(x, dev, false)
			}
			batches[b][v] = x
		}
	}
	if err := data.Err(); err != nil {
		return err
	}
	var total, comm time.Duration
	var last float64
	for step := 0; step < c.Warmup+c.Steps; step++ {
		start := time.Now()
		s := torch.NewScope()
		ng := s.NoGrad()
		var on, tg []*torch.Tensor
		for _, x := range batches[step%2] {
			_, p := online.Forward(s, x)
			_, q := target.Forward(ng, x)
			on, tg = append(on, p), append(tg, q)
		}
		r := parallel.StepLoss(s, g, on, tg, pairs, tau, bias, loss.Config{Alpha: 1, Gamma: 1})
		if err := s.Err(); err != nil {
			s.Close()
			return err
		}
		err := s.Backward(r.Objective)
		var cd time.Duration
		if err == nil && dp != nil {
			cs := time.Now()
			err = dp.SyncGrads()
			cd = time.Since(cs)
		}
		if err == nil {
			err = opt.Step()
		}
		if err == nil {
			err = errors.Join(online.Store.ZeroGrad(), scalars.ZeroGrad())
		}
		tv, ov := target.Store.Vars(), online.Store.Vars()
		for i := range tv {
			if tv[i].T.DType().IsFloat() {
				ng.LerpInPlace(tv[i].T, ov[i].T, 0.01)
			}
		}
		if err == nil {
			last, err = r.Loss.Item()
		}
		err = errors.Join(err, s.Err())
		s.Close()
		if err != nil {
			return err
		}
		if c.CUDA {
			if err := torch.CUDASynchronize(dev.Index); err != nil {
				return err
			}
		}
		if step >= c.Warmup {
			total += time.Since(start)
			comm += cd
		}
	}
	res := result{SecPerStep: total.Seconds() / float64(c.Steps), CommShare: comm.Seconds() / total.Seconds(), Loss: last}
	if dp != nil {
		per, err := parallel.New(g, parallel.Tensors(params), parallel.Config{BucketBytes: 1})
		if err != nil {
			return err
		}
		res.Tensors, res.Buckets = len(params), dp.Buckets()
		const reps = 5
		for _, m := range []struct {
			d   *parallel.DataParallel
			out *float64
		}{{dp, &res.Bucketed}, {per, &res.PerTensor}, {dp, &res.Bucketed}, {per, &res.PerTensor}} {
			start := time.Now()
			for i := 0; i < reps; i++ {
				if err := m.d.SyncGrads(); err != nil {
					return err
				}
			}
			// Keep the faster of the two passes (the first warms up).
			if t := time.Since(start).Seconds() / reps; *m.out == 0 || t < *m.out {
				*m.out = t
			}
		}
	}
	if env.Rank == 0 {
		js, _ := json.Marshal(res)
		fmt.Println(string(js))
	}
	return nil
}

// selfCheck runs each collective once on dev and checks the results, so that even a group of
// one process goes through the backend (the world-size-1 check of the NCCL path).
func selfCheck(g *dist.Group, dev torch.Device) error {
	s := torch.NewScope()
	defer s.Close()
	w, r := g.World(), g.Rank()
	x := s.ToDevice(s.FromFloat32s([]float32{float32(r + 1), 2}, 2), dev, false)
	if err := s.Err(); err != nil {
		return err
	}
	if err := g.AllReduce(dist.Sum, x); err != nil {
		return err
	}
	got, err := s.ToDevice(x, torch.CPU, false).Float32s()
	if err != nil {
		return err
	}
	if want := float32(w*(w+1)) / 2; got[0] != want || got[1] != float32(2*w) {
		return fmt.Errorf("%v self-check: all-reduce gave %v, want [%v %v]", g.Backend(), got, want, 2*w)
	}
	y := g.AllGather(s, x)
	if err := s.Err(); err != nil {
		return err
	}
	if n := y.Shape()[0]; n != int64(2*w) {
		return fmt.Errorf("%v self-check: all-gather gave %d rows, want %d", g.Backend(), n, 2*w)
	}
	return g.Barrier()
}
