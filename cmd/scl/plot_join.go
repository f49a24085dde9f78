package main

import (
	"fmt"
	"image"
	"image/draw"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/viz"
)

// plotJoinCommand is `scl plot join`: PNGs side by side (the demo's pretrained vs random-init).
func plotJoinCommand() *cli.Command {
	return &cli.Command{
		Name:      "join",
		Usage:     "place images side by side, left to right, in one PNG",
		ArgsUsage: "IMAGE…",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "PNG to write", Required: true},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() < 1 {
				return fmt.Errorf("plot join: want at least one image")
			}
			var imgs []*image.RGBA
			for _, p := range c.Args().Slice() {
				b, err := os.ReadFile(p)
				if err != nil {
					return fmt.Errorf("plot join: %w", err)
				}
				img, err := data.DecodeImageLimit(b, 1<<28)
				if err != nil {
					return fmt.Errorf("plot join: %s: %w", p, err)
				}
				std := img.ToStd()
				rgba := image.NewRGBA(std.Bounds())
				draw.Draw(rgba, rgba.Bounds(), std, std.Bounds().Min, draw.Src)
				imgs = append(imgs, rgba)
			}
			if err := viz.WritePNG(c.String("out"), viz.SideBySide(imgs...)); err != nil {
				return fmt.Errorf("plot join: %w", err)
			}
			fmt.Fprintln(c.App.Writer, c.String("out"))
			return nil
		},
	}
}
