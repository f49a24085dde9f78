package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// rssBytes is the process's resident set size from /proc/self/status (0 when unavailable).
func rssBytes() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// slowReader yields n bytes, one per interval, until ctx ends.
type slowReader struct {
	ctx      context.Context
	n        int
	interval time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	select {
	case <-time.After(r.interval):
	case <-r.ctx.Done():
		return 0, r.ctx.Err()
	}
	p[0] = 'x'
	r.n--
	return 1, nil
}

// zeros is an endless reader of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestSoak runs 64 clients for SCL_SOAK_SECONDS (default 15) against one server with the
// default limits on loopback, mixing valid requests, undecodable images, oversized bodies,
// images over the pixel limit, bodies trickling in and clients giving up. Valid requests get
// 200 or a documented 429/503; every other request its documented 4xx; no 500 at all. The
// process's RSS stays under its level before the run plus twice (Go's heap grows to twice the
// live data before collecting, GOGC=100) what the limits let the server hold: 4 oversized
// bodies in flight (MaxBodyBytes each: one client in 16 sends them) and 8 bytes per pixel of
// the decoding budget; plus 256 MiB of slack for the clients, the runtime and ONNX Runtime's
// arenas. No goroutine outlives the server. It prints throughput, latency and peak RSS.
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test skipped in -short mode")
	}
	seconds := 15
	if v, err := strconv.Atoi(os.Getenv("SCL_SOAK_SECONDS")); err == nil && v > 0 && v <= 110 {
		seconds = v
	}
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 8, 16, 16, 21)
	atLimit, overLimit := zeroPNG(t, 64, 64), zeroPNG(t, 65, 64) // the default limit is 16×16×16 pixels
	var multi []string
	for _, p := range pngs {
		multi = append(multi, base64.StdEncoding.EncodeToString(p))
	}
	multiBody := embeddingsBody(t, multi, nil)

	goroutines := runtime.NumGoroutine()
	runtime.GC()
	rss0 := rssBytes()
	s, err := New(Config{Encoder: enc})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srvCtx, stopServer := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- s.Serve(srvCtx, ln) }()
	url := "http://" + ln.Addr().String()
	bound := rss0 + 2*(4*s.cfg.MaxBodyBytes+8*s.cfg.DecodePixels) + 256<<20

	var peak int64
	stopRSS := make(chan struct{})
	rssDone := make(chan struct{})
	go func() {
		defer close(rssDone)
		for {
			peak = max(peak, rssBytes())
			select {
			case <-stopRSS:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()

	type outcome struct {
		kind string
		code int // 0: the client saw a transport error
		err  string
		lat  time.Duration
	}
	allowed := map[string][]int{
		"valid":       {200, 429, 503},
		"valid multi": {200, 429, 503},
		"at limit":    {200, 429, 503},
		"undecodable": {400, 429},
		"bad json":    {400, 429},
		"over limit":  {400, 429},
		// The server may close before the client has sent everything (0), or, on a loaded
		// machine, 32 MiB may take longer than the body deadline (408).
		"oversized": {413, 408, 0},
		"slow body": {408},
		"abort":     {0},
	}
	kinds := []string{"valid", "valid", "valid", "valid", "valid", "valid", "valid multi", "at limit",
		"undecodable", "bad json", "over limit", "slow body", "slow body", "abort", "abort", "oversized"}
	tr := &http.Transport{MaxIdleConnsPerHost: 64, MaxConnsPerHost: 64}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	deadline := time.Now().Add(time.Duration(seconds) * time.Second)
	var mu sync.Mutex
	var outcomes []outcome
	var wg sync.WaitGroup
	for k := 0; k < 64; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			kind := kinds[k%len(kinds)]
			rng := rand.New(rand.NewPCG(uint64(k), 5))
			for time.Now().Before(deadline) {
				ctx, cancel := context.WithCancel(context.Background())
				var req *http.Request
				switch kind {
				case "valid":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", bytes.NewReader(pngs[rng.IntN(len(pngs))]))
				case "valid multi":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/v1/embeddings", bytes.NewReader(multiBody))
				case "at limit":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", bytes.NewReader(atLimit))
				case "undecodable":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", bytes.NewReader([]byte("\x89PNG\r\n\x1a\nnot really")))
				case "bad json":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/v1/embeddings", strings.NewReader(`{"input":["QQ",`))
				case "over limit":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", bytes.NewReader(overLimit))
				case "oversized": // no Content-Length: the server finds out by reading
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", io.LimitReader(zeros{}, s.cfg.MaxBodyBytes+1<<20))
				case "slow body":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/embed", &slowReader{ctx: ctx, n: 1 << 20, interval: 200 * time.Millisecond})
				case "abort":
					req, _ = http.NewRequestWithContext(ctx, "POST", url+"/v1/embeddings", bytes.NewReader(multiBody))
					time.AfterFunc(time.Duration(rng.IntN(5000))*time.Microsecond, cancel)
				}
				req.Header.Set("Content-Type", "image/png")
				t0 := time.Now()
				resp, err := client.Do(req)
				o := outcome{kind: kind, lat: time.Since(t0)}
				if err != nil {
					o.err = err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					o.code = resp.StatusCode
					if o.code != 200 {
						o.err = string(b)
					}
				}
				cancel()
				mu.Lock()
				outcomes = append(outcomes, o)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	close(stopRSS)
	<-rssDone
	stopServer()
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
	tr.CloseIdleConnections()

	counts := map[string]map[int]int{}
	var lat []float64
	ok := 0
	for _, o := range outcomes {
		if counts[o.kind] == nil {
			counts[o.kind] = map[int]int{}
		}
		counts[o.kind][o.code]++
		if o.code == 200 {
			ok++
			if o.kind == "valid" {
				lat = append(lat, o.lat.Seconds())
			}
		}
		good := false
		for _, c := range allowed[o.kind] {
			good = good || c == o.code
		}
		if o.kind == "abort" && o.code != 0 { // a request may complete before its client gives up
			good = o.code == 200 || o.code == 429 || o.code == 503
		}
		if !good {
			t.Errorf("%s request: got %d %q, want one of %v", o.kind, o.code, o.err, allowed[o.kind])
		}
	}
	if counts["valid"][200] == 0 {
		t.Fatalf("no valid request succeeded: %v", counts)
	}
	sort.Float64s(lat)
	fmt.Fprintf(os.Stderr, "soak: %d s, 64 clients, %d requests, %.0f successful requests/s; valid /embed p50 %.1f ms, p99 %.1f ms; RSS %.0f MB before, peak %.0f MB (bound %.0f MB)\n",
		seconds, len(outcomes), float64(ok)/float64(seconds), lat[len(lat)/2]*1e3, lat[len(lat)*99/100]*1e3, float64(rss0)/1e6, float64(peak)/1e6, float64(bound)/1e6)
	fmt.Fprintf(os.Stderr, "soak: status codes by kind: %v\n", counts)
	if peak > bound {
		t.Errorf("peak RSS %d MB, want ≤ %d MB", peak>>20, bound>>20)
	}
	var now int
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if now = runtime.NumGoroutine(); now <= goroutines+2 {
			break
		}
	}
	if now > goroutines+2 {
		buf := make([]byte, 1<<20)
		n := runtime.Stack(buf, true)
		t.Errorf("%d goroutines after the server stopped, %d before: leak\n%s", now, goroutines, buf[:n])
	}
}
