package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
)

// Config configures a Loader. Zero values take the documented defaults.
type Config struct {
	Dataset   data.Dataset      // required
	Transform augment.Transform // required: augment.MultiCrop for training, preprocess.Spec for extraction
	BatchSize int               // required, ≥ 1
	Shuffle   bool              // reshuffle every epoch
	DropLast  bool              // drop the final partial batch
	Seed      uint64            // seeds shuffling and augmentation
	Workers   int               // goroutines building batches (default GOMAXPROCS)
	Prefetch  int               // batches in flight (default 2·Workers)
	Rank      int               // this process's rank, 0 ≤ Rank < WorldSize
	WorldSize int               // number of ranks (default 1)
	// SkipCorrupt replaces an item whose image fails to decode (an error wrapping
	// data.ErrFormat) by the next decodable item in data set order, and counts it
	// (Loader.Substituted); otherwise the batch fails with the error.
	SkipCorrupt bool
}

// Loader produces batches; see the package documentation.
type Loader struct {
	cfg         Config
	shapes      []augment.Shape
	perRank     int
	batches     int
	pool        sync.Pool
	substituted atomic.Int64
	// built and buildNanos count the batches built and the time spent building them.
	built, buildNanos atomic.Int64
	// prefetchSet records that Config.Prefetch was given (otherwise it follows Workers).
	prefetchSet bool
}

// New validates cfg and returns a Loader.
func New(cfg Config) (*Loader, error) {
	if cfg.Dataset == nil || cfg.Transform == nil {
		return nil, errors.New("loader: Dataset and Transform are required")
	}
	if cfg.BatchSize < 1 {
		return nil, fmt.Errorf("loader: batch size %d, want ≥ 1", cfg.BatchSize)
	}
	if cfg.WorldSize == 0 {
		cfg.WorldSize = 1
	}
	if cfg.WorldSize < 1 || cfg.Rank < 0 || cfg.Rank >= cfg.WorldSize {
		return nil, fmt.Errorf("loader: rank %d of world size %d, want 0 ≤ rank < world size", cfg.Rank, cfg.WorldSize)
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	prefetchSet := cfg.Prefetch > 0
	if !prefetchSet {
		cfg.Prefetch = 2 * cfg.Workers
	}
	l := &Loader{cfg: cfg, shapes: cfg.Transform.Shapes(), prefetchSet: prefetchSet}
	n := cfg.Dataset.Len()
	l.perRank = n / cfg.WorldSize
	if cfg.WorldSize == 1 {
		l.perRank = n
	}
	if cfg.DropLast {
		l.batches = l.perRank / cfg.BatchSize
	} else {
		l.batches = (l.perRank + cfg.BatchSize - 1) / cfg.BatchSize
	}
	if l.batches == 0 {
		return nil, fmt.Errorf("loader: %d items per rank (%d in %s %s, world size %d) make no batch of %d",
			l.perRank, n, cfg.Dataset.Info().Name, cfg.Dataset.Info().Split, cfg.WorldSize, cfg.BatchSize)
	}
	return l, nil
}

// Len is the number of batches per epoch on this rank.
func (l *Loader) Len() int { return l.batches }

// Samples is the number of items per epoch on this rank, before DropLast.
func (l *Loader) Samples() int { return l.perRank }

// Shapes are the per-view [C, H, W] shapes.
func (l *Loader) Shapes() []augment.Shape { return l.shapes }

// Substituted counts the corrupt items replaced so far (SkipCorrupt).
func (l *Loader) Substituted() int64 { return l.substituted.Load() }

// Workers returns the number of goroutines the next Epoch starts.
func (l *Loader) Workers() int { return l.cfg.Workers }

// SetWorkers changes the number of goroutines (n ≥ 1) of the iterators started by later Epoch
// calls (and their prefetch depth, unless Config.Prefetch was given); running iterators keep
// theirs. Batches do not depend on the number of workers. Not safe concurrently with Epoch.
func (l *Loader) SetWorkers(n int) {
	l.cfg.Workers = max(n, 1)
	if !l.prefetchSet {
		l.cfg.Prefetch = 2 * l.cfg.Workers
	}
}

// BuildStats returns the number of batches built so far (all iterators) and the wall time the
// workers spent building them: busy/batches is what one batch costs a worker, which with the
// consumer's time per batch says how many workers keep up. Safe for concurrent use.
func (l *Loader) BuildStats() (batches int64, busy time.Duration) {
	return l.built.Load(), time.Duration(l.buildNanos.Load())
}

// Order returns this rank's item order for an epoch (data set indices).
func (l *Loader) Order(epoch int) []int {
	n := l.cfg.Dataset.Len()
	perm := make([]int, n)
	if l.cfg.Shuffle {
		augment.NewRNG(augment.SeedFor(l.cfg.Seed, epoch, -1)).Perm(perm)
	} else {
		for i := range perm {
			perm[i] = i
		}
	}
	if l.cfg.WorldSize == 1 {
		return perm
	}
	out := make([]int, l.perRank)
	for k := range out {
		out[k] = perm[k*l.cfg.WorldSize+l.cfg.Rank]
	}
	return out
}

// Batch is one batch of views. Views[v] holds N·C·H·W float32 values, NCHW, with [C, H, W] =
// Shapes[v].
type Batch struct {
	Views   [][]float32
	Shapes  []augment.Shape
	Indices []int   // data set index of each row (the substitute's with SkipCorrupt)
	Labels  []int64 // label of each row (-1 when unlabeled)
	N       int     // rows
	Epoch   int
	Step    int // batch index within the epoch
	owner   *Loader
	full    [][]float32
}

// Release hands the buffers back for reuse; the batch must not be used afterwards.
func (b *Batch) Release() {
	if b == nil || b.owner == nil {
		return
	}
	o := b.owner
	b.owner = nil
	o.pool.Put(b)
}

func (l *Loader) newBatch(rows int) *Batch {
	b, _ := l.pool.Get().(*Batch)
	if b == nil {
		b = &Batch{Shapes: l.shapes, full: make([][]float32, len(l.shapes)), Views: make([][]float32, len(l.shapes))}
		for v, s := range l.shapes {
			b.full[v] = make([]float32, l.cfg.BatchSize*s.Len())
		}
		b.Indices = make([]int, 0, l.cfg.BatchSize)
		b.Labels = make([]int64, 0, l.cfg.BatchSize)
	}
	b.owner = l
	b.N = rows
	for v, s := range l.shapes {
		b.Views[v] = b.full[v][:rows*s.Len()]
	}
	b.Indices = b.Indices[:rows]
	b.Labels = b.Labels[:rows]
	return b
}

// build fills batch k of an epoch order.
func (l *Loader) build(w augment.Worker, rng *augment.RNG, dst [][]float32, order []int, epoch, k int) (*Batch, error) {
	lo := k * l.cfg.BatchSize
	hi := min(lo+l.cfg.BatchSize, len(order))
	b := l.newBatch(hi - lo)
	b.Epoch, b.Step = epoch, k
	for r := range b.N {
		idx := order[lo+r]
		img, used, err := l.image(idx)
		if err != nil {
			b.Release()
			return nil, fmt.Errorf("loader: epoch %d batch %d: %w", epoch, k, err)
		}
		for v, s := range l.shapes {
			dst[v] = b.Views[v][r*s.Len() : (r+1)*s.Len()]
		}
		rng.Seed(augment.SeedFor(l.cfg.Seed, epoch, idx))
		if err := w.Apply(img, rng, dst); err != nil {
			b.Release()
			return nil, fmt.Errorf("loader: epoch %d batch %d item %d: %w", epoch, k, idx, err)
		}
		b.Indices[r] = used
		b.Labels[r] = int64(l.cfg.Dataset.Label(used))
	}
	return b, nil
}

// image reads item idx, or with SkipCorrupt the first decodable item after it.
func (l *Loader) image(idx int) (data.Image, int, error) {
	d := l.cfg.Dataset
	img, err := d.Image(idx)
	if err == nil || !l.cfg.SkipCorrupt || !errors.Is(err, data.ErrFormat) {
		return img, idx, err
	}
	first := err
	n := d.Len()
	for t := 1; t < n && t <= 1000; t++ {
		j := (idx + t) % n
		img, err = d.Image(j)
		if err == nil {
			l.substituted.Add(1)
			return img, j, nil
		}
		if !errors.Is(err, data.ErrFormat) {
			return img, j, err
		}
	}
	return data.Image{}, idx, fmt.Errorf("no decodable item near %d: %w", idx, first)
}

type result struct {
	b   *Batch
	err error
}

// Iter iterates over one epoch's batches.
type Iter struct {
	ctx     context.Context
	cancel  context.CancelFunc
	results chan chan result
	wg      sync.WaitGroup
	err     error
}

// Epoch starts producing the batches of an epoch from batch index start (0 for a fresh epoch;
// k to resume after k batches). Close the iterator when done.
func (l *Loader) Epoch(ctx context.Context, epoch, start int) *Iter {
	ctx, cancel := context.WithCancel(ctx)
	it := &Iter{ctx: ctx, cancel: cancel, results: make(chan chan result, l.cfg.Prefetch)}
	if start < 0 || start > l.batches {
		it.err = fmt.Errorf("loader: start batch %d, want 0..%d", start, l.batches)
		close(it.results)
		return it
	}
	order := l.Order(epoch)
	if l.cfg.DropLast {
		order = order[:l.batches*l.cfg.BatchSize]
	}
	type job struct {
		k   int
		out chan result
	}
	jobs := make(chan job)
	for range l.cfg.Workers {
		it.wg.Add(1)
		go func() {
			defer it.wg.Done()
			w := l.cfg.Transform.NewWorker()
			rng := augment.NewRNG(0)
			dst := make([][]float32, len(l.shapes))
			for j := range jobs {
				t0 := time.Now()
				b, err := l.build(w, rng, dst, order, epoch, j.k)
				l.buildNanos.Add(int64(time.Since(t0)))
				l.built.Add(1)
				j.out <- result{b, err}
			}
		}()
	}
	it.wg.Add(1)
	go func() {
		defer it.wg.Done()
		defer close(it.results)
		defer close(jobs)
		for k := start; k < l.batches; k++ {
			out := make(chan result, 1)
			select {
			case it.results <- out:
			case <-ctx.Done():
				return
			}
			select {
			case jobs <- job{k, out}:
			case <-ctx.Done():
				out <- result{err: ctx.Err()}
				return
			}
		}
	}()
	return it
}

// Next returns the next batch, or io.EOF after the last one. After an error every later call
// returns the same error.
func (it *Iter) Next() (*Batch, error) {
	if it.err != nil {
		return nil, it.err
	}
	var out chan result
	var ok bool
	select {
	case out, ok = <-it.results:
	case <-it.ctx.Done():
		it.err = it.ctx.Err()
		return nil, it.err
	}
	if !ok {
		it.err = io.EOF
		return nil, io.EOF
	}
	select {
	case r := <-out:
		if r.err != nil {
			it.err = r.err
			it.cancel()
			return nil, r.err
		}
		return r.b, nil
	case <-it.ctx.Done():
		it.err = it.ctx.Err()
		return nil, it.err
	}
}

// Close stops the workers and waits for them. It is idempotent.
func (it *Iter) Close() error {
	it.cancel()
	for out := range it.results {
		select {
		case r := <-out:
			if r.b != nil {
				r.b.Release()
			}
		default:
		}
	}
	it.wg.Wait()
	return nil
}
