//go:build !notorch

package train

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/internal/crashpoint"
)

// killChildEnv makes the test binary act as a training process (see TestMain) writing to the
// directory it names; killModeEnv selects what it does: "" trains until interrupted, "crash"
// trains 4 steps checkpointing after each (internal/crashpoint kills it where
// SCL_CRASH_POINT says), "same-step" saves the step-0 checkpoint twice.
const (
	killChildEnv = "SCL_TRAIN_KILL_CHILD"
	killModeEnv  = "SCL_TRAIN_KILL_MODE"
)

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		if err := killChild(dir, os.Getenv(killModeEnv)); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killChildConfig checkpoints after every step and keeps two checkpoints.
func killChildConfig(dir string) Config {
	c := DefaultConfig()
	c.Width = 4
	c.ProjHidden, c.ProjOut = 16, 8
	c.ImageSize = 28
	c.GlobalViews, c.LocalViews = 2, 1
	c.BatchSize = 8
	c.Epochs = 1000
	c.Device = device.CPUSpec
	c.Threads = 1
	c.OutDir = dir
	c.CheckpointEvery = 1
	c.KeepCheckpoints = 2
	c.Resume = "auto"
	return c
}

func killChild(dir, mode string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	c := killChildConfig(dir)
	switch mode {
	case "same-step":
		tr, err := NewTrainer(c, 8)
		if err != nil {
			return err
		}
		defer tr.Close()
		for range 2 {
			if _, err := tr.Save(dir, "fashion_mnist", c.KeepCheckpoints); err != nil {
				return err
			}
		}
		return nil
	case "crash":
		c.MaxSteps = 4
	}
	d, err := data.OpenFashionMNIST("", "test")
	if err != nil {
		return err
	}
	sub, err := data.Subset(d, 0, 64)
	if err != nil {
		return err
	}
	res, err := Run(ctx, c, Data{Train: sub, Name: "fashion_mnist", Workers: 1}, Hooks{})
	if err != nil || mode == "crash" {
		return err
	}
	if !res.Interrupted {
		return fmt.Errorf("run ended without interruption")
	}
	// Tell the parent which step the interruption checkpoint holds.
	return os.WriteFile(filepath.Join(dir, "interrupted"), []byte(fmt.Sprint(res.Steps)), 0o644)
}

func latestStep(t *testing.T, dir string) int {
	t.Helper()
	dirs, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(dirs) == 0 {
		return -1
	}
	s, _ := stepOf(filepath.Base(dirs[len(dirs)-1]))
	return s
}

// checkpointSteps lists the steps of the visible checkpoints, checking that each loads
// completely (config.json and the digests of every tensor file).
func checkpointSteps(t *testing.T, dir string) []int {
	t.Helper()
	dirs, err := ListCheckpoints(dir)
	if err != nil {
		t.Fatal(err)
	}
	var steps []int
	for _, d := range dirs {
		if _, err := checkpoint.Load(d); err != nil {
			t.Errorf("checkpoint %s is corrupt after kill -9: %v", d, err)
		}
		s, _ := stepOf(filepath.Base(d))
		steps = append(steps, s)
	}
	return steps
}

// TestKillNineAtEveryPointOfASave kills a training process (SIGKILL, through
// internal/crashpoint) at each point of a checkpoint save — temporary directory created, each
// file written, directory synced, renamed into place, an old checkpoint being pruned, a
// same-step checkpoint moved aside — and checks that every visible checkpoint is complete,
// that the newest is the one expected at that point, and that the next run cleans up and
// resumes from it.
func TestKillNineAtEveryPointOfASave(t *testing.T) {
	fashionSubset(t, "train", 1) // skips without the data set
	tests := []struct {
		point string // SCL_CRASH_POINT
		mode  string
		// before and after: the visible checkpoints after the kill and after the next run's
		// clean-up (the next run resumes from the last of after).
		before, after []int
	}{
		// The third save (step 2) is interrupted: steps 0 and 1 are the last complete ones.
		{"save-created-temp@3", "crash", []int{0, 1}, []int{0, 1}},
		{"checkpoint-wrote-online@3", "crash", []int{0, 1}, []int{0, 1}},
		{"checkpoint-wrote-target@3", "crash", []int{0, 1}, []int{0, 1}},
		{"checkpoint-wrote-optimizer@3", "crash", []int{0, 1}, []int{0, 1}},
		{"checkpoint-wrote-config@3", "crash", []int{0, 1}, []int{0, 1}},
		{"save-synced-temp@3", "crash", []int{0, 1}, []int{0, 1}},
		// Step 2 is in place; keeping 2, step 0 is not pruned yet, or half-way.
		{"save-renamed@3", "crash", []int{0, 1, 2}, []int{0, 1, 2}},
		{"prune-renamed@1", "crash", []int{1, 2}, []int{1, 2}},
		// The old step-0 checkpoint moved aside for its replacement: restored by the next run.
		{"save-moved-same-step@1", "same-step", nil, []int{0}},
	}
	covered := map[string]bool{}
	resumed := map[string]bool{} // one resume per distinct outcome keeps the test short
	for _, tt := range tests {
		point, _, _ := strings.Cut(tt.point, "@")
		covered[point] = true
		t.Run(point, func(t *testing.T) {
			dir := t.TempDir()
			cmd := exec.Command(os.Args[0], "-test.run=^$")
			cmd.Env = append(os.Environ(), killChildEnv+"="+dir, killModeEnv+"="+tt.mode, crashpoint.Env+"="+tt.point)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
				t.Fatalf("child: %v, want killed by SIGKILL at %s; stderr: %s", err, tt.point, stderr.String())
			}
			if !hasTemp(dir) && point != "save-renamed" {
				t.Errorf("no temporary directory after a kill inside a save")
			}
			if got := checkpointSteps(t, dir); fmt.Sprint(got) != fmt.Sprint(tt.before) {
				t.Errorf("checkpoints after the kill: steps %v, want %v", got, tt.before)
			}
			if err := removeStaleTemps(dir); err != nil {
				t.Fatal(err)
			}
			if hasTemp(dir) {
				t.Errorf("temporary directory left after clean-up")
			}
			if got := checkpointSteps(t, dir); fmt.Sprint(got) != fmt.Sprint(tt.after) {
				t.Fatalf("checkpoints after clean-up: steps %v, want %v", got, tt.after)
			}
			// The next run resumes from the newest and steps on.
			if resumed[fmt.Sprint(tt.after)] {
				return
			}
			resumed[fmt.Sprint(tt.after)] = true
			last := tt.after[len(tt.after)-1]
			c := killChildConfig(dir)
			c.MaxSteps = last + 1
			from := -1
			res, err := Run(context.Background(), c, Data{Train: fashionSubset(t, "test", 64), Name: "fashion_mnist", Workers: 1}, Hooks{Progress: func(p Progress) {
				if p.Event == EventResume {
					from = p.Step
				}
			}})
			if err != nil {
				t.Fatal(err)
			}
			if from != last || res.Steps != last+1 {
				t.Errorf("resumed from step %d to %d, want %d to %d", from, res.Steps, last, last+1)
			}
		})
	}
	for _, p := range CrashPoints {
		if !covered[p] {
			t.Errorf("crash point %q is not tested", p)
		}
	}
}

// hasTemp reports whether a checkpoint save is in progress (or was interrupted) under dir.
func hasTemp(dir string) bool {
	entries, _ := os.ReadDir(filepath.Join(dir, checkpointsDir))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			return true
		}
	}
	return false
}

func TestSIGTERMCheckpointsAndExits(t *testing.T) {
	fashionSubset(t, "train", 1) // skips without the data set
	if testing.Short() {
		t.Skip("runs a real process; skipped with -short")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for latestStep(t, dir) < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child after SIGTERM: %v, want a clean exit; stderr: %s", err, stderr.String())
	}
	b, err := os.ReadFile(filepath.Join(dir, "interrupted"))
	if err != nil {
		t.Fatalf("child did not report an interrupted run: %v", err)
	}
	steps, _ := strconv.Atoi(string(b))
	if got := latestStep(t, dir); got != steps {
		t.Errorf("latest checkpoint at step %d, want the interruption's step %d", got, steps)
	}
	dirs, _ := ListCheckpoints(dir)
	if _, err := checkpoint.Load(dirs[len(dirs)-1]); err != nil {
		t.Errorf("interruption checkpoint: %v", err)
	}
	if hasTemp(dir) {
		t.Errorf("temporary directory left after SIGTERM")
	}
}
