package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/scl-dev/scl/infer/server"
	"github.com/scl-dev/scl/search"
)

// serveCommand maps `scl serve` flags onto infer/server.
func serveCommand() *cli.Command {
	flags := append(encoderFlags(false),
		&cli.StringFlag{Name: "addr", Value: "127.0.0.1:8080", Usage: "listen address (use :8080 to listen on every interface)"},
		&cli.StringFlag{Name: "name", Usage: "model name reported in responses (default: the model file's base name)"},
		&cli.IntFlag{Name: "max-batch", Value: server.DefaultMaxBatch, Usage: "largest dynamic batch (images)"},
		&cli.DurationFlag{Name: "max-wait", Value: server.DefaultMaxWait, Usage: "longest wait for a batch to fill after its first image"},
		&cli.IntFlag{Name: "max-concurrent", Value: server.DefaultMaxConcurrent, Usage: "embedding requests served at once; more get 429"},
		&cli.Int64Flag{Name: "max-body", Value: server.DefaultMaxBodyBytes, Usage: "request body limit in bytes; larger bodies get 413"},
		&cli.IntFlag{Name: "max-images", Value: server.DefaultMaxImages, Usage: "images per request"},
		&cli.Int64Flag{Name: "max-pixels", Usage: fmt.Sprintf("largest image (width×height) decoded; larger ones get 400 (0: %d× the model's input area)", server.DefaultMaxPixelsFactor)},
		&cli.Int64Flag{Name: "decode-pixels", Usage: "pixels decoded at once over all requests, bounding decoding memory (0: 4 × max-pixels × cores)"},
		&cli.Float64Flag{Name: "decode-rate", Value: server.DefaultDecodeRate, Usage: "images per second each request decodes after its first --max-batch (a token bucket); a request that would pass its deadline waiting gets 503 (negative: no limit)"},
		&cli.IntFlag{Name: "max-conns", Usage: "open connections accepted at once (0: 2 × max-concurrent + 64)"},
		&cli.DurationFlag{Name: "body-timeout", Usage: "time allowed to receive a request body, before a concurrency slot is taken (0: a third of --timeout)"},
		&cli.BoolFlag{Name: "exact-size", Usage: "refuse images whose size differs from the model's instead of resizing them"},
		&cli.StringFlag{Name: "api-key", EnvVars: []string{"SCL_API_KEY"}, Usage: "require Authorization: Bearer <key> on /v1/embeddings, /embed and /info"},
		&cli.DurationFlag{Name: "timeout", Value: server.DefaultRequestTimeout, Usage: "per-request timeout, including the wait for a batch"},
		&cli.StringFlag{Name: "index", Usage: "index folder written by scl index: enables POST /v1/search and the search page at /"},
		&cli.StringFlag{Name: "data-dir", Usage: "where the indexed images are, when they moved since scl embed (thumbnails)"},
		&cli.StringFlag{Name: "runs", Usage: "training run folder (metrics.jsonl) shown by the page at /run; without --model only the pages and run data are served"},
		&cli.DurationFlag{Name: "shutdown-grace", Value: server.DefaultShutdownGrace, Usage: "how long SIGTERM waits for in-flight requests"},
	)
	return &cli.Command{
		Name:      "serve",
		Usage:     "serve embeddings over HTTP (OpenAI-shaped /v1/embeddings, /embed, /healthz, /readyz, /info, /metrics)",
		ArgsUsage: " ",
		Flags:     flags,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return fmt.Errorf("serve: unexpected arguments %v", c.Args().Slice())
			}
			// Installed first, so SIGTERM during start-up also ends cleanly.
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if c.String("model") == "" {
				if c.String("runs") == "" {
					return fmt.Errorf("serve: --model is required (or --runs DIR alone, to serve only the run page)")
				}
				if c.String("index") != "" {
					return fmt.Errorf("serve: --index needs --model (queries are embedded with it)")
				}
				return serveRunsOnly(ctx, c)
			}
			enc, err := openEncoder(c, true)
			if err != nil {
				return err
			}
			defer enc.Close()
			name := c.String("name")
			if name == "" {
				name = strings.TrimSuffix(filepath.Base(c.String("model")), filepath.Ext(c.String("model")))
			}
			var ix *search.Index
			var images *search.Images
			if p := c.String("index"); p != "" {
				if ix, err = search.Open(p); err != nil {
					return fmt.Errorf("serve: %w", err)
				}
				if ix.Dim() != enc.Dim() {
					return fmt.Errorf("serve: --index holds %d-d vectors, the model's embeddings are %d-d", ix.Dim(), enc.Dim())
				}
				images = search.NewImages(ix.Meta.Sources, ix.IDs)
				images.Dir = c.String("data-dir")
				defer images.Close()
			}
			srv, err := server.New(server.Config{
				Index: ix, Images: images, RunDir: c.String("runs"),
				Encoder: enc, Model: name, MaxBatch: c.Int("max-batch"), MaxWait: c.Duration("max-wait"),
				MaxConcurrent: c.Int("max-concurrent"), MaxBodyBytes: c.Int64("max-body"), MaxImages: c.Int("max-images"),
				ExactSize: c.Bool("exact-size"), APIKey: c.String("api-key"),
				MaxPixels: c.Int64("max-pixels"), DecodePixels: c.Int64("decode-pixels"), DecodeRate: c.Float64("decode-rate"), MaxConns: c.Int("max-conns"),
				BodyTimeout:    c.Duration("body-timeout"),
				RequestTimeout: c.Duration("timeout"), ShutdownGrace: c.Duration("shutdown-grace"),
			})
			if err != nil {
				return err
			}
			ln, err := net.Listen("tcp", c.String("addr"))
			if err != nil {
				srv.Close()
				return fmt.Errorf("serve: %w", err)
			}
			if ctx.Err() != nil {
				ln.Close()
				srv.Close()
				return nil
			}
			info := srv.Info()
			fmt.Fprintf(c.App.ErrWriter, "serve: %s (%d-d, %s, ONNX Runtime %s) on http://%s\n", name, info.Dims, info.Provider, info.ORTVersion, ln.Addr())
			err = srv.Serve(ctx, ln)
			fmt.Fprintln(c.App.ErrWriter, "serve: stopped")
			return err
		},
	}
}

// serveRunsOnly serves the pages and the run folder's data without a model: the embedding and
// search routes answer 503.
func serveRunsOnly(ctx context.Context, c *cli.Context) error {
	dir := c.String("runs")
	if st, err := os.Stat(dir); err != nil {
		return fmt.Errorf("serve: --runs: %w", err)
	} else if !st.IsDir() {
		return fmt.Errorf("serve: --runs %s: not a folder", dir)
	}
	srv, err := server.New(server.Config{
		RunDir: dir, APIKey: c.String("api-key"), MaxConcurrent: c.Int("max-concurrent"),
		MaxBodyBytes: c.Int64("max-body"), MaxConns: c.Int("max-conns"),
		RequestTimeout: c.Duration("timeout"), ShutdownGrace: c.Duration("shutdown-grace"),
	})
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", c.String("addr"))
	if err != nil {
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	}
	fmt.Fprintf(c.App.ErrWriter, "serve: run %s, no model, on http://%s/run\n", dir, ln.Addr())
	err = srv.Serve(ctx, ln)
	fmt.Fprintln(c.App.ErrWriter, "serve: stopped")
	return err
}
