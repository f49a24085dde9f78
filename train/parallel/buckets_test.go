package parallel

import (
	"fmt"
	"math/rand"
	"testing"
)

func TestPlanBuckets(t *testing.T) {
	f := func(bytes ...int64) []Tensor {
		out := make([]Tensor, len(bytes))
		for i, b := range bytes {
			out[i] = Tensor{Bytes: b, Kind: "float32/cpu"}
		}
		return out
	}
	mixed := append(f(4, 4), Tensor{Bytes: 4, Kind: "float16/cpu"}, Tensor{Bytes: 4, Kind: "float32/cpu"})
	cases := []struct {
		name string
		ts   []Tensor
		cap  int64
		want string
	}{
		{"empty", nil, 10, "[]"},
		{"one bucket", f(1, 2, 3), 10, "[3]"},
		{"exact fit", f(5, 5, 5), 10, "[2 3]"},
		{"split", f(4, 4, 4, 4), 10, "[2 4]"},
		{"oversize alone", f(2, 30, 2), 10, "[1 2 3]"},
		{"kind change", mixed, 100, "[2 3 4]"},
		{"default cap", f(DefaultBucketBytes, 1), 0, "[1 2]"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := PlanBuckets(c.ts, c.cap)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != c.want && !(len(got) == 0 && c.want == "[]") {
				t.Errorf("got %v, want %s", got, c.want)
			}
		})
	}
	if _, err := PlanBuckets(f(-1), 10); err == nil {
		t.Error("negative size: got no error")
	}
}

// TestPlanBucketsInvariants checks random plans: buckets cover every tensor in order, hold one
// kind, and exceed the cap only when they hold a single tensor; merging two neighbouring
// buckets of one kind would exceed the cap (the plan is greedy).
func TestPlanBucketsInvariants(t *testing.T) {
	r := rand.New(rand.NewSource(7))
	for trial := 0; trial < 200; trial++ {
		ts := make([]Tensor, r.Intn(30))
		for i := range ts {
			ts[i] = Tensor{Bytes: int64(r.Intn(50)), Kind: []string{"a", "b"}[r.Intn(4)/3]}
		}
		capBytes := int64(1 + r.Intn(100))
		ends, err := PlanBuckets(ts, capBytes)
		if err != nil {
			t.Fatal(err)
		}
		start := 0
		var prevSize int64 = -1
		prevKind := ""
		for _, e := range ends {
			if e <= start {
				t.Fatalf("trial %d: empty or backwards bucket ending at %d after %d", trial, e, start)
			}
			var size int64
			for i := start; i < e; i++ {
				size += ts[i].Bytes
				if ts[i].Kind != ts[start].Kind {
					t.Fatalf("trial %d: bucket [%d,%d) mixes kinds", trial, start, e)
				}
			}
			if size > capBytes && e-start > 1 {
				t.Fatalf("trial %d: bucket [%d,%d) has %d bytes over cap %d", trial, start, e, size, capBytes)
			}
			if prevSize >= 0 && prevKind == ts[start].Kind && prevSize+ts[start].Bytes <= capBytes {
				t.Fatalf("trial %d: bucket ending at %d could have taken tensor %d", trial, start, start)
			}
			prevSize, prevKind = size, ts[start].Kind
			start = e
		}
		if start != len(ts) {
			t.Fatalf("trial %d: buckets end at %d, want %d", trial, start, len(ts))
		}
	}
}
