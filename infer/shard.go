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
// Job's spec.completions, Kubernetes does not export it) or of a Slurm job array
// (SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT, or SLURM_ARRAY_TASK_MIN/MAX when the
// count is absent). ok is false when neither is set.
func ShardFromEnv(getenv func(string) string) (i, n int, ok bool, err error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	try := func(idxVar, countVar string) (int, int, bool, error) {
		idx, count := getenv(idxVar), getenv(countVar)
		if idx == "" {
			return 0, 0, false, nil
		}
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
	if i, n, ok, err := try("JOB_COMPLETION_INDEX", "JOB_COMPLETION_COUNT"); ok || err != nil {
		return i, n, ok, err
	}
	if getenv("SLURM_ARRAY_TASK_ID") != "" && getenv("SLURM_ARRAY_TASK_COUNT") == "" {
		// Arrays like --array=0-7 export MIN and MAX; the index is relative to MIN.
		lo, err1 := strconv.Atoi(getenv("SLURM_ARRAY_TASK_MIN"))
		hi, err2 := strconv.Atoi(getenv("SLURM_ARRAY_TASK_MAX"))
		id, err3 := strconv.Atoi(getenv("SLURM_ARRAY_TASK_ID"))
		if err1 != nil || err2 != nil || err3 != nil || hi < lo || id < lo || id > hi {
			return 0, 0, false, fmt.Errorf("infer: SLURM_ARRAY_TASK_ID=%q without a usable SLURM_ARRAY_TASK_COUNT or MIN/MAX", getenv("SLURM_ARRAY_TASK_ID"))
		}
		return id - lo, hi - lo + 1, true, nil
	}
	return try("SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT")
}
