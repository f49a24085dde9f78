//go:build !notorch

package train

import (
	"context"
	"fmt"
	"math/rand/v2"
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
)

// killChildEnv makes the test binary act as a training process (see TestMain) writing to the
// directory it names, so that TestKillNine can SIGKILL a real process at arbitrary moments.
const killChildEnv = "SCL_TRAIN_KILL_CHILD"

func TestMain(m *testing.M) {
	if dir := os.Getenv(killChildEnv); dir != "" {
		if err := killChild(dir); err != nil {
			fmt.Fprintln(os.Stderr, "child:", err)
			os.Exit(3)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// killChildConfig checkpoints after every step, with tensors large enough (ResNet-18 of width
// 16: ~2.8 M values per network, ~45 MB per checkpoint) that a save takes a good share of the
// time and a random kill often lands in the middle of one.
func killChildConfig(dir string) Config {
	c := DefaultConfig()
	c.Width = 16
	c.ProjHidden, c.ProjOut = 64, 32
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

func killChild(dir string) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	d, err := data.OpenFashionMNIST("", "train")
	if err != nil {
		return err
	}
	sub, err := data.Subset(d, 0, 64)
	if err != nil {
		return err
	}
	res, err := Run(ctx, killChildConfig(dir), Data{Train: sub, Name: "fashion_mnist", Workers: 1}, Hooks{})
	if err != nil {
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

func TestKillNine(t *testing.T) {
	fashionSubset(t, "train", 1) // skips without the data set
	if testing.Short() {
		t.Skip("kill -9 test runs real processes; skipped with -short")
	}
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	prev := -1
	tmpSeen := 0
	for round := 0; round < 4; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), killChildEnv+"="+dir)
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Wait for the child to get past its previous checkpoint, then kill it at a random
		// moment within the next ~step.
		deadline := time.Now().Add(60 * time.Second)
		for latestStep(t, dir) <= prev+1 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("round %d: no new checkpoint within 60 s; child stderr: %s", round, stderr.String())
			}
			time.Sleep(5 * time.Millisecond)
		}
		if round%2 == 0 {
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
		} else {
			// Odd rounds aim at a save in progress: kill as soon as a temporary directory shows.
			for !hasTemp(dir) && time.Now().Before(deadline) {
				time.Sleep(time.Millisecond)
			}
		}
		if err := cmd.Process.Kill(); err != nil { // SIGKILL
			t.Fatal(err)
		}
		cmd.Wait()
		if hasTemp(dir) {
			tmpSeen++
		}
		// Every visible checkpoint is complete: config.json and digests check out.
		dirs, err := ListCheckpoints(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(dirs) == 0 {
			t.Fatalf("round %d: no checkpoint left", round)
		}
		for _, d := range dirs {
			if _, err := checkpoint.Load(d); err != nil {
				t.Fatalf("round %d: checkpoint %s is corrupt after kill -9: %v", round, d, err)
			}
		}
		got := latestStep(t, dir)
		if got <= prev {
			t.Fatalf("round %d: latest checkpoint step %d, want > %d (resume must continue, not restart)", round, got, prev)
		}
		t.Logf("round %d: killed after checkpoint step %d", round, got)
		prev = got
	}
	t.Logf("%d kills landed while a checkpoint was being written (temporary directory left)", tmpSeen)
	// A final resume picks up the newest checkpoint, cleans temporaries and steps on.
	c := killChildConfig(dir)
	c.MaxSteps = prev + 1
	var from int = -1
	res, err := Run(context.Background(), c, Data{Train: fashionSubset(t, "train", 64), Name: "fashion_mnist", Workers: 1}, Hooks{Progress: func(p Progress) {
		if p.Event == EventResume {
			from = p.Step
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if from != prev || res.Steps != prev+1 {
		t.Errorf("resumed from step %d to %d, want %d to %d", from, res.Steps, prev, prev+1)
	}
	if hasTemp(dir) {
		t.Errorf("temporary directory left after a clean run")
	}
	if tmpSeen == 0 {
		t.Errorf("no kill landed during a save: the test did not exercise interrupted writes")
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
