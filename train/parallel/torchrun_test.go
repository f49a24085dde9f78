//go:build !notorch

package parallel_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/dist"
	"github.com/scl-dev/scl/torch/dist/disttest"
	"github.com/scl-dev/scl/train/parallel"
)

type torchrunResult struct {
	Env parallel.Env
	Sum []float32
}

// torchrunWorker joins through whatever environment its launcher set and all-reduces rank+1.
func torchrunWorker(rank, world int) (any, error) {
	env, err := parallel.EnvFrom(os.LookupEnv)
	if err != nil {
		return nil, err
	}
	g, err := parallel.Join(env, torch.Device{}, parallel.Config{Backend: dist.Gloo, Timeout: 30 * time.Second})
	if err != nil {
		return nil, err
	}
	defer g.Close()
	s := torch.NewScope()
	defer s.Close()
	x := s.FromFloat32s([]float32{float32(env.Rank + 1), 1}, 2)
	if err := g.AllReduce(dist.Sum, x); err != nil {
		return nil, err
	}
	sum, err := x.Float32s()
	return torchrunResult{Env: env, Sum: sum}, err
}

// TestUnderTorchrun launches 2 workers with PyTorch's own torchrun (static rendezvous, whose
// agent serves the TCPStore the workers must join as clients).
func TestUnderTorchrun(t *testing.T) {
	if err := dist.Available(dist.Gloo); err != nil {
		t.Skipf("%v", err)
	}
	py := "/usr/bin/python3"
	if err := exec.Command(py, "-c", "import torch.distributed.run").Run(); err != nil {
		t.Skipf("torchrun not available (%s with torch: scripts/setup.sh --bench installs it): %v", py, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	port := disttest.FreePort(t)
	cmd := exec.CommandContext(ctx, py, "-m", "torch.distributed.run", "--nnodes=1", "--nproc_per_node=2",
		"--master_addr=127.0.0.1", "--master_port="+strconv.Itoa(port),
		// Debian's torch 1.13 under Python 3.11 cannot parse the default "0" for these two
		// (Std.from_str returns None); "0:2" (tee rank 0's stderr) parses everywhere.
		"--redirects=0:2", "--tee=0:2", "--log_dir="+t.TempDir(),
		"--no_python", os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "SCL_DISTTEST_SCENARIO=torchrun", "OMP_NUM_THREADS=1")
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("torchrun: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), errOut.String())
	}
	seen := map[int]bool{}
	sc := bufio.NewScanner(&out)
	for sc.Scan() {
		line, ok := strings.CutPrefix(sc.Text(), "DISTTEST-RESULT ")
		if !ok {
			continue
		}
		var r torchrunResult
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("result %q: %v", line, err)
		}
		seen[r.Env.Rank] = true
		if r.Env.World != 2 || !r.Env.AgentStore || r.Env.Source != "torchrun" {
			t.Errorf("rank %d environment %+v: want world 2 from torchrun with its agent store", r.Env.Rank, r.Env)
		}
		if len(r.Sum) != 2 || r.Sum[0] != 3 || r.Sum[1] != 2 {
			t.Errorf("rank %d all-reduce: got %v, want [3 2]", r.Env.Rank, r.Sum)
		}
	}
	if len(seen) != 2 {
		t.Fatalf("results from ranks %v, want 0 and 1\nstdout:\n%s\nstderr:\n%s", seen, out.String(), errOut.String())
	}
}
