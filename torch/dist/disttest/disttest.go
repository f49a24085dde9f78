// Package disttest runs multi-process tests of collective code on one machine: a test binary
// spawns copies of itself as the ranks of a process group on loopback, each worker runs a named
// scenario and reports a JSON result, and the parent test checks the results.
//
// In the test package:
//
//	func TestMain(m *testing.M) {
//		if disttest.IsWorker() {
//			os.Exit(disttest.RunWorker(scenarios))
//		}
//		os.Exit(m.Run())
//	}
//
// The worker environment is torchrun's (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR,
// MASTER_PORT) plus SCL_DISTTEST_SCENARIO, so scenarios exercise the real rendezvous path.
package disttest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	envScenario = "SCL_DISTTEST_SCENARIO"
	resultTag   = "DISTTEST-RESULT "
)

// IsWorker reports whether this process was spawned as a worker.
func IsWorker() bool { return os.Getenv(envScenario) != "" }

// Scenario is the body of one worker. rank and world come from the environment. The value it
// returns is reported to the parent as JSON; an error makes the worker exit with status 1.
type Scenario func(rank, world int) (any, error)

// RunWorker runs the scenario named in the environment and returns the exit status.
func RunWorker(scenarios map[string]Scenario) int {
	name := os.Getenv(envScenario)
	fn, ok := scenarios[name]
	if !ok {
		fmt.Fprintf(os.Stderr, "disttest: unknown scenario %q\n", name)
		return 2
	}
	rank, _ := strconv.Atoi(os.Getenv("RANK"))
	world, _ := strconv.Atoi(os.Getenv("WORLD_SIZE"))
	v, err := fn(rank, world)
	if err != nil {
		fmt.Fprintf(os.Stderr, "disttest: rank %d: %v\n", rank, err)
		return 1
	}
	b, err := json.Marshal(v)
	if err != nil {
		fmt.Fprintf(os.Stderr, "disttest: rank %d: result: %v\n", rank, err)
		return 1
	}
	fmt.Printf("%s%s\n", resultTag, b)
	return 0
}

// FreePort returns a TCP port on 127.0.0.1 that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("disttest: free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// Proc is one spawned worker.
type Proc struct {
	Rank   int
	Cmd    *exec.Cmd
	Stdout bytes.Buffer
	Stderr bytes.Buffer
	// Err is the process's exit error (nil for status 0), set by Wait.
	Err error
	// Elapsed is the time from start to exit.
	Elapsed time.Duration
	start   time.Time
	done    chan struct{}
}

// Result decodes the worker's reported JSON into v.
func (p *Proc) Result(v any) error {
	sc := bufio.NewScanner(bytes.NewReader(p.Stdout.Bytes()))
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if line, ok := strings.CutPrefix(sc.Text(), resultTag); ok {
			return json.Unmarshal([]byte(line), v)
		}
	}
	return fmt.Errorf("disttest: rank %d reported no result (exit %v)\nstderr:\n%s", p.Rank, p.Err, p.Stderr.String())
}

// Wait waits for the worker to exit.
func (p *Proc) Wait() { <-p.done }

// Kill sends SIGKILL to the worker.
func (p *Proc) Kill() error { return p.Cmd.Process.Kill() }

// Start spawns world copies of the test binary running scenario with the given extra
// environment (KEY=VALUE); they are killed when ctx ends. The caller waits on each Proc.
func Start(ctx context.Context, t testing.TB, scenario string, world int, extraEnv ...string) []*Proc {
	t.Helper()
	port := FreePort(t)
	procs := make([]*Proc, world)
	for r := 0; r < world; r++ {
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(),
			envScenario+"="+scenario,
			"RANK="+strconv.Itoa(r),
			"LOCAL_RANK="+strconv.Itoa(r),
			"WORLD_SIZE="+strconv.Itoa(world),
			"LOCAL_WORLD_SIZE="+strconv.Itoa(world),
			"MASTER_ADDR=127.0.0.1",
			"MASTER_PORT="+strconv.Itoa(port),
		)
		cmd.Env = append(cmd.Env, extraEnv...)
		p := &Proc{Rank: r, Cmd: cmd, done: make(chan struct{})}
		cmd.Stdout = &p.Stdout
		cmd.Stderr = &p.Stderr
		p.start = time.Now()
		if err := cmd.Start(); err != nil {
			t.Fatalf("disttest: start rank %d: %v", r, err)
		}
		go func() {
			p.Err = cmd.Wait()
			p.Elapsed = time.Since(p.start)
			close(p.done)
		}()
		procs[r] = p
	}
	return procs
}

// Run spawns world workers running scenario, waits for all of them (at most limit) and fails
// the test if any exits with an error. It returns the workers for their results.
func Run(t testing.TB, scenario string, world int, limit time.Duration, extraEnv ...string) []*Proc {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	procs := Start(ctx, t, scenario, world, extraEnv...)
	for _, p := range procs {
		p.Wait()
	}
	for _, p := range procs {
		if p.Err != nil {
			t.Fatalf("rank %d of scenario %s: %v (limit %v)\nstderr:\n%s", p.Rank, scenario, p.Err, limit, p.Stderr.String())
		}
	}
	return procs
}
