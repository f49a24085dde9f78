package server

import (
	"context"
	"sync"
	"time"

	"github.com/scl-dev/scl/infer"
)

// job is a group of preprocessed images from one request, at most maxBatch of them.
type job struct {
	x     []float32 // n preprocessed images
	n     int
	out   []float32 // n·D features, written by the batcher
	err   error
	done  chan struct{}
	queue time.Time
}

// batcher runs jobs from concurrent requests together: it starts a batch with the first job
// waiting, adds jobs until maxBatch images or maxWait has passed, then runs the encoder once.
type batcher struct {
	enc      *infer.Encoder
	maxBatch int
	maxWait  time.Duration
	m        *metrics
	in       chan *job
	stop     chan struct{}
	wg       sync.WaitGroup
}

func newBatcher(enc *infer.Encoder, maxBatch int, maxWait time.Duration, runners int, m *metrics) *batcher {
	b := &batcher{enc: enc, maxBatch: maxBatch, maxWait: maxWait, m: m, in: make(chan *job), stop: make(chan struct{})}
	for i := 0; i < runners; i++ {
		b.wg.Add(1)
		go b.loop()
	}
	return b
}

// embed runs n preprocessed images x (split into jobs of at most maxBatch) and writes their
// features to out. It returns ctx's error if ctx ends first; the jobs then finish unobserved.
func (b *batcher) embed(ctx context.Context, x, out []float32, n int) error {
	size, dim := len(x)/n, b.enc.Dim()
	var jobs []*job
	for lo := 0; lo < n; lo += b.maxBatch {
		k := min(b.maxBatch, n-lo)
		j := &job{x: x[lo*size : (lo+k)*size], n: k, out: make([]float32, k*dim), done: make(chan struct{}), queue: time.Now()}
		b.m.queued.Add(int64(k))
		select {
		case b.in <- j:
		case <-ctx.Done():
			b.m.queued.Add(-int64(k))
			return ctx.Err()
		case <-b.stop:
			b.m.queued.Add(-int64(k))
			return errShuttingDown
		}
		jobs = append(jobs, j)
	}
	for i, j := range jobs {
		select {
		case <-j.done:
		case <-ctx.Done():
			return ctx.Err()
		}
		if j.err != nil {
			return j.err
		}
		copy(out[i*b.maxBatch*dim:], j.out)
	}
	return nil
}

func (b *batcher) loop() {
	defer b.wg.Done()
	size := b.enc.Preprocess.Size()
	dim := b.enc.Dim()
	x := make([]float32, b.maxBatch*size)
	out := make([]float32, b.maxBatch*dim)
	var carry *job
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		var batch []*job
		count := 0
		if carry != nil {
			batch, count, carry = append(batch, carry), carry.n, nil
		} else {
			select {
			case j := <-b.in:
				batch, count = append(batch, j), j.n
			case <-b.stop:
				return
			}
		}
		if count < b.maxBatch && b.maxWait > 0 {
			timer.Reset(b.maxWait)
		collect:
			for count < b.maxBatch {
				select {
				case j := <-b.in:
					if count+j.n > b.maxBatch {
						carry = j
						break collect
					}
					batch, count = append(batch, j), count+j.n
				case <-timer.C:
					break collect
				}
			}
			timer.Stop()
		} else if count < b.maxBatch {
			// No waiting: take only what is already queued.
		drain:
			for count < b.maxBatch {
				select {
				case j := <-b.in:
					if count+j.n > b.maxBatch {
						carry = j
						break drain
					}
					batch, count = append(batch, j), count+j.n
				default:
					break drain
				}
			}
		}
		b.run(batch, count, x[:count*size], out[:count*dim])
	}
}

func (b *batcher) run(batch []*job, count int, x, out []float32) {
	now := time.Now()
	off := 0
	for _, j := range batch {
		b.m.queueWait.observe(now.Sub(j.queue).Seconds())
		copy(x[off:], j.x)
		off += len(j.x)
	}
	b.m.queued.Add(-int64(count))
	b.m.batchSize.observe(float64(count))
	err := b.enc.RunTo(out, x, count)
	b.m.inference.observe(time.Since(now).Seconds())
	off = 0
	dim := b.enc.Dim()
	for _, j := range batch {
		if err != nil {
			j.err = err
		} else {
			copy(j.out, out[off:off+j.n*dim])
			b.m.images.Add(uint64(j.n))
		}
		off += j.n * dim
		close(j.done)
	}
}

// close stops the runners after the batch in progress; jobs still queued get errShuttingDown.
func (b *batcher) close() {
	close(b.stop)
	b.wg.Wait()
}
