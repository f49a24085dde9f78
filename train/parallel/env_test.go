package parallel

import (
	"fmt"
	"strings"
	"testing"
)

func lookupFrom(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvFrom(t *testing.T) {
	cases := []struct {
		name    string
		env     map[string]string
		want    Env
		wantErr string
	}{
		{"single", map[string]string{}, Single, ""},
		{"torchrun", map[string]string{"RANK": "3", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4", "MASTER_ADDR": "node0", "MASTER_PORT": "1234"},
			Env{Rank: 3, World: 8, LocalRank: 1, LocalWorld: 4, MasterAddr: "node0", MasterPort: 1234, Source: "torchrun"}, ""},
		{"pytorchjob without local world", map[string]string{"RANK": "1", "WORLD_SIZE": "2", "MASTER_ADDR": "job-master-0", "MASTER_PORT": "23456"},
			Env{Rank: 1, World: 2, MasterAddr: "job-master-0", MasterPort: 23456, Source: "torchrun"}, ""},
		{"slurm", map[string]string{"SLURM_PROCID": "5", "SLURM_NTASKS": "8", "SLURM_LOCALID": "1", "SLURM_NTASKS_PER_NODE": "4", "MASTER_ADDR": "n01"},
			Env{Rank: 5, World: 8, LocalRank: 1, LocalWorld: 4, MasterAddr: "n01", MasterPort: DefaultPort, Source: "slurm"}, ""},
		{"slurm heterogeneous tasks per node", map[string]string{"SLURM_PROCID": "0", "SLURM_NTASKS": "6", "SLURM_LOCALID": "0", "SLURM_NTASKS_PER_NODE": "4(x1),2", "MASTER_ADDR": "n01"},
			Env{Rank: 0, World: 6, MasterAddr: "n01", MasterPort: DefaultPort, Source: "slurm"}, ""},
		{"torchrun wins over slurm", map[string]string{"RANK": "0", "WORLD_SIZE": "1", "SLURM_PROCID": "3", "SLURM_NTASKS": "4"},
			Env{Rank: 0, World: 1, MasterAddr: "127.0.0.1", MasterPort: DefaultPort, Source: "torchrun"}, ""},
		{"torchrun agent store", map[string]string{"RANK": "1", "WORLD_SIZE": "2", "LOCAL_RANK": "1", "MASTER_ADDR": "127.0.0.1", "MASTER_PORT": "29400", "TORCHELASTIC_USE_AGENT_STORE": "True", "TORCHELASTIC_RESTART_COUNT": "2"},
			Env{Rank: 1, World: 2, LocalRank: 1, MasterAddr: "127.0.0.1", MasterPort: 29400, Source: "torchrun", AgentStore: true, Attempt: 2}, ""},
		{"missing master", map[string]string{"RANK": "0", "WORLD_SIZE": "2"}, Env{}, "MASTER_ADDR is not set"},
		{"missing rank", map[string]string{"WORLD_SIZE": "2", "MASTER_ADDR": "h"}, Env{}, "RANK is not set"},
		{"rank too large", map[string]string{"RANK": "2", "WORLD_SIZE": "2", "MASTER_ADDR": "h"}, Env{}, "RANK=2"},
		{"bad world", map[string]string{"RANK": "0", "WORLD_SIZE": "two", "MASTER_ADDR": "h"}, Env{}, `WORLD_SIZE="two"`},
		{"zero world", map[string]string{"RANK": "0", "WORLD_SIZE": "0", "MASTER_ADDR": "h"}, Env{}, "WORLD_SIZE=0"},
		{"bad port", map[string]string{"RANK": "0", "WORLD_SIZE": "2", "MASTER_ADDR": "h", "MASTER_PORT": "99999"}, Env{}, "MASTER_PORT=99999"},
		{"local rank out of range", map[string]string{"RANK": "0", "WORLD_SIZE": "2", "LOCAL_RANK": "2", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "h"}, Env{}, "LOCAL_RANK=2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := EnvFrom(lookupFrom(c.env))
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("got %v, %v, want an error mentioning %q", got, err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != c.want {
				t.Errorf("got %+v, want %+v", got, c.want)
			}
		})
	}
}

func TestLocalRows(t *testing.T) {
	global := []int{0, 1, 2, 3, 4, 5}
	for _, c := range []struct {
		rank, world int
		want        string
	}{{0, 1, "[0 1 2 3 4 5]"}, {0, 2, "[0 2 4]"}, {1, 2, "[1 3 5]"}, {2, 3, "[2 5]"}} {
		got, err := LocalRows(global, c.rank, c.world)
		if err != nil || fmt.Sprint(got) != c.want {
			t.Errorf("LocalRows(rank %d, world %d): got %v, %v, want %s", c.rank, c.world, got, err, c.want)
		}
	}
	if _, err := LocalRows(global, 0, 4); err == nil || !strings.Contains(err.Error(), "not divisible") {
		t.Errorf("6 rows over 4 ranks: got %v, want a divisibility error", err)
	}
	if _, err := LocalRows(global, 2, 2); err == nil {
		t.Error("rank 2 of 2: got no error")
	}
}

func TestLocalSizes(t *testing.T) {
	for _, c := range []struct {
		batch, mb, world int
		want             string
	}{
		{256, 0, 4, "64 0 <nil>"},
		{256, 64, 4, "64 16 <nil>"},
		{256, 64, 1, "256 64 <nil>"},
		{10, 0, 4, "not divisible by the world size 4"},
		{256, 6, 4, "mini-batch size 6 is not divisible"},
		{8, 4, 4, "leave 2 and 1 rows per process"},
		{4, 0, 4, "leave 1 and 0 rows per process"},
	} {
		lb, lmb, err := LocalSizes(c.batch, c.mb, c.world)
		got := fmt.Sprint(lb, lmb, err)
		if !strings.Contains(got, c.want) {
			t.Errorf("LocalSizes(%d, %d, %d): got %s, want %s", c.batch, c.mb, c.world, got, c.want)
		}
	}
}
