package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/device"
	"github.com/scl-dev/scl/infer"
	"github.com/scl-dev/scl/preprocess"
	"github.com/scl-dev/scl/search"
)

// encoderFlags are the flags shared by scl embed and scl serve to open a model.
// required marks --model required (scl embed checks it itself so that `scl embed merge` runs
// without it).
func encoderFlags(required bool) []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "model", Aliases: []string{"m"}, Usage: "ONNX model written by scl export (required)", Required: required},
		&cli.StringFlag{Name: "device", Value: "auto", Usage: "auto, cpu, cuda or cuda:N (auto falls back to the CPU with a warning)"},
		&cli.StringFlag{Name: "ort-lib", Usage: "ONNX Runtime shared library (default: $" + infer.LibraryEnv + ", then .deps/lib, then the system)"},
		&cli.IntFlag{Name: "threads", Usage: "ONNX Runtime intra-op threads (0: one per core)"},
		&cli.IntFlag{Name: "inter-threads", Usage: "ONNX Runtime inter-op threads (0: default)"},
		&cli.IntFlag{Name: "image-size", Usage: "override the model's input size (only for models with dynamic spatial size)"},
		&cli.StringFlag{Name: "mean", Usage: "override the per-channel mean of [0,1] pixels, e.g. 0.485,0.456,0.406"},
		&cli.StringFlag{Name: "std", Usage: "override the per-channel standard deviation, e.g. 0.229,0.224,0.225"},
		&cli.StringFlag{Name: "channel-order", Usage: "override the channel order: RGB, BGR or L"},
		&cli.BoolFlag{Name: "normalize", Usage: "L2-normalise each embedding"},
	}
}

// openEncoder opens the model named by the encoder flags. The caller must close the session.
func openEncoder(c *cli.Context, noSpin bool) (*infer.Encoder, error) {
	dev, err := device.Parse(c.String("device"))
	if err != nil {
		return nil, fmt.Errorf("--device: %w", err)
	}
	o := infer.Overrides{ImageSize: c.Int("image-size"), Order: c.String("channel-order")}
	for _, f := range []struct {
		name string
		dst  *[]float32
	}{{"mean", &o.Mean}, {"std", &o.Std}} {
		if v := c.String(f.name); v != "" {
			if *f.dst, err = preprocess.ParseFloats(v); err != nil {
				return nil, fmt.Errorf("--%s: %w", f.name, err)
			}
		}
	}
	return infer.OpenEncoder(c.String("model"), infer.SessionConfig{
		Library: c.String("ort-lib"), Device: dev, NoSpin: noSpin,
		IntraOpThreads: c.Int("threads"), InterOpThreads: c.Int("inter-threads"),
		Warn: func(msg string) { fmt.Fprintln(c.App.ErrWriter, "warning:", msg) },
	}, o, c.Bool("normalize"))
}

// embedCommand maps `scl embed` flags onto infer.Extract, and `scl embed merge` onto infer.Merge.
func embedCommand() *cli.Command {
	flags := append(encoderFlags(false),
		&cli.StringFlag{Name: "dataset", Aliases: []string{"d"}, Usage: "data set: " + strings.Join(data.Names(), ", ") + ", or another name for a labeled image folder"},
		&cli.StringFlag{Name: "split", Value: "test", Usage: "split: train, test, unlabeled (stl10), or any name for folders"},
		&cli.StringFlag{Name: "data-dir", Usage: "directory of the data set files or images (fashion_mnist defaults to the Debian package's)"},
		&cli.StringFlag{Name: "list", Usage: "file list, one image path per line (implies --dataset files)"},
		&cli.BoolFlag{Name: "skip-corrupt", Usage: "skip unreadable images in folders instead of failing"},
		&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output folder (required)"},
		&cli.IntFlag{Name: "batch-size", Aliases: []string{"b"}, Value: infer.DefaultBatchSize, Usage: "images per inference run"},
		&cli.IntFlag{Name: "workers", Usage: "decode/preprocess goroutines (0: one per core)"},
		&cli.StringFlag{Name: "format", Value: "npy", Usage: "npy, or parquet: also OUT/embeddings.parquet (columns id, label, class, embedding)"},
		&cli.StringFlag{Name: "shard", Usage: "i/N: extract shard i of N (default from JOB_COMPLETION_INDEX/JOB_COMPLETION_COUNT or a Slurm array's SLURM_ARRAY_TASK_ID/MIN/MAX/STEP)"},
		&cli.BoolFlag{Name: "force", Usage: "overwrite an --out holding features of another model file, preprocessing, data source, range or normalisation"},
	)
	return &cli.Command{
		Name:  "embed",
		Usage: "extract features of a data set with ONNX Runtime: features.npy, labels.npy, ids.txt, manifest.json",
		Description: "Writes OUT/features.npy (float32 [N,D]), labels.npy (int64 [N], labelled data), ids.txt and\n" +
			"manifest.json. With --shard i/N each shard goes to OUT/shard-IIIII-of-NNNNN, and\n" +
			"`scl embed merge --out OUT --shards N` joins them in order. manifest.json records the model's\n" +
			"SHA-256, the preprocessing, the data source (resolved path, digest of the item list with\n" +
			"sizes), the range and the normalisation: a rerun reuses an output only when all of these\n" +
			"match, and refuses one computed otherwise unless --force is given.",
		ArgsUsage: " ",
		Flags:     flags,
		Action:    runEmbed,
		Subcommands: []*cli.Command{{
			Name:      "merge",
			Usage:     "join the shard outputs of OUT in order into OUT/features.npy, labels.npy, ids.txt, manifest.json",
			ArgsUsage: " ",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "output folder holding the shard folders", Required: true},
				&cli.IntFlag{Name: "shards", Usage: "number of shards N", Required: true},
			},
			Action: func(c *cli.Context) error {
				m, err := infer.Merge(c.String("out"), c.Int("shards"))
				if err != nil {
					return err
				}
				fmt.Fprintf(c.App.Writer, "merged %d shards: %d × %d features in %s\n", c.Int("shards"), m.Count, m.Dim, c.String("out"))
				return nil
			},
		}},
	}
}

func runEmbed(c *cli.Context) error {
	if c.NArg() > 0 {
		return fmt.Errorf("embed: unexpected arguments %v", c.Args().Slice())
	}
	if c.String("model") == "" || c.String("out") == "" {
		return fmt.Errorf("embed: --model and --out are required")
	}
	if f := c.String("format"); f != "npy" && f != "parquet" {
		return fmt.Errorf("embed: --format %q, want npy or parquet", f)
	}
	shard, shards := 0, 1
	if s := c.String("shard"); s != "" {
		var err error
		if shard, shards, err = infer.ParseShard(s); err != nil {
			return fmt.Errorf("embed: --shard: %w", err)
		}
	} else if i, n, ok, err := infer.ShardFromEnv(nil); err != nil {
		return fmt.Errorf("embed: %w", err)
	} else if ok {
		shard, shards = i, n
	}
	src := data.Source{Name: c.String("dataset"), Split: c.String("split"), Dir: c.String("data-dir"), List: c.String("list"), SkipCorrupt: c.Bool("skip-corrupt")}
	if src.List != "" && src.Name == "" {
		src.Name = "files"
	}
	if src.Name == "" {
		return fmt.Errorf("embed: --dataset is required (fashion_mnist, cifar10, stl10, folder, files, ...) or --list")
	}
	ds, err := data.Open(src)
	if err != nil {
		return err
	}
	defer ds.Close()
	enc, err := openEncoder(c, false)
	if err != nil {
		return err
	}
	defer enc.Close()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	total := ds.Len()
	lo, hi := data.ShardRange(shard, shards, total)
	fmt.Fprintf(c.App.ErrWriter, "embed: %s (%s, %d-d, %s) on %s/%s items [%d, %d) shard %d/%d\n",
		c.String("model"), enc.Session.Provider(), enc.Dim(), sizeText(enc.Preprocess), ds.Info().Name, ds.Info().Split, lo, hi, shard, shards)
	m, err := infer.Extract(ctx, infer.ExtractConfig{
		Encoder: enc, Dataset: ds, Out: c.String("out"), BatchSize: c.Int("batch-size"), Workers: c.Int("workers"),
		Shard: shard, Shards: shards, Model: c.String("model"), Progress: newProgress(c, hi-lo),
		Force: c.Bool("force"),
	})
	var stale *infer.StaleError
	if errors.As(err, &stale) {
		return fmt.Errorf("embed: %w; rerun with --force to overwrite them, or choose another --out", err)
	}
	if err != nil {
		return err
	}
	dir := infer.ShardDir(c.String("out"), shard, shards)
	if c.String("format") == "parquet" {
		f, err := search.LoadFeatures(dir)
		if err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		p := filepath.Join(dir, "embeddings.parquet")
		if err := f.WriteParquet(p); err != nil {
			return fmt.Errorf("embed: %w", err)
		}
		fmt.Fprintf(c.App.ErrWriter, "embed: wrote %s\n", p)
	}
	if m.Skipped {
		fmt.Fprintf(c.App.Writer, "embed: %s is already complete with the same model, preprocessing and data (%d × %d), skipped\n", dir, m.Count, m.Dim)
		return nil
	}
	for _, why := range m.Recomputed {
		fmt.Fprintf(c.App.ErrWriter, "embed: recomputed %s: %s\n", dir, why)
	}
	fmt.Fprintf(c.App.Writer, "embed: wrote %d × %d features to %s in %.1f s (%.0f images/s)\n", m.Count, m.Dim, dir, m.Seconds, m.ImagesPerSecond)
	return nil
}

func sizeText(p infer.Preprocess) string {
	return fmt.Sprintf("%s %d×%d", p.Order, p.Height, p.Width)
}

// newProgress returns a progress callback: a bar on a terminal, a line every 10 s otherwise.
func newProgress(c *cli.Context, total int) func(done, total int) {
	if f, ok := c.App.ErrWriter.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		bar := progressbar.NewOptions(total, progressbar.OptionSetWriter(f), progressbar.OptionSetDescription("embed"),
			progressbar.OptionShowCount(), progressbar.OptionShowIts(), progressbar.OptionSetItsString("img"),
			progressbar.OptionThrottle(100*time.Millisecond), progressbar.OptionClearOnFinish())
		return func(done, _ int) { bar.Set(done) }
	}
	start, last := time.Now(), time.Now()
	return func(done, total int) {
		if time.Since(last) >= 10*time.Second || done == total {
			last = time.Now()
			rate := float64(done) / time.Since(start).Seconds()
			fmt.Fprintf(c.App.ErrWriter, "embed: %d/%d images (%.0f images/s)\n", done, total, rate)
		}
	}
}
