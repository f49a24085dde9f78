package main

import (
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/train/metrics"
)

// plotCommand is `scl plot`: training curves from a metrics file to PNG.
func plotCommand() *cli.Command {
	return &cli.Command{
		Name:        "plot",
		Usage:       "render training curves (" + metrics.FileName + " of scl train) to a PNG image",
		ArgsUsage:   "RUN_DIR|METRICS.jsonl",
		Subcommands: []*cli.Command{plotEmbeddingsCommand(), plotJoinCommand(), plotQualityCommand()},
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "PNG to write (default: " + metrics.PlotName + " beside the metrics file)"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("plot: want one argument, the run directory or its "+metrics.FileName+" (got %d)", c.NArg())
			}
			in, out := metrics.Paths(c.Args().First())
			if o := c.String("out"); o != "" {
				out = o
			}
			if err := metrics.PlotFile(in, out); err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			fmt.Fprintln(c.App.Writer, out)
			return nil
		},
	}
}
