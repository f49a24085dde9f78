package main

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"
)

func TestHealthCommand(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}` + "\n")) })
	mux.HandleFunc("/readyz", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"error":"shutting down"}`, http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	ts := httptest.NewServer(mux)
	defer ts.Close()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, tc := range []struct {
		name    string
		args    []string
		env     string // SCL_HEALTH_URL
		wantErr string // "" for success
		wantOut string
	}{
		{"healthy", []string{"--url", ts.URL + "/healthz"}, "", "", `{"status":"ok"}`},
		{"url from the environment", nil, ts.URL + "/healthz", "", `{"status":"ok"}`},
		{"unready", []string{"--url", ts.URL + "/readyz"}, "", "503 Service Unavailable", ""},
		{"nobody listening", []string{"--url", closedURL + "/healthz"}, "", "connection refused", ""},
		{"timeout", []string{"--url", ts.URL + "/slow", "--timeout", "100ms"}, "", "deadline exceeded", ""},
		{"bad url", []string{"--url", "http://%zz"}, "", `--url "http://%zz"`, ""},
		{"stray argument", []string{"extra"}, "", "unexpected arguments", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("SCL_HEALTH_URL", tc.env) // restored after the test
			if tc.env == "" {
				os.Unsetenv("SCL_HEALTH_URL")
			}
			var out bytes.Buffer
			app := newApp()
			app.Writer = &out
			err := app.Run(append([]string{"scl", "health"}, tc.args...))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v, want success", err)
				}
				if !strings.Contains(out.String(), tc.wantOut) {
					t.Errorf("printed %q, want it to contain %q", out.String(), tc.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("err = %v, want one containing %q", err, tc.wantErr)
			}
		})
	}
}
