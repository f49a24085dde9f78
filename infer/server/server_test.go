package server

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"mime/multipart"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/internal/buildinfo"
	"github.com/scl-dev/scl/npy"
)

func embeddingsBody(t testing.TB, inputs []string, extra map[string]any) []byte {
	t.Helper()
	m := map[string]any{"input": inputs}
	for k, v := range extra {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// imageList is a data set over decoded images, for the scl embed path.
type imageList []data.Image

func (l imageList) Len() int                        { return len(l) }
func (l imageList) Info() data.Info                 { return data.Info{Name: "files"} }
func (l imageList) Image(i int) (data.Image, error) { return l[i], nil }
func (l imageList) Label(int) int                   { return -1 }
func (l imageList) ID(i int) string                 { return fmt.Sprint(i) }
func (l imageList) Close() error                    { return nil }

// TestMatchesEmbedPath: the server's embeddings equal infer.Extract's features.npy for the
// same image files, through both endpoints and both encodings.
func TestMatchesEmbedPath(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 7, 20, 12, 1) // resized to 16×16 by both paths
	var decoded imageList
	for _, b := range pngs {
		img, err := data.DecodeImage(b)
		if err != nil {
			t.Fatal(err)
		}
		decoded = append(decoded, img)
	}
	out := t.TempDir()
	if _, err := infer.Extract(context.Background(), infer.ExtractConfig{Encoder: enc, Dataset: decoded, Out: out, BatchSize: 3}); err != nil {
		t.Fatal(err)
	}
	want, _, err := npy.ReadFloat32(filepath.Join(out, infer.FeaturesFile))
	if err != nil {
		t.Fatal(err)
	}
	_, ts := newTestServer(t, Config{Encoder: enc, Model: "tiny"})
	d := enc.Dim()
	check := func(name string, got []float32, i int) {
		t.Helper()
		for j := range got {
			// Same preprocessing and model; only the batch composition differs (1e-6 relative).
			if math.Abs(float64(got[j]-want[i*d+j])) > 1e-6*(1+math.Abs(float64(want[i*d+j]))) {
				t.Fatalf("%s image %d feature %d: got %v, want %v", name, i, j, got[j], want[i*d+j])
			}
		}
	}
	var inputs []string
	for i, b := range pngs {
		s := base64.StdEncoding.EncodeToString(b)
		if i%2 == 1 {
			s = "data:image/png;base64," + s
		}
		inputs = append(inputs, s)
	}
	code, r := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, inputs, map[string]any{"model": "tiny"}), nil)
	if code != 200 || len(r.Data) != len(pngs) || r.Model != "tiny" || r.Usage.PromptTokens != len(pngs) || r.Object != "list" {
		t.Fatalf("got %d %+v, want 200 with %d embeddings", code, r, len(pngs))
	}
	for i, item := range r.Data {
		if item.Index != i || item.Object != "embedding" {
			t.Fatalf("data[%d]: got index %d object %q", i, item.Index, item.Object)
		}
		check("v1 float", floats(t, item.Embedding), i)
	}
	code, r = post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, inputs[:2], map[string]any{"encoding_format": "base64"}), nil)
	if code != 200 {
		t.Fatalf("base64: got %d %q", code, r.Error)
	}
	for i, item := range r.Data {
		var s string
		json.Unmarshal(item.Embedding, &s)
		raw, err := base64.StdEncoding.DecodeString(s)
		if err != nil || len(raw) != 4*d {
			t.Fatalf("base64 embedding %d: %v, %d bytes, want %d", i, err, len(raw), 4*d)
		}
		got := make([]float32, d)
		for j := range got {
			got[j] = math.Float32frombits(binary.LittleEndian.Uint32(raw[4*j:]))
		}
		check("v1 base64", got, i)
	}
	code, r = post(t, ts.Client(), ts.URL+"/embed", "image/png", pngs[3], nil)
	if code != 200 || len(r.Data) != 1 {
		t.Fatalf("/embed raw: got %d %q", code, r.Error)
	}
	check("embed raw", floats(t, r.Data[0].Embedding), 3)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("note", "not an image")
	for _, i := range []int{4, 5, 6} {
		fw, _ := mw.CreateFormFile("image", fmt.Sprintf("%d.png", i))
		fw.Write(pngs[i])
	}
	mw.Close()
	code, r = post(t, ts.Client(), ts.URL+"/embed", mw.FormDataContentType(), body.Bytes(), nil)
	if code != 200 || len(r.Data) != 3 {
		t.Fatalf("/embed multipart: got %d %q with %d embeddings, want 3", code, r.Error, len(r.Data))
	}
	for k, item := range r.Data {
		check("embed multipart", floats(t, item.Embedding), 4+k)
	}
}

func TestBadRequests(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 2)
	good := base64.StdEncoding.EncodeToString(pngs[0])
	_, ts := newTestServer(t, Config{Encoder: enc, Model: "tiny", MaxBodyBytes: 4096, MaxImages: 3})
	_, exact := newTestServer(t, Config{Encoder: enc, Model: "tiny", ExactSize: true})
	_, small := randomPNGs(t, 1, 9, 9, 3)
	_, authed := newTestServer(t, Config{Encoder: enc, Model: "tiny", APIKey: "s3cret"})
	tests := []struct {
		name, url, ctype string
		body             []byte
		header           map[string]string
		code             int
		want             string
	}{
		{"invalid json", "/v1/embeddings", "application/json", []byte(`{"input":`), nil, 400, "invalid JSON"},
		{"trailing data", "/v1/embeddings", "application/json", []byte(`{"input":"x"} {}`), nil, 400, "trailing data"},
		{"missing input", "/v1/embeddings", "application/json", []byte(`{"model":"tiny"}`), nil, 400, "input: missing"},
		{"number input", "/v1/embeddings", "application/json", []byte(`{"input":42}`), nil, 400, "want a string or a list"},
		{"token list", "/v1/embeddings", "application/json", []byte(`{"input":[1,2,3]}`), nil, 400, "input[0]: want a string"},
		{"empty list", "/v1/embeddings", "application/json", []byte(`{"input":[]}`), nil, 400, "empty list"},
		{"too many images", "/v1/embeddings", "application/json", embeddingsBody(t, []string{"a", "b", "c", "d"}, nil), nil, 400, "at most 3"},
		{"remote url", "/v1/embeddings", "application/json", embeddingsBody(t, []string{"https://example.com/cat.png"}, nil), nil, 400, "remote URLs are not fetched"},
		{"bad base64", "/v1/embeddings", "application/json", embeddingsBody(t, []string{"!!!notbase64"}, nil), nil, 400, "invalid base64"},
		{"non-base64 data uri", "/v1/embeddings", "application/json", embeddingsBody(t, []string{"data:image/png,abc"}, nil), nil, 400, "not base64-encoded"},
		{"undecodable image", "/v1/embeddings", "application/json", embeddingsBody(t, []string{base64.StdEncoding.EncodeToString([]byte("GIF89a not really"))}, nil), nil, 400, "image 0: cannot decode"},
		{"wrong model", "/v1/embeddings", "application/json", embeddingsBody(t, []string{good}, map[string]any{"model": "gpt"}), nil, 400, `"gpt" is not served`},
		{"wrong dimensions", "/v1/embeddings", "application/json", embeddingsBody(t, []string{good}, map[string]any{"dimensions": 3}), nil, 400, "this model's embeddings have 8"},
		{"bad encoding", "/v1/embeddings", "application/json", embeddingsBody(t, []string{good}, map[string]any{"encoding_format": "int8"}), nil, 400, "want float or base64"},
		{"body too large", "/v1/embeddings", "application/json", embeddingsBody(t, []string{strings.Repeat("A", 5000)}, nil), nil, 413, "larger than 4096 bytes"},
		{"raw too large", "/embed", "image/png", bytes.Repeat([]byte{1}, 5000), nil, 413, "larger than 4096"},
		{"empty raw", "/embed", "image/png", nil, nil, 400, "body: empty"},
		{"multipart without boundary", "/embed", "multipart/form-data", []byte("x"), nil, 400, "without a boundary"},
		{"multipart without files", "/embed", "multipart/form-data; boundary=XX", []byte("--XX\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\nv\r\n--XX--\r\n"), nil, 400, "no file parts"},
		{"garbage raw", "/embed", "application/octet-stream", []byte("hello"), nil, 400, "cannot decode"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, r := post(t, ts.Client(), ts.URL+tc.url, tc.ctype, tc.body, tc.header)
			if code != tc.code || !strings.Contains(r.Error, tc.want) {
				t.Fatalf("got %d %q, want %d with %q", code, r.Error, tc.code, tc.want)
			}
		})
	}
	t.Run("wrong size with exact sizes", func(t *testing.T) {
		code, r := post(t, exact.Client(), exact.URL+"/embed", "image/png", small[0], nil)
		if code != 400 || !strings.Contains(r.Error, "size 9×9, this model takes 16×16") {
			t.Fatalf("got %d %q, want 400 naming the sizes", code, r.Error)
		}
	})
	t.Run("auth", func(t *testing.T) {
		body := embeddingsBody(t, []string{good}, nil)
		for _, h := range []map[string]string{nil, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret"}} {
			if code, r := post(t, authed.Client(), authed.URL+"/v1/embeddings", "application/json", body, h); code != 401 || !strings.Contains(r.Error, "bearer token") {
				t.Fatalf("header %v: got %d %q, want 401", h, code, r.Error)
			}
		}
		if code, r := post(t, authed.Client(), authed.URL+"/v1/embeddings", "application/json", body, map[string]string{"Authorization": "Bearer s3cret"}); code != 200 {
			t.Fatalf("right key: got %d %q, want 200", code, r.Error)
		}
		resp, err := authed.Client().Get(authed.URL + "/healthz")
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("healthz without key: got %v %v, want 200", resp, err)
		}
		resp.Body.Close()
	})
	t.Run("wrong method", func(t *testing.T) {
		resp, err := ts.Client().Get(ts.URL + "/v1/embeddings")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 405 || resp.Header.Get("Allow") != "POST" || !strings.Contains(string(b), "use POST") {
			t.Fatalf("got %d %s (Allow %q), want 405 with a JSON error and Allow: POST", resp.StatusCode, b, resp.Header.Get("Allow"))
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		resp, err := ts.Client().Get(ts.URL + "/v2/whatever")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 404 || !strings.Contains(string(b), `"error"`) {
			t.Fatalf("got %d %s, want 404 with a JSON error", resp.StatusCode, b)
		}
	})
}

// TestBusyAndTimeout: a request waiting for its batch holds the only slot, so another gets
// 429; a request whose batch waits longer than the timeout gets 503.
func TestBusyAndTimeout(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 4)
	body := embeddingsBody(t, []string{base64.StdEncoding.EncodeToString(pngs[0])}, nil)
	_, ts := newTestServer(t, Config{Encoder: enc, MaxConcurrent: 1, MaxBatch: 8, MaxWait: 700 * time.Millisecond})
	done := make(chan int)
	go func() {
		code, _ := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", body, nil)
		done <- code
	}()
	time.Sleep(200 * time.Millisecond) // the first request is now waiting for its batch to fill
	if code, r := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", body, nil); code != 429 || !strings.Contains(r.Error, "too many concurrent") {
		t.Fatalf("second request: got %d %q, want 429", code, r.Error)
	}
	if code := <-done; code != 200 {
		t.Fatalf("first request: got %d, want 200", code)
	}
	_, slow := newTestServer(t, Config{Encoder: enc, MaxBatch: 8, MaxWait: time.Second, RequestTimeout: 100 * time.Millisecond})
	if code, r := post(t, slow.Client(), slow.URL+"/v1/embeddings", "application/json", body, nil); code != 503 || !strings.Contains(r.Error, "timed out") {
		t.Fatalf("slow batch: got %d %q, want 503 timed out", code, r.Error)
	}
}

// TestBatchIndependenceAndDeterminism: an image's embedding does not depend on the other
// images of its batch, and repeated requests give identical bits.
func TestBatchIndependenceAndDeterminism(t *testing.T) {
	enc := newEncoder(t, testModel, 2)
	_, pngs := randomPNGs(t, 9, 16, 16, 5)
	_, ts := newTestServer(t, Config{Encoder: enc, MaxBatch: 16, MaxWait: -1})
	var all []string
	for _, b := range pngs {
		all = append(all, base64.StdEncoding.EncodeToString(b))
	}
	_, batch := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, all, nil), nil)
	_, again := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, all, nil), nil)
	for i := range pngs {
		_, one := post(t, ts.Client(), ts.URL+"/v1/embeddings", "application/json", embeddingsBody(t, all[i:i+1], nil), nil)
		a, b, c := floats(t, batch.Data[i].Embedding), floats(t, one.Data[0].Embedding), floats(t, again.Data[i].Embedding)
		for j := range a {
			if a[j] != c[j] {
				t.Fatalf("determinism: image %d feature %d: got %v, want %v", i, j, c[j], a[j])
			}
			// Batch of 9 against batch of 1: ORT may pick other kernels' blocking; 1e-6 relative.
			if math.Abs(float64(a[j]-b[j])) > 1e-6*(1+math.Abs(float64(a[j]))) {
				t.Fatalf("batch independence: image %d feature %d: alone %v, in batch %v", i, j, b[j], a[j])
			}
		}
	}
}

func TestReadyInfoMetrics(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 6)
	_, ts := newTestServer(t, Config{Encoder: enc, Model: "tiny"})
	post(t, ts.Client(), ts.URL+"/embed", "image/png", pngs[0], nil)
	post(t, ts.Client(), ts.URL+"/embed", "image/png", []byte("junk"), nil)
	get := func(path string) (int, string) {
		resp, err := ts.Client().Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, "ready") {
		t.Fatalf("readyz: got %d %s", code, body)
	}
	code, body := get("/info")
	var info Info
	if err := json.Unmarshal([]byte(body), &info); err != nil || code != 200 {
		t.Fatalf("info: got %d %s (%v)", code, body, err)
	}
	if info.Dims != 8 || info.Model != "tiny" || info.Provider != infer.ProviderCPU || info.Preprocess.Height != 16 || info.Preprocess.Std[2] != 0.25 {
		t.Fatalf("info: got %+v", info)
	}
	if build := buildinfo.Get(); info.Version != build.Version || info.Commit != build.Commit || info.Version == "" {
		t.Errorf("info: version %q commit %q, want the build's %q %q", info.Version, info.Commit, build.Version, build.Commit)
	}
	_, metrics := get("/metrics")
	for _, want := range []string{
		`scl_http_requests_total{path="/embed",code="200"} 1`,
		`scl_http_requests_total{path="/embed",code="400"} 1`,
		`scl_batch_size_bucket{le="1"} 1`,
		`scl_batch_size_count 1`,
		`scl_images_total 1`,
		`scl_inference_seconds_count 1`,
		`scl_queue_images 0`,
		`# TYPE scl_http_request_duration_seconds histogram`,
	} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics: missing %q in\n%s", want, metrics)
		}
	}
}

// TestGracefulShutdown: cancelling Serve's context lets a request in flight finish with 200,
// then Serve returns nil and the port refuses connections.
func TestGracefulShutdown(t *testing.T) {
	enc := newEncoder(t, testModel, 1)
	_, pngs := randomPNGs(t, 1, 16, 16, 7)
	s, err := New(Config{Encoder: enc, MaxBatch: 8, MaxWait: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error)
	go func() { served <- s.Serve(ctx, ln) }()
	url := "http://" + ln.Addr().String()
	done := make(chan int)
	go func() {
		code, _ := post(t, http.DefaultClient, url+"/embed", "image/png", pngs[0], nil)
		done <- code
	}()
	time.Sleep(150 * time.Millisecond)
	cancel() // as SIGTERM does in scl serve
	if code := <-done; code != 200 {
		t.Fatalf("in-flight request: got %d, want 200", code)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve: got %v, want nil", err)
	}
	if _, err := http.Get(url + "/healthz"); err == nil {
		t.Fatal("after shutdown: got a connection, want refused")
	}
}
