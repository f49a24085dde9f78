package infer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/scl-dev/scl/data"
	"github.com/scl-dev/scl/data/loader"
	"github.com/scl-dev/scl/npy"
)

// Output file names inside an extraction folder (or shard folder).
const (
	FeaturesFile = "features.npy" // float32 [N, D]
	LabelsFile   = "labels.npy"   // int64 [N], only for labelled data
	IDsFile      = "ids.txt"      // one item id per line, in row order
	ManifestFile = "manifest.json"
)

// DefaultBatchSize is the number of images per inference run of Extract and EmbedDataset
// when ExtractConfig.BatchSize is 0.
const DefaultBatchSize = 64

// ExtractConfig configures Extract. Zero values mean the documented defaults.
type ExtractConfig struct {
	Encoder *Encoder     // required
	Dataset data.Dataset // required; not closed by Extract
	Out     string       // output folder (created); shards go to sub-folders, see ShardDir
	// BatchSize is the number of images per inference run (default DefaultBatchSize).
	BatchSize int
	// Workers is the number of goroutines decoding and preprocessing (default GOMAXPROCS).
	// They fill the next batches while the current one runs.
	Workers int
	// Shard and Shards select the contiguous part [Shard·N/Shards, (Shard+1)·N/Shards) of the
	// data set (default 0 of 1: everything).
	Shard, Shards int
	// Model names the model in the manifest (default the session's path).
	Model string
	// Force replaces an output folder holding features of other work (another model file,
	// preprocessing, data source, range or normalisation) instead of failing with *StaleError.
	Force bool
	// Progress, when set, is called after each batch with the images done and the total.
	Progress func(done, total int)
}

// Manifest describes one extraction output; it is written last, so its presence marks the
// output complete.
type Manifest struct {
	Model       string `json:"model"`
	ModelSHA256 string `json:"model_sha256"` // of the model file's bytes
	Dataset     string `json:"dataset"`
	Split       string `json:"split,omitempty"`
	// Source identifies the data read: resolved path and a digest of the item list with sizes.
	Source          data.Identity `json:"source"`
	Shard           int           `json:"shard"`
	Shards          int           `json:"shards"`
	Start           int           `json:"start"` // index of the first row in the whole data set
	Count           int           `json:"count"` // rows
	Dim             int           `json:"dim"`
	Labelled        bool          `json:"labelled"`
	Classes         []string      `json:"classes,omitempty"`
	Normalized      bool          `json:"l2_normalized"`
	Provider        string        `json:"provider"`
	Preprocess      Preprocess    `json:"preprocess"`
	BatchSize       int           `json:"batch_size"`
	Seconds         float64       `json:"seconds"`
	ImagesPerSecond float64       `json:"images_per_second"`
	// Skipped is true when Extract found this output complete and did not recompute it
	// (not stored in the file).
	Skipped bool `json:"-"`
	// Recomputed says why Extract replaced an existing output folder (not stored in the file).
	Recomputed []string `json:"-"`
}

// ShardDir returns the folder of shard i of n under out: out itself when n ≤ 1, otherwise
// out/shard-IIIII-of-NNNNN.
func ShardDir(out string, i, n int) string {
	if n <= 1 {
		return out
	}
	return filepath.Join(out, fmt.Sprintf("shard-%05d-of-%05d", i, n))
}

// Extract computes the features of a data set (or of one shard of it) and writes features.npy,
// labels.npy (labelled data only), ids.txt and manifest.json into ShardDir(Out, Shard, Shards),
// each atomically. The manifest records what determines the output: the model file's SHA-256,
// the full preprocessing, the data source's identity (data.Identify), the range and the
// normalisation. An output folder whose manifest matches all of these and whose files are
// present is complete: Extract returns its manifest with Skipped set. One whose files are
// missing is recomputed; one holding features of other work is an error (*StaleError) unless
// Force is set, in which case it is recomputed; Recomputed says why.
// Decoding and preprocessing run on Workers goroutines ahead of inference. Cancelling ctx stops
// the work and leaves no partial file under a final name.
func Extract(ctx context.Context, cfg ExtractConfig) (Manifest, error) {
	if cfg.Encoder == nil || cfg.Dataset == nil {
		return Manifest{}, errors.New("infer: extract needs an encoder and a data set")
	}
	if cfg.Shards <= 0 {
		cfg.Shards = 1
	}
	if cfg.Shard < 0 || cfg.Shard >= cfg.Shards {
		return Manifest{}, fmt.Errorf("infer: shard %d of %d: want 0 <= shard < shards", cfg.Shard, cfg.Shards)
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = DefaultBatchSize
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.Model == "" {
		cfg.Model = cfg.Encoder.Session.Path()
	}
	total := cfg.Dataset.Len()
	lo, hi := data.ShardRange(cfg.Shard, cfg.Shards, total)
	info := cfg.Dataset.Info()
	enc := cfg.Encoder
	m := Manifest{
		Model: cfg.Model, Dataset: info.Name, Split: info.Split,
		Shard: cfg.Shard, Shards: cfg.Shards, Start: lo, Count: hi - lo, Dim: enc.Dim(),
		Labelled: info.NumClasses() > 0, Classes: info.Classes, Normalized: enc.Normalize,
		Provider: enc.Session.Provider(), Preprocess: enc.Preprocess, BatchSize: cfg.BatchSize,
	}
	var err error
	if m.ModelSHA256, err = fileSHA256(enc.Session.Path()); err != nil {
		return Manifest{}, err
	}
	if m.Source, err = data.Identify(cfg.Dataset); err != nil {
		return Manifest{}, fmt.Errorf("infer: data source identity: %w", err)
	}
	dir := ShardDir(cfg.Out, cfg.Shard, cfg.Shards)
	old, reuse, reasons, err := previous(dir, m, cfg.Force)
	if err != nil {
		return Manifest{}, err
	}
	if reuse {
		old.Skipped = true
		return old, nil
	}
	m.Recomputed = reasons
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Manifest{}, fmt.Errorf("infer: output folder: %w", err)
	}
	// A stale manifest must not vouch for the files we are about to replace.
	if err := os.Remove(filepath.Join(dir, ManifestFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
		return Manifest{}, fmt.Errorf("infer: removing stale manifest: %w", err)
	}
	start := time.Now()
	if err := extractTo(ctx, cfg, dir, lo, hi, m.Labelled); err != nil {
		return Manifest{}, err
	}
	m.Seconds = time.Since(start).Seconds()
	if m.Seconds > 0 {
		m.ImagesPerSecond = float64(m.Count) / m.Seconds
	}
	if err := writeJSONAtomic(filepath.Join(dir, ManifestFile), m); err != nil {
		return Manifest{}, err
	}
	return m, nil
}

// outputsPresent checks that the files a manifest vouches for are there with its row count.
func outputsPresent(dir string, m Manifest) bool {
	h, err := npy.ReadHeader(filepath.Join(dir, FeaturesFile))
	if err != nil || len(h.Shape) != 2 || h.Shape[0] != m.Count || h.Shape[1] != m.Dim {
		return false
	}
	if m.Labelled {
		if h, err := npy.ReadHeader(filepath.Join(dir, LabelsFile)); err != nil || len(h.Shape) != 1 || h.Shape[0] != m.Count {
			return false
		}
	}
	_, err = os.Stat(filepath.Join(dir, IDsFile))
	return err == nil
}

// ReadManifest reads dir/manifest.json.
func ReadManifest(dir string) (Manifest, error) {
	p := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(p)
	if err != nil {
		return Manifest{}, fmt.Errorf("infer: %w", err)
	}
	var m Manifest
	if err := json.Unmarshal(b, &m); err != nil {
		return Manifest{}, fmt.Errorf("infer: %s: %w", p, err)
	}
	return m, nil
}

func extractTo(ctx context.Context, cfg ExtractConfig, dir string, lo, hi int, labelled bool) error {
	feats, err := npy.Create(filepath.Join(dir, FeaturesFile), npy.Float32, cfg.Encoder.Dim())
	if err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	defer feats.Abort()
	var labels *npy.Writer
	if labelled {
		if labels, err = npy.Create(filepath.Join(dir, LabelsFile), npy.Int64); err != nil {
			return fmt.Errorf("infer: %w", err)
		}
		defer labels.Abort()
	}
	ids, err := createLines(filepath.Join(dir, IDsFile))
	if err != nil {
		return err
	}
	defer ids.abort()
	err = pipeline(ctx, cfg.Encoder, cfg.Dataset, lo, hi, cfg.BatchSize, cfg.Workers, cfg.Progress,
		func(f []float32, l []int64, idList []string) error {
			if err := feats.WriteFloat32(f); err != nil {
				return fmt.Errorf("infer: %w", err)
			}
			if labels != nil {
				if err := labels.WriteInt64(l); err != nil {
					return fmt.Errorf("infer: %w", err)
				}
			}
			for _, id := range idList {
				ids.line(id)
			}
			return nil
		})
	if err != nil {
		return err
	}
	if err := feats.Close(); err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	if labels != nil {
		if err := labels.Close(); err != nil {
			return fmt.Errorf("infer: %w", err)
		}
	}
	return ids.commit()
}

// Features are embeddings held in memory: row i of Data (Dim values) belongs to item i.
type Features struct {
	Data   []float32 // [N, Dim] row-major
	Dim    int
	Labels []int64  // per item, -1 when unlabeled
	IDs    []string // per item
}

// EmbedDataset computes the features of every item of d in memory, with the same pipeline as
// Extract (Workers goroutines preprocess ahead of inference; BatchSize, Workers and Progress of
// cfg are used, Dataset/Encoder from cfg, Out and shards ignored). For periodic evaluation
// (kNN, linear probe) where files are not wanted.
func EmbedDataset(ctx context.Context, cfg ExtractConfig) (*Features, error) {
	if cfg.Encoder == nil || cfg.Dataset == nil {
		return nil, errors.New("infer: embedding a data set needs an encoder and a data set")
	}
	n, dim := cfg.Dataset.Len(), cfg.Encoder.Dim()
	f := &Features{Data: make([]float32, 0, n*dim), Dim: dim, Labels: make([]int64, 0, n), IDs: make([]string, 0, n)}
	err := pipeline(ctx, cfg.Encoder, cfg.Dataset, 0, n, cfg.BatchSize, cfg.Workers, cfg.Progress,
		func(d []float32, l []int64, ids []string) error {
			f.Data = append(f.Data, d...)
			f.Labels = append(f.Labels, l...)
			f.IDs = append(f.IDs, ids...)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return f, nil
}

// pipeline embeds items [lo, hi) of d in order: data/loader's workers read and preprocess
// batches ahead (nworkers goroutines, nworkers+1 batches in flight) while this goroutine runs
// inference on the next one and passes its features, labels and ids to sink (slices valid
// during the call only).
func pipeline(ctx context.Context, enc *Encoder, d data.Dataset, lo, hi, B, nworkers int,
	progress func(done, total int), sink func([]float32, []int64, []string) error) error {
	if B <= 0 {
		B = DefaultBatchSize
	}
	if nworkers <= 0 {
		nworkers = runtime.GOMAXPROCS(0)
	}
	if hi == lo {
		return nil
	}
	span, err := data.Subset(d, lo, hi)
	if err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	ld, err := loader.New(loader.Config{Dataset: span, Transform: enc.Preprocess, BatchSize: B, Workers: nworkers, Prefetch: nworkers + 1})
	if err != nil {
		return fmt.Errorf("infer: %w", err)
	}
	it := ld.Epoch(ctx, 0, 0)
	defer it.Close() // waits for the workers: none touches the data set once we return
	dim := enc.Dim()
	out := make([]float32, B*dim)
	ids := make([]string, 0, B)
	done := 0
	for {
		b, err := it.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			if ctx.Err() != nil {
				return fmt.Errorf("infer: extraction stopped: %w", ctx.Err())
			}
			return fmt.Errorf("infer: items [%d, %d) of %s: %w", lo, hi, d.Info().Name, err)
		}
		o := out[:b.N*dim]
		if err := enc.RunTo(o, b.Views[0], b.N); err != nil {
			b.Release()
			return fmt.Errorf("infer: batch at item %d: %w", lo+b.Step*B, err)
		}
		ids = ids[:0]
		for _, i := range b.Indices {
			ids = append(ids, d.ID(lo+i))
		}
		err = sink(o, b.Labels, ids)
		n := b.N
		b.Release()
		if err != nil {
			return err
		}
		done += n
		if progress != nil {
			progress(done, hi-lo)
		}
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("infer: extraction stopped: %w", err)
	}
	if done != hi-lo {
		return fmt.Errorf("infer: extracted %d of %d images", done, hi-lo)
	}
	return nil
}
