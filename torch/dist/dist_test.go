//go:build !notorch

package dist_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/dist/disttest"
)

var scenarios = map[string]disttest.Scenario{
	"collectives": collectivesWorker,
	"dead-peer":   deadPeerWorker,
}

func TestMain(m *testing.M) {
	if disttest.IsWorker() {
		os.Exit(disttest.RunWorker(scenarios))
	}
	os.Exit(m.Run())
}

func skipWithoutGloo(t *testing.T) {
	t.Helper()
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
}

// joinFromEnv joins the group described by torchrun's environment variables.
func joinFromEnv(rank, world int, timeout time.Duration) (*dist.Group, error) {
	port, err := strconv.Atoi(os.Getenv("MASTER_PORT"))
	if err != nil {
		return nil, fmt.Errorf("MASTER_PORT: %v", err)
	}
	torch.SetNumThreads(1)
	return dist.New(dist.Options{Backend: dist.Gloo, Addr: os.Getenv("MASTER_ADDR"), Port: port,
		Rank: rank, World: world, Timeout: timeout})
}

// collectivesResult is what each rank reports after the collectives scenario.
type collectivesResult struct {
	Sum, Avg, Max, Min []float64
	F64Sum             []float64
	Strided            []float32 // base tensor after all-reducing its transposed view
	Gathered           []float32
	Broadcast          []float32
	Grads              [][]float32
	LeakedTensors      int64
}

func collectivesWorker(rank, world int) (any, error) {
	g, err := joinFromEnv(rank, world, 30*time.Second)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	live := torch.LiveTensors()
	var res collectivesResult
	s := torch.NewScope()
	vals := func(k float64) []float32 {
		return []float32{float32(k), float32(2 * k), float32(3 * k)}
	}
	r1 := float64(rank + 1)
	for _, c := range []struct {
		op  dist.ReduceOp
		out *[]float64
	}{{dist.Sum, &res.Sum}, {dist.Avg, &res.Avg}, {dist.Max, &res.Max}, {dist.Min, &res.Min}} {
		x := s.FromFloat32s(vals(r1), 3)
		if err := g.AllReduce(c.op, x); err != nil {
			return nil, err
		}
		f, err := x.Float32s()
		if err != nil {
			return nil, err
		}
		for _, v := range f {
			*c.out = append(*c.out, float64(v))
		}
	}
	x64 := s.FromFloat64s([]float64{r1 / 3, -r1}, 2)
	if err := g.AllReduce(dist.Sum, x64); err != nil {
		return nil, err
	}
	if res.F64Sum, err = x64.Float64s(); err != nil {
		return nil, err
	}
	base := s.FromFloat32s([]float32{1, 2, 3, 4, 5, 6}, 2, 3)
	view := s.T(base)
	if err := g.AllReduce(dist.Sum, view); err != nil {
		return nil, err
	}
	if res.Strided, err = base.Float32s(); err != nil {
		return nil, err
	}
	in := s.FromFloat32s([]float32{float32(10 * rank), float32(10*rank + 1), float32(10*rank + 2), float32(10*rank + 3)}, 2, 2)
	gathered := g.AllGather(s, in)
	if err := s.Err(); err != nil {
		return nil, err
	}
	if res.Gathered, err = gathered.Float32s(); err != nil {
		return nil, err
	}
	b := s.FromFloat32s([]float32{float32(rank), float32(rank), float32(rank)}, 3)
	if err := g.Broadcast(world-1, b); err != nil {
		return nil, err
	}
	if res.Broadcast, err = b.Float32s(); err != nil {
		return nil, err
	}
	// Gradients: p0 and p1 share bucket 0, p2 is alone in bucket 1 and has no gradient on rank 0.
	p0 := s.Zeros(torch.Opts{}, 2, 2)
	p1 := s.Zeros(torch.Opts{}, 3)
	p2 := s.Zeros(torch.Opts{}, 2)
	for _, p := range []*torch.Tensor{p0, p1, p2} {
		if err := p.SetRequiresGrad(true); err != nil {
			return nil, err
		}
	}
	if err := p0.SetGrad(s.FromFloat32s([]float32{float32(r1), float32(r1), float32(r1), float32(r1)}, 2, 2)); err != nil {
		return nil, err
	}
	if err := p1.SetGrad(s.FromFloat32s(vals(r1), 3)); err != nil {
		return nil, err
	}
	if rank > 0 {
		if err := p2.SetGrad(s.FromFloat32s([]float32{float32(r1), -float32(r1)}, 2)); err != nil {
			return nil, err
		}
	}
	params := []*torch.Tensor{p0, p1, p2}
	if err := g.AllReduceGrads(dist.Avg, params, []int{2, 3}); err != nil {
		return nil, err
	}
	for _, p := range params {
		gr := s.Grad(p)
		if err := s.Err(); err != nil {
			return nil, err
		}
		f, err := gr.Float32s()
		if err != nil {
			return nil, err
		}
		res.Grads = append(res.Grads, f)
	}
	if err := g.Barrier(); err != nil {
		return nil, err
	}
	s.Close()
	res.LeakedTensors = torch.LiveTensors() - live
	return res, nil
}

func TestCollectivesTwoProcesses(t *testing.T) {
	skipWithoutGloo(t)
	const world = 2
	procs := disttest.Run(t, "collectives", world, 60*time.Second)
	// Independent expectations: rank r holds k·(r+1) for k = 1, 2, 3.
	tri := float64(world*(world+1)) / 2 // Σ_r (r+1)
	want := collectivesResult{}
	for k := 1.0; k <= 3; k++ {
		want.Sum = append(want.Sum, k*tri)
		want.Avg = append(want.Avg, k*tri/world)
		want.Max = append(want.Max, k*world)
		want.Min = append(want.Min, k)
	}
	want.F64Sum = []float64{tri / 3, -tri}
	want.Strided = []float32{world * 1, world * 2, world * 3, world * 4, world * 5, world * 6}
	for r := 0; r < world; r++ {
		want.Gathered = append(want.Gathered, float32(10*r), float32(10*r+1), float32(10*r+2), float32(10*r+3))
	}
	want.Broadcast = []float32{world - 1, world - 1, world - 1}
	avg := float32(tri / world)
	p2 := float32((tri - 1) / world) // rank 0 contributes zeros
	want.Grads = [][]float32{{avg, avg, avg, avg}, {avg, 2 * avg, 3 * avg}, {p2, -p2}}
	for _, p := range procs {
		var got collectivesResult
		if err := p.Result(&got); err != nil {
			t.Fatal(err)
		}
		check := func(name string, got, want any) {
			t.Helper()
			if gs, ws := fmt.Sprint(got), fmt.Sprint(want); gs != ws {
				t.Errorf("rank %d %s: got %v, want %v", p.Rank, name, gs, ws)
			}
		}
		check("sum", got.Sum, want.Sum)
		check("avg", got.Avg, want.Avg)
		check("max", got.Max, want.Max)
		check("min", got.Min, want.Min)
		for i := range want.F64Sum {
			// float64 sums of two values: exact to the last bit but for rounding of r/3.
			if math.Abs(got.F64Sum[i]-want.F64Sum[i]) > 1e-15 {
				t.Errorf("rank %d float64 sum[%d]: got %v, want %v", p.Rank, i, got.F64Sum[i], want.F64Sum[i])
			}
		}
		check("strided view", got.Strided, want.Strided)
		check("all-gather", got.Gathered, want.Gathered)
		check("broadcast", got.Broadcast, want.Broadcast)
		check("bucketed grads", got.Grads, want.Grads)
		if got.LeakedTensors != 0 {
			t.Errorf("rank %d: %d tensor handles leaked, want 0", p.Rank, got.LeakedTensors)
		}
	}
}

type deadPeerResult struct {
	Err     string
	Elapsed float64 // seconds from the start of the failing collective to its error
}

// deadPeerWorker: rank 0 all-reduces while rank 1 never does. With DISTTEST_MODE=kill the
// parent kills rank 1 once rank 0 is waiting; with DISTTEST_MODE=hang rank 1 stays alive and
// rank 0 must give up after the group's timeout.
func deadPeerWorker(rank, world int) (any, error) {
	timeout, err := time.ParseDuration(os.Getenv("DISTTEST_TIMEOUT"))
	if err != nil {
		return nil, err
	}
	g, err := joinFromEnv(rank, world, timeout)
	if err != nil {
		return nil, err
	}
	defer g.Close()
	if err := g.Barrier(); err != nil {
		return nil, err
	}
	if rank != 0 {
		time.Sleep(time.Hour) // a hung peer; the parent kills it
		return nil, nil
	}
	s := torch.NewScope()
	defer s.Close()
	x := s.Ones(torch.Opts{}, 1000)
	if err := os.WriteFile(filepath.Join(os.Getenv("DISTTEST_DIR"), "waiting"), nil, 0o644); err != nil {
		return nil, err
	}
	start := time.Now()
	err = g.AllReduce(dist.Sum, x)
	res := deadPeerResult{Elapsed: time.Since(start).Seconds()}
	if err == nil {
		return nil, errors.New("all-reduce with a dead peer succeeded")
	}
	var de *dist.Error
	if !errors.As(err, &de) {
		return nil, fmt.Errorf("error %v (%T): want a *dist.Error", err, err)
	}
	res.Err = err.Error()
	return res, nil
}

func TestDeadPeerEndsWithError(t *testing.T) {
	skipWithoutGloo(t)
	cases := []struct {
		mode    string
		timeout time.Duration
		// maxElapsed bounds the time from the collective's start to the error: a killed peer
		// closes its sockets, so Gloo fails at once (plus the parent's polling delay); a hung
		// peer is detected by the timeout.
		minElapsed, maxElapsed time.Duration
	}{
		{"kill", 20 * time.Second, 0, 10 * time.Second},
		{"hang", 2 * time.Second, 1500 * time.Millisecond, 10 * time.Second},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			dir := t.TempDir()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			procs := disttest.Start(ctx, t, "dead-peer", 2, "DISTTEST_TIMEOUT="+c.timeout.String(), "DISTTEST_DIR="+dir)
			defer func() {
				_ = procs[1].Kill()
				procs[1].Wait()
			}()
			if c.mode == "kill" {
				waitForFile(t, filepath.Join(dir, "waiting"), 30*time.Second)
				time.Sleep(200 * time.Millisecond) // let rank 0 enter the all-reduce
				if err := procs[1].Kill(); err != nil {
					t.Fatalf("kill rank 1: %v", err)
				}
			}
			procs[0].Wait()
			if procs[0].Err != nil {
				t.Fatalf("rank 0: %v\nstderr:\n%s", procs[0].Err, procs[0].Stderr.String())
			}
			var got deadPeerResult
			if err := procs[0].Result(&got); err != nil {
				t.Fatal(err)
			}
			el := time.Duration(got.Elapsed * float64(time.Second))
			if el < c.minElapsed || el > c.maxElapsed {
				t.Errorf("error after %v: want between %v and %v", el, c.minElapsed, c.maxElapsed)
			}
			if !strings.Contains(got.Err, "all-reduce") || !strings.Contains(got.Err, "rank 0") {
				t.Errorf("error %q: want it to name the all-reduce and rank 0", got.Err)
			}
			t.Logf("%s: rank 0 failed after %v: %s", c.mode, el, got.Err)
		})
	}
}

func waitForFile(t *testing.T, path string, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s did not appear within %v", path, limit)
}

func TestWorldOfOne(t *testing.T) {
	skipWithoutGloo(t)
	live := torch.LiveTensors()
	g, err := dist.New(dist.Options{Backend: dist.Gloo, Addr: "127.0.0.1", Port: disttest.FreePort(t), World: 1, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s := torch.NewScope()
	x := s.FromFloat32s([]float32{1, -2, 3}, 3)
	if err := g.AllReduce(dist.Avg, x); err != nil {
		t.Fatal(err)
	}
	got, _ := x.Float32s()
	if fmt.Sprint(got) != "[1 -2 3]" {
		t.Errorf("all-reduce of one rank: got %v, want [1 -2 3]", got)
	}
	y := g.AllGather(s, x)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if got, _ := y.Float32s(); fmt.Sprint(got) != "[1 -2 3]" {
		t.Errorf("all-gather of one rank: got %v, want [1 -2 3]", got)
	}
	if err := g.Barrier(); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if err := g.Close(); err != nil {
		t.Fatal(err)
	}
	if err := g.AllReduce(dist.Sum, x); !errors.Is(err, dist.ErrClosed) {
		t.Errorf("all-reduce after Close: got %v, want ErrClosed", err)
	}
	if n := torch.LiveTensors() - live; n != 0 {
		t.Errorf("%d tensor handles leaked, want 0", n)
	}
}

func TestRendezvousTimesOut(t *testing.T) {
	skipWithoutGloo(t)
	start := time.Now()
	g, err := dist.New(dist.Options{Backend: dist.Gloo, Addr: "127.0.0.1", Port: disttest.FreePort(t), World: 2, Timeout: time.Second})
	if err == nil {
		g.Close()
		t.Fatal("joining a world of 2 alone succeeded, want a timeout error")
	}
	if el := time.Since(start); el > 15*time.Second {
		t.Errorf("rendezvous failed after %v: want about the 1s timeout", el)
	}
	if !strings.Contains(err.Error(), "rank 0 of 2") {
		t.Errorf("error %q: want it to name rank 0 of 2", err)
	}
}

func TestOptionsValidation(t *testing.T) {
	cases := []struct {
		name string
		o    dist.Options
		want string
	}{
		{"rank", dist.Options{Addr: "h", Port: 1, Rank: 2, World: 2}, "rank 2"},
		{"world", dist.Options{Addr: "h", Port: 1, World: 0}, "world size 0"},
		{"addr", dist.Options{Port: 1, World: 1}, "MASTER_ADDR"},
		{"port", dist.Options{Addr: "h", Port: 70000, World: 1}, "port 70000"},
		{"backend", dist.Options{Backend: dist.Auto, Addr: "h", Port: 1, World: 1}, "backend auto"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := dist.New(c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("got %v, want an error mentioning %q", err, c.want)
			}
		})
	}
}

func TestParseBackend(t *testing.T) {
	for _, c := range []struct {
		in   string
		want dist.Backend
		ok   bool
	}{{"auto", dist.Auto, true}, {"gloo", dist.Gloo, true}, {"nccl", dist.NCCL, true}, {"mpi", dist.Auto, false}} {
		got, err := dist.ParseBackend(c.in)
		if (err == nil) != c.ok || got != c.want {
			t.Errorf("ParseBackend(%q): got %v, %v, want %v (ok %v)", c.in, got, err, c.want, c.ok)
		}
		if c.ok && got.String() != c.in {
			t.Errorf("%v.String(): got %q, want %q", got, got.String(), c.in)
		}
	}
}

func TestNCCLNeedsGPU(t *testing.T) {
	if err := dist.Available(dist.NCCL); err != nil {
		t.Skipf("NCCL path not built: %v", err)
	}
	if torch.CUDADeviceCount() == 0 {
		t.Skip("NCCL built but no CUDA device: run on a GPU host")
	}
	g, err := dist.New(dist.Options{Backend: dist.NCCL, Addr: "127.0.0.1", Port: disttest.FreePort(t), World: 1, Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	s := torch.NewScope()
	defer s.Close()
	x := s.ToDevice(s.FromFloat32s([]float32{1, 2}, 2), torch.CUDA(0), false)
	if err := g.AllReduce(dist.Avg, x); err != nil {
		t.Fatal(err)
	}
	y := g.AllGather(s, x)
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	got, err := y.Float32s()
	if err != nil || fmt.Sprint(got) != "[1 2]" {
		t.Errorf("NCCL world of one all-gather: got %v (%v), want [1 2]", got, err)
	}
}
