package main

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/search"
	"github.com/scl-dev/scl/viz"
)

// neighborsCommand is `scl neighbors`: a retrieval grid PNG.
func neighborsCommand() *cli.Command {
	flags := append([]cli.Flag{
		&cli.StringSliceFlag{Name: "features", Aliases: []string{"f"}, Usage: "scl embed output folder(s) to search (or --index)"},
		&cli.StringFlag{Name: "index", Usage: "index folder written by scl index (instead of --features)"},
		&cli.StringFlag{Name: "query-features", Usage: "scl embed output whose rows are the queries (default: the searched features, each query's own row left out)"},
		&cli.IntFlag{Name: "queries", Aliases: []string{"n"}, Value: 8, Usage: "number of query rows, drawn at random (--seed)"},
		&cli.StringSliceFlag{Name: "query", Usage: "query image file (repeat; needs --model)"},
		&cli.IntFlag{Name: "k", Aliases: []string{"K"}, Value: 8, Usage: "neighbours per query"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "neighbors.png", Usage: "PNG to write"},
		&cli.StringFlag{Name: "data-dir", Usage: "where the images are, when they moved since scl embed"},
		&cli.IntFlag{Name: "thumb", Value: 72, Usage: "thumbnail size in pixels"},
		&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the query draw"},
		&cli.StringFlag{Name: "title", Usage: "line above the grid"},
	}, encoderFlags(false)...)
	return &cli.Command{
		Name:  "neighbors",
		Usage: "draw a retrieval grid: each row a query and its k nearest neighbours (cosine), framed green/red by label",
		Description: "Queries are rows of --query-features (or of the searched features, leaving each query's own\n" +
			"row out), or image files given with --query and embedded with --model. Thumbnails come from\n" +
			"the images the features were extracted from (ids.txt and manifest.json of scl embed).",
		ArgsUsage: " ",
		Flags:     flags,
		Action:    runNeighbors,
	}
}

// openSearch returns the index named by --index, or an exact index over --features.
func openSearch(c *cli.Context) (*search.Index, error) {
	switch {
	case c.String("index") != "" && len(c.StringSlice("features")) > 0:
		return nil, fmt.Errorf("give --index or --features, not both")
	case c.String("index") != "":
		return search.Open(c.String("index"))
	case len(c.StringSlice("features")) > 0:
		f, err := search.LoadFeatures(c.StringSlice("features")...)
		if err != nil {
			return nil, err
		}
		return search.Build(f, search.BuildConfig{Kind: search.KindExact})
	}
	return nil, fmt.Errorf("--features or --index is required")
}

// query is one row of the grid.
type query struct {
	vec   []float32
	image data.Image
	label int64 // -1 unknown
	class string
	self  int // row of the searched set to leave out, -1 none
	name  string
}

func runNeighbors(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("neighbors: unexpected arguments %v", c.Args().Slice())
	}
	k := c.Int("k")
	if k <= 0 {
		return fmt.Errorf("neighbors: -k %d, want > 0", k)
	}
	ix, err := openSearch(c)
	if err != nil {
		return fmt.Errorf("neighbors: %w", err)
	}
	images := search.NewImages(ix.Meta.Sources, ix.IDs)
	images.Dir = c.String("data-dir")
	defer images.Close()
	queries, err := neighborQueries(c, ix, images)
	if err != nil {
		return fmt.Errorf("neighbors: %w", err)
	}
	var rows [][]viz.Tile
	for _, q := range queries {
		res, err := ix.Search(q.vec, k+1, search.Options{})
		if err != nil {
			return fmt.Errorf("neighbors: %w", err)
		}
		lines := []string{q.name}
		if q.class != "" {
			lines = append(lines, q.class)
		}
		row := []viz.Tile{{Image: q.image.ToStd(), Frame: viz.Query, Lines: lines}}
		for _, r := range res[0] {
			if r.Row == q.self || len(row) > k {
				continue
			}
			t := viz.Tile{Frame: viz.Unknown, Lines: []string{fmt.Sprintf("%.3f", r.Score)}}
			if r.Class != "" {
				t.Lines = append(t.Lines, r.Class)
			} else if r.Label >= 0 {
				t.Lines = append(t.Lines, fmt.Sprintf("class %d", r.Label))
			}
			if q.label >= 0 && r.Label >= 0 {
				t.Frame = viz.Differ
				if q.label == r.Label {
					t.Frame = viz.Same
				}
			}
			img, err := images.Image(r.Row)
			if err != nil {
				return fmt.Errorf("neighbors: %w", err)
			}
			t.Image = img.ToStd()
			row = append(row, t)
		}
		rows = append(rows, row)
	}
	title := c.String("title")
	if title == "" {
		title = fmt.Sprintf("%d nearest neighbours by cosine similarity (%s index of %d)", k, ix.Kind(), ix.Len())
	}
	if err := viz.WritePNG(c.String("out"), viz.Grid(rows, viz.GridConfig{Thumb: c.Int("thumb"), Title: title})); err != nil {
		return fmt.Errorf("neighbors: %w", err)
	}
	fmt.Fprintln(c.App.Writer, c.String("out"))
	return nil
}

// neighborQueries builds the queries: image files embedded with --model, or rows.
func neighborQueries(c *cli.Context, ix *search.Index, images *search.Images) ([]query, error) {
	if files := c.StringSlice("query"); len(files) > 0 {
		if c.String("model") == "" {
			return nil, fmt.Errorf("--query needs --model to embed the images")
		}
		enc, err := openEncoder(c, false)
		if err != nil {
			return nil, err
		}
		defer enc.Close()
		var out []query
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			img, err := data.DecodeImage(b)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			vec := make([]float32, enc.Dim())
			if _, err := enc.ImagesTo(vec, []data.Image{img}, nil); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, query{vec: vec, image: img, label: -1, self: -1, name: filepath.Base(f)})
		}
		return out, nil
	}
	n := c.Int("queries")
	if n <= 0 {
		return nil, fmt.Errorf("--queries %d, want > 0", n)
	}
	rng := rand.New(rand.NewPCG(c.Uint64("seed"), 0))
	if qf := c.String("query-features"); qf != "" {
		f, err := search.LoadFeatures(qf)
		if err != nil {
			return nil, err
		}
		if f.Dim != ix.Dim() {
			return nil, fmt.Errorf("--query-features: %d-d features, the searched ones are %d-d", f.Dim, ix.Dim())
		}
		qimages := search.NewImages(f.Sources, f.IDs)
		qimages.Dir = c.String("data-dir")
		defer qimages.Close()
		var out []query
		for _, r := range rng.Perm(f.Len())[:min(n, f.Len())] {
			img, err := qimages.Image(r)
			if err != nil {
				return nil, err
			}
			q := query{vec: f.X[r*f.Dim : (r+1)*f.Dim], image: img, label: -1, self: -1, name: "query"}
			if f.Labels != nil {
				q.label = f.Labels[r]
				if int(q.label) < len(f.Classes) {
					q.class = f.Classes[q.label]
				}
			}
			out = append(out, q)
		}
		return out, nil
	}
	var out []query
	for _, r := range rng.Perm(ix.Len())[:min(n, ix.Len())] {
		img, err := images.Image(r)
		if err != nil {
			return nil, err
		}
		q := query{vec: ix.Vector(r), image: img, label: ix.Label(r), self: r, name: "query"}
		if q.label >= 0 && int(q.label) < len(ix.Meta.Classes) {
			q.class = ix.Meta.Classes[q.label]
		}
		out = append(out, q)
	}
	return out, nil
}
