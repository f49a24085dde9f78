//go:build !notorch

// Command train-bench measures the full self-supervised training step of scl train — multi-crop
// views built by the data pipeline, online network on every view, target network on the global
// views, the loss over all pairs, backward, Adam, EMA — against the bare model compute of the
// same step with the data pipeline removed (one pre-built batch fed again and again), in the same
// process, and prints both images/s and the ratio full/bare (target ≥ 0.95: the pipeline is
// hidden behind the compute).
//
//	go run ./bench/train -steps 5 -rounds 3                        # CPU, ResNet-18 CIFAR stem
//	go run ./bench/train -device cuda -precision bf16 -steps 50    # GPU
//
// Defaults: ResNet-18 (CIFAR stem), Fashion-MNIST 28×28, 2 global + 4 local views, batch 64,
// fp32, and scl train's split of the CPUs between augmentation workers and libtorch threads.
// Rounds alternate full and bare; each full round starts a fresh data iterator (its prefetch
// queue empty) and takes one untimed step before timing, each bare round one untimed step too.
// The best round of each side is compared (the least-disturbed measurement on a shared machine).
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/data/loader"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train"
)

func main() {
	cfg := train.DefaultConfig()
	var steps, rounds, workers, limit int
	var precision, encoder string
	flag.IntVar(&steps, "steps", 5, "timed steps per round")
	flag.IntVar(&rounds, "rounds", 3, "alternating full/bare rounds")
	flag.IntVar(&workers, "workers", 0, "augmentation workers (0: scl train's default)")
	flag.IntVar(&cfg.Threads, "threads", 0, "libtorch intra-op threads (0: scl train's default)")
	flag.IntVar(&cfg.BatchSize, "batch", 64, "batch size")
	flag.IntVar(&cfg.Width, "width", 64, "ResNet base width")
	flag.StringVar(&encoder, "encoder", "resnet18", "encoder")
	flag.TextVar(&cfg.Device, "device", device.CPUSpec, "auto, cpu, cuda or cuda:N")
	flag.StringVar(&precision, "precision", "fp32", "fp32, fp16 or bf16")
	flag.IntVar(&cfg.GlobalViews, "global", 2, "global views")
	flag.IntVar(&cfg.LocalViews, "local", 4, "local views")
	flag.IntVar(&limit, "images", 8192, "Fashion-MNIST training images to draw batches from")
	flag.Parse()
	var err error
	if cfg.Precision, err = train.ParsePrecision(precision); err != nil {
		fail(err)
	}
	if cfg.Encoder, err = train.ParseEncoder(encoder); err != nil {
		fail(err)
	}
	cfg.ImageSize = 28
	cfg.Stem = train.StemCIFAR
	cfg.OutDir = os.TempDir()
	if err := run(cfg, steps, rounds, workers, limit); err != nil {
		fail(err)
	}
	result.Exit()
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "train-bench:", err)
	os.Exit(1)
}

func run(cfg train.Config, steps, rounds, workers, limit int) error {
	runtime.LockOSThread() // libtorch's thread count is per OS thread
	workers, cfg.Threads = train.CPUSplit(cfg, workers)
	d, err := data.OpenFashionMNIST("", "train")
	if err != nil {
		return err
	}
	if limit > 0 && limit < d.Len() {
		if d, err = data.Subset(d, 0, limit); err != nil {
			return err
		}
	}
	tf, err := augment.NewMultiCrop(cfg.ImageSize, cfg.GlobalViews, cfg.LocalViews, cfg.InChannels)
	if err != nil {
		return err
	}
	ld, err := loader.New(loader.Config{Dataset: d, Transform: tf, BatchSize: cfg.BatchSize, Shuffle: true, DropLast: true,
		Seed: uint64(cfg.Seed), Workers: workers})
	if err != nil {
		return err
	}
	tr, err := train.NewTrainer(cfg, ld.Len())
	if err != nil {
		return err
	}
	defer tr.Close()
	fmt.Printf("train-bench: %s (%s stem, width %d), %d×%d, %d+%d views, batch %d, %s on %s, %d libtorch threads, %d augmentation workers, %d CPUs\n",
		cfg.Encoder, cfg.Stem, cfg.Width, cfg.ImageSize, cfg.ImageSize, cfg.GlobalViews, cfg.LocalViews, cfg.BatchSize,
		cfg.Precision, tr.Device(), cfg.Threads, workers, runtime.NumCPU())

	// The bare step's input: one batch built once, copied out of the loader's buffers.
	it := ld.Epoch(context.Background(), 0, 0)
	b, err := it.Next()
	if err != nil {
		return err
	}
	bare := train.Batch{N: b.N, Shapes: b.Shapes}
	for _, v := range b.Views {
		bare.Views = append(bare.Views, append([]float32(nil), v...))
	}
	b.Release()
	it.Close()

	sync := func() error {
		if tr.Device().Type == torch.CUDADevice {
			return torch.CUDASynchronize(tr.Device().Index)
		}
		return nil
	}
	epoch, batch := 0, 1
	fullRound := func() (float64, error) {
		it := ld.Epoch(context.Background(), epoch, batch)
		defer it.Close()
		var t0 time.Time
		for i := 0; i <= steps; i++ {
			if i == 1 {
				if err := sync(); err != nil {
					return 0, err
				}
				t0 = time.Now()
			}
			b, err := it.Next()
			if err != nil {
				return 0, err
			}
			if _, err := tr.Step(train.Batch{Views: b.Views, Shapes: b.Shapes, N: b.N}); err != nil {
				return 0, err
			}
			b.Release()
			batch++
			if batch >= ld.Len() {
				epoch, batch = epoch+1, 0
			}
		}
		if err := sync(); err != nil {
			return 0, err
		}
		return float64(steps*cfg.BatchSize) / time.Since(t0).Seconds(), nil
	}
	bareRound := func() (float64, error) {
		var t0 time.Time
		for i := 0; i <= steps; i++ {
			if i == 1 {
				if err := sync(); err != nil {
					return 0, err
				}
				t0 = time.Now()
			}
			if _, err := tr.Step(bare); err != nil {
				return 0, err
			}
		}
		if err := sync(); err != nil {
			return 0, err
		}
		return float64(steps*cfg.BatchSize) / time.Since(t0).Seconds(), nil
	}
	var bestFull, bestBare float64
	for r := 0; r < rounds; r++ {
		f, err := fullRound()
		if err != nil {
			return fmt.Errorf("full step: %w", err)
		}
		bb, err := bareRound()
		if err != nil {
			return fmt.Errorf("bare step: %w", err)
		}
		fmt.Printf("round %d: full step %.1f images/s, bare model compute %.1f images/s, ratio %.3f\n", r+1, f, bb, f/bb)
		bestFull, bestBare = max(bestFull, f), max(bestBare, bb)
	}
	ratio := bestFull / bestBare
	fmt.Printf("best: full SSL step %.1f images/s, bare model compute %.1f images/s\n", bestFull, bestBare)
	result.Report("train", "full SSL step / bare model compute", fmt.Sprintf("%.1f images/s", bestFull),
		fmt.Sprintf("%.1f images/s", bestBare), ratio, "≥ 0.95", ratio >= 0.95)
	return nil
}
