//go:build !notorch

package parallel_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/dist/disttest"
	"github.com/scl-dev/scl/train"
	"github.com/scl-dev/scl/train/metrics"
	"github.com/scl-dev/scl/train/parallel"
)

const e2eSteps = 4

// e2eConfig is a narrow ResNet-18 (CIFAR stem) on 28×28 Fashion-MNIST, 2+1 views, batch 16
// (8 rows per process with 2 processes), mini-batches of 8 (4 per process).
func e2eConfig(out string) train.Config {
	c := train.DefaultConfig()
	c.Width = 8
	c.ProjHidden, c.ProjOut = 32, 16
	c.ImageSize = 28
	c.GlobalViews, c.LocalViews = 2, 1
	c.BatchSize, c.MiniBatchSize = 16, 8
	c.MaxSteps = e2eSteps
	c.Device = device.CPUSpec
	c.Threads = 1
	c.OutDir = out
	c.CheckpointEvery = 2
	c.LogEvery = 1
	return c
}

func fashion(n int) (data.Dataset, error) {
	d, err := data.OpenFashionMNIST("", "train")
	if err != nil {
		return nil, err
	}
	return data.Subset(d, 0, n)
}

type runResult struct {
	Steps      int
	Losses     []float64
	Scales     []float64
	Checkpoint string
	Metrics    string
}

func trainRunWorker(rank, world int) (any, error) {
	d, err := fashion(64)
	if err != nil {
		return nil, err
	}
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	sess, err := parallel.Start(env, torch.CPU, parallel.Config{Backend: dist.Gloo, Timeout: time.Minute})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	var out runResult
	res, err := train.Run(context.Background(), e2eConfig(os.Getenv("DISTTEST_DIR")), train.Data{Train: d, Name: "fashion_mnist", Workers: 1, Session: sess},
		train.Hooks{Progress: func(p train.Progress) {
			if p.Event == train.EventStep {
				out.Losses = append(out.Losses, p.Loss)
				out.Scales = append(out.Scales, p.Scale)
			}
		}})
	if err != nil {
		return nil, err
	}
	out.Steps, out.Checkpoint, out.Metrics = res.Steps, res.Checkpoint, res.Metrics
	return out, nil
}

// TestTrainRunTwoProcesses runs train.Run (what `scl train` calls) as 2 Gloo processes: both
// take the same steps with the same global loss and τ, only rank 0 writes checkpoints and
// metrics, and one process resumes the 2-process checkpoint (the batch size is global, so any
// world size dividing it continues the run).
func TestTrainRunTwoProcesses(t *testing.T) {
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
	if _, err := fashion(64); err != nil {
		t.Skipf("Fashion-MNIST not available (%v): run scripts/setup.sh (Debian package dataset-fashion-mnist)", err)
	}
	dir := t.TempDir()
	procs := disttest.Run(t, "train-run", 2, 3*time.Minute, "DISTTEST_DIR="+dir)
	var got [2]runResult
	for i, p := range procs {
		if err := p.Result(&got[i]); err != nil {
			t.Fatal(err)
		}
		if got[i].Steps != e2eSteps || len(got[i].Losses) != e2eSteps {
			t.Fatalf("rank %d: %d steps, %d losses reported, want %d", i, got[i].Steps, len(got[i].Losses), e2eSteps)
		}
	}
	for s := range got[0].Losses {
		if got[0].Losses[s] != got[1].Losses[s] || got[0].Scales[s] != got[1].Scales[s] {
			t.Errorf("step %d: rank 0 loss %v scale %v, rank 1 loss %v scale %v: want the same global values",
				s+1, got[0].Losses[s], got[0].Scales[s], got[1].Losses[s], got[1].Scales[s])
		}
	}
	if got[0].Checkpoint == "" || got[1].Checkpoint != "" || got[1].Metrics != "" {
		t.Errorf("checkpoints %q / %q, metrics %q / %q: want rank 0's only", got[0].Checkpoint, got[1].Checkpoint, got[0].Metrics, got[1].Metrics)
	}
	recs, err := metrics.Read(filepath.Join(dir, train.MetricsFile))
	if err != nil {
		t.Fatal(err)
	}
	steps := 0
	for _, r := range recs {
		if r.Kind == metrics.KindStep {
			steps++
		}
	}
	if steps != e2eSteps {
		t.Errorf("metrics.jsonl has %d step records, want %d (rank 0's only)", steps, e2eSteps)
	}
	// Resume the 2-process run in one process: the batch is global, so it continues.
	c := e2eConfig(dir)
	c.Resume, c.MaxSteps = "auto", e2eSteps+2
	d, _ := fashion(64)
	res, err := train.Run(context.Background(), c, train.Data{Train: d, Name: "fashion_mnist", Workers: 1}, train.Hooks{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Steps != e2eSteps+2 {
		t.Errorf("resumed single-process run ended at step %d, want %d", res.Steps, e2eSteps+2)
	}
}
