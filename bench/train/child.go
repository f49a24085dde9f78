//go:build !notorch

package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/train"
)

// runSCL is the scl side of one measurement: train.Run (what `scl train --dataset fashion_mnist`
// runs) on the first o.images Fashion-MNIST training images for o.warmup+o.steps steps, with its
// defaults for everything the flags leave at zero ("auto" precision: train.AutoPrecision). The
// timed window runs from the end of the last untimed step to the end of the last step; CPU time
// is the whole process's (libtorch threads, augmentation workers, Go runtime) and the peak RSS
// is read at the end of the window, before the final checkpoint is written.
func runSCL(o options, width int, precision string, threads, workers int) (measurement, error) {
	cfg := train.DefaultConfig()
	var err error
	if cfg.Device, err = device.Parse(o.device); err != nil {
		return measurement{}, err
	}
	if precision == "auto" {
		cfg.Precision, _ = train.AutoPrecision(cfg.Device, nil)
	} else {
		p, err := train.ParsePrecision(precision)
		if err != nil {
			return measurement{}, err
		}
		cfg.Precision = p
	}
	cfg.ImageSize, cfg.Stem, cfg.Width, cfg.BatchSize, cfg.Threads = 28, train.StemCIFAR, width, o.batch, threads
	if cfg.MemoryFormat, err = train.ParseMemoryFormat(o.memoryFormat); err != nil {
		return measurement{}, err
	}
	cfg.MaxSteps = o.warmup + o.steps
	cfg.CheckpointEvery, cfg.KeepCheckpoints, cfg.Plot = 0, 1, false
	dir, err := os.MkdirTemp("", "train-bench-")
	if err != nil {
		return measurement{}, err
	}
	defer os.RemoveAll(dir)
	cfg.OutDir = dir
	ds, err := data.OpenFashionMNIST("", "train")
	if err != nil {
		return measurement{}, err
	}
	if o.images > 0 && o.images < ds.Len() {
		if ds, err = data.Subset(ds, 0, o.images); err != nil {
			return measurement{}, err
		}
	}
	m := measurement{Impl: "scl", Width: width, Precision: cfg.Precision.String()}
	m.Workers, m.Threads = train.CPUSplit(cfg, workers)
	var t0 time.Time
	var c0, c1 float64
	var wall float64
	var prof, atWarmup train.StepProfile
	var opErr error
	hook := func(p train.Progress) {
		if p.Event != train.EventStep {
			return
		}
		switch p.Step {
		case o.warmup:
			if o.ops > 0 {
				opErr = torch.StartOpProfile()
			}
			t0, c0 = time.Now(), cpuSeconds()
			atWarmup = prof
		case o.warmup + o.steps:
			wall, c1 = time.Since(t0).Seconds(), cpuSeconds()
			if o.ops > 0 && opErr == nil {
				var stats []torch.OpStat
				if stats, opErr = torch.StopOpProfile(); opErr == nil {
					m.Ops = map[string]float64{}
					for _, st := range stats {
						m.Ops[st.Name] = 1000 * st.Self.Seconds() / float64(o.steps)
					}
				}
			}
			m.PeakRSSMB = peakRSSMB()
			m.Loss = p.Loss
			m.Phases = phaseMillis(prof.Since(atWarmup))
		}
	}
	res, err := train.Run(context.Background(), cfg, train.Data{Train: ds, Name: "fashion_mnist", Workers: workers},
		train.Hooks{Progress: hook, Profile: &prof})
	if err != nil {
		return m, err
	}
	if opErr != nil {
		return m, fmt.Errorf("scl: operator profile: %w", opErr)
	}
	if res.Steps != o.warmup+o.steps || wall <= 0 {
		return m, fmt.Errorf("scl: run stopped after %d of %d steps", res.Steps, o.warmup+o.steps)
	}
	images := float64(o.steps * o.batch)
	m.ImagesPerSec = images / wall
	m.CPUPerImage = (c1 - c0) / images
	return m, nil
}

// phaseMillis is a profile as mean milliseconds per step by phase name.
func phaseMillis(p train.StepProfile) map[string]float64 {
	out := map[string]float64{}
	for ph := train.Phase(0); ph < train.NumPhases; ph++ {
		out[ph.String()] = p.MeanMillis(ph)
	}
	return out
}

// cpuSeconds is the user + system time of this process (every thread).
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()).Seconds()
}

// peakRSSMB is this process's peak resident set (VmHWM) in MiB.
func peakRSSMB() float64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}
