package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/train/metrics"
)

// plotCommand is `scl plot`: training curves from a metrics file to PNG.
func plotCommand() *cli.Command {
	return &cli.Command{
		Name:      "plot",
		Usage:     "render training curves (metrics.jsonl of scl train) to a PNG image",
		ArgsUsage: "RUN_DIR|METRICS.jsonl",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "PNG to write (default: curves.png beside the metrics file)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("plot: want one argument, the run directory or its metrics.jsonl (got %d)", c.NArg())
			}
			in := c.Args().First()
			if st, err := os.Stat(in); err == nil && st.IsDir() {
				in = filepath.Join(in, "metrics.jsonl")
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join(filepath.Dir(in), "curves.png")
			}
			if err := metrics.PlotFile(in, out); err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			fmt.Fprintln(c.App.Writer, out)
			return nil
		},
	}
}
