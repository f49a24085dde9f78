package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"image"
	"image/png"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// zeroPNG encodes a w×h black RGB image: a few KB that decode to w·h pixels.
func zeroPNG(t testing.TB, w, h int) []byte {
	t.Helper()
	var buf bytes.Buffer
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 3; i < len(img.Pix); i += 4 {
		img.Pix[i] = 255
	}
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// slowRequest opens a connection and sends the headers of a POST whose body of n bytes
// trickles in one byte per interval; it returns the connection (closed by the test's end).
func slowRequest(t *testing.T, addr, path string, n int, interval time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\nContent-Length: %d\r\n\r\n", path, n)
	go func() {
		for i := 0; i < n; i++ {
			if _, err := c.Write([]byte{0x89}); err != nil {
				return
			}
			time.Sleep(interval)
		}
	}()
	return c
}

// TestSlowBodiesDoNotTakeSlots: connections trickling their bodies do not hold concurrency
// slots (issue 15: two of them locked out every other client with --max-concurrent 2), and
// are answered 408 once the body deadline passes.
func TestSlowBodiesDoNotTakeSlots(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 5)
	_, ts := newTestServer(t, Config{Encoder: enc, MaxConcurrent: 2, BodyTimeout: 1500 * time.Millisecond})
	addr := strings.TrimPrefix(ts.URL, "http://")
	slow := []net.Conn{slowRequest(t, addr, "/embed", 1000, 300*time.Millisecond), slowRequest(t, addr, "/embed", 1000, 300*time.Millisecond)}
	time.Sleep(300 * time.Millisecond)
	for i := 0; i < 3; i++ {
		if code, r := post(t, ts.Client(), ts.URL+"/embed", "image/png", pngs[0], nil); code != 200 {
			t.Fatalf("request %d beside two slow bodies: got %d %q, want 200", i, code, r.Error)
		}
	}
	for i, c := range slow {
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatalf("slow request %d: %v, want a 408 response", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Errorf("slow request %d: got %d, want 408", i, resp.StatusCode)
		}
	}
}

// TestDeadlineStopsDecoding: a request whose images take longer to decode than its timeout
// ends soon after the deadline with 503 naming the stage (issue 15: the server decoded
// everything, then answered late or not at all).
func TestDeadlineStopsDecoding(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	img := base64.StdEncoding.EncodeToString(zeroPNG(t, 1500, 1500))
	inputs := make([]string, 200) // ≈ 200 × 2.25 megapixels: several seconds of decoding
	for i := range inputs {
		inputs[i] = img
	}
	const timeout = 300 * time.Millisecond
	_, ts := newTestServer(t, Config{Encoder: enc, MaxPixels: 4_000_000, MaxImages: 256, RequestTimeout: timeout})
	body := embeddingsBody(t, inputs, nil)
	start := time.Now()
	code, r := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", body, nil)
	took := time.Since(start)
	if code != 503 || !strings.Contains(r.Error, "request timed out") || !strings.Contains(r.Error, "image") {
		t.Fatalf("got %d %q, want 503 naming the decoding stage", code, r.Error)
	}
	// One image's decode (tens of ms) may finish after the deadline; 1.5 s leaves room for a
	// loaded machine while the whole request would take several seconds.
	if took > timeout+1500*time.Millisecond {
		t.Fatalf("answered after %v, want soon after the %v deadline", took, timeout)
	}
}

// TestMaxPixelsDefault: by default an image may have at most 16× the model's input area
// (16×16 here: 4096 pixels); larger ones are refused before decoding.
func TestMaxPixelsDefault(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, ts := newTestServer(t, Config{Encoder: enc})
	if code, r := post(t, ts.Client(), ts.URL+"/embed", "image/png", zeroPNG(t, 64, 64), nil); code != 200 {
		t.Fatalf("64×64: got %d %q, want 200", code, r.Error)
	}
	code, r := post(t, ts.Client(), ts.URL+"/embed", "image/png", zeroPNG(t, 65, 64), nil)
	if code != 400 || !strings.Contains(r.Error, "65×64 is 4160 pixels") || !strings.Contains(r.Error, "--max-pixels") {
		t.Fatalf("65×64: got %d %q, want 400 naming the size and --max-pixels", code, r.Error)
	}
}

// TestPixelBudget: the budget admits at most its total, wakes waiters on release, and a waiter
// gives up when its context ends.
func TestPixelBudget(t *testing.T) {
	b := newPixelBudget(100)
	ctx := context.Background()
	if err := b.acquire(ctx, 60); err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if err := b.acquire(short, 60); err == nil {
		t.Fatal("acquired 60 of 100 pixels while 60 were taken")
	}
	got := make(chan error)
	go func() { got <- b.acquire(ctx, 60) }()
	select {
	case err := <-got:
		t.Fatalf("acquired before release: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	b.release(60)
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if err := b.acquire(short, 1000); err == nil { // capped at the total, which is taken
		t.Fatal("an image larger than the budget acquired it while it was in use")
	}
}

// TestReadyzRunsOnce: concurrent /readyz requests share one inference (issue 15: each GET ran
// one, unauthenticated and outside the concurrency limit).
func TestReadyzRunsOnce(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	s, ts := newTestServer(t, Config{Encoder: enc})
	var wg sync.WaitGroup
	codes := make(chan int, 50)
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := ts.Client().Get(ts.URL + "/readyz")
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	wg.Wait()
	close(codes)
	for c := range codes {
		if c != 200 {
			t.Fatalf("readyz: got %d, want 200", c)
		}
	}
	// 50 requests within the reuse interval; a slow machine may straddle it once.
	if n := s.ready.runs.Load(); n < 1 || n > 2 {
		t.Fatalf("readiness inference ran %d times for 50 requests, want 1 (2 at most)", n)
	}
}

// TestConnectionCap: Serve keeps at most MaxConns connections open; the next one is served
// once another closes.
func TestConnectionCap(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	s, err := New(Config{Encoder: enc, MaxConns: 2})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- s.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-done
	}()
	get := func(c net.Conn) (*http.Response, error) {
		fmt.Fprintf(c, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
		c.SetReadDeadline(time.Now().Add(500 * time.Millisecond))
		return http.ReadResponse(bufio.NewReader(c), nil)
	}
	var conns []net.Conn
	for i := 0; i < 3; i++ {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		conns = append(conns, c)
	}
	for i := 0; i < 2; i++ {
		if resp, err := get(conns[i]); err != nil || resp.StatusCode != 200 {
			t.Fatalf("connection %d: %v, want 200", i, err)
		}
	}
	if resp, err := get(conns[2]); err == nil {
		t.Fatalf("third connection served (%d) while two are open, want it held", resp.StatusCode)
	}
	conns[0].Close()
	conns[2].SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(conns[2]), nil)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("third connection after one closed: %v, want 200", err)
	}
}

// fakeClock is virtual time: it starts at the real time and advances only by Sleep, which
// returns at once. slept is the total virtual wait.
type fakeClock struct {
	mu    sync.Mutex
	now   time.Time
	slept time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept += d
	return ctx.Err()
}

// TestDecodeRate: a request of n images under a rate of r images/s with a burst of MaxBatch
// waits (n − burst)/r in all, measured on a virtual clock; one that would pass its deadline
// waiting gets 503 naming the limit before sleeping past the deadline.
func TestDecodeRate(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	img := base64.StdEncoding.EncodeToString(zeroPNG(t, 16, 16))
	tests := []struct {
		name     string
		n, batch int
		rate     float64
		timeout  time.Duration
		want     time.Duration // total wait
		wantCode int
	}{
		{"over the burst", 10, 4, 1, 0, 6 * time.Second, 200},
		{"fast rate", 100, 8, 200, 0, 460 * time.Millisecond, 200},
		{"within the burst", 4, 4, 1, 0, 0, 200},
		{"no limit", 50, 4, -1, 0, 0, 200},
		{"default rate, one batch", 32, 0, 0, 0, 0, 200},
		{"default rate, max images", 256, 0, 0, 0, (256 - DefaultMaxBatch) * time.Second / DefaultDecodeRate, 200},
		{"past the deadline", 40, 4, 1, 5 * time.Second, 0, 503},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := New(Config{Encoder: enc, MaxBatch: tc.batch, DecodeRate: tc.rate, RequestTimeout: tc.timeout})
			if err != nil {
				t.Fatal(err)
			}
			clk := &fakeClock{now: time.Now()}
			s.clock = clk // before the HTTP server starts
			ts := httptest.NewServer(s.Handler())
			defer s.Close()
			defer ts.Close()
			inputs := make([]string, tc.n)
			for i := range inputs {
				inputs[i] = img
			}
			code, r := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, inputs, nil), nil)
			if code != tc.wantCode {
				t.Fatalf("got %d %q, want %d", code, r.Error, tc.wantCode)
			}
			if code == 503 {
				if !strings.Contains(r.Error, "request timed out") || !strings.Contains(r.Error, "--decode-rate") {
					t.Fatalf("503 %q, want the timeout naming --decode-rate", r.Error)
				}
				// It gives up when the next wait would pass the deadline, not after sleeping
				// through it (the second of slack: real time the request took before its deadline was set).
				if clk.slept > tc.timeout+time.Second {
					t.Fatalf("waited %v before giving up, want at most the %v timeout", clk.slept, tc.timeout)
				}
				return
			}
			if d := clk.slept - tc.want; d < -time.Millisecond || d > time.Millisecond {
				t.Fatalf("%d images waited %v for the decode rate, want %v", tc.n, clk.slept, tc.want)
			}
		})
	}
}
