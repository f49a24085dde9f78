package server

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scl-dev/scl/data"
)

// limited applies, in this order: the body limit (413), reading the whole body within
// BodyTimeout (408) — before any concurrency slot is taken, so slow senders hold only their
// own connection —, the concurrency limit (429) and the request timeout.
func (s *Server) limited(h handler) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		if s.stopping.Load() {
			return errShuttingDown
		}
		if r.ContentLength > s.cfg.MaxBodyBytes {
			return &http.MaxBytesError{Limit: s.cfg.MaxBodyBytes}
		}
		body, err := s.readBody(w, r)
		if err != nil {
			return err
		}
		r.Body = &bufferedBody{Reader: bytes.NewReader(body), b: body}
		select {
		case s.slots <- struct{}{}:
		default:
			return errBusy
		}
		defer func() { <-s.slots }()
		s.m.inflight.Add(1)
		defer s.m.inflight.Add(-1)
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		return h(w, r.WithContext(ctx))
	}
}

// readBody reads the request body (at most MaxBodyBytes) with a read deadline of
// BodyTimeout, which a client sending a byte every few seconds cannot extend.
func (s *Server) readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	rc := http.NewResponseController(w)
	deadline := time.Now().Add(s.cfg.BodyTimeout)
	_ = rc.SetReadDeadline(deadline) // unsupported by httptest recorders: the limit below still holds
	limited := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	body, err := readAllCapped(limited, r.ContentLength, s.cfg.MaxBodyBytes)
	var tooBig *http.MaxBytesError
	var ne net.Error
	if err != nil {
		// The deadline stays: net/http's attempt to drain the rest of the body before
		// answering then fails at once instead of waiting for a slow sender.
		w.Header().Set("Connection", "close")
	}
	switch {
	case err == nil:
		_ = rc.SetReadDeadline(time.Time{})
		return body, nil
	case errors.As(err, &tooBig):
		return nil, err
	case errors.As(err, &ne) && ne.Timeout(), time.Now().After(deadline):
		return nil, &Error{Status: http.StatusRequestTimeout, Msg: fmt.Sprintf("request body not received within %s", s.cfg.BodyTimeout)}
	}
	return nil, &Error{Status: http.StatusBadRequest, Msg: fmt.Sprintf("reading the request body: %v", err)}
}

// readAllCapped reads r to its end into one buffer: of the announced size when known,
// otherwise grown by doubling but never beyond limit+1 bytes, so that a body of unknown
// length costs at most its size plus the smaller buffers left behind (bytes.Buffer would
// double past the limit).
func readAllCapped(r io.Reader, size, limit int64) ([]byte, error) {
	c := int64(64 << 10)
	if size >= 0 {
		c = size + 1 // +1: the read that sees EOF
	}
	buf := make([]byte, 0, min(c, limit+1))
	for {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(2*int64(cap(buf)), limit+1))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return buf, err
		}
	}
}

// pixelBudget bounds the pixels being decoded and preprocessed at once across all requests,
// so that decoding memory is bounded by configuration, not by clients. It is a weighted
// semaphore whose waiters give up when their context ends.
type pixelBudget struct {
	mu    sync.Mutex
	free  int64
	total int64
	wake  chan struct{} // closed and replaced whenever pixels are released
}

func newPixelBudget(total int64) *pixelBudget {
	return &pixelBudget{free: total, total: total, wake: make(chan struct{})}
}

// acquire takes n pixels (n ≤ total), waiting until they are free or ctx ends.
func (b *pixelBudget) acquire(ctx context.Context, n int64) error {
	n = min(n, b.total)
	for {
		b.mu.Lock()
		if b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return nil
		}
		wake := b.wake
		b.mu.Unlock()
		select {
		case <-wake:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (b *pixelBudget) release(n int64) {
	n = min(n, b.total)
	b.mu.Lock()
	b.free += n
	close(b.wake)
	b.wake = make(chan struct{})
	b.mu.Unlock()
}

// readiness runs the readiness check at most once at a time and reuses a result for
// readyTTL, so that GET /readyz (unauthenticated, outside the concurrency limit) cannot be
// used to run inference at will.
type readiness struct {
	mu   sync.Mutex
	at   time.Time
	err  error
	runs atomic.Int64 // checks actually run (for tests)
}

const readyTTL = time.Second

func (rd *readiness) check(run func() error) error {
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < readyTTL {
		return rd.err
	}
	rd.runs.Add(1)
	rd.err = run()
	rd.at = time.Now()
	return rd.err
}

// connLimitListener accepts at most n connections at once; further ones wait in the kernel's
// backlog until one closes.
type connLimitListener struct {
	net.Listener
	sem       chan struct{}
	closed    chan struct{}
	closeOnce sync.Once
}

func limitConns(ln net.Listener, n int) net.Listener {
	return &connLimitListener{Listener: ln, sem: make(chan struct{}, n), closed: make(chan struct{})}
}

func (l *connLimitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.closed:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitedConn{Conn: c, release: func() { <-l.sem }}, nil
}

func (l *connLimitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}

// decodeTo decodes image i of n and preprocesses it into dst, within the pixel budget and the
// request's deadline: the context is checked before each stage, and a request past its
// deadline ends with 503 naming the stage.
func (s *Server) decodeTo(ctx context.Context, dst []float32, b []byte, i, n int) error {
	pre := s.enc.Preprocess
	if err := ctx.Err(); err != nil {
		return deadlineError(err, fmt.Sprintf("before decoding image %d of %d", i, n))
	}
	w, h, err := data.ImageSize(b)
	if err != nil {
		return badRequest("image %d: cannot decode: %v", i, err)
	}
	px := int64(w) * int64(h)
	if px > s.cfg.MaxPixels {
		return badRequest("image %d: %d×%d is %d pixels, this server decodes at most %d (--max-pixels)", i, w, h, px, s.cfg.MaxPixels)
	}
	if s.cfg.ExactSize && (w != pre.Width || h != pre.Height) {
		return badRequest("image %d: size %d×%d, this model takes %d×%d", i, w, h, pre.Width, pre.Height)
	}
	if err := s.pixels.acquire(ctx, px); err != nil {
		return deadlineError(err, fmt.Sprintf("waiting for the decoding budget for image %d of %d", i, n))
	}
	defer s.pixels.release(px)
	img, err := data.DecodeImageLimit(b, s.cfg.MaxPixels)
	if err != nil {
		return badRequest("image %d: cannot decode: %v", i, err)
	}
	if err := ctx.Err(); err != nil {
		return deadlineError(err, fmt.Sprintf("after decoding image %d of %d", i, n))
	}
	if err := pre.ImageTo(dst, img); err != nil {
		return badRequest("image %d: %v", i, err)
	}
	return nil
}

// stageError is a context error with the stage of the request it interrupted.
type stageError struct {
	stage string
	err   error
}

func (e *stageError) Error() string { return "request timed out " + e.stage }
func (e *stageError) Unwrap() error { return e.err }

func deadlineError(err error, stage string) error { return &stageError{stage: stage, err: err} }

// clock is the time the decode rate limit reads and waits on.
type clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx ends, returning ctx's error in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// decodeRate is one request's token bucket for DecodeRate: it holds up to burst images,
// starts full and refills at rate images per second. A nil *decodeRate imposes no limit.
type decodeRate struct {
	clock  clock
	rate   float64 // images per second
	burst  float64
	tokens float64
	last   time.Time
}

func (s *Server) newDecodeRate() *decodeRate {
	if s.cfg.DecodeRate < 0 {
		return nil
	}
	burst := float64(s.cfg.MaxBatch)
	return &decodeRate{clock: s.clock, rate: s.cfg.DecodeRate, burst: burst, tokens: burst, last: s.clock.Now()}
}

// wait takes one token for image i of n, waiting for it if the bucket is empty. If the wait
// would end past ctx's deadline it returns at once the 503 stage error the other deadline
// checks use.
func (r *decodeRate) wait(ctx context.Context, i, n int) error {
	if r == nil {
		return nil
	}
	now := r.clock.Now()
	r.tokens = min(r.burst, r.tokens+now.Sub(r.last).Seconds()*r.rate)
	r.last = now
	r.tokens--
	if r.tokens >= 0 {
		return nil
	}
	d := time.Duration(-r.tokens / r.rate * float64(time.Second))
	stage := fmt.Sprintf("waiting for the decode rate limit (%g images/s per request after the first %g, --decode-rate) before image %d of %d", r.rate, r.burst, i, n)
	if dl, ok := ctx.Deadline(); ok && now.Add(d).After(dl) {
		return deadlineError(context.DeadlineExceeded, stage)
	}
	if err := r.clock.Sleep(ctx, d); err != nil {
		return deadlineError(err, stage)
	}
	return nil
}
