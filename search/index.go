package search

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/scl-dev/scl/internal/atomicfile"
	"github.com/scl-dev/scl/npy"
)

// Files inside an index folder.
const (
	MetaFile    = "index.json"
	VectorsFile = "vectors.npy" // float32 [N, D], unit rows
	LabelsFile  = "labels.npy"  // int64 [N], labelled data only
	IDsFile     = "ids.txt"
	GraphFile   = "hnsw.bin" // HNSW indexes only
)

// IndexFormat names the folder layout in index.json.
const IndexFormat = "scl-index/1"

// Kinds of index.
const (
	KindExact = "exact"
	KindHNSW  = "hnsw"
	KindAuto  = "auto" // HNSW above AutoHNSWAbove vectors, exact otherwise
)

// AutoHNSWAbove is the size above which KindAuto builds HNSW.
const AutoHNSWAbove = 1_000_000

// Meta is index.json.
type Meta struct {
	Format    string    `json:"format"`
	Kind      string    `json:"kind"`
	Count     int       `json:"count"`
	Dim       int       `json:"dim"`
	Metric    string    `json:"metric"`
	Labelled  bool      `json:"labelled"`
	Classes   []string  `json:"classes,omitempty"`
	Sources   []Source  `json:"sources"`
	HNSW      *HNSWMeta `json:"hnsw,omitempty"`
	BuildSecs float64   `json:"build_seconds"`
}

// HNSWMeta records the graph's settings and its measured recall.
type HNSWMeta struct {
	M              int     `json:"m"`
	EfConstruction int     `json:"ef_construction"`
	EfSearch       int     `json:"ef_search"`
	RecallK        int     `json:"recall_k"`
	Recall         float64 `json:"recall"`         // recall@RecallK against exact search
	RecallQueries  int     `json:"recall_queries"` // indexed vectors sampled as queries
}

// BuildConfig configures Build. Zero values mean the defaults.
type BuildConfig struct {
	Kind string // exact, hnsw or auto (default auto)
	HNSW HNSWConfig
	// RecallQueries is the number of indexed vectors sampled as queries to measure HNSW's
	// recall@10 against exact search (default 1000).
	RecallQueries int
}

// Index searches a set of embeddings and maps rows back to item ids and labels. It is safe for
// concurrent searches.
type Index struct {
	Meta   Meta
	IDs    []string
	Labels []int64 // nil when unlabelled
	exact  *Exact
	hnsw   *HNSW
}

// Build indexes f. It takes over f.X (normalising it in place).
func Build(f *Features, cfg BuildConfig) (*Index, error) {
	start := time.Now()
	kind := cfg.Kind
	if kind == "" || kind == KindAuto {
		kind = KindExact
		if f.Len() > AutoHNSWAbove {
			kind = KindHNSW
		}
	}
	if kind != KindExact && kind != KindHNSW {
		return nil, fmt.Errorf("search: index kind %q, want exact, hnsw or auto", cfg.Kind)
	}
	if f.Len() == 0 {
		return nil, fmt.Errorf("search: no vectors to index")
	}
	e, err := NewExact(f.X, f.Dim)
	if err != nil {
		return nil, err
	}
	ix := &Index{exact: e, IDs: f.IDs, Labels: f.Labels, Meta: Meta{
		Format: IndexFormat, Kind: kind, Count: f.Len(), Dim: f.Dim, Metric: "cosine",
		Labelled: f.Labels != nil, Classes: f.Classes, Sources: f.Sources,
	}}
	if kind == KindHNSW {
		if ix.hnsw, err = buildHNSW(e.x, e.dim, cfg.HNSW); err != nil {
			return nil, err
		}
		nq := cfg.RecallQueries
		if nq <= 0 {
			nq = 1000
		}
		nq = min(nq, f.Len())
		r, err := ix.measureRecall(nq, 10)
		if err != nil {
			return nil, err
		}
		ix.Meta.HNSW = &HNSWMeta{M: ix.hnsw.m, EfConstruction: ix.hnsw.efC, EfSearch: ix.hnsw.EfSearch, RecallK: 10, Recall: r, RecallQueries: nq}
	}
	ix.Meta.BuildSecs = time.Since(start).Seconds()
	return ix, nil
}

// measureRecall samples nq indexed vectors as queries and returns HNSW's recall@k against
// exact search.
func (ix *Index) measureRecall(nq, k int) (float64, error) {
	rng := rand.New(rand.NewPCG(42, 42))
	q := make([]float32, 0, nq*ix.Meta.Dim)
	for _, r := range rng.Perm(ix.Meta.Count)[:nq] {
		q = append(q, ix.exact.Vector(r)...)
	}
	want, err := ix.exact.Search(q, k, nil)
	if err != nil {
		return 0, err
	}
	got, err := ix.hnsw.Search(q, k, 0, nil)
	if err != nil {
		return 0, err
	}
	return Recall(got, want), nil
}

// Kind is exact or hnsw.
func (ix *Index) Kind() string { return ix.Meta.Kind }

// Len is the number of indexed vectors; Dim their dimension.
func (ix *Index) Len() int { return ix.Meta.Count }

// Dim is the dimension of the vectors.
func (ix *Index) Dim() int { return ix.Meta.Dim }

// Vector returns the unit vector of row r (read-only).
func (ix *Index) Vector(r int) []float32 { return ix.exact.Vector(r) }

// Label returns the label of row r, or -1 for unlabelled indexes.
func (ix *Index) Label(r int) int64 {
	if ix.Labels == nil {
		return -1
	}
	return ix.Labels[r]
}

// SourceOf returns the embed output holding row r.
func (ix *Index) SourceOf(r int) Source { return sourceOf(ix.Meta.Sources, r) }

// Options refine a search.
type Options struct {
	// Labels, when not empty, keeps only items with one of these labels.
	Labels []int64
	// Exact searches exhaustively even in an HNSW index.
	Exact bool
	// Ef is HNSW's search width (default the index's ef_search; at least k).
	Ef int
}

// Result is one neighbour.
type Result struct {
	Row   int     `json:"row"`
	ID    string  `json:"id"`
	Label int64   `json:"label"` // -1 when unlabelled
	Class string  `json:"class,omitempty"`
	Score float32 `json:"score"` // cosine similarity
}

// Search returns the k nearest items of each of the len(q)/Dim queries by cosine similarity,
// best first.
func (ix *Index) Search(q []float32, k int, o Options) ([][]Result, error) {
	var filter func(int) bool
	if len(o.Labels) > 0 {
		if ix.Labels == nil {
			return nil, fmt.Errorf("search: label filter on an unlabelled index")
		}
		want := map[int64]bool{}
		for _, l := range o.Labels {
			want[l] = true
		}
		filter = func(r int) bool { return want[ix.Labels[r]] }
	}
	var hits [][]Hit
	var err error
	if ix.hnsw != nil && !o.Exact {
		hits, err = ix.hnsw.Search(q, k, o.Ef, filter)
	} else {
		hits, err = ix.exact.Search(q, k, filter)
	}
	if err != nil {
		return nil, err
	}
	out := make([][]Result, len(hits))
	for i, hs := range hits {
		out[i] = make([]Result, len(hs))
		for j, h := range hs {
			out[i][j] = ix.result(h)
		}
	}
	return out, nil
}

func (ix *Index) result(h Hit) Result {
	r := Result{Row: h.Row, ID: ix.IDs[h.Row], Label: ix.Label(h.Row), Score: h.Score}
	if r.Label >= 0 && int(r.Label) < len(ix.Meta.Classes) {
		r.Class = ix.Meta.Classes[r.Label]
	}
	return r
}

// Write saves the index into dir (created), each file atomically, index.json last.
func (ix *Index) Write(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("search: index folder: %w", err)
	}
	if err := npy.WriteFloat32(filepath.Join(dir, VectorsFile), ix.exact.x, ix.Meta.Count, ix.Meta.Dim); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if ix.Labels != nil {
		if err := npy.WriteInt64(filepath.Join(dir, LabelsFile), ix.Labels, len(ix.Labels)); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, IDsFile), []byte(strings.Join(ix.IDs, "\n")+"\n")); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if ix.hnsw != nil {
		if err := atomicfile.Write(filepath.Join(dir, GraphFile), func(w io.Writer) error {
			_, err := ix.hnsw.WriteTo(w)
			return err
		}); err != nil {
			return fmt.Errorf("search: %w", err)
		}
	} else {
		os.Remove(filepath.Join(dir, GraphFile))
	}
	b, err := json.MarshalIndent(ix.Meta, "", "  ")
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if err := atomicfile.WriteFile(filepath.Join(dir, MetaFile), append(b, '\n')); err != nil {
		return fmt.Errorf("search: %w", err)
	}
	return nil
}

// Open reads an index folder written by Write.
func Open(dir string) (*Index, error) {
	mp := filepath.Join(dir, MetaFile)
	b, err := os.ReadFile(mp)
	if err != nil {
		return nil, fmt.Errorf("search: %w (want an index folder written by scl index)", err)
	}
	ix := &Index{}
	if err := json.Unmarshal(b, &ix.Meta); err != nil {
		return nil, fmt.Errorf("search: %s: %w", mp, err)
	}
	m := &ix.Meta
	if m.Format != IndexFormat {
		return nil, fmt.Errorf("search: %s: format %q, want %q", mp, m.Format, IndexFormat)
	}
	vp := filepath.Join(dir, VectorsFile)
	x, shape, err := npy.ReadFloat32(vp)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	if len(shape) != 2 || shape[0] != m.Count || shape[1] != m.Dim {
		return nil, fmt.Errorf("search: %s: shape %v, want [%d %d] as index.json says", vp, shape, m.Count, m.Dim)
	}
	ix.exact = &Exact{x: x, n: m.Count, dim: m.Dim}
	if ix.IDs, err = readLines(filepath.Join(dir, IDsFile)); err != nil {
		return nil, err
	}
	if len(ix.IDs) != m.Count {
		return nil, fmt.Errorf("search: %s: %d ids, want %d", filepath.Join(dir, IDsFile), len(ix.IDs), m.Count)
	}
	if m.Labelled {
		lp := filepath.Join(dir, LabelsFile)
		labels, lshape, err := npy.ReadInts(lp)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if len(lshape) != 1 || lshape[0] != m.Count {
			return nil, fmt.Errorf("search: %s: shape %v, want [%d]", lp, lshape, m.Count)
		}
		ix.Labels = labels
	}
	switch m.Kind {
	case KindExact:
	case KindHNSW:
		gp := filepath.Join(dir, GraphFile)
		fh, err := os.Open(gp)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		defer fh.Close()
		if ix.hnsw, err = ReadHNSW(fh, x, m.Dim, gp); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("search: %s: kind %q, want exact or hnsw", mp, m.Kind)
	}
	return ix, nil
}
