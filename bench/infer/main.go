// Command bench/infer measures scl embed's end-to-end throughput (data set → decode →
// preprocess on worker goroutines → ONNX Runtime → features.npy) against the bare ONNX Runtime
// session running the same batches on tensors prepared before the clock starts, in the same
// process and run, and prints both and the ratio (target ≥ 0.9: the pipeline is hidden behind
// inference). The two sides alternate for -rounds rounds and medians are compared, both in
// images per wall second and in images per CPU-second of the process (user+system, all
// threads), which is steadier on a shared machine.
//
//	go run ./bench/infer [-model model.onnx] [-n 10000] [-batch 64] [-threads 1] [-rounds 5]
//
// Without -model it exports a freshly initialised ResNet-18 (CIFAR stem, 1 input channel,
// 28×28) with scl's own exporter, so the numbers are for a real encoder on Fashion-MNIST
// (the Debian package dataset-fashion-mnist, test split), and it also times libtorch's eval
// forward of the same encoder (the training engine, via export.LibtorchReference) on the same
// pre-made tensors, once, after the alternating rounds.
package main

import (
	"context"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	"github.com/scl-dev/scl/bench/internal/result"
	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/export"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/models"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench/infer:", err)
		os.Exit(1)
	}
	result.Exit()
}

func run() error {
	model := flag.String("model", "", "ONNX model (default: export a fresh ResNet-18, CIFAR stem, 1×28×28)")
	n := flag.Int("n", 10000, "images of the Fashion-MNIST test split")
	batch := flag.Int("batch", 64, "batch size")
	threads := flag.Int("threads", 1, "ONNX Runtime intra-op threads (0: one per core); 1 keeps the CPU-time comparison free of thread-pool spinning")
	noTorch := flag.Bool("no-torch", false, "skip the libtorch eval-forward comparison")
	rounds := flag.Int("rounds", 5, "alternating measurements of each side; medians are compared")
	flag.Parse()

	tmp, err := os.MkdirTemp("", "scl-bench-infer-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	var ck *checkpoint.Checkpoint
	if *model == "" {
		*model = filepath.Join(tmp, "resnet18.onnx")
		if ck, err = exportResNet(*model); err != nil {
			return err
		}
	}
	sess, err := infer.OpenSession(*model, infer.SessionConfig{Device: infer.Device{Kind: infer.DeviceCPU}, IntraOpThreads: *threads})
	if err != nil {
		return err
	}
	defer sess.Close()
	pre, err := infer.PreprocessFor(sess, infer.Overrides{})
	if err != nil {
		return err
	}
	enc := &infer.Encoder{Session: sess, Preprocess: pre}
	full, err := data.OpenFashionMNIST("", "test")
	if err != nil {
		return err
	}
	defer full.Close()
	ds, err := data.Subset(full, 0, min(*n, full.Len()))
	if err != nil {
		return err
	}
	N, size, dim := ds.Len(), pre.Size(), enc.Dim()

	// Baseline input: every image preprocessed once, before any clock starts.
	x := make([]float32, N*size)
	for i := 0; i < N; i++ {
		img, err := ds.Image(i)
		if err != nil {
			return err
		}
		if err := pre.ImageTo(x[i*size:(i+1)*size], img); err != nil {
			return err
		}
	}
	out := make([]float32, *batch*dim)
	bare := func() (rate, error) {
		start, cpu := time.Now(), cpuSeconds()
		for lo := 0; lo < N; lo += *batch {
			k := min(*batch, N-lo)
			if err := enc.RunTo(out[:k*dim], x[lo*size:(lo+k)*size], k); err != nil {
				return rate{}, err
			}
		}
		return rate{float64(N) / time.Since(start).Seconds(), float64(N) / (cpuSeconds() - cpu)}, nil
	}
	endToEnd := func(round int) (rate, error) {
		start := time.Now()
		cpu := cpuSeconds()
		_, err := infer.Extract(context.Background(), infer.ExtractConfig{
			Encoder: enc, Dataset: ds, Out: filepath.Join(tmp, fmt.Sprint("out", round)), BatchSize: *batch,
		})
		return rate{float64(N) / time.Since(start).Seconds(), float64(N) / (cpuSeconds() - cpu)}, err
	}
	if _, err := bare(); err != nil { // warm-up: ORT plans memory for the batch shapes
		return err
	}
	var b, e []rate
	for r := 0; r < *rounds; r++ {
		v, err := endToEnd(r)
		if err != nil {
			return err
		}
		e = append(e, v)
		if v, err = bare(); err != nil {
			return err
		}
		b = append(b, v)
	}
	wallB, wallE := median(b, func(r rate) float64 { return r.wall }), median(e, func(r rate) float64 { return r.wall })
	cpuB, cpuE := median(b, func(r rate) float64 { return r.cpu }), median(e, func(r rate) float64 { return r.cpu })
	fmt.Printf("model %s (%s, input %d×%d×%d, %d-d), %d Fashion-MNIST test images, batch %d, ONNX Runtime %s, intra-op threads %d, medians of %d alternating rounds\n",
		filepath.Base(*model), sess.Provider(), pre.Channels, pre.Height, pre.Width, dim, N, *batch, sess.Runtime().Version, *threads, *rounds)
	fmt.Printf("  %-40s %12s %16s\n", "", "images/s", "images/CPU-s")
	fmt.Printf("  %-40s %12.1f %16.1f\n", "bare ORT session on pre-made tensors", wallB, cpuB)
	fmt.Printf("  %-40s %12.1f %16.1f\n", "scl embed end to end (decode→npy)", wallE, cpuE)
	fmt.Printf("  %-40s %12.3f %16.3f   (target ≥ 0.9)\n", "ratio end-to-end / bare", wallE/wallB, cpuE/cpuB)
	result.Report("infer", "scl embed end to end / bare ORT session", fmt.Sprintf("%.1f images/s", wallE),
		fmt.Sprintf("%.1f images/s", wallB), wallE/wallB, "≥ 0.9", wallE/wallB >= 0.9)
	if ck != nil && !*noTorch {
		tr, diff, name, err := torchRate(ck, *threads, enc, x, N, *batch)
		if err != nil {
			fmt.Printf("  libtorch comparison unavailable: %v\n", err)
		} else {
			fmt.Printf("  %-40s %12.1f %16.1f   (%s, max |ORT − libtorch| %.2g)\n", "libtorch eval forward, pre-made tensors", tr.wall, tr.cpu, name, diff)
			fmt.Printf("  %-40s %12.3f %16.3f\n", "ratio scl embed end-to-end / libtorch", wallE/tr.wall, cpuE/tr.cpu)
		}
	}
	if wallE/wallB < 0.9 {
		return fmt.Errorf("wall-clock ratio %.3f below 0.9 (a shared machine adds noise: compare the CPU-time ratio, rerun with more -rounds)", wallE/wallB)
	}
	return nil
}

type rate struct{ wall, cpu float64 } // images per wall second, per CPU second of this process

func median(rs []rate, f func(rate) float64) float64 {
	v := make([]float64, len(rs))
	for i, r := range rs {
		v[i] = f(r)
	}
	sort.Float64s(v)
	if len(v)%2 == 0 {
		return (v[len(v)/2-1] + v[len(v)/2]) / 2
	}
	return v[len(v)/2]
}

// cpuSeconds is the user+system CPU time of this process (all threads, ONNX Runtime's included).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

func exportResNet(path string) (*checkpoint.Checkpoint, error) {
	cfg := models.Config{Arch: models.ResNet18, Stem: models.StemCIFAR, InChannels: 1}
	ck, err := checkpoint.New(cfg, checkpoint.Preprocessing{Height: 28, Width: 28, Channels: 1, Mean: []float32{0.286}, Std: []float32{0.353}, Order: "L", Dataset: "fashion_mnist"}, 1)
	if err != nil {
		return nil, err
	}
	m, err := export.Build(&ck.Config, ck.Target, export.Options{})
	if err != nil {
		return nil, err
	}
	return ck, m.WriteFile(path)
}

// torchRate measures libtorch's eval forward of the same encoder on the same pre-made tensors
// and batches, and the largest difference from ONNX Runtime on the first batch.
func torchRate(ck *checkpoint.Checkpoint, threads int, enc *infer.Encoder, x []float32, N, B int) (rate, float64, string, error) {
	ref, err := libtorchReference(ck, threads)
	if err != nil {
		return rate{}, 0, "", err
	}
	defer ref.Close()
	size, dim := enc.Preprocess.Size(), enc.Dim()
	k := min(B, N)
	want, _, err := ref.Forward(x[:k*size], k)
	if err != nil {
		return rate{}, 0, "", err
	}
	got := make([]float32, k*dim)
	if err := enc.RunTo(got, x[:k*size], k); err != nil {
		return rate{}, 0, "", err
	}
	var diff float64
	for i := range got {
		diff = max(diff, math.Abs(float64(got[i]-want[i])))
	}
	start, cpu := time.Now(), cpuSeconds()
	for lo := 0; lo < N; lo += B {
		k := min(B, N-lo)
		if _, _, err := ref.Forward(x[lo*size:(lo+k)*size], k); err != nil {
			return rate{}, 0, "", err
		}
	}
	return rate{float64(N) / time.Since(start).Seconds(), float64(N) / (cpuSeconds() - cpu)}, diff, ref.Name(), nil
}
