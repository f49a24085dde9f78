package infer

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// ParseShard reads "i/N" (0 ≤ i < N).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(strings.TrimSpace(s), "/")
	if ok {
		i, err1 := strconv.Atoi(a)
		n, err2 := strconv.Atoi(b)
		if err1 == nil && err2 == nil && n >= 1 && i >= 0 && i < n {
			return i, n, nil
		}
	}
	return 0, 0, fmt.Errorf("infer: shard %q: want i/N with 0 <= i < N, e.g. 0/4", s)
}

// ShardFromEnv returns the shard given by the environment of a Kubernetes Indexed Job
// (JOB_COMPLETION_INDEX, with the shard count from JOB_COMPLETION_COUNT — set it from the
// Job's spec.completions, Kubernetes does not export it) or of a Slurm job array. For Slurm,
// the array's range SLURM_ARRAY_TASK_MIN..SLURM_ARRAY_TASK_MAX with step SLURM_ARRAY_TASK_STEP
// (default 1) defines the shards: task ID is shard (ID−MIN)/STEP of (MAX−MIN)/STEP+1, so
// --array=1-4 and --array=0-6:2 both give 4 shards numbered from 0. SLURM_ARRAY_TASK_COUNT,
// when set, must agree (an irregular array such as --array=1,2,7 is refused: pass --shard).
// Without MIN/MAX, the task ID is the shard and SLURM_ARRAY_TASK_COUNT the count. ok is false
// when neither Kubernetes' nor Slurm's variables are set.
func ShardFromEnv(getenv func(string) string) (i, n int, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	if getenv("JOB_COMPLETION_INDEX") != "" {
		return shardFromIndexCount(getenv, "JOB_COMPLETION_INDEX", "JOB_COMPLETION_COUNT")
	}
	if getenv("SLURM_ARRAY_TASK_ID") == "" {
		return 0, 0, false, nil
	}
	if getenv("SLURM_ARRAY_TASK_MIN") == "" && getenv("SLURM_ARRAY_TASK_MAX") == "" {
		return shardFromIndexCount(getenv, "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")
	}
	num := func(name string, def int) (int, error) {
		v := getenv(name)
		if v == "" && def >= 0 {
			return def, nil
		}
		x, err := strconv.Atoi(v)
		if err != nil || x < 0 {
			return 0, fmt.Errorf("infer: %s=%q: want an integer >= 0", name, v)
		}
		return x, nil
	}
	id, err := num("SLURM_ARRAY_TASK_ID", -1)
	if err != nil {
		return 0, 0, false, err
	}
	lo, err := num("SLURM_ARRAY_TASK_MIN", -1)
	if err != nil {
		return 0, 0, false, err
	}
	hi, err := num("SLURM_ARRAY_TASK_MAX", -1)
	if err != nil {
		return 0, 0, false, err
	}
	step, err := num("SLURM_ARRAY_TASK_STEP", 1)
	if err != nil {
		return 0, 0, false, err
	}
	if step == 0 || hi < lo || id < lo || id > hi || (id-lo)%step != 0 {
		return 0, 0, false, fmt.Errorf("infer: SLURM_ARRAY_TASK_ID=%d is not in the array %d-%d:%d (SLURM_ARRAY_TASK_MIN, _MAX, _STEP)", id, lo, hi, step)
	}
	n = (hi-lo)/step + 1
	if c := getenv("SLURM_ARRAY_TASK_COUNT"); c != "" {
		count, err := strconv.Atoi(c)
		if err != nil || count != n {
			return 0, 0, false, fmt.Errorf("infer: SLURM_ARRAY_TASK_COUNT=%q but the array %d-%d:%d has %d tasks: irregular arrays (e.g. --array=1,2,7) cannot be sharded from the environment; pass --shard i/N", c, lo, hi, step, n)
		}
	}
	return (id - lo) / step, n, true, nil
}

// shardFromIndexCount reads a 0-based index and a count from two variables.
func shardFromIndexCount(getenv func(string) string, idxVar, countVar string) (int, int, bool, error) {
	idx, count := getenv(idxVar), getenv(countVar)
	i, err := strconv.Atoi(idx)
	if err != nil || i < 0 {
		return 0, 0, false, fmt.Errorf("infer: %s=%q: want an integer >= 0", idxVar, idx)
	}
	if count == "" {
		return 0, 0, false, fmt.Errorf("infer: %s is set but %s is not: set it to the number of shards", idxVar, countVar)
	}
	n, err := strconv.Atoi(count)
	if err != nil || n < 1 || i >= n {
		return 0, 0, false, fmt.Errorf("infer: %s=%q with %s=%s: want a count > the index", countVar, count, idxVar, idx)
	}
	return i, n, true, nil
}
