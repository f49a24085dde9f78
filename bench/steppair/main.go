//go:build !notorch

// Command steppair is a regression check of scl against scl, not a benchmark: it builds two
// trainers that differ in one setting (their memory format, or their precision) and alternates
// their training steps on one fixed batch in one process, so that the development VM's drift
// of ±20 % from minute to minute falls on both sides of every pair. It prints each pair's times
// and the median and interquartile mean of the ratios b/a (above 1: a is faster).
//
//	go run ./bench/steppair -a auto -b channels-last            # width 64 fp32, 30 pairs
//	go run ./bench/steppair -width 16 -precision bf16 -n 40
//
// The batch is Gaussian noise of the reference's shapes (2 global 28-pixel and 4 local 12-pixel
// views of 64 images), so no augmentation worker runs; comparisons against PyTorch are
// bench/train's.
package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"time"

	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train"
)

func main() {
	a := flag.String("a", "auto", "side a's --memory-format")
	b := flag.String("b", "channels-last", "side b's --memory-format")
	precA := flag.String("precision", "fp32", "side a's precision (and b's unless -precision-b)")
	precB := flag.String("precision-b", "", "side b's precision (default: -precision)")
	width := flag.Int("width", 64, "ResNet-18 base width")
	threads := flag.Int("threads", 0, "libtorch threads (0: every core)")
	n := flag.Int("n", 30, "timed pairs (two untimed pairs first)")
	flag.Parse()
	if *precB == "" {
		*precB = *precA
	}
	if err := run(side{*a, *precA}, side{*b, *precB}, *width, *threads, *n); err != nil {
		fmt.Fprintln(os.Stderr, "steppair:", err)
		os.Exit(1)
	}
}

// side is one trainer's settings.
type side struct{ memoryFormat, precision string }

func (s side) String() string { return s.memoryFormat + " " + s.precision }

func run(sa, sb side, width, threads, n int) error {
	torch.KeepAllocations()
	dir, err := os.MkdirTemp("", "steppair-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ta, err := newTrainer(sa, width, threads, dir)
	if err != nil {
		return fmt.Errorf("side a (%s): %w", sa, err)
	}
	defer ta.Close()
	tb, err := newTrainer(sb, width, threads, dir)
	if err != nil {
		return fmt.Errorf("side b (%s): %w", sb, err)
	}
	defer tb.Close()
	batch := noiseBatch(64)
	step := func(t *train.Trainer) (float64, error) {
		start := time.Now()
		_, err := t.Step(batch)
		return time.Since(start).Seconds(), err
	}
	var timesA, timesB, ratios []float64
	for i := -2; i < n; i++ {
		// Alternate which side goes first, so neither always follows the other.
		first, second := ta, tb
		if i%2 != 0 {
			first, second = tb, ta
		}
		x, err := step(first)
		if err != nil {
			return err
		}
		y, err := step(second)
		if err != nil {
			return err
		}
		if i%2 != 0 {
			x, y = y, x
		}
		if i < 0 {
			continue
		}
		timesA, timesB, ratios = append(timesA, x), append(timesB, y), append(ratios, y/x)
		fmt.Printf("pair %2d: a %.3f s, b %.3f s, b/a %.3f\n", i+1, x, y, y/x)
	}
	fmt.Printf("a = %s, b = %s, width %d: median step a %.3f s, b %.3f s; ratio b/a median %.3f, interquartile mean %.3f, quartiles %.3f–%.3f over %d pairs\n",
		sa, sb, width, median(timesA), median(timesB), median(ratios), iqMean(ratios), quantile(ratios, 0.25), quantile(ratios, 0.75), n)
	return nil
}

func newTrainer(s side, width, threads int, dir string) (*train.Trainer, error) {
	cfg := train.DefaultConfig()
	cfg.ImageSize, cfg.Stem, cfg.Width, cfg.BatchSize, cfg.Threads = 28, train.StemCIFAR, width, 64, threads
	var err error
	if cfg.Precision, err = train.ParsePrecision(s.precision); err != nil {
		return nil, err
	}
	if cfg.MemoryFormat, err = train.ParseMemoryFormat(s.memoryFormat); err != nil {
		return nil, err
	}
	cfg.OutDir = dir
	return train.NewTrainer(cfg, 1000)
}

// noiseBatch is n images' 2 global 28-pixel and 4 local 12-pixel views of N(0, 1) noise.
func noiseBatch(n int) train.Batch {
	rng := rand.New(rand.NewPCG(1, 2))
	b := train.Batch{N: n}
	for v := 0; v < 6; v++ {
		side := 28
		if v >= 2 {
			side = 12
		}
		sh := augment.Shape{C: 3, H: side, W: side}
		buf := make([]float32, n*sh.Len())
		for i := range buf {
			buf[i] = float32(rng.NormFloat64())
		}
		b.Views, b.Shapes = append(b.Views, buf), append(b.Shapes, sh)
	}
	return b
}

func sorted(v []float64) []float64 {
	w := append([]float64(nil), v...)
	sort.Float64s(w)
	return w
}

func median(v []float64) float64 { return quantile(v, 0.5) }

// quantile is the element at fraction q of the sorted values (nearest rank).
func quantile(v []float64, q float64) float64 {
	w := sorted(v)
	return w[int(q*float64(len(w)-1)+0.5)]
}

// iqMean is the mean of the middle half of the values.
func iqMean(v []float64) float64 {
	w := sorted(v)
	lo, hi := len(w)/4, len(w)-len(w)/4
	sum := 0.0
	for _, x := range w[lo:hi] {
		sum += x
	}
	return sum / float64(hi-lo)
}
