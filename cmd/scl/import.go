package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/models"
	"github.com/scl-dev/scl/ptimport"
)

// importCommand maps `scl import` flags onto ptimport.Import and checkpoint.Save.
func importCommand() *cli.Command {
	return &cli.Command{
		Name:      "import",
		Usage:     "turn PyTorch weights (the reference's checkpoints, torchvision/timm state dicts; .pth/.pt or .safetensors) into an scl checkpoint",
		ArgsUsage: "FILE",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "checkpoint directory to write (required)"},
			&cli.StringFlag{Name: "arch", Usage: "resnet18, resnet50, efficientnet (efficientnet_v2_s) or efficientnet_b0 (default: inferred from the file)"},
			&cli.StringFlag{Name: "stem", Usage: "cifar, cifar-s2 or imagenet (ResNets; default: inferred from conv1's kernel, a 3×3 kernel read as cifar)"},
			&cli.StringFlag{Name: "layout", Value: string(ptimport.Auto), Usage: "auto, reference, reference-encoder, torchvision or timm"},
			&cli.IntFlag{Name: "image-size", Usage: "input size recorded for export (default: --dataset's, else 32 for the CIFAR stem, 224 otherwise)"},
			&cli.StringFlag{Name: "dataset", Usage: "data set the weights were trained on (recorded; sets the default image size)"},
			&cli.Uint64Flag{Name: "seed", Usage: "seed of a new projector when the file holds none"},
		},
		Action: func(c *cli.Context) error {
			args, err := flagsAfterArgs(c)
			if err != nil {
				return fmt.Errorf("import: %w", err)
			}
			if len(args) != 1 {
				return fmt.Errorf("import: want exactly one FILE argument, got %d", len(args))
			}
			if c.String("out") == "" {
				return fmt.Errorf("import: --out DIR is required")
			}
			opts, err := importOptions(c)
			if err != nil {
				return err
			}
			file := args[0]
			res, err := ptimport.Import(file, opts)
			if err != nil {
				return err
			}
			out := c.String("out")
			if err := checkpoint.Save(out, res.Checkpoint); err != nil {
				return fmt.Errorf("import: %w", err)
			}
			m := res.Checkpoint.Config.Model
			desc := string(m.Arch)
			if m.Arch == models.ResNet18 || m.Arch == models.ResNet50 {
				desc += fmt.Sprintf(" (%s stem, width %d)", m.Stem, m.Width)
			} else {
				desc += fmt.Sprintf(" (width ×%g, depth ×%g)", m.WidthMult, m.DepthMult)
			}
			fmt.Fprintf(c.App.Writer, "imported %s (%s, %s layout): %s, projector %d → %d, image size %d → %s\n",
				file, res.Provenance.Format, res.Provenance.Layout, desc, m.ProjectorHidden, m.ProjectorOut,
				res.Checkpoint.Config.Data.Height, out)
			for _, n := range res.Provenance.Notes {
				fmt.Fprintf(c.App.Writer, "note: %s\n", n)
			}
			return nil
		},
	}
}

// flagsAfterArgs applies the command's flags that follow the first positional argument
// (`scl import FILE --out DIR`: urfave/cli stops parsing at FILE), leaving FILE as the only
// argument, and returns the positional arguments.
func flagsAfterArgs(c *cli.Context) ([]string, error) {
	args := c.Args().Slice()
	if len(args) < 2 {
		return args, nil
	}
	set := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	set.SetOutput(io.Discard)
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return nil, err
		}
	}
	if err := set.Parse(args[1:]); err != nil {
		return nil, err
	}
	var err error
	set.Visit(func(f *flag.Flag) {
		if err == nil {
			err = c.Set(f.Name, f.Value.String())
		}
	})
	if err != nil {
		return nil, err
	}
	return append(args[:1:1], set.Args()...), nil
}

// importOptions turns the flags into ptimport.Options.
func importOptions(c *cli.Context) (ptimport.Options, error) {
	opts := ptimport.Options{Layout: ptimport.Layout(c.String("layout")), ImageSize: c.Int("image-size"),
		Dataset: c.String("dataset"), Seed: c.Uint64("seed")}
	known := false
	for _, l := range ptimport.Layouts {
		known = known || l == opts.Layout
	}
	if !known {
		return opts, fmt.Errorf("import: --layout %q, want auto, reference, reference-encoder, torchvision or timm", opts.Layout)
	}
	switch a := strings.ToLower(c.String("arch")); a {
	case "":
	case "efficientnet", "efficientnet_v2_s", "efficientnetv2-s", "efficientnet-v2-s":
		opts.Model.Arch = models.EfficientNetV2S
	case "resnet18", "resnet50", "efficientnet_b0":
		opts.Model.Arch = models.Arch(a)
	default:
		return opts, fmt.Errorf("import: --arch %q, want resnet18, resnet50, efficientnet or efficientnet_b0", a)
	}
	switch s := c.String("stem"); s {
	case "", "auto":
	case "cifar", "cifar-s2", "imagenet":
		opts.Model.Stem = models.Stem(s)
	default:
		return opts, fmt.Errorf("import: --stem %q, want cifar, cifar-s2 or imagenet", s)
	}
	if opts.ImageSize == 0 && opts.Dataset != "" {
		opts.ImageSize = data.ImageSizeFor(opts.Dataset)
	}
	if opts.ImageSize < 0 {
		return opts, fmt.Errorf("import: --image-size %d, want ≥ 1", opts.ImageSize)
	}
	return opts, nil
}
