package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image/png"
	"math"
	"net/http"
	"strconv"

	"github.com/scl-dev/scl/search"
)

// searchRequest is the body of POST /v1/search: images (input, as for /v1/embeddings) or
// vectors, k, and an optional label filter by label numbers or class names.
type searchRequest struct {
	Input   json.RawMessage `json:"input"`
	Vectors [][]float32     `json:"vectors"`
	K       *int            `json:"k"`
	Labels  []int64         `json:"labels"`
	Classes []string        `json:"classes"`
	Exact   bool            `json:"exact"`
	Ef      int             `json:"ef"`
}

// searchResponse answers POST /v1/search: one entry per query, in order.
type searchResponse struct {
	Object string        `json:"object"`
	Model  string        `json:"model"`
	Index  searchInfo    `json:"index"`
	Data   []searchQuery `json:"data"`
}

type searchInfo struct {
	Kind  string `json:"kind"`
	Count int    `json:"count"`
}

type searchQuery struct {
	Index   int             `json:"index"`
	Results []search.Result `json:"results"`
}

// maxK bounds k per query.
const maxK = 1000

// routeSearch adds POST /v1/search and GET /v1/images/{row} when an index is configured.
func (s *Server) routeSearch(mux *http.ServeMux) {
	if s.enc == nil {
		// New refuses an index without a model, so only the search routes need an answer.
		mux.HandleFunc("POST /v1/search", s.observe("/v1/search", s.auth(s.needsModel(nil))))
		return
	}
	if s.cfg.Index == nil {
		return
	}
	mux.HandleFunc("POST /v1/search", s.observe("/v1/search", s.auth(s.limited(s.handleSearch))))
	mux.HandleFunc("GET /v1/images/{row}", s.observe("/v1/images", s.auth(s.handleItemImage)))
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) error {
	var req searchRequest
	dec := json.NewDecoder(r.Body)
	if err := dec.Decode(&req); err != nil {
		return badRequest("body: invalid JSON: %v", err)
	}
	if dec.More() {
		return badRequest("body: trailing data after the JSON object")
	}
	ix := s.cfg.Index
	k := 10
	if req.K != nil {
		k = *req.K
	}
	if k < 1 || k > maxK {
		return badRequest("k: got %d, want 1…%d", k, maxK)
	}
	opts := search.Options{Exact: req.Exact, Ef: req.Ef, Labels: req.Labels}
	if req.Ef < 0 || req.Ef > 10*maxK {
		return badRequest("ef: got %d, want 0…%d", req.Ef, 10*maxK)
	}
	if (len(req.Labels) > 0 || len(req.Classes) > 0) && ix.Labels == nil {
		return badRequest("labels/classes: the index has no labels to filter on")
	}
	for i, l := range req.Labels {
		if l < 0 || (len(ix.Meta.Classes) > 0 && int(l) >= len(ix.Meta.Classes)) {
			return badRequest("labels[%d]: got %d, want 0…%d", i, l, len(ix.Meta.Classes)-1)
		}
	}
	for i, c := range req.Classes {
		found := false
		for l, name := range ix.Meta.Classes {
			if name == c {
				opts.Labels, found = append(opts.Labels, int64(l)), true
			}
		}
		if !found {
			return badRequest("classes[%d]: %q is not a class of the index (have %v)", i, abbreviate(c), ix.Meta.Classes)
		}
	}
	hasInput := len(bytes.TrimSpace(req.Input)) > 0 && !bytes.Equal(bytes.TrimSpace(req.Input), []byte("null"))
	var q []float32
	n := 0
	switch {
	case hasInput && len(req.Vectors) > 0:
		return badRequest("give input (images) or vectors, not both")
	case hasInput:
		// The same parsing, limits and error messages as /v1/embeddings.
		body := append(append([]byte(`{"input":`), req.Input...), '}')
		p, err := parseEmbeddingsRequest(bytes.NewReader(body), s.cfg.MaxImages)
		if err != nil {
			return err
		}
		if q, err = s.embedImages(r.Context(), p.images); err != nil {
			return err
		}
		n = len(p.images)
	case len(req.Vectors) > 0:
		if len(req.Vectors) > s.cfg.MaxImages {
			return badRequest("vectors: %d queries, at most %d per request", len(req.Vectors), s.cfg.MaxImages)
		}
		for i, v := range req.Vectors {
			if len(v) != ix.Dim() {
				return badRequest("vectors[%d]: %d values, the index holds %d-d vectors", i, len(v), ix.Dim())
			}
			for j, x := range v {
				if math.IsNaN(float64(x)) || math.IsInf(float64(x), 0) {
					return badRequest("vectors[%d][%d]: not a finite number", i, j)
				}
			}
			q = append(q, v...)
		}
		n = len(req.Vectors)
	default:
		return badRequest("input or vectors: missing; want images (base64 or data URIs) or a list of %d-d vectors", ix.Dim())
	}
	if s.enc != nil && hasInput && s.enc.Dim() != ix.Dim() {
		return &Error{Status: http.StatusInternalServerError, Msg: fmt.Sprintf("the model's %d-d embeddings do not match the index's %d-d vectors", s.enc.Dim(), ix.Dim())}
	}
	res, err := ix.Search(q, k, opts)
	if err != nil {
		return badRequest("%v", err)
	}
	resp := searchResponse{Object: "list", Model: s.cfg.Model, Index: searchInfo{Kind: ix.Kind(), Count: ix.Len()}, Data: make([]searchQuery, n)}
	for i := range n {
		resp.Data[i] = searchQuery{Index: i, Results: res[i]}
	}
	w.Header().Set("Content-Type", "application/json")
	return json.NewEncoder(w).Encode(resp)
}

// handleItemImage serves the image of an indexed row as PNG (for the web page's thumbnails).
func (s *Server) handleItemImage(w http.ResponseWriter, r *http.Request) error {
	row, err := strconv.Atoi(r.PathValue("row"))
	if err != nil || row < 0 || row >= s.cfg.Index.Len() {
		return &Error{Status: http.StatusNotFound, Msg: fmt.Sprintf("image %q: want a row number 0…%d", abbreviate(r.PathValue("row")), s.cfg.Index.Len()-1)}
	}
	if s.cfg.Images == nil {
		return &Error{Status: http.StatusNotFound, Msg: "this server has no images for its index (start it with the images reachable)"}
	}
	img, err := s.cfg.Images.Image(row)
	if err != nil {
		return &Error{Status: http.StatusNotFound, Msg: err.Error()}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img.ToStd()); err != nil {
		return err
	}
	w.Header().Set("Content-Type", "image/png")
	w.Header().Set("Cache-Control", "private, max-age=3600")
	_, err = w.Write(buf.Bytes())
	return err
}
