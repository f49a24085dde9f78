//go:build !notorch

package train

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"scl/data"
	"scl/parallel"
	"scl/torch"
	"scl/torch/dist"
	"scl/torch/dist/disttest"
)

const distOutEnv = "SCL_TRAIN_DIST_OUT"

// distScenarios are the bodies of the worker processes of TestDataParallelRun.
var distScenarios = map[string]disttest.Scenario{"run": distRunWorker}

type distResult struct {
	Losses     []float64
	Steps      int
	Checkpoint string
}

// distRunWorker trains 3 steps of a global batch of 16 over the job's processes.
func distRunWorker(rank, world int) (any, error) {
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	sess, err := parallel.Start(env, torch.CPU, parallel.Config{Timeout: 60 * time.Second})
	if err != nil {
		return nil, err
	}
	defer sess.Close()
	c := DefaultConfig()
	c.Width = 8
	c.ProjHidden, c.ProjOut = 64, 32
	c.ImageSize = 28
	c.GlobalViews, c.LocalViews = 2, 2
	c.BatchSize, c.MiniBatchSize = 16, 8
	c.Device = "cpu"
	c.Threads = 1
	c.MaxSteps = 3
	c.CheckpointEvery = 0
	c.OutDir = os.Getenv(distOutEnv)
	d, err := data.OpenFashionMNIST("", "train")
	if err != nil {
		return nil, err
	}
	sub, err := data.Subset(d, 0, 64)
	if err != nil {
		return nil, err
	}
	var out distResult
	res, err := Run(context.Background(), c, Data{Train: sub, Name: "fashion_mnist", Workers: 1, Session: sess}, Hooks{Progress: func(p Progress) {
		if p.Event == EventStep {
			out.Losses = append(out.Losses, p.Loss)
		}
	}})
	if err != nil {
		return nil, fmt.Errorf("rank %d: %w", rank, err)
	}
	out.Steps, out.Checkpoint = res.Steps, res.Checkpoint
	return out, nil
}

// TestDataParallelRun trains with two processes (Gloo on loopback): both see the same global
// loss at every step, only rank 0 writes the checkpoint.
func TestDataParallelRun(t *testing.T) {
	fashionSubset(t, "train", 1) // skips without the data set
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
	if testing.Short() {
		t.Skip("runs two processes; skipped with -short")
	}
	dir := t.TempDir()
	procs := disttest.Run(t, "run", 2, 120*time.Second, distOutEnv+"="+dir)
	var res [2]distResult
	for _, p := range procs {
		if err := p.Result(&res[p.Rank]); err != nil {
			t.Fatal(err)
		}
	}
	for r := range res {
		if res[r].Steps != 3 || len(res[r].Losses) != 3 {
			t.Fatalf("rank %d: %d steps, %d losses, want 3", r, res[r].Steps, len(res[r].Losses))
		}
	}
	for k := range res[0].Losses {
		if res[0].Losses[k] != res[1].Losses[k] {
			t.Errorf("step %d: loss %v on rank 0, %v on rank 1: want the same global loss", k+1, res[0].Losses[k], res[1].Losses[k])
		}
	}
	if res[0].Checkpoint != filepath.Join(dir, checkpointsDir, "step-00000003") || res[1].Checkpoint != "" {
		t.Errorf("checkpoints %q (rank 0) and %q (rank 1): want rank 0's step 3 only", res[0].Checkpoint, res[1].Checkpoint)
	}
}
