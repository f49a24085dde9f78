//go:build !notorch

package torch_test

import (
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
)

// opsByName indexes a profile.
func opsByName(stats []torch.OpStat) map[string]torch.OpStat {
	m := map[string]torch.OpStat{}
	for _, s := range stats {
		m[s.Name] = s
	}
	return m
}

// squarePair returns two n×n standard normal float32 matrices owned by s.
func squarePair(t *testing.T, s *torch.Scope, n int64) (*torch.Tensor, *torch.Tensor) {
	t.Helper()
	o := torch.Opts{DType: torch.Float32}
	a, b := s.Randn(o, n, n), s.Randn(o, n, n)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	return a, b
}

// TestOpProfileTimesOperators profiles a loop of matrix products and checks the profile against
// a clock read from outside: the calls counted, aten::mm's total time between most of the loop's
// wall time and all of it, self ≤ total for every operator, and the self times summing to no
// more than the wall time.
func TestOpProfileTimesOperators(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	a, b := squarePair(t, s, 384)
	if _, err := torch.StopOpProfile(); err == nil {
		t.Error("StopOpProfile before StartOpProfile: no error")
	}
	if err := torch.StartOpProfile(); err != nil {
		t.Fatal(err)
	}
	if err := torch.StartOpProfile(); err == nil {
		t.Error("StartOpProfile twice: no error")
	}
	const n = 12
	t0 := time.Now()
	for range n {
		s.Mm(a, b)
	}
	wall := time.Since(t0)
	stats, err := torch.StopOpProfile()
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	mm, ok := opsByName(stats)["aten::mm"]
	if !ok {
		t.Fatalf("no aten::mm in the profile: %+v", stats)
	}
	if mm.Calls != n {
		t.Errorf("aten::mm calls: got %d, want %d", mm.Calls, n)
	}
	if len(mm.Paths) != 1 || mm.Paths[0].Path != "" || mm.Paths[0].Calls != n {
		t.Errorf("aten::mm call paths %+v: want all %d calls at top level (path \"\")", mm.Paths, n)
	}
	if mm.Total > wall || mm.Total < wall*7/10 {
		t.Errorf("aten::mm total %v for a loop of %d products that took %v: want between 70%% and 100%% of it", mm.Total, n, wall)
	}
	var selfSum time.Duration
	for _, st := range stats {
		if st.Self > st.Total || st.Self < 0 {
			t.Errorf("%s: self %v, total %v: want 0 ≤ self ≤ total", st.Name, st.Self, st.Total)
		}
		selfSum += st.Self
	}
	if selfSum > wall {
		t.Errorf("self times sum to %v, more than the profiled %v", selfSum, wall)
	}
	for i := 1; i < len(stats); i++ {
		if stats[i].Self > stats[i-1].Self {
			t.Fatalf("profile not sorted by self time: %s %v after %s %v", stats[i].Name, stats[i].Self, stats[i-1].Name, stats[i-1].Self)
		}
	}
	// A stopped profiler counts nothing more; a new one starts from zero.
	s.Mm(a, b)
	if err := torch.StartOpProfile(); err != nil {
		t.Fatal(err)
	}
	again, err := torch.StopOpProfile()
	if err != nil {
		t.Fatal(err)
	}
	if len(again) != 0 {
		t.Errorf("a profile around no operators: got %+v, want nothing", again)
	}
}

// TestOpProfileSplitsBackwardNodes checks that the backward pass's autograd nodes are profiled
// with the operators they run as their children: MmBackward0's total includes the aten::mm
// that computes the gradient, so its self time is smaller than its total.
func TestOpProfileSplitsBackwardNodes(t *testing.T) {
	checkLive(t)
	s := torch.NewScope()
	defer s.Close()
	a, b := squarePair(t, s, 256)
	if err := b.SetRequiresGrad(true); err != nil {
		t.Fatal(err)
	}
	loss := s.Sum(s.Mm(a, b))
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if err := torch.StartOpProfile(); err != nil {
		t.Fatal(err)
	}
	berr := s.Backward(loss)
	stats, err := torch.StopOpProfile()
	if berr != nil || err != nil {
		t.Fatalf("backward: %v; profile: %v", berr, err)
	}
	ops := opsByName(stats)
	node, ok := ops["MmBackward0"]
	if !ok {
		t.Fatalf("no MmBackward0 node in the backward pass's profile: %+v", stats)
	}
	mm := ops["aten::mm"]
	if node.Calls != 1 || mm.Calls < 1 {
		t.Errorf("calls: MmBackward0 %d (want 1), aten::mm %d (want ≥ 1)", node.Calls, mm.Calls)
	}
	if node.Total < mm.Total || node.Self >= node.Total-mm.Self {
		t.Errorf("MmBackward0 total %v self %v, aten::mm total %v self %v: want the product inside the node", node.Total, node.Self, mm.Total, mm.Self)
	}
	// The gradient's product ran inside the node: its call path says so, and the paths
	// together account for every call.
	var calls int64
	var self time.Duration
	for _, p := range mm.Paths {
		calls += p.Calls
		self += p.Self
		if !strings.Contains(p.Path, "MmBackward0") {
			t.Errorf("aten::mm under %q: want every product of the backward pass inside MmBackward0", p.Path)
		}
	}
	if calls != mm.Calls || self != mm.Self {
		t.Errorf("aten::mm paths add up to %d calls, %v self; the operator has %d, %v", calls, self, mm.Calls, mm.Self)
	}
}
