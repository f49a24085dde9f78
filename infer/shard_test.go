package infer

import (
	"strconv"
	"strings"
	"testing"
)

func TestShardFromEnv(t *testing.T) {
	tests := []struct {
		name   string
		env    map[string]string
		i, n   int
		ok     bool
		hasErr bool
	}{
		{"none", nil, 0, 0, false, false},
		{"k8s", map[string]string{"JOB_COMPLETION_INDEX": "3", "JOB_COMPLETION_COUNT": "8"}, 3, 8, true, false},
		{"k8s without count", map[string]string{"JOB_COMPLETION_INDEX": "3"}, 0, 0, false, true},
		{"k8s index too large", map[string]string{"JOB_COMPLETION_INDEX": "8", "JOB_COMPLETION_COUNT": "8"}, 0, 0, false, true},
		{"slurm count", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_COUNT": "4"}, 2, 4, true, false},
		{"slurm min max", map[string]string{"SLURM_ARRAY_TASK_ID": "5", "SLURM_ARRAY_TASK_MIN": "4", "SLURM_ARRAY_TASK_MAX": "7"}, 1, 4, true, false},
		{"k8s wins", map[string]string{"JOB_COMPLETION_INDEX": "1", "JOB_COMPLETION_COUNT": "2", "SLURM_ARRAY_TASK_ID": "0", "SLURM_ARRAY_TASK_COUNT": "4"}, 1, 2, true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			i, n, ok, err := ShardFromEnv(func(k string) string { return tc.env[k] })
			if (err != nil) != tc.hasErr || ok != tc.ok || i != tc.i || n != tc.n {
				t.Fatalf("got %v %v %v %v, want %v %v %v error=%v", i, n, ok, err, tc.i, tc.n, tc.ok, tc.hasErr)
			}
		})
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in   string
		i, n int
		bad  bool
	}{{"0/1", 0, 1, false}, {"3/8", 3, 8, false}, {"8/8", 0, 0, true}, {"-1/2", 0, 0, true}, {"1", 0, 0, true}, {"a/b", 0, 0, true}}
	for _, tc := range tests {
		i, n, err := ParseShard(tc.in)
		if (err != nil) != tc.bad || i != tc.i || n != tc.n {
			t.Errorf("%q: got %v %v %v, want %v %v error=%v", tc.in, i, n, err, tc.i, tc.n, tc.bad)
		}
	}
}

// slurmArray is the environment Slurm gives each task of an array: ids are the task ids,
// step the --array step (0: Slurm does not export SLURM_ARRAY_TASK_STEP).
func slurmArray(ids []int, step int, withCount bool) []map[string]string {
	var envs []map[string]string
	for _, id := range ids {
		env := map[string]string{
			"SLURM_ARRAY_TASK_ID":  strconv.Itoa(id),
			"SLURM_ARRAY_TASK_MIN": strconv.Itoa(ids[0]),
			"SLURM_ARRAY_TASK_MAX": strconv.Itoa(ids[len(ids)-1]),
		}
		if step > 0 {
			env["SLURM_ARRAY_TASK_STEP"] = strconv.Itoa(step)
		}
		if withCount {
			env["SLURM_ARRAY_TASK_COUNT"] = strconv.Itoa(len(ids))
		}
		envs = append(envs, env)
	}
	return envs
}

// TestShardFromEnvLayouts: for every array layout, the tasks get shards 0..n−1, each exactly
// once and in task order, so that every shard is computed and merge finds them all.
func TestShardFromEnvLayouts(t *testing.T) {
	tests := []struct {
		name string
		envs []map[string]string
		n    int
	}{
		{"slurm --array=0-3", slurmArray([]int{0, 1, 2, 3}, 1, true), 4},
		{"slurm --array=1-4", slurmArray([]int{1, 2, 3, 4}, 1, true), 4},
		{"slurm --array=1-4 without COUNT", slurmArray([]int{1, 2, 3, 4}, 1, false), 4},
		{"slurm --array=1-4 without STEP", slurmArray([]int{1, 2, 3, 4}, 0, true), 4},
		{"slurm --array=0-6:2", slurmArray([]int{0, 2, 4, 6}, 2, true), 4},
		{"slurm --array=0-6:2 without COUNT", slurmArray([]int{0, 2, 4, 6}, 2, false), 4},
		{"slurm --array=5-14:3", slurmArray([]int{5, 8, 11, 14}, 3, true), 4},
		{"slurm --array=7", slurmArray([]int{7}, 1, true), 1},
	}
	var k8s []map[string]string
	for i := 0; i < 5; i++ {
		k8s = append(k8s, map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i), "JOB_COMPLETION_COUNT": "5"})
	}
	tests = append(tests, struct {
		name string
		envs []map[string]string
		n    int
	}{"kubernetes indexed job, 5 completions", k8s, 5})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, env := range tc.envs {
				i, n, ok, err := ShardFromEnv(func(v string) string { return env[v] })
				if err != nil || !ok || i != k || n != tc.n {
					t.Fatalf("task %v: got shard %d/%d ok %v error %v, want %d/%d", env, i, n, ok, err, k, tc.n)
				}
			}
		})
	}
}

func TestShardFromEnvRefusesIrregularArrays(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want string
	}{
		{"list 1,2,7", map[string]string{"SLURM_ARRAY_TASK_ID": "2", "SLURM_ARRAY_TASK_MIN": "1", "SLURM_ARRAY_TASK_MAX": "7", "SLURM_ARRAY_TASK_COUNT": "3", "SLURM_ARRAY_TASK_STEP": "1"}, "irregular"},
		{"id off the step", map[string]string{"SLURM_ARRAY_TASK_ID": "3", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "2"}, "not in the array 0-6:2"},
		{"id above max", map[string]string{"SLURM_ARRAY_TASK_ID": "9", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6"}, "not in the array"},
		{"max without min", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MAX": "6"}, "SLURM_ARRAY_TASK_MIN"},
		{"zero step", map[string]string{"SLURM_ARRAY_TASK_ID": "1", "SLURM_ARRAY_TASK_MIN": "0", "SLURM_ARRAY_TASK_MAX": "6", "SLURM_ARRAY_TASK_STEP": "0"}, "not in the array"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, ok, err := ShardFromEnv(func(v string) string { return tc.env[v] })
			if ok || err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got ok %v error %v, want an error with %q", ok, err, tc.want)
			}
		})
	}
}
