package infer

import (
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"

	"github.com/scl-dev/scl/npy"
)

// Merge joins the complete shard outputs ShardDir(out, i, shards), i = 0..shards−1, in shard
// order into out/features.npy, labels.npy, ids.txt and manifest.json (as one unsharded
// extraction), each written atomically. Every shard must be complete and consistent (same
// model, data set, dimension, normalisation; contiguous ranges); the shard folders are kept.
func Merge(out string, shards int) (Manifest, error) {
	if shards < 2 {
		return Manifest{}, fmt.Errorf("infer: merge needs at least 2 shards, got %d", shards)
	}
	var parts []Manifest
	var missing []string
	for i := 0; i < shards; i++ {
		dir := ShardDir(out, i, shards)
		m, err := ReadManifest(dir)
		if err == nil && !outputsPresent(dir, m) {
			err = errors.New("output files missing or incomplete")
		}
		if err != nil {
			missing = append(missing, fmt.Sprintf("%d (%s: %v)", i, filepath.Base(dir), rootCause(err)))
			continue
		}
		parts = append(parts, m)
	}
	if len(missing) > 0 {
		return Manifest{}, fmt.Errorf("infer: merge %s: %d of %d shards missing or incomplete: %s", out, len(missing), shards, strings.Join(missing, ", "))
	}
	for i, m := range parts {
		dir := ShardDir(out, i, shards)
		if m.Shard != i || m.Shards != shards {
			return Manifest{}, fmt.Errorf("infer: %s: manifest says shard %d of %d, want %d of %d", dir, m.Shard, m.Shards, i, shards)
		}
		if i > 0 {
			p := parts[i-1]
			if m.Model != p.Model || m.Dataset != p.Dataset || m.Split != p.Split || m.Dim != p.Dim || m.Normalized != p.Normalized || m.Labelled != p.Labelled {
				return Manifest{}, fmt.Errorf("infer: shard %d (%s %s/%s dim %d) does not match shard %d (%s %s/%s dim %d)",
					i, m.Model, m.Dataset, m.Split, m.Dim, i-1, p.Model, p.Dataset, p.Split, p.Dim)
			}
			if !sameSource(m, p) {
				return Manifest{}, fmt.Errorf("infer: shard %d does not match shard %d: %s", i, i-1, strings.Join(workDiff(p, m)[:1], ""))
			}
			if m.Start != p.Start+p.Count {
				return Manifest{}, fmt.Errorf("infer: shard %d starts at item %d, want %d (end of shard %d)", i, m.Start, p.Start+p.Count, i-1)
			}
		}
	}
	merged := parts[0]
	merged.Shard, merged.Shards, merged.Count, merged.Seconds = 0, 1, 0, 0
	feats, err := npy.Create(filepath.Join(out, FeaturesFile), npy.Float32, merged.Dim)
	if err != nil {
		return Manifest{}, fmt.Errorf("infer: %w", err)
	}
	defer feats.Abort()
	var labels *npy.Writer
	if merged.Labelled {
		if labels, err = npy.Create(filepath.Join(out, LabelsFile), npy.Int64); err != nil {
			return Manifest{}, fmt.Errorf("infer: %w", err)
		}
		defer labels.Abort()
	}
	ids, err := createLines(filepath.Join(out, IDsFile))
	if err != nil {
		return Manifest{}, err
	}
	defer ids.abort()
	for i, m := range parts {
		dir := ShardDir(out, i, shards)
		f, shape, err := npy.ReadFloat32(filepath.Join(dir, FeaturesFile))
		if err != nil {
			return Manifest{}, fmt.Errorf("infer: shard %d: %w", i, err)
		}
		if len(shape) != 2 || shape[0] != m.Count || shape[1] != m.Dim {
			return Manifest{}, fmt.Errorf("infer: shard %d: %s has shape %v, want [%d %d]", i, FeaturesFile, shape, m.Count, m.Dim)
		}
		if err := feats.WriteFloat32(f); err != nil {
			return Manifest{}, fmt.Errorf("infer: %w", err)
		}
		if labels != nil {
			l, shape, err := npy.ReadInt64(filepath.Join(dir, LabelsFile))
			if err != nil {
				return Manifest{}, fmt.Errorf("infer: shard %d: %w", i, err)
			}
			if len(shape) != 1 || shape[0] != m.Count {
				return Manifest{}, fmt.Errorf("infer: shard %d: %s has shape %v, want [%d]", i, LabelsFile, shape, m.Count)
			}
			if err := labels.WriteInt64(l); err != nil {
				return Manifest{}, fmt.Errorf("infer: %w", err)
			}
		}
		lines, err := readLines(filepath.Join(dir, IDsFile))
		if err != nil {
			return Manifest{}, fmt.Errorf("infer: shard %d: %w", i, err)
		}
		if len(lines) != m.Count {
			return Manifest{}, fmt.Errorf("infer: shard %d: %s has %d lines, want %d", i, IDsFile, len(lines), m.Count)
		}
		for _, l := range lines {
			ids.line(l)
		}
		merged.Count += m.Count
		merged.Seconds += m.Seconds
	}
	if merged.Seconds > 0 {
		merged.ImagesPerSecond = float64(merged.Count) / merged.Seconds
	}
	if err := feats.Close(); err != nil {
		return Manifest{}, fmt.Errorf("infer: %w", err)
	}
	if labels != nil {
		if err := labels.Close(); err != nil {
			return Manifest{}, fmt.Errorf("infer: %w", err)
		}
	}
	if err := ids.commit(); err != nil {
		return Manifest{}, err
	}
	if err := writeJSONAtomic(filepath.Join(out, ManifestFile), merged); err != nil {
		return Manifest{}, err
	}
	return merged, nil
}

// rootCause shortens the usual reasons a shard is missing.
func rootCause(err error) string {
	if errors.Is(err, fs.ErrNotExist) {
		return "no " + ManifestFile
	}
	return err.Error()
}
