package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/augment"
	"github.com/scl-dev/scl/internal/atomicfile"
	"github.com/scl-dev/scl/train"
)

// dataCommand groups the data set tools: preview (augmentations as a PNG grid) and info.
func dataCommand() *cli.Command {
	return &cli.Command{
		Name:  "data",
		Usage: "inspect data sets and augmentations",
		Subcommands: []*cli.Command{
			dataPreviewCommand(),
			dataInfoCommand(),
		},
	}
}

// dataSourceFlags name a data set as data.Open understands it.
func dataSourceFlags(defaultSplit string) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "dataset", Aliases: []string{"d"}, Value: "fashion_mnist", Usage: "data set: " + strings.Join(data.Names(), ", ") + ", or another name for a labeled image folder"},
		&cli.StringFlag{Name: "split", Value: defaultSplit, Usage: "train, test, unlabeled (stl10), or a folder split"},
		&cli.StringFlag{Name: "data-dir", Usage: "directory holding the data set (fashion_mnist defaults to " + data.FashionMNISTDir + ")"},
		&cli.StringFlag{Name: "list", Usage: "file list, one image path per line (dataset files)"},
	}
}

func openSource(c *cli.Context) (data.Dataset, error) {
	return data.Open(data.Source{Name: c.String("dataset"), Split: c.String("split"), Dir: c.String("data-dir"), List: c.String("list")})
}

func dataPreviewCommand() *cli.Command {
	flags := append(dataSourceFlags("train"),
		&cli.StringFlag{Name: "image", Usage: "preview this JPEG/PNG file instead of a data set item"},
		&cli.IntFlag{Name: "index", Aliases: []string{"i"}, Usage: "data set item to preview"},
		&cli.IntFlag{Name: "image-size", Aliases: []string{"s"}, Usage: "global view size (default: the data set's, SPEC §6)"},
		&cli.IntFlag{Name: flagGlobalViews, Aliases: []string{"num_global_views"}, Value: train.DefaultConfig().GlobalViews, Usage: "global views per image"},
		&cli.IntFlag{Name: flagLocalViews, Aliases: []string{"num_local_views"}, Value: train.DefaultConfig().LocalViews, Usage: "local views per image"},
		&cli.IntFlag{Name: "channels", Value: train.DefaultConfig().InChannels, Usage: "output channels: 3 (grey replicated) or 1"},
		&cli.IntFlag{Name: "rows", Value: 4, Usage: "independent draws, one row each"},
		&cli.Uint64Flag{Name: "seed", Value: 0, Usage: "random seed"},
		&cli.IntFlag{Name: "zoom", Usage: "pixel zoom (default: global views ≥ 128 px)"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "preview.png", Usage: "PNG file to write"},
	)
	flags = append(flags, viewRecipeFlags("")...)
	return &cli.Command{
		Name:  "preview",
		Usage: "write a PNG grid of an image's global and local views (source image first in each row)",
		Flags: flags,
		Action: func(c *cli.Context) error {
			img, size, name, err := previewSource(c)
			if err != nil {
				return err
			}
			if s := c.Int("image-size"); s > 0 {
				size = s
			}
			if size <= 0 {
				return fmt.Errorf("data preview: unknown view size for %s, want --image-size", name)
			}
			recipe, err := viewRecipeFromFlags(c)
			if err != nil {
				return fmt.Errorf("data preview: %w", err)
			}
			m, err := augment.NewMultiCropRecipe(size, c.Int(flagGlobalViews), c.Int(flagLocalViews), c.Int("channels"), recipe)
			if err != nil {
				return fmt.Errorf("data preview: %w", err)
			}
			grid, err := augment.Preview(img, m, augment.PreviewConfig{Rows: c.Int("rows"), Seed: c.Uint64("seed"), Zoom: c.Int("zoom")})
			if err != nil {
				return fmt.Errorf("data preview: %w", err)
			}
			var b bytes.Buffer
			if err := png.Encode(&b, grid); err != nil {
				return fmt.Errorf("data preview: encode: %w", err)
			}
			out := c.String("out")
			if err := atomicfile.WriteFile(out, b.Bytes()); err != nil {
				return fmt.Errorf("data preview: %w", err)
			}
			fmt.Fprintf(c.App.Writer, "wrote %s: %s, %d rows × (source + %d global %d px + %d local %d px)\n",
				out, name, c.Int("rows"), c.Int(flagGlobalViews), size, c.Int(flagLocalViews), recipe.LocalSide(size))
			return nil
		},
	}
}

// previewSource reads the image to preview and its default view size.
func previewSource(c *cli.Context) (data.Image, int, string, error) {
	if p := c.String("image"); p != "" {
		b, err := os.ReadFile(p)
		if err != nil {
			return data.Image{}, 0, "", fmt.Errorf("data preview: %w", err)
		}
		img, err := data.DecodeImage(b)
		if err != nil {
			return data.Image{}, 0, "", fmt.Errorf("data preview: %s: %w", p, err)
		}
		return img, data.ImageSizeFor(c.String("dataset")), filepath.Base(p), nil
	}
	ds, err := openSource(c)
	if err != nil {
		return data.Image{}, 0, "", fmt.Errorf("data preview: %w", err)
	}
	defer ds.Close()
	i := c.Int("index")
	if i < 0 || i >= ds.Len() {
		return data.Image{}, 0, "", fmt.Errorf("data preview: --index %d, want 0..%d", i, ds.Len()-1)
	}
	img, err := ds.Image(i)
	if err != nil {
		return data.Image{}, 0, "", fmt.Errorf("data preview: %w", err)
	}
	info := ds.Info()
	return img, info.ImageSize, fmt.Sprintf("%s %s item %d (%s)", info.Name, info.Split, i, ds.ID(i)), nil
}

func dataInfoCommand() *cli.Command {
	return &cli.Command{
		Name:  "info",
		Usage: "print a data set's size, classes, image size and label histogram",
		Flags: dataSourceFlags("train"),
		Action: func(c *cli.Context) error {
			ds, err := openSource(c)
			if err != nil {
				return fmt.Errorf("data info: %w", err)
			}
			defer ds.Close()
			info := ds.Info()
			w := c.App.Writer
			fmt.Fprintf(w, "dataset   %s\nsplit     %s\nitems     %d\n", info.Name, info.Split, ds.Len())
			if splits := data.Splits(c.String("dataset"), c.String("data-dir")); len(splits) > 0 {
				fmt.Fprintf(w, "splits    %s\n", strings.Join(splits, ", "))
			}
			if info.Width > 0 {
				fmt.Fprintf(w, "images    %dx%d, %d channel(s)\n", info.Width, info.Height, info.Channels)
			} else {
				fmt.Fprintf(w, "images    sizes vary\n")
			}
			if info.ImageSize > 0 {
				fmt.Fprintf(w, "view size %d global, %d local, blur kernel %d\n", info.ImageSize, augment.LocalView(info.ImageSize).Size, augment.BlurKernelSize(info.ImageSize))
			}
			if f, ok := ds.(*data.Folder); ok && f.Skipped() > 0 {
				fmt.Fprintf(w, "skipped   %d unreadable files\n", f.Skipped())
			}
			if len(info.Classes) == 0 {
				fmt.Fprintf(w, "classes   none (unlabeled)\n")
				return nil
			}
			hist := make([]int, len(info.Classes))
			for _, l := range data.Labels(ds) {
				if l >= 0 && l < len(hist) {
					hist[l]++
				}
			}
			parts := make([]string, len(hist))
			for i, n := range hist {
				parts[i] = fmt.Sprintf("%s=%d", info.Classes[i], n)
			}
			fmt.Fprintf(w, "classes   %d: %s\n", len(hist), strings.Join(parts, ", "))
			return nil
		},
	}
}
