package infer

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
)

// StaleError reports an output folder holding features computed with other settings than the
// ones asked for. Extract returns it instead of reusing or silently replacing those features;
// ExtractConfig.Force replaces them.
type StaleError struct {
	Dir     string
	Reasons []string // what differs, e.g. "model SHA-256 differs: 3f2a… then, 9bc1… now"
}

func (e *StaleError) Error() string {
	return fmt.Sprintf("infer: %s holds features computed with other settings (%s)", e.Dir, strings.Join(e.Reasons, "; "))
}

// fileSHA256 returns the hex SHA-256 of a file's bytes.
func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("infer: model digest: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("infer: model digest: %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// short abbreviates a hex digest for messages.
func short(d string) string {
	if len(d) > 12 {
		return d[:12] + "…"
	}
	if d == "" {
		return "(none)"
	}
	return d
}

// workDiff lists what determines an extraction's output and differs between the manifest found
// (old) and the one about to be computed (m): the model's bytes, the preprocessing, the data
// source (resolved path and item list), the range, the dimension and the normalisation. Timing,
// batch size, provider and the model's path (when its bytes are the same) do not count.
func workDiff(old, m Manifest) []string {
	var r []string
	add := func(format string, args ...any) { r = append(r, fmt.Sprintf(format, args...)) }
	if old.ModelSHA256 != m.ModelSHA256 {
		if old.ModelSHA256 == "" {
			add("the manifest records no model SHA-256 (written by an older scl)")
		} else {
			add("model SHA-256 differs: %s then (%s), %s now (%s)", short(old.ModelSHA256), old.Model, short(m.ModelSHA256), m.Model)
		}
	}
	if a, b := jsonText(old.Preprocess), jsonText(m.Preprocess); a != b {
		add("preprocessing differs: %s then, %s now", a, b)
	}
	if old.Normalized != m.Normalized {
		add("L2 normalisation differs: %v then, %v now", old.Normalized, m.Normalized)
	}
	if old.Dataset != m.Dataset || old.Split != m.Split {
		add("data set differs: %s/%s then, %s/%s now", old.Dataset, old.Split, m.Dataset, m.Split)
	}
	if old.Source.Path != m.Source.Path {
		add("data source path differs: %q then, %q now", old.Source.Path, m.Source.Path)
	}
	if old.Source.Items != m.Source.Items || old.Source.Digest != m.Source.Digest {
		add("data source items differ: %d items (list SHA-256 %s) then, %d items (%s) now",
			old.Source.Items, short(old.Source.Digest), m.Source.Items, short(m.Source.Digest))
	}
	if old.Shard != m.Shard || old.Shards != m.Shards || old.Start != m.Start || old.Count != m.Count {
		add("range differs: shard %d/%d items [%d, %d) then, shard %d/%d items [%d, %d) now",
			old.Shard, old.Shards, old.Start, old.Start+old.Count, m.Shard, m.Shards, m.Start, m.Start+m.Count)
	}
	if old.Dim != m.Dim || old.Labelled != m.Labelled {
		add("output differs: dimension %d labelled %v then, dimension %d labelled %v now", old.Dim, old.Labelled, m.Dim, m.Labelled)
	}
	return r
}

func jsonText(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

// previous decides what to do with an existing output folder for the work m: reuse it (its
// manifest, true), recompute it (reasons says why, empty for a fresh folder), or refuse
// (*StaleError) when it holds complete features of other work and force is off.
func previous(dir string, m Manifest, force bool) (old Manifest, reuse bool, reasons []string, err error) {
	old, err = ReadManifest(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return Manifest{}, false, nil, nil
	case err != nil:
		return Manifest{}, false, []string{fmt.Sprintf("its manifest is unreadable (%v)", err)}, nil
	}
	diff := workDiff(old, m)
	complete := outputsPresent(dir, old)
	switch {
	case len(diff) == 0 && complete:
		return old, true, nil, nil
	case len(diff) == 0:
		return Manifest{}, false, []string{"its output files are missing or incomplete"}, nil
	case !force:
		return Manifest{}, false, nil, &StaleError{Dir: dir, Reasons: diff}
	}
	return Manifest{}, false, diff, nil
}

// sameSource reports whether two shard manifests come from the same model,
// preprocessing and data source.
func sameSource(a, b Manifest) bool {
	return a.ModelSHA256 == b.ModelSHA256 && jsonText(a.Preprocess) == jsonText(b.Preprocess) &&
		a.Source == b.Source && a.Normalized == b.Normalized
}
