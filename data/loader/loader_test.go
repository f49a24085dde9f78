package loader

import (
	"context"
	"errors"
	"io"
	"sort"
	"strings"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

// synth is a small in-memory data set of distinct 20×20 RGB images; items in bad fail to
// decode with data.ErrFormat.
type synth struct {
	n   int
	bad map[int]bool
}

func (s *synth) Len() int { return s.n }
func (s *synth) Info() data.Info {
	return data.Info{Name: "synth", Split: "train", Width: 20, Height: 20, Channels: 3, Classes: []string{"a", "b", "c"}}
}
func (s *synth) Image(i int) (data.Image, error) {
	if s.bad[i] {
		return data.Image{}, errors.Join(data.ErrFormat, errors.New("broken item"))
	}
	img := data.Image{W: 20, H: 20, C: 3, Pix: make([]uint8, 1200)}
	for k := range img.Pix {
		img.Pix[k] = uint8(i*13 + k*7)
	}
	return img, nil
}
func (s *synth) Label(i int) int { return i % 3 }
func (s *synth) ID(i int) string { return "" }
func (s *synth) Close() error    { return nil }

func collect(t *testing.T, l *Loader, epoch, start int) []*Batch {
	t.Helper()
	it := l.Epoch(context.Background(), epoch, start)
	defer it.Close()
	var out []*Batch
	for {
		b, err := it.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		// Copy: the buffers go back to the pool.
		c := &Batch{N: b.N, Step: b.Step, Epoch: b.Epoch, Indices: append([]int(nil), b.Indices...), Labels: append([]int64(nil), b.Labels...)}
		for _, v := range b.Views {
			c.Views = append(c.Views, append([]float32(nil), v...))
		}
		b.Release()
		out = append(out, c)
	}
}

func equalBatches(t *testing.T, a, b []*Batch) {
	t.Helper()
	if len(a) != len(b) {
		t.Fatalf("got %d batches, want %d", len(a), len(b))
	}
	for k := range a {
		if a[k].Step != b[k].Step || len(a[k].Indices) != len(b[k].Indices) {
			t.Fatalf("batch %d: step %d/%d, rows %d/%d", k, a[k].Step, b[k].Step, len(a[k].Indices), len(b[k].Indices))
		}
		for r := range a[k].Indices {
			if a[k].Indices[r] != b[k].Indices[r] {
				t.Fatalf("batch %d row %d: index %d vs %d", k, r, a[k].Indices[r], b[k].Indices[r])
			}
		}
		for v := range a[k].Views {
			for i := range a[k].Views[v] {
				if a[k].Views[v][i] != b[k].Views[v][i] {
					t.Fatalf("batch %d view %d value %d: %v vs %v", k, v, i, a[k].Views[v][i], b[k].Views[v][i])
				}
			}
		}
	}
}

func newLoader(t *testing.T, ds data.Dataset, mod func(*Config)) *Loader {
	t.Helper()
	mc, err := augment.NewMultiCrop(16, 2, 2, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Dataset: ds, Transform: mc, BatchSize: 4, Shuffle: true, Seed: 9, Workers: 1}
	if mod != nil {
		mod(&cfg)
	}
	l, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestBatchesLayoutAndLabels(t *testing.T) {
	ds := &synth{n: 10}
	l := newLoader(t, ds, nil)
	bs := collect(t, l, 0, 0)
	if len(bs) != 3 || l.Len() != 3 || bs[2].N != 2 {
		t.Fatalf("got %d batches (last %d rows), want 3 with a final partial batch of 2", len(bs), bs[len(bs)-1].N)
	}
	seen := map[int]bool{}
	for _, b := range bs {
		for r, idx := range b.Indices {
			seen[idx] = true
			if b.Labels[r] != int64(idx%3) {
				t.Errorf("item %d label got %d, want %d", idx, b.Labels[r], idx%3)
			}
		}
		if len(b.Views) != 4 || len(b.Views[0]) != b.N*3*16*16 || len(b.Views[3]) != b.N*3*6*6 {
			t.Errorf("view sizes got %d and %d floats, want %d and %d", len(b.Views[0]), len(b.Views[3]), b.N*3*16*16, b.N*3*6*6)
		}
	}
	if len(seen) != 10 {
		t.Errorf("epoch covered %d distinct items, want 10", len(seen))
	}
	// Row r of a view is the transform of item Indices[r] with its own seed.
	mc, _ := augment.NewMultiCrop(16, 2, 2, 3)
	b := bs[1]
	idx := b.Indices[1]
	img, _ := ds.Image(idx)
	dst := make([][]float32, 4)
	for v, s := range mc.Shapes() {
		dst[v] = make([]float32, s.Len())
	}
	mc.NewWorker().Apply(img, augment.NewRNG(augment.SeedFor(9, 0, idx)), dst)
	for v, s := range mc.Shapes() {
		row := b.Views[v][s.Len() : 2*s.Len()]
		for i := range row {
			if row[i] != dst[v][i] {
				t.Fatalf("view %d of row 1 differs from the item's own transform at %d", v, i)
			}
		}
	}
	// DropLast.
	l = newLoader(t, ds, func(c *Config) { c.DropLast = true })
	if got := len(collect(t, l, 0, 0)); got != 2 {
		t.Errorf("drop last: got %d batches, want 2", got)
	}
}

func TestDeterministicAcrossWorkers(t *testing.T) {
	ds := &synth{n: 23}
	one := collect(t, newLoader(t, ds, nil), 3, 0)
	three := collect(t, newLoader(t, ds, func(c *Config) { c.Workers = 3; c.Prefetch = 2 }), 3, 0)
	equalBatches(t, one, three)
	other := collect(t, newLoader(t, ds, nil), 4, 0)
	if one[0].Indices[0] == other[0].Indices[0] && one[0].Indices[1] == other[0].Indices[1] && one[0].Indices[2] == other[0].Indices[2] {
		t.Errorf("epochs 3 and 4 start with the same items: shuffling does not depend on the epoch")
	}
}

func TestResume(t *testing.T) {
	ds := &synth{n: 30}
	full := collect(t, newLoader(t, ds, func(c *Config) { c.Workers = 2 }), 1, 0)
	resumed := collect(t, newLoader(t, ds, nil), 1, 5)
	equalBatches(t, full[5:], resumed)
}

func TestSharding(t *testing.T) {
	ds := &synth{n: 23}
	var all []int
	perRank := -1
	for rank := range 3 {
		l := newLoader(t, ds, func(c *Config) { c.Rank, c.WorldSize = rank, 3 })
		var mine []int
		for _, b := range collect(t, l, 2, 0) {
			mine = append(mine, b.Indices...)
		}
		if perRank >= 0 && len(mine) != perRank {
			t.Errorf("rank %d got %d items, want %d like rank 0", rank, len(mine), perRank)
		}
		perRank = len(mine)
		all = append(all, mine...)
	}
	if perRank != 7 {
		t.Errorf("items per rank got %d, want ⌊23/3⌋ = 7", perRank)
	}
	sort.Ints(all)
	for i := 1; i < len(all); i++ {
		if all[i] == all[i-1] {
			t.Fatalf("item %d on two ranks", all[i])
		}
	}
	// The ranks together take the first 21 items of the single-process epoch order.
	order := newLoader(t, ds, nil).Order(2)[:21]
	sort.Ints(order)
	for i := range order {
		if order[i] != all[i] {
			t.Fatalf("ranks' items %v, want %v", all, order)
		}
	}
	if _, err := New(Config{Dataset: ds, Transform: &augment.MultiCrop{}, BatchSize: 1, Rank: 3, WorldSize: 3}); err == nil {
		t.Errorf("rank 3 of 3 got nil error, want one")
	}
}

func TestErrorsAndSkipCorrupt(t *testing.T) {
	ds := &synth{n: 12, bad: map[int]bool{5: true}}
	it := newLoader(t, ds, func(c *Config) { c.Shuffle = false }).Epoch(context.Background(), 0, 0)
	var err error
	for err == nil {
		var b *Batch
		b, err = it.Next()
		b.Release()
	}
	it.Close()
	if err == io.EOF || !strings.Contains(err.Error(), "broken item") || !strings.Contains(err.Error(), "batch 1") {
		t.Errorf("got %v, want the item's error naming batch 1", err)
	}
	if _, again := it.Next(); again != err {
		t.Errorf("Next after an error got %v, want the same error", again)
	}
	l := newLoader(t, ds, func(c *Config) { c.Shuffle = false; c.SkipCorrupt = true })
	bs := collect(t, l, 0, 0)
	if l.Substituted() != 1 || bs[1].Indices[1] != 6 || bs[1].Labels[1] != 6%3 {
		t.Errorf("skip: substituted %d, row (%d, label %d), want 1 substitution of item 5 by item 6 (label 0)", l.Substituted(), bs[1].Indices[1], bs[1].Labels[1])
	}
}

func TestCancelAndClose(t *testing.T) {
	ds := &synth{n: 400}
	l := newLoader(t, ds, func(c *Config) { c.Workers = 3; c.BatchSize = 2 })
	ctx, cancel := context.WithCancel(context.Background())
	it := l.Epoch(ctx, 0, 0)
	if _, err := it.Next(); err != nil {
		t.Fatal(err)
	}
	cancel()
	var err error
	for range 500 {
		if _, err = it.Next(); err != nil {
			break
		}
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("after cancel got %v, want context.Canceled", err)
	}
	it.Close()
	it.Close()
	// Closing early without cancelling stops the workers too.
	it = l.Epoch(context.Background(), 0, 0)
	it.Next()
	it.Close()
}

func TestSetWorkersAndBuildStats(t *testing.T) {
	ds := &synth{n: 23}
	l := newLoader(t, ds, nil)
	before := collect(t, l, 2, 0)
	n, busy := l.BuildStats()
	if n != int64(len(before)) || busy <= 0 {
		t.Errorf("after one epoch of %d batches: BuildStats = %d batches, %v busy; want %d, > 0", len(before), n, busy, len(before))
	}
	l.SetWorkers(3)
	if got := l.Workers(); got != 3 {
		t.Errorf("Workers() = %d after SetWorkers(3), want 3", got)
	}
	// The continuation of the same epoch with more workers holds the same batches.
	after := collect(t, l, 2, 2)
	equalBatches(t, before[2:], after)
	if n2, _ := l.BuildStats(); n2 != n+int64(len(after)) {
		t.Errorf("BuildStats = %d batches, want %d", n2, n+int64(len(after)))
	}
	l.SetWorkers(0)
	if got := l.Workers(); got != 1 {
		t.Errorf("Workers() = %d after SetWorkers(0), want 1", got)
	}
}
