package multicrop

import (
	"reflect"
	"testing"
)

func TestPairsDefault(t *testing.T) {
	got, err := Pairs(2, 4)
	if err != nil {
		t.Fatal(err)
	}
	want := []Pair{
		{0, 1}, {0, 2}, {0, 3}, {0, 4}, {0, 5},
		{1, 0}, {1, 2}, {1, 3}, {1, 4}, {1, 5},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Pairs(2, 4) = %v, want %v", got, want)
	}
}

func TestPairsCountsAndRules(t *testing.T) {
	for g := 1; g <= 4; g++ {
		for l := 0; l <= 6; l++ {
			if g == 1 && l == 0 {
				continue
			}
			pairs, err := Pairs(g, l)
			if err != nil {
				t.Fatalf("Pairs(%d, %d): %v", g, l, err)
			}
			if got, want := len(pairs), g*(g+l-1); got != want {
				t.Errorf("len(Pairs(%d, %d)) = %d, want %d", g, l, got, want)
			}
			seen := map[Pair]bool{}
			for _, p := range pairs {
				if p.Target < 0 || p.Target >= g {
					t.Errorf("Pairs(%d, %d): target view %d is not global", g, l, p.Target)
				}
				if p.Online < 0 || p.Online >= g+l || p.Online == p.Target {
					t.Errorf("Pairs(%d, %d): bad online view in %v", g, l, p)
				}
				if seen[p] {
					t.Errorf("Pairs(%d, %d): duplicate %v", g, l, p)
				}
				seen[p] = true
			}
		}
	}
}

func TestPairsRejects(t *testing.T) {
	tests := []struct{ g, l int }{{1, 0}, {0, 4}, {-1, 2}, {2, -1}}
	for _, tt := range tests {
		if _, err := Pairs(tt.g, tt.l); err == nil {
			t.Errorf("Pairs(%d, %d): got nil error, want one", tt.g, tt.l)
		}
	}
}

func TestSlices(t *testing.T) {
	tests := []struct {
		name     string
		b, mb    int
		want     []Slice
		wantFail bool
	}{
		{"no mini-batching", 8, 0, []Slice{{0, 8}}, false},
		{"one slice = batch", 8, 8, []Slice{{0, 8}}, false},
		{"four slices", 8, 2, []Slice{{0, 2}, {2, 4}, {4, 6}, {6, 8}}, false},
		{"not divisible", 10, 4, nil, true},
		{"larger than batch", 4, 8, nil, true},
		{"slice of one", 4, 1, nil, true},
		{"batch of one", 1, 0, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Slices(tt.b, tt.mb)
			if tt.wantFail {
				if err == nil {
					t.Fatalf("Slices(%d, %d) = %v, want an error", tt.b, tt.mb, got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Slices(%d, %d) = %v, want %v", tt.b, tt.mb, got, tt.want)
			}
		})
	}
}
