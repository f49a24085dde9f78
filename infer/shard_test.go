package infer

import "testing"

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
