package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"image/png"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/infer/internal/onnxtest"
)

var testModel = onnxtest.Model{Channels: 3, Height: 16, Width: 16, Dim: 8, Seed: 9,
	Metadata: map[string]string{infer.MetaMean: "0.5", infer.MetaStd: "0.25"}}

// newEncoder opens testModel (or m) on the CPU, skipping when ONNX Runtime is missing.
func newEncoder(t testing.TB, m onnxtest.Model, threads int) *infer.Encoder {
	t.Helper()
	if _, err := infer.LoadRuntime(""); err != nil {
		if errors.Is(err, infer.ErrLibrary) {
			t.Skipf("ONNX Runtime not available (run scripts/setup.sh or set SCL_ORT_LIB): %v", err)
		}
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := m.Write(p); err != nil {
		t.Fatal(err)
	}
	s, err := infer.OpenSession(p, infer.SessionConfig{Device: infer.Device{Kind: infer.DeviceCPU}, IntraOpThreads: threads, NoSpin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	pre, err := infer.PreprocessFor(s, infer.Overrides{})
	if err != nil {
		t.Fatal(err)
	}
	return &infer.Encoder{Session: s, Preprocess: pre}
}

// newTestServer starts a Server for cfg on a loopback httptest server.
func newTestServer(t testing.TB, cfg Config) (*Server, *httptest.Server) {
	t.Helper()
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	return s, ts
}

// randomPNGs returns n random RGB images of w×h and their PNG encodings.
func randomPNGs(t testing.TB, n, w, h int, seed uint64) ([]data.Image, [][]byte) {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 3))
	var imgs []data.Image
	var pngs [][]byte
	for i := 0; i < n; i++ {
		img := data.Image{W: w, H: h, C: 3, Pix: make([]uint8, w*h*3)}
		for j := range img.Pix {
			img.Pix[j] = uint8(r.IntN(256))
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, img.ToStd()); err != nil {
			t.Fatal(err)
		}
		imgs = append(imgs, img)
		pngs = append(pngs, buf.Bytes())
	}
	return imgs, pngs
}

type response struct {
	Object string `json:"object"`
	Data   []struct {
		Object    string          `json:"object"`
		Index     int             `json:"index"`
		Embedding json.RawMessage `json:"embedding"`
	} `json:"data"`
	Model string `json:"model"`
	Usage struct {
		PromptTokens int `json:"prompt_tokens"`
	} `json:"usage"`
	Error string `json:"error"`
}

// post sends body and decodes the JSON answer.
func post(t testing.TB, c *http.Client, url, contentType string, body []byte, header map[string]string) (int, response) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var r response
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("status %d: body %q is not JSON: %v", resp.StatusCode, b, err)
	}
	return resp.StatusCode, r
}

func floats(t testing.TB, raw json.RawMessage) []float32 {
	t.Helper()
	var f []float32
	if err := json.Unmarshal(raw, &f); err != nil {
		t.Fatalf("embedding %s: %v", raw, err)
	}
	return f
}
