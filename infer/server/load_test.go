package server

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/scl-dev/scl/infer/internal/onnxtest"
)

type loadResult struct {
	errors     int
	firstErr   string
	throughput float64 // requests per second
	p50, p99   float64 // seconds
}

// runLoad sends clients×perClient single-image /embed requests from concurrent clients.
func runLoad(t testing.TB, ts *httptest.Server, pngs [][]byte, clients, perClient int) loadResult {
	t.Helper()
	tr := &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 60 * time.Second}
	var mu sync.Mutex
	var res loadResult
	lat := make([]float64, 0, clients*perClient)
	var wg sync.WaitGroup
	start := time.Now()
	for k := 0; k < clients; k++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perClient; i++ {
				t0 := time.Now()
				resp, err := c.Post(ts.URL+"/embed", "image/png", bytes.NewReader(pngs[(k+i)%len(pngs)]))
				msg := ""
				if err != nil {
					msg = err.Error()
				} else {
					b, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						msg = fmt.Sprintf("%d %s", resp.StatusCode, b)
					}
				}
				d := time.Since(t0).Seconds()
				mu.Lock()
				lat = append(lat, d)
				if msg != "" {
					if res.errors == 0 {
						res.firstErr = msg
					}
					res.errors++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.throughput = float64(clients*perClient) / time.Since(start).Seconds()
	sort.Float64s(lat)
	res.p50 = lat[len(lat)/2]
	res.p99 = lat[len(lat)*99/100]
	return res
}

func TestLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("load test skipped in -short mode")
	}
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 8, 16, 16, 8)
	_, ts := newTestServer(t, Config{Encoder: enc, MaxBatch: 32, MaxWait: 2 * time.Millisecond, MaxConcurrent: 128})
	const clients, perClient = 64, 50
	res := runLoad(t, ts, pngs, clients, perClient)
	if res.errors != 0 {
		t.Fatalf("load: %d errors of %d requests (first: %s), want 0", res.errors, clients*perClient, res.firstErr)
	}
	fmt.Fprintf(os.Stderr, "load test: %d clients × %d requests: %.0f requests/s, p50 %.2f ms, p99 %.2f ms\n",
		clients, perClient, res.throughput, res.p50*1e3, res.p99*1e3)
}

// TestBatchingGroupsRequests checks what dynamic batching must do, from the batch sizes the
// encoder is given (the batch-size histogram /metrics exposes): under 32 concurrent clients of
// single-image requests, MaxBatch 32 gives batches of mean size above 1 and none above 32,
// and MaxBatch 1 gives batches of exactly 1. BenchmarkBatchingThroughput measures the gain.
func TestBatchingGroupsRequests(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 8, 16, 16, 9)
	for _, tc := range []struct {
		maxBatch int
		wantMean func(float64) bool
		want     string
	}{
		{32, func(m float64) bool { return m > 1 }, "> 1"},
		{1, func(m float64) bool { return m == 1 }, "= 1"},
	} {
		// A long MaxWait makes a batch wait for the other clients' requests: with 32 clients
		// in flight, batches of one would need every other client to be stalled for 50 ms.
		s, ts := newTestServer(t, Config{Encoder: enc, MaxBatch: tc.maxBatch, MaxWait: 50 * time.Millisecond, MaxConcurrent: 64})
		const clients, perClient = 32, 3
		if r := runLoad(t, ts, pngs, clients, perClient); r.errors != 0 {
			t.Fatalf("max batch %d: %d errors (first: %s)", tc.maxBatch, r.errors, r.firstErr)
		}
		h := s.m.batchSize
		h.mu.Lock()
		n, sum, largest := h.n, h.sum, h.max
		h.mu.Unlock()
		if sum != clients*perClient {
			t.Fatalf("max batch %d: encoder saw %v images, want %d", tc.maxBatch, sum, clients*perClient)
		}
		if mean := sum / float64(n); !tc.wantMean(mean) || largest > float64(tc.maxBatch) {
			t.Fatalf("max batch %d: %d batches of mean size %.2f, largest %v; want mean %s and none above %d",
				tc.maxBatch, n, mean, largest, tc.want, tc.maxBatch)
		}
	}
}

// BenchmarkBatchingThroughput compares dynamic batching (max batch 32) with batch size 1
// under the same concurrent load of single-image requests, on an encoder whose last layer is
// a 1024×8192 MatMul (32 MiB of weights): at batch 1 ONNX Runtime streams the weights once per
// image, batched once per batch. The two settings alternate within each iteration and the
// ratio of their throughputs is reported (batched/one); on a bare machine it is about 4×.
func BenchmarkBatchingThroughput(b *testing.B) {
	heavy := onnxtest.Model{Channels: 3, Height: 4, Width: 4, Dim: 1024, Project: 8192, Seed: 10}
	enc := newEncoder(b, heavy, 2)
	_, pngs := randomPNGs(b, 8, 4, 4, 9)
	measure := func(maxBatch int) float64 {
		_, ts := newTestServer(b, Config{Encoder: enc, MaxBatch: maxBatch, MaxWait: 2 * time.Millisecond, MaxConcurrent: 64})
		r := runLoad(b, ts, pngs, 32, 10)
		if r.errors != 0 {
			b.Fatalf("max batch %d: %d errors (first: %s)", maxBatch, r.errors, r.firstErr)
		}
		return r.throughput
	}
	var one, batched []float64
	for i := 0; i < b.N; i++ {
		batched = append(batched, measure(32))
		one = append(one, measure(1))
	}
	sort.Float64s(one)
	sort.Float64s(batched)
	bm, om := batched[len(batched)/2], one[len(one)/2]
	b.ReportMetric(bm, "batched-req/s")
	b.ReportMetric(om, "batch1-req/s")
	b.ReportMetric(bm/om, "ratio")
}
