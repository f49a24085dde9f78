package train

import (
	"math"
	"time"
)

// Split is how a run shares the CPUs: augmentation worker goroutines and libtorch intra-op
// threads.
type Split struct {
	Workers, Threads int
}

// splitter adapts a Split while a CPU run goes, from measured costs: what one batch costs an
// augmentation worker (the loader's build time per batch), how long a training step takes, and
// how long the step waited for its batch. Every splitWindow steps it sets
//
//	cores the views need  d = build time per batch / step time
//	workers               = ⌈1.25·d⌉, one more while steps still wait for data (≥ 1, ≤ CPUs)
//	threads               = CPUs − round(d) (≥ 1)
//
// so that on a CPU device the network gets every core the views leave free: Fashion-MNIST views
// cost microseconds (d ≈ 0.01: one worker and every core for libtorch), large colour images
// with a small network can need several workers and fewer threads. Values fixed by the user
// (--workers, --threads) are never changed. Not safe for concurrent use.
type splitter struct {
	cpus                   int
	fixedWorkers, fixedThr bool
	cur                    Split
	// Accumulated over the current window.
	steps      int
	step, wait time.Duration
	builtAt    int64
	busyAt     time.Duration
}

// splitWindow is the number of steps between adjustments.
const splitWindow = 8

// waitFraction is the share of the step time spent waiting for data above which a worker is
// added even when the measured build cost says the current number suffices.
const waitFraction = 0.05

func newSplitter(cpus int, start Split, fixedWorkers, fixedThreads bool) *splitter {
	return &splitter{cpus: max(cpus, 1), cur: start, fixedWorkers: fixedWorkers, fixedThr: fixedThreads}
}

// observe records one step: its compute time, the time it waited for its batch, and the
// loader's cumulative build statistics. At the end of a window it returns the new split and
// true when it differs from the current one.
func (s *splitter) observe(step, wait time.Duration, built int64, busy time.Duration) (Split, bool) {
	s.steps++
	s.step += step
	s.wait += wait
	if s.steps < splitWindow {
		return s.cur, false
	}
	dBatches := built - s.builtAt
	dBusy := busy - s.busyAt
	stepPer := s.step / time.Duration(s.steps)
	waited := s.wait > time.Duration(waitFraction*float64(s.step+s.wait))
	s.steps, s.step, s.wait, s.builtAt, s.busyAt = 0, 0, 0, built, busy
	if dBatches <= 0 || stepPer <= 0 {
		return s.cur, false
	}
	d := float64(dBusy) / float64(dBatches) / float64(stepPer)
	next := s.cur
	if !s.fixedWorkers {
		w := int(math.Ceil(1.25 * d))
		if waited {
			w = max(w, s.cur.Workers+1)
		}
		next.Workers = min(max(w, 1), s.cpus)
	}
	if !s.fixedThr {
		next.Threads = min(max(s.cpus-int(math.Round(d)), 1), s.cpus)
	}
	if next == s.cur {
		return s.cur, false
	}
	s.cur = next
	return next, true
}
