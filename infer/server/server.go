package server

import (
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/internal/buildinfo"
	"github.com/scl-dev/scl/search"
)

// Config configures a Server. Zero values mean the documented defaults.
type Config struct {
	// Encoder embeds images; not closed by the server. It may be nil only with RunDir set and
	// no Index: the server then serves the pages, the run data, /healthz, /readyz and /info,
	// and the embedding and search routes answer 503 (errNoModel).
	Encoder *infer.Encoder
	Model   string // model name reported in responses (default "scl")

	MaxBatch int           // images per inference run (default 32)
	MaxWait  time.Duration // longest wait for a batch to fill after its first image (default 5ms; negative: no wait)
	Runners  int           // goroutines running inference (default 1; ORT parallelises inside a run)

	MaxConcurrent int   // embedding requests served at once, beyond which 429 (default 256)
	MaxBodyBytes  int64 // request body limit, beyond which 413 (default 32 MiB)
	MaxImages     int   // images per request (default 256)
	MaxPixels     int64 // width×height limit per image, checked before decoding (default 16× the model's input area)
	// DecodePixels bounds the pixels being decoded and preprocessed at once over all requests
	// (default 4 × MaxPixels × GOMAXPROCS): decoding memory is then at most about 8 bytes per
	// pixel of it, whatever the clients send. Requests wait for it within their timeout.
	DecodePixels int64
	// DecodeRate bounds the images per second each request decodes, as a token bucket of
	// MaxBatch images filled at DecodeRate per second: a request's first MaxBatch images are
	// not delayed (default DefaultDecodeRate; negative: no limit). A request that would pass
	// its deadline waiting for the bucket gets 503 at once.
	DecodeRate float64
	// BodyTimeout bounds the time to receive a request body, which is read before a
	// concurrency slot is taken (default a third of RequestTimeout).
	BodyTimeout time.Duration
	// MaxConns bounds the open connections Serve accepts (default 2 × MaxConcurrent + 64).
	MaxConns       int
	ExactSize      bool // refuse (400) images whose size differs from the model's instead of resizing
	APIKey         string
	RequestTimeout time.Duration // per embedding request, including the wait for a batch (default 30s)
	ShutdownGrace  time.Duration // how long Serve waits for in-flight requests on shutdown (default 30s)

	// Index, when set, enables POST /v1/search, GET /v1/index and GET /v1/images/{row} (search.go);
	// Images, optional, finds the indexed items' images for the last. Neither is closed by the
	// server.
	Index  *search.Index
	Images *search.Images
	// RunDir, when set, is the training run shown by the /run page: its metrics.jsonl and newest
	// neighbors*.png (web.go).
	RunDir string
}

// Server serves embeddings over HTTP. Create it with New; it is safe for concurrent use.
type Server struct {
	cfg      Config
	enc      *infer.Encoder
	batcher  *batcher
	m        *metrics
	slots    chan struct{}
	stopping atomic.Bool
	mux      *http.ServeMux
	closeMu  sync.Once
	pixels   *pixelBudget
	ready    readiness
	clock    clock // time for the decode rate limit (tests inject a fake one)
}

// New checks the configuration and starts the batcher. Call Close (or Serve, which closes on
// return) to stop it.
func New(cfg Config) (*Server, error) {
	if cfg.Encoder == nil && cfg.RunDir == "" {
		return nil, errors.New("server: config needs an encoder (or a run folder to show without one)")
	}
	if cfg.Encoder == nil && cfg.Index != nil {
		return nil, errors.New("server: an index needs an encoder to search with")
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&cfg.MaxBatch, DefaultMaxBatch)
	def(&cfg.Runners, DefaultRunners)
	def(&cfg.MaxConcurrent, DefaultMaxConcurrent)
	def(&cfg.MaxImages, DefaultMaxImages)
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxWait
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if cfg.MaxPixels <= 0 && cfg.Encoder != nil {
		cfg.MaxPixels = DefaultMaxPixelsFactor * int64(cfg.Encoder.Preprocess.Width) * int64(cfg.Encoder.Preprocess.Height)
	}
	if cfg.DecodePixels <= 0 {
		cfg.DecodePixels = 4 * cfg.MaxPixels * int64(runtime.GOMAXPROCS(0))
	}
	if cfg.DecodeRate == 0 {
		cfg.DecodeRate = DefaultDecodeRate
	}
	if cfg.RequestTimeout <= 0 {
		cfg.RequestTimeout = DefaultRequestTimeout
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = cfg.RequestTimeout / 3
	}
	if cfg.MaxConns <= 0 {
		cfg.MaxConns = 2*cfg.MaxConcurrent + 64
	}
	if cfg.ShutdownGrace <= 0 {
		cfg.ShutdownGrace = DefaultShutdownGrace
	}
	s := &Server{cfg: cfg, enc: cfg.Encoder, m: newMetrics(cfg.MaxBatch), slots: make(chan struct{}, cfg.MaxConcurrent),
		pixels: newPixelBudget(cfg.DecodePixels), clock: realClock{}}
	if cfg.Encoder != nil {
		s.batcher = newBatcher(cfg.Encoder, cfg.MaxBatch, max(cfg.MaxWait, 0), cfg.Runners, s.m)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/embeddings", s.observe("/v1/embeddings", s.auth(s.needsModel(s.limited(s.handleEmbeddings)))))
	mux.HandleFunc("POST /embed", s.observe("/embed", s.auth(s.needsModel(s.limited(s.handleEmbed)))))
	mux.HandleFunc("GET /healthz", s.observe("/healthz", s.handleHealth))
	mux.HandleFunc("GET /readyz", s.observe("/readyz", s.handleReady))
	mux.HandleFunc("GET /info", s.observe("/info", s.auth(s.handleInfo)))
	mux.HandleFunc("GET /metrics", s.handleMetrics)
	for path, method := range map[string]string{"/v1/embeddings": "POST", "/embed": "POST", "/healthz": "GET", "/readyz": "GET", "/info": "GET", "/metrics": "GET"} {
		mux.HandleFunc(path, s.observe(path, func(w http.ResponseWriter, r *http.Request) error {
			w.Header().Set("Allow", method)
			return &Error{Status: http.StatusMethodNotAllowed, Msg: fmt.Sprintf("method %s not allowed on %s, use %s", r.Method, path, method)}
		}))
	}
	s.routeSearch(mux)
	s.routeWeb(mux)
	mux.HandleFunc("/", s.observe("other", func(w http.ResponseWriter, r *http.Request) error { return errNotFound }))
	s.mux = mux
	return s, nil
}

// Handler returns the HTTP handler (for tests and for embedding into another server).
func (s *Server) Handler() http.Handler { return s.mux }

// Serve serves on ln until ctx ends, then shuts down gracefully: it stops accepting
// connections, answers /readyz with 503, lets in-flight requests finish (up to ShutdownGrace),
// stops the batcher and returns nil (or the listener's error).
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	hs := &http.Server{
		Handler:           s.mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.RequestTimeout + 10*time.Second,
		WriteTimeout:      s.cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	ln = limitConns(ln, s.cfg.MaxConns)
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	var err error
	select {
	case err = <-errc:
	case <-ctx.Done():
		s.stopping.Store(true)
		sctx, cancel := context.WithTimeout(context.Background(), s.cfg.ShutdownGrace)
		err = hs.Shutdown(sctx)
		cancel()
		if err != nil {
			err = fmt.Errorf("server: shutdown: %w", err)
		} else if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
			err = serr
		}
	}
	s.Close()
	return err
}

// Close stops the batcher; requests still waiting fail. Idempotent.
func (s *Server) Close() {
	s.stopping.Store(true)
	if s.batcher != nil {
		s.closeMu.Do(s.batcher.close)
	}
}

// needsModel answers errNoModel when the server runs without an encoder.
func (s *Server) needsModel(h handler) handler {
	if s.enc != nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error { return errNoModel }
}

type handler func(w http.ResponseWriter, r *http.Request) error

// observe turns a handler's error into the JSON error response and records metrics.
func (s *Server) observe(path string, h handler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		if err := h(rw, r); err != nil {
			rw.status = writeError(w, err)
		}
		s.m.request(path, rw.status, time.Since(start).Seconds())
	}
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

// Unwrap lets http.ResponseController reach the connection (read deadlines, flushing).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *statusWriter) WriteHeader(code int) {
	w.status = code
	w.ResponseWriter.WriteHeader(code)
}

func (s *Server) handleEmbeddings(w http.ResponseWriter, r *http.Request) error {
	req, err := parseEmbeddingsRequest(r.Body, s.cfg.MaxImages)
	if err != nil {
		return err
	}
	if req.model != "" && req.model != s.cfg.Model {
		return badRequest("model: %q is not served here; this server serves %q", abbreviate(req.model), s.cfg.Model)
	}
	if req.dims != 0 && req.dims != s.enc.Dim() {
		return badRequest("dimensions: got %d, this model's embeddings have %d", req.dims, s.enc.Dim())
	}
	return s.respond(w, r, req)
}

func (s *Server) handleEmbed(w http.ResponseWriter, r *http.Request) error {
	req, err := parseEmbedRequest(r, s.cfg.MaxImages)
	if err != nil {
		return err
	}
	return s.respond(w, r, req)
}

// embeddingsResponse is OpenAI's response shape; usage counts images.
type embeddingsResponse struct {
	Object string          `json:"object"`
	Data   []embeddingItem `json:"data"`
	Model  string          `json:"model"`
	Usage  usage           `json:"usage"`
}

type embeddingItem struct {
	Object    string `json:"object"`
	Index     int    `json:"index"`
	Embedding any    `json:"embedding"` // []float32, or a base64 string of little-endian float32
}

type usage struct {
	PromptTokens int `json:"prompt_tokens"`
	TotalTokens  int `json:"total_tokens"`
}

func (s *Server) respond(w http.ResponseWriter, r *http.Request, req parsedRequest) error {
	feats, err := s.embedImages(r.Context(), req.images)
	if err != nil {
		return err
	}
	d := s.enc.Dim()
	resp := embeddingsResponse{Object: "list", Model: s.cfg.Model, Usage: usage{len(req.images), len(req.images)}}
	for i := range req.images {
		row := feats[i*d : (i+1)*d]
		item := embeddingItem{Object: "embedding", Index: i, Embedding: row}
		if req.format == "base64" {
			buf := make([]byte, 4*d)
			for j, v := range row {
				binary.LittleEndian.PutUint32(buf[4*j:], math.Float32bits(v))
			}
			item.Embedding = base64.StdEncoding.EncodeToString(buf)
		}
		resp.Data = append(resp.Data, item)
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(resp)
}

// embedImages decodes, preprocesses and embeds encoded images, returning n·D features.
func (s *Server) embedImages(ctx context.Context, images [][]byte) ([]float32, error) {
	pre := s.enc.Preprocess
	size := pre.Size()
	x := make([]float32, len(images)*size)
	rate := s.newDecodeRate()
	for i, b := range images {
		if err := rate.wait(ctx, i, len(images)); err != nil {
			return nil, err
		}
		if err := s.decodeTo(ctx, x[i*size:(i+1)*size], b, i, len(images)); err != nil {
			return nil, err
		}
	}
	out := make([]float32, len(images)*s.enc.Dim())
	if err := s.batcher.embed(ctx, x, out, len(images)); err != nil {
		return nil, err
	}
	return out, nil
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	_, err := w.Write([]byte(`{"status":"ok"}` + "\n"))
	return err
}

// handleReady runs the session on one blank image: ready means inference works. The check
// runs at most once at a time and its result is reused for a second.
func (s *Server) handleReady(w http.ResponseWriter, r *http.Request) error {
	if s.stopping.Load() {
		return errShuttingDown
	}
	if s.enc == nil {
		// Nothing to run inference on: ready means the run folder can be read.
		if _, err := os.ReadDir(s.cfg.RunDir); err != nil {
			return &Error{Status: http.StatusServiceUnavailable, Msg: "not ready: run folder: " + err.Error()}
		}
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write([]byte(`{"status":"ready","model":false,"runs":true}` + "\n"))
		return err
	}
	err := s.ready.check(func() error {
		x := make([]float32, s.enc.Preprocess.Size())
		out := make([]float32, s.enc.Dim())
		return s.enc.RunTo(out, x, 1)
	})
	if err != nil {
		return &Error{Status: http.StatusServiceUnavailable, Msg: "not ready: " + err.Error()}
	}
	w.Header().Set("Content-Type", "application/json")
	_, err = w.Write([]byte(`{"status":"ready"}` + "\n"))
	return err
}

// Info is the body of GET /info. Without a model (Config.Encoder nil) only ModelLoaded,
// RunDir, Version and Commit are set; the model fields are left out of the JSON.
type Info struct {
	ModelLoaded bool             `json:"model_loaded"`
	Model       string           `json:"model,omitempty"`
	Dims        int              `json:"dims,omitempty"`
	Provider    string           `json:"provider,omitempty"`
	ORTVersion  string           `json:"ort_version,omitempty"`
	Input       string           `json:"input,omitempty"`
	Output      string           `json:"output,omitempty"`
	Preprocess  infer.Preprocess `json:"preprocess,omitzero"`
	Normalized  bool             `json:"l2_normalized,omitempty"`
	MaxBatch    int              `json:"max_batch,omitempty"`
	MaxWaitMS   float64          `json:"max_wait_ms,omitempty"`
	MaxImages   int              `json:"max_images_per_request,omitempty"`
	MaxBody     int64            `json:"max_body_bytes,omitempty"`
	RunDir      string           `json:"run_dir,omitempty"`
	Version     string           `json:"version"` // scl's build (internal/buildinfo)
	Commit      string           `json:"commit"`
}

// Info describes the served model.
func (s *Server) Info() Info {
	build := buildinfo.Get()
	if s.enc == nil {
		return Info{RunDir: s.cfg.RunDir, Version: build.Version, Commit: build.Commit}
	}
	sess := s.enc.Session
	return Info{
		ModelLoaded: true, RunDir: s.cfg.RunDir, Model: s.cfg.Model, Dims: s.enc.Dim(), Provider: sess.Provider(), ORTVersion: sess.Runtime().Version,
		Input: sess.InputName(), Output: sess.OutputName(), Preprocess: s.enc.Preprocess,
		Normalized: s.enc.Normalize, MaxBatch: s.cfg.MaxBatch, MaxWaitMS: float64(s.cfg.MaxWait) / 1e6,
		MaxImages: s.cfg.MaxImages, MaxBody: s.cfg.MaxBodyBytes, Version: build.Version, Commit: build.Commit,
	}
}

func (s *Server) handleInfo(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(s.Info())
}

func (s *Server) handleMetrics(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
	var b strings.Builder
	s.m.write(&b)
	w.Write([]byte(b.String()))
}
