package server

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRunsWithoutModel serves a run folder with no encoder: the pages, run data and probes
// work, the embedding and search routes answer 503 naming --model, and auth still applies.
func TestRunsWithoutModel(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "metrics.jsonl"), []byte(`{"step":1,"loss":2.5}`+"\n"+`{"step":2,"loss":2.1}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	png := []byte("\x89PNG\r\n\x1a\nnot really")
	if err := os.WriteFile(filepath.Join(dir, "neighbors.png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
	const key = "k3y"
	_, ts := newTestServer(t, Config{RunDir: dir, APIKey: key})
	const noModel = "no model loaded: start scl serve with --model"
	tests := []struct {
		method, path, body string
		auth               bool
		status             int
		want               string // substring of the body
	}{
		{"GET", "/", "", false, 200, "<html"},
		{"GET", "/run", "", false, 200, "<html"},
		{"GET", "/static/run.js", "", false, 200, "metrics"},
		{"GET", "/healthz", "", false, 200, `"ok"`},
		{"GET", "/readyz", "", false, 200, `{"status":"ready","model":false,"runs":true}`},
		{"GET", "/info", "", false, 401, "bearer token"},
		{"GET", "/info", "", true, 200, `"model_loaded":false`},
		{"GET", "/v1/run/metrics", "", false, 401, "bearer token"},
		{"GET", "/v1/run/metrics", "", true, 200, `"loss":2.1`},
		{"GET", "/v1/run/grid", "", true, 200, "not really"},
		{"POST", "/v1/embeddings", `{"input":["aGk="]}`, false, 401, "bearer token"},
		{"POST", "/v1/embeddings", `{"input":["aGk="]}`, true, 503, noModel},
		{"POST", "/embed", "x", true, 503, noModel},
		{"POST", "/v1/search", `{"vectors":[[1]]}`, true, 503, noModel},
		{"GET", "/v1/index", "", true, 404, "no such endpoint"},
		{"GET", "/metrics", "", false, 200, "scl_"},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.path, func(t *testing.T) {
			req, err := http.NewRequest(tc.method, ts.URL+tc.path, strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if tc.auth {
				req.Header.Set("Authorization", "Bearer "+key)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tc.status || !strings.Contains(string(b), tc.want) {
				t.Fatalf("got %d %q, want %d containing %q", resp.StatusCode, b, tc.status, tc.want)
			}
			if tc.status >= 400 {
				var e struct{ Error string }
				if json.Unmarshal(b, &e) != nil || e.Error == "" {
					t.Errorf("error body %q is not {\"error\": ...}", b)
				}
			}
		})
	}
	// The info body leaves the model's fields out rather than reporting zeros.
	req, _ := http.NewRequest("GET", ts.URL+"/info", nil)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"dims", "preprocess", "provider", "max_batch"} {
		if _, ok := info[k]; ok {
			t.Errorf("/info without a model reports %q: %v", k, info)
		}
	}
	if info["run_dir"] != dir {
		t.Errorf("/info run_dir %v, want %s", info["run_dir"], dir)
	}
}

// TestNewWithoutModel checks which configurations may omit the encoder.
func TestNewWithoutModel(t *testing.T) {
	if _, err := New(Config{}); err == nil || !strings.Contains(err.Error(), "encoder") {
		t.Errorf("no encoder, no run folder: got %v, want an error naming the encoder", err)
	}
	missing := filepath.Join(t.TempDir(), "gone")
	s, err := New(Config{RunDir: missing})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "run folder") {
		t.Errorf("/readyz with a missing run folder: %d %q, want 503 naming the run folder", rec.Code, rec.Body.String())
	}
}
