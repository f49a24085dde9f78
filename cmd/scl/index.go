package main

import (
	"fmt"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/search"
)

// indexCommand is `scl index`: a search index from scl embed outputs.
func indexCommand() *cli.Command {
	return &cli.Command{
		Name:  "index",
		Usage: "build a nearest-neighbour search index (exact or HNSW) from scl embed outputs",
		Description: "Joins the features of one or more scl embed output folders (sharded ones too) into INDEX/:\n" +
			"index.json, vectors.npy (unit rows), labels.npy, ids.txt and, for HNSW, hnsw.bin. An HNSW\n" +
			"index measures its recall@10 against exact search on sampled indexed vectors and prints it.",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "features", Aliases: []string{"f"}, Usage: "scl embed output folder (repeat for several)", Required: true},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "index folder to write", Required: true},
			&cli.StringFlag{Name: "kind", Value: "auto", Usage: fmt.Sprintf("exact, hnsw, or auto (HNSW above %d vectors)", search.AutoHNSWAbove)},
			&cli.IntFlag{Name: "m", Value: 16, Usage: "HNSW links per node (layer 0 keeps twice as many)"},
			&cli.IntFlag{Name: "ef-construction", Value: 128, Usage: "HNSW search width while building"},
			&cli.IntFlag{Name: "ef-search", Value: 64, Usage: "HNSW default search width"},
			&cli.IntFlag{Name: "recall-queries", Value: 1000, Usage: "indexed vectors sampled to measure HNSW recall@10"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("index: unexpected arguments %v", c.Args().Slice())
			}
			f, err := search.LoadFeatures(c.StringSlice("features")...)
			if err != nil {
				return err
			}
			fmt.Fprintf(c.App.ErrWriter, "index: %d × %d features from %d output folder(s)\n", f.Len(), f.Dim, len(f.Sources))
			last := time.Now()
			ix, err := search.Build(f, search.BuildConfig{
				Kind: c.String("kind"), RecallQueries: c.Int("recall-queries"),
				HNSW: search.HNSWConfig{M: c.Int("m"), EfConstruction: c.Int("ef-construction"), EfSearch: c.Int("ef-search"),
					Progress: func(done, total int) {
						if time.Since(last) > 10*time.Second || done == total {
							last = time.Now()
							fmt.Fprintf(c.App.ErrWriter, "index: HNSW %d/%d nodes\n", done, total)
						}
					}},
			})
			if err != nil {
				return err
			}
			if err := ix.Write(c.String("out")); err != nil {
				return err
			}
			m := ix.Meta
			fmt.Fprintf(c.App.Writer, "index: wrote %s index of %d × %d vectors to %s in %.1f s\n", m.Kind, m.Count, m.Dim, c.String("out"), m.BuildSecs)
			if h := m.HNSW; h != nil {
				fmt.Fprintf(c.App.Writer, "index: HNSW recall@%d = %.4f against exact search (%d sampled queries, M %d, ef_construction %d, ef_search %d)\n",
					h.RecallK, h.Recall, h.RecallQueries, h.M, h.EfConstruction, h.EfSearch)
			}
			return nil
		},
	}
}
