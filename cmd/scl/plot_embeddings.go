package main

import (
	"fmt"
	"image"
	"math/rand/v2"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/reduce"
	"github.com/scl-dev/scl/search"
	"github.com/scl-dev/scl/viz"
)

// plotEmbeddingsCommand is `scl plot embeddings`: a 2-D map of features coloured by class.
func plotEmbeddingsCommand() *cli.Command {
	return &cli.Command{
		Name:  "embeddings",
		Usage: "draw a 2-D map (PCA and/or t-SNE) of scl embed features, coloured by class, with a legend of class names",
		Description: "Rows are L2-normalised (the geometry of cosine search), subsampled to --max-points, then\n" +
			fmt.Sprintf("projected by PCA and/or t-SNE (exact up to %d points, Barnes–Hut above).", reduce.ExactTSNEMax),
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "features", Aliases: []string{"f"}, Usage: "scl embed output folder(s)", Required: true},
			&cli.StringFlag{Name: "method", Value: "both", Usage: "pca, tsne or both (side by side)"},
			&cli.IntFlag{Name: "max-points", Value: 5000, Usage: "points drawn (a seeded random subset when there are more)"},
			&cli.Float64Flag{Name: "perplexity", Value: 30, Usage: "t-SNE perplexity"},
			&cli.IntFlag{Name: "iterations", Value: 750, Usage: "t-SNE iterations"},
			&cli.Uint64Flag{Name: "seed", Value: 1, Usage: "seed of the subset and of t-SNE's initial layout"},
			&cli.StringFlag{Name: "title", Usage: "title prefix (default: the features folder)"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "embeddings.png", Usage: "PNG to write"},
		},
		Action: runPlotEmbeddings,
	}
}

func runPlotEmbeddings(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("plot embeddings: unexpected arguments %v", c.Args().Slice())
	}
	method := c.String("method")
	if method != "pca" && method != "tsne" && method != "both" {
		return fmt.Errorf("plot embeddings: --method %q, want pca, tsne or both", method)
	}
	f, err := search.LoadFeatures(c.StringSlice("features")...)
	if err != nil {
		return fmt.Errorf("plot embeddings: %w", err)
	}
	rows := rand.New(rand.NewPCG(c.Uint64("seed"), 3)).Perm(f.Len())
	if m := c.Int("max-points"); m > 0 && m < len(rows) {
		rows = rows[:m]
	}
	x := make([]float32, 0, len(rows)*f.Dim)
	var labels []int64
	for _, r := range rows {
		x = append(x, f.X[r*f.Dim:(r+1)*f.Dim]...)
		if f.Labels != nil {
			labels = append(labels, f.Labels[r])
		}
	}
	search.Normalize(x, f.Dim)
	title := c.String("title")
	if title == "" {
		title = c.StringSlice("features")[0]
	}
	var maps []*image.RGBA
	if method == "pca" || method == "both" {
		y, explained, err := reduce.PCA(x, f.Dim, 2)
		if err != nil {
			return fmt.Errorf("plot embeddings: %w", err)
		}
		m, err := viz.Map(y, labels, viz.MapConfig{Classes: f.Classes,
			Title: fmt.Sprintf("%s: PCA of %d points (%.0f%% + %.0f%% of variance)", title, len(rows), 100*explained[0], 100*explained[1])})
		if err != nil {
			return err
		}
		maps = append(maps, m)
	}
	if method == "tsne" || method == "both" {
		start := time.Now()
		y, err := reduce.TSNE(x, f.Dim, reduce.TSNEConfig{Perplexity: c.Float64("perplexity"), Iterations: c.Int("iterations"), Seed: c.Uint64("seed"),
			Progress: func(it, total int) {
				if it%250 == 0 {
					fmt.Fprintf(c.App.ErrWriter, "plot embeddings: t-SNE iteration %d/%d (%.0f s)\n", it, total, time.Since(start).Seconds())
				}
			}})
		if err != nil {
			return fmt.Errorf("plot embeddings: %w", err)
		}
		kind := "exact"
		if len(rows) > reduce.ExactTSNEMax {
			kind = "Barnes–Hut"
		}
		m, err := viz.Map(y, labels, viz.MapConfig{Classes: f.Classes,
			Title: fmt.Sprintf("%s: t-SNE (%s, perplexity %g) of %d points", title, kind, c.Float64("perplexity"), len(rows))})
		if err != nil {
			return err
		}
		maps = append(maps, m)
	}
	if err := viz.WritePNG(c.String("out"), viz.SideBySide(maps...)); err != nil {
		return fmt.Errorf("plot embeddings: %w", err)
	}
	fmt.Fprintln(c.App.Writer, c.String("out"))
	return nil
}
