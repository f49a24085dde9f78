package main

import (
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
	"gonum.org/v1/plot/vg"

	"github.com/scl-dev/scl/internal/atomicfile"
	"github.com/scl-dev/scl/viz/quality"
)

// plotQualityCommand is `scl plot quality`: scripts/quality.sh's table of probe accuracy
// against the pretraining budget as a PNG.
func plotQualityCommand() *cli.Command {
	return &cli.Command{
		Name:      "quality",
		Usage:     "draw linear-probe and kNN top-1 against minutes of pretraining (scripts/quality.sh's table) as a PNG",
		ArgsUsage: "TABLE.tsv",
		Description: "TABLE.tsv starts with the line \"" + quality.Header + "\" (tab-separated), then one line per\n" +
			"run: a series name (the recipe), its budget in minutes and its accuracies as fractions; minutes 0 is a\n" +
			"baseline drawn as a dashed line (raw pixels, random init) and - an accuracy not measured.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "PNG to write", Required: true},
			&cli.StringFlag{Name: "title", Value: "Fashion-MNIST", Usage: "title of both panels"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return fmt.Errorf("plot quality: want one table file, got %d arguments", c.NArg())
			}
			path := c.Args().First()
			f, err := os.Open(path)
			if err != nil {
				return fmt.Errorf("plot quality: %w", err)
			}
			defer f.Close()
			pts, err := quality.Read(f, path)
			if err != nil {
				return fmt.Errorf("plot quality: %w", err)
			}
			out := c.String("out")
			err = atomicfile.Write(out, func(w io.Writer) error {
				return quality.WritePNG(w, pts, c.String("title"), 32*vg.Centimeter, 12*vg.Centimeter)
			})
			if err != nil {
				return fmt.Errorf("plot quality: %w", err)
			}
			fmt.Fprintln(c.App.Writer, out)
			return nil
		},
	}
}
