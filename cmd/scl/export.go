package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/checkpoint"
	"github.com/scl-dev/scl/export"
)

// exportCommand maps `scl export` flags onto export.Export and export.Verify.
func exportCommand() *cli.Command {
	return &cli.Command{
		Name:      "export",
		Usage:     "write a checkpoint's target encoder as an ONNX model (pure Go), optionally verified in ONNX Runtime",
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "checkpoint", Usage: "checkpoint directory (config.json + safetensors)", Required: true},
			&cli.StringFlag{Name: "out", Usage: "ONNX file to write (missing directories are created)", Required: true},
			&cli.BoolFlag{Name: "with-projector", Usage: "also output the projection head (\"" + export.ProjectionName + "\")"},
			&cli.BoolFlag{Name: "keep-bn", Usage: "write BatchNormalization nodes instead of folding them into convolutions"},
			&cli.BoolFlag{Name: "online", Usage: "export the online network instead of the target network"},
			&cli.BoolFlag{Name: "verify", Usage: "compare ONNX Runtime with the reference engine (libtorch, eval mode) on random inputs"},
			&cli.Float64Flag{Name: "tolerance", Value: 1e-4, Usage: "largest max-abs difference --verify accepts"},
			&cli.StringFlag{Name: "ort-lib", EnvVars: []string{"SCL_ORT_LIB"}, Usage: "ONNX Runtime shared library for --verify"},
		},
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("export: unexpected arguments %v (use --checkpoint and --out)", c.Args().Slice())
			}
			opts := export.Options{WithProjector: c.Bool("with-projector"), KeepBatchNorm: c.Bool("keep-bn")}
			if c.Bool("online") {
				opts.Source = checkpoint.Online
			}
			out := c.String("out")
			meta, err := export.Export(c.String("checkpoint"), out, opts)
			if err != nil {
				return err
			}
			size := int64(0)
			if st, err := os.Stat(out); err == nil {
				size = st.Size()
			}
			fmt.Fprintf(c.App.Writer, "wrote %s (%.1f MB): %s, input %s [batch,%s,%s,%s], output %s [batch,%s]",
				out, float64(size)/1e6, meta[export.MetaArchitecture], export.InputName, meta[export.MetaInChannels],
				meta[export.MetaImageSize], meta[export.MetaImageSize], export.FeaturesName, meta[export.MetaFeatureDim])
			if opts.WithProjector {
				fmt.Fprintf(c.App.Writer, ", %s [batch,%s]", export.ProjectionName, meta[export.MetaProjectionDim])
			}
			fmt.Fprintf(c.App.Writer, ", step %s\n", meta[export.MetaTrainingStep])
			if !c.Bool("verify") {
				return nil
			}
			res, err := export.Verify(c.String("checkpoint"), out, export.VerifyOptions{
				Tolerance: c.Float64("tolerance"), ORTLibrary: c.String("ort-lib"),
			})
			if res != nil {
				fmt.Fprintf(c.App.Writer, "verify: ONNX Runtime vs %s\n", res.Reference)
				for _, ch := range res.Checks {
					fmt.Fprintf(c.App.Writer, "  batch %d  %-10s max abs diff %.3g (largest |value| %.3g)\n", ch.Batch, ch.Output, ch.MaxAbsDiff, ch.MaxAbs)
				}
				if err == nil {
					fmt.Fprintf(c.App.Writer, "verify: ok, max abs diff %.3g ≤ %.3g\n", res.MaxAbsDiff, res.Tolerance)
				}
			}
			return err
		},
	}
}
