package server

import (
	"bufio"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"
)

// webFiles are the page's static files: plain HTML, CSS and JavaScript, no build step and
// nothing fetched from elsewhere.
//
//go:embed web
var webFiles embed.FS

// contentSecurity keeps the pages to this server's own files.
const contentSecurity = "default-src 'self'; img-src 'self' blob: data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"

// routeWeb adds the web pages (/ search, /run training run) and their JSON endpoints.
func (s *Server) routeWeb(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", s.observe("/", s.page("index.html")))
	mux.HandleFunc("GET /run", s.observe("/run", s.page("run.html")))
	mux.HandleFunc("GET /static/{file}", s.observe("/static", s.handleStatic))
	if s.cfg.Index != nil {
		mux.HandleFunc("GET /v1/index", s.observe("/v1/index", s.auth(s.handleIndexInfo)))
	}
	mux.HandleFunc("GET /v1/run/metrics", s.observe("/v1/run/metrics", s.auth(s.handleRunMetrics)))
	mux.HandleFunc("GET /v1/run/grid", s.observe("/v1/run/grid", s.auth(s.handleRunGrid)))
}

func (s *Server) page(name string) handler {
	return func(w http.ResponseWriter, r *http.Request) error {
		b, err := webFiles.ReadFile("web/" + name)
		if err != nil {
			return err
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Security-Policy", contentSecurity)
		w.Header().Set("X-Content-Type-Options", "nosniff")
		_, err = w.Write(b)
		return err
	}
}

func (s *Server) handleStatic(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("file")
	types := map[string]string{".css": "text/css; charset=utf-8", ".js": "text/javascript; charset=utf-8"}
	ct, ok := types[path.Ext(name)]
	b, err := webFiles.ReadFile("web/" + name)
	if !ok || err != nil || strings.Contains(name, "/") {
		return errNotFound
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, err = w.Write(b)
	return err
}

// indexInfo is the body of GET /v1/index.
type indexInfo struct {
	Kind    string   `json:"kind"`
	Count   int      `json:"count"`
	Dim     int      `json:"dim"`
	Classes []string `json:"classes,omitempty"`
	Images  bool     `json:"images"`
}

func (s *Server) handleIndexInfo(w http.ResponseWriter, r *http.Request) error {
	ix := s.cfg.Index
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(indexInfo{Kind: ix.Kind(), Count: ix.Len(), Dim: ix.Dim(), Classes: ix.Meta.Classes, Images: s.cfg.Images != nil})
}

// maxRunRecords bounds the records GET /v1/run/metrics returns (the latest ones).
const maxRunRecords = 20000

// runMetrics is the body of GET /v1/run/metrics.
type runMetrics struct {
	Path    string           `json:"path"`
	Running bool             `json:"running"` // the file changed in the last two minutes
	Records []map[string]any `json:"records"`
}

func (s *Server) runDir() (string, error) {
	if s.cfg.RunDir == "" {
		return "", &Error{Status: http.StatusNotFound, Msg: "no run folder: start scl serve with --runs DIR"}
	}
	return s.cfg.RunDir, nil
}

// handleRunMetrics returns the run's metrics.jsonl records; a partly written last line is
// skipped.
func (s *Server) handleRunMetrics(w http.ResponseWriter, r *http.Request) error {
	dir, err := s.runDir()
	if err != nil {
		return err
	}
	p := filepath.Join(dir, "metrics.jsonl")
	f, err := os.Open(p)
	if err != nil {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("run: %v", err)}
	}
	defer f.Close()
	out := runMetrics{Path: p, Records: []map[string]any{}}
	if st, err := f.Stat(); err == nil {
		out.Running = time.Since(st.ModTime()) < 2*time.Minute
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		var rec map[string]any
		if json.Unmarshal(sc.Bytes(), &rec) != nil {
			continue
		}
		out.Records = append(out.Records, rec)
		if len(out.Records) > 2*maxRunRecords {
			out.Records = append(out.Records[:0], out.Records[len(out.Records)-maxRunRecords:]...)
		}
	}
	if len(out.Records) > maxRunRecords {
		out.Records = out.Records[len(out.Records)-maxRunRecords:]
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(out)
}

// handleRunGrid serves the newest retrieval grid (neighbors*.png) in the run folder or one
// folder below it.
func (s *Server) handleRunGrid(w http.ResponseWriter, r *http.Request) error {
	dir, err := s.runDir()
	if err != nil {
		return err
	}
	var best string
	var bestTime time.Time
	for _, pat := range []string{"neighbors*.png", "*/neighbors*.png"} {
		matches, _ := filepath.Glob(filepath.Join(dir, pat))
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && st.Mode().IsRegular() && st.ModTime().After(bestTime) {
				best, bestTime = m, st.ModTime()
			}
		}
	}
	if best == "" {
		return &Error{Status: http.StatusNotFound, Msg: "run: no retrieval grid (neighbors*.png) yet"}
	}
	b, err := os.ReadFile(best)
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "no-store")
	_, err = w.Write(b)
	return err
}
