//go:build !notorch

package parallel_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/dist/disttest"
	"github.com/scl-dev/scl/train/parallel"
)

func TestNilSessionIsOneProcess(t *testing.T) {
	var s *parallel.Session
	if !s.IsMain() || s.World() != 1 || s.Rank() != 0 || s.Group() != nil {
		t.Errorf("nil session: IsMain %v, World %d, Rank %d, Group %v: want true, 1, 0, nil", s.IsMain(), s.World(), s.Rank(), s.Group())
	}
	for _, want := range []bool{false, true} {
		if got, err := s.AgreeStop(want); got != want || err != nil {
			t.Errorf("AgreeStop(%v): got %v, %v, want %v", want, got, err, want)
		}
	}
	if err := s.SyncGrads(); err != nil {
		t.Errorf("SyncGrads: got %v, want nil", err)
	}
	if lb, lmb, err := s.LocalSizes(64, 16); lb != 64 || lmb != 16 || err != nil {
		t.Errorf("LocalSizes: got %d, %d, %v, want 64, 16, nil", lb, lmb, err)
	}
	got, err := parallel.Start(parallel.Single, torch.Device{}, parallel.Config{})
	if got != nil || err != nil {
		t.Errorf("Start(Single): got %v, %v, want nil, nil", got, err)
	}
}

func TestDeviceIndex(t *testing.T) {
	for _, c := range []struct {
		local, count int
		want         string
	}{{0, 4, "0 <nil>"}, {3, 4, "3 <nil>"}, {3, 1, "0 <nil>"}, {4, 4, "local rank 4 but 4 CUDA devices"}, {0, 0, "no CUDA device"}} {
		i, err := parallel.DeviceIndex(c.local, c.count)
		got := fmt.Sprint(i, " ", err)
		if err != nil {
			got = err.Error()
		}
		if !contains(got, c.want) {
			t.Errorf("DeviceIndex(%d, %d): got %s, want %s", c.local, c.count, got, c.want)
		}
	}
}

func contains(s, sub string) bool {
	return strings.Contains(s, sub)
}

type stopResult struct {
	StoppedAt int
	World     int
}

// stopWorker: rank 1 wants to stop at step 3, rank 0 never does; both must stop at step 3.
func stopWorker(rank, world int) (any, error) {
	env, err := parallel.EnvFrom(lookupEnv)
	if err != nil {
		return nil, err
	}
	s, err := parallel.Start(env, torch.Device{}, parallel.Config{Backend: dist.Gloo, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	defer s.Close()
	for step := 0; step < 10; step++ {
		if err := s.Lockstep(int64(step)); err != nil {
			return nil, err
		}
		stop, err := s.AgreeStop(rank == 1 && step == 3)
		if err != nil {
			return nil, err
		}
		if stop {
			return stopResult{StoppedAt: step, World: s.World()}, nil
		}
	}
	return stopResult{StoppedAt: -1, World: s.World()}, nil
}

func TestAgreeStop(t *testing.T) {
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
	for _, p := range disttest.Run(t, "stop", 2, 60*time.Second) {
		var got stopResult
		if err := p.Result(&got); err != nil {
			t.Fatal(err)
		}
		if got.StoppedAt != 3 || got.World != 2 {
			t.Errorf("rank %d stopped at step %d in a world of %d: want step 3 of 2", p.Rank, got.StoppedAt, got.World)
		}
	}
}
