package parallel

import (
	"fmt"
	"strconv"
	"strings"
)

// DefaultPort is torchrun's default MASTER_PORT.
const DefaultPort = 29500

// Env is one process's place in a distributed job, as its launcher describes it.
type Env struct {
	// Rank is the global rank in [0, World); World is the number of processes.
	Rank, World int
	// LocalRank is the rank among the processes on this host (the CUDA device to use);
	// LocalWorld is their number.
	LocalRank, LocalWorld int
	// MasterAddr and MasterPort locate rank 0's TCPStore.
	MasterAddr string
	MasterPort int
	// Source names the launcher the values came from: "torchrun" (RANK, WORLD_SIZE, …) or
	// "slurm" (SLURM_PROCID, SLURM_NTASKS, …).
	Source string
	// AgentStore is true when the launcher already serves the TCPStore at MasterAddr:MasterPort
	// (torchrun with static rendezvous sets TORCHELASTIC_USE_AGENT_STORE=True): then no rank
	// starts a store, and keys live under "/worker/attempt_<Attempt>" as PyTorch's own workers'
	// do, Attempt being TORCHELASTIC_RESTART_COUNT.
	AgentStore bool
	Attempt    int
}

// StorePrefix returns the key prefix this process uses in the store ("" unless AgentStore).
func (e Env) StorePrefix() string {
	if !e.AgentStore {
		return ""
	}
	return fmt.Sprintf("/worker/attempt_%d", e.Attempt)
}

// Distributed reports whether the job has more than one process.
func (e Env) Distributed() bool { return e.World > 1 }

// IsMain reports whether this process is rank 0, the one that logs and writes checkpoints.
func (e Env) IsMain() bool { return e.Rank == 0 }

// Single is the environment of a plain, single-process run.
var Single = Env{World: 1, LocalWorld: 1, MasterAddr: "127.0.0.1", MasterPort: DefaultPort, Source: "single"}

// EnvFrom reads the distributed environment through lookup (os.LookupEnv in a program):
//
//   - torchrun, a Kubernetes PyTorchJob, or any launcher setting torchrun's variables: RANK,
//     WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE (optional), MASTER_ADDR, MASTER_PORT, and
//     torchrun's TORCHELASTIC_USE_AGENT_STORE and TORCHELASTIC_RESTART_COUNT;
//   - Slurm's srun without torchrun: SLURM_PROCID, SLURM_NTASKS, SLURM_LOCALID,
//     SLURM_NTASKS_PER_NODE (optional), with MASTER_ADDR set by the batch script and
//     MASTER_PORT defaulting to 29500.
//
// With neither WORLD_SIZE nor SLURM_NTASKS set it returns Single. Missing or malformed values
// are errors naming the variable and what was expected.
func EnvFrom(lookup func(string) (string, bool)) (Env, error) {
	names := struct{ rank, world, local, localWorld string }{"RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE"}
	source := "torchrun"
	if _, ok := lookup("WORLD_SIZE"); !ok {
		if _, ok := lookup("SLURM_NTASKS"); !ok {
			return Single, nil
		}
		names = struct{ rank, world, local, localWorld string }{"SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE"}
		source = "slurm"
	}
	e := Env{Source: source}
	var err error
	if e.World, err = intVar(lookup, names.world, -1); err != nil {
		return Env{}, err
	}
	if e.World < 1 {
		return Env{}, fmt.Errorf("parallel: %s=%d: want ≥ 1", names.world, e.World)
	}
	if e.Rank, err = intVar(lookup, names.rank, -1); err != nil {
		return Env{}, err
	}
	if e.Rank < 0 || e.Rank >= e.World {
		return Env{}, fmt.Errorf("parallel: %s=%d: want 0 ≤ rank < %s=%d", names.rank, e.Rank, names.world, e.World)
	}
	if e.LocalRank, err = intVar(lookup, names.local, 0); err != nil {
		return Env{}, err
	}
	if e.LocalWorld, err = intVar(lookup, names.localWorld, 0); err != nil {
		// Slurm writes SLURM_NTASKS_PER_NODE as e.g. "4(x2)" on heterogeneous jobs; it is
		// informational only, so a value we cannot read is not fatal there.
		if source != "slurm" {
			return Env{}, err
		}
		e.LocalWorld = 0
	}
	if e.LocalRank < 0 || (e.LocalWorld > 0 && e.LocalRank >= e.LocalWorld) {
		return Env{}, fmt.Errorf("parallel: %s=%d: want 0 ≤ local rank < %d", names.local, e.LocalRank, max(e.LocalWorld, 1))
	}
	addr, ok := lookup("MASTER_ADDR")
	switch {
	case ok && addr != "":
		e.MasterAddr = addr
	case e.World == 1:
		e.MasterAddr = "127.0.0.1"
	default:
		return Env{}, fmt.Errorf("parallel: MASTER_ADDR is not set: want the host name or address of rank 0 (torchrun sets it; under Slurm export MASTER_ADDR=$(scontrol show hostnames \"$SLURM_JOB_NODELIST\" | head -n1))")
	}
	if e.MasterPort, err = intVar(lookup, "MASTER_PORT", DefaultPort); err != nil {
		return Env{}, err
	}
	if e.MasterPort < 1 || e.MasterPort > 65535 {
		return Env{}, fmt.Errorf("parallel: MASTER_PORT=%d: want 1..65535", e.MasterPort)
	}
	if v, _ := lookup("TORCHELASTIC_USE_AGENT_STORE"); strings.EqualFold(v, "true") {
		e.AgentStore = true
		if e.Attempt, err = intVar(lookup, "TORCHELASTIC_RESTART_COUNT", 0); err != nil {
			return Env{}, err
		}
	}
	return e, nil
}

// intVar reads an integer variable; def < 0 means the variable is required.
func intVar(lookup func(string) (string, bool), name string, def int) (int, error) {
	v, ok := lookup(name)
	if !ok || v == "" {
		if def < 0 {
			return 0, fmt.Errorf("parallel: %s is not set: want an integer", name)
		}
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return 0, fmt.Errorf("parallel: %s=%q: want an integer", name, v)
	}
	return n, nil
}

// LocalRows returns the rows of a global batch that rank holds: every rank draws the same
// global batch (same seed, same order) and keeps every world-th row starting at rank — the
// sharding of data/loader (Config.Rank, Config.WorldSize), which gives rank r the items at
// positions r, r+W, r+2W, … of the epoch order. Then a rank's contiguous mini-batch slice m of
// mb/W rows holds exactly its share of the single-process slice m of mb rows (same images, same
// views), so -mb keeps its single-process meaning. A global batch not divisible by world is an
// error.
func LocalRows[T any](global []T, rank, world int) ([]T, error) {
	if world < 1 || rank < 0 || rank >= world {
		return nil, fmt.Errorf("parallel: rank %d of world %d: want 0 ≤ rank < world", rank, world)
	}
	if len(global)%world != 0 {
		return nil, fmt.Errorf("parallel: global batch of %d rows is not divisible by the world size %d: want a multiple of %d", len(global), world, world)
	}
	out := make([]T, 0, len(global)/world)
	for i := rank; i < len(global); i += world {
		out = append(out, global[i])
	}
	return out, nil
}

// LocalSizes returns the per-rank batch and mini-batch sizes for a global batch size and a
// global mini-batch size (0: none): batch/world and miniBatch/world. Both must be divisible by
// world, so that every loss matrix holds the same rows as in a single-process run, and leave each
// process at least 2 rows per slice.
func LocalSizes(batch, miniBatch, world int) (localBatch, localMiniBatch int, err error) {
	if world < 1 {
		return 0, 0, fmt.Errorf("parallel: world size %d: want ≥ 1", world)
	}
	if batch%world != 0 {
		return 0, 0, fmt.Errorf("parallel: batch size %d is not divisible by the world size %d: want a multiple of %d (the batch size is global)", batch, world, world)
	}
	if miniBatch > 0 && miniBatch%world != 0 {
		return 0, 0, fmt.Errorf("parallel: mini-batch size %d is not divisible by the world size %d: want a multiple of %d (the mini-batch size is global: each rank takes mini-batch/world rows of every slice)", miniBatch, world, world)
	}
	lb, lmb := batch/world, miniBatch/world
	if lb < 2 || (miniBatch > 0 && lmb < 2) {
		return 0, 0, fmt.Errorf("parallel: batch size %d and mini-batch size %d over %d processes leave %d and %d rows per process: want ≥ 2 (the loss needs negatives and BatchNorm in training mode needs more than one row)", batch, miniBatch, world, lb, lmb)
	}
	return lb, lmb, nil
}
