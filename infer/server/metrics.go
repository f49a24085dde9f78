package server

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
)

// histogram is a Prometheus histogram with fixed upper bounds.
type histogram struct {
	mu     sync.Mutex
	bounds []float64
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
	max    float64 // largest value observed (not exported; for tests)
}

func newHistogram(bounds ...float64) *histogram {
	return &histogram{bounds: bounds, counts: make([]uint64, len(bounds)+1)}
}

func (h *histogram) observe(v float64) {
	i := sort.SearchFloat64s(h.bounds, v) // first bound ≥ v: buckets are "le"
	h.mu.Lock()
	h.counts[i]++
	h.sum += v
	h.n++
	h.max = max(h.max, v)
	h.mu.Unlock()
}

func (h *histogram) write(w io.Writer, name, labels string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	sep := ""
	if labels != "" {
		sep = ","
	}
	var cum uint64
	for i, b := range h.bounds {
		cum += h.counts[i]
		fmt.Fprintf(w, "%s_bucket{%s%sle=%q} %d\n", name, labels, sep, formatFloat(b), cum)
	}
	cum += h.counts[len(h.bounds)]
	fmt.Fprintf(w, "%s_bucket{%s%sle=\"+Inf\"} %d\n", name, labels, sep, cum)
	if labels != "" {
		labels = "{" + labels + "}"
	}
	fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", name, labels, formatFloat(h.sum), name, labels, h.n)
}

func formatFloat(v float64) string {
	if math.IsInf(v, 1) {
		return "+Inf"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var latencyBounds = []float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30}

// metrics holds everything /metrics exposes. Safe for concurrent use.
type metrics struct {
	mu        sync.Mutex
	requests  map[[2]string]uint64 // (path, code) → count
	latency   map[string]*histogram
	queueWait *histogram
	batchSize *histogram
	inference *histogram
	images    atomic.Uint64
	queued    atomic.Int64 // images waiting for a batch
	inflight  atomic.Int64 // embedding requests being served
}

func newMetrics(maxBatch int) *metrics {
	var sizes []float64
	for b := 1; b < maxBatch; b *= 2 {
		sizes = append(sizes, float64(b))
	}
	sizes = append(sizes, float64(maxBatch))
	return &metrics{
		requests:  map[[2]string]uint64{},
		latency:   map[string]*histogram{},
		queueWait: newHistogram(latencyBounds...),
		batchSize: newHistogram(sizes...),
		inference: newHistogram(latencyBounds...),
	}
}

func (m *metrics) request(path string, code int, seconds float64) {
	m.mu.Lock()
	m.requests[[2]string{path, strconv.Itoa(code)}]++
	h := m.latency[path]
	if h == nil {
		h = newHistogram(latencyBounds...)
		m.latency[path] = h
	}
	m.mu.Unlock()
	h.observe(seconds)
}

// write renders the Prometheus text exposition format (version 0.0.4).
func (m *metrics) write(w io.Writer) {
	m.mu.Lock()
	keys := make([][2]string, 0, len(m.requests))
	for k := range m.requests {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0] < keys[j][0]
		}
		return keys[i][1] < keys[j][1]
	})
	counts := make([]uint64, len(keys))
	for i, k := range keys {
		counts[i] = m.requests[k]
	}
	paths := make([]string, 0, len(m.latency))
	for p := range m.latency {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	hs := make([]*histogram, len(paths))
	for i, p := range paths {
		hs[i] = m.latency[p]
	}
	m.mu.Unlock()

	fmt.Fprintln(w, "# HELP scl_http_requests_total HTTP requests by path and status code.")
	fmt.Fprintln(w, "# TYPE scl_http_requests_total counter")
	for i, k := range keys {
		fmt.Fprintf(w, "scl_http_requests_total{path=%q,code=%q} %d\n", k[0], k[1], counts[i])
	}
	fmt.Fprintln(w, "# HELP scl_http_request_duration_seconds HTTP request latency by path.")
	fmt.Fprintln(w, "# TYPE scl_http_request_duration_seconds histogram")
	for i, p := range paths {
		hs[i].write(w, "scl_http_request_duration_seconds", fmt.Sprintf("path=%q", p))
	}
	fmt.Fprintln(w, "# HELP scl_queue_wait_seconds Time images wait for their batch to start.")
	fmt.Fprintln(w, "# TYPE scl_queue_wait_seconds histogram")
	m.queueWait.write(w, "scl_queue_wait_seconds", "")
	fmt.Fprintln(w, "# HELP scl_batch_size Images per inference run.")
	fmt.Fprintln(w, "# TYPE scl_batch_size histogram")
	m.batchSize.write(w, "scl_batch_size", "")
	fmt.Fprintln(w, "# HELP scl_inference_seconds Duration of one inference run.")
	fmt.Fprintln(w, "# TYPE scl_inference_seconds histogram")
	m.inference.write(w, "scl_inference_seconds", "")
	fmt.Fprintln(w, "# HELP scl_images_total Images embedded.")
	fmt.Fprintln(w, "# TYPE scl_images_total counter")
	fmt.Fprintf(w, "scl_images_total %d\n", m.images.Load())
	fmt.Fprintln(w, "# HELP scl_queue_images Images waiting for a batch.")
	fmt.Fprintln(w, "# TYPE scl_queue_images gauge")
	fmt.Fprintf(w, "scl_queue_images %d\n", m.queued.Load())
	fmt.Fprintln(w, "# HELP scl_inflight_requests Embedding requests being served.")
	fmt.Fprintln(w, "# TYPE scl_inflight_requests gauge")
	fmt.Fprintf(w, "scl_inflight_requests %d\n", m.inflight.Load())
}
