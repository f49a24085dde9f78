package search

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/scl-dev/scl/npy"
)

// Source records one `scl embed` output an index or feature set was read from: where it is and
// what it holds (from its manifest.json), so its images can be found again.
type Source struct {
	Dir     string `json:"dir"`
	Model   string `json:"model,omitempty"`
	Dataset string `json:"dataset"`
	Split   string `json:"split,omitempty"`
	// Path is where the images were read from (the embed manifest's source.path): an image
	// folder's root, a file list, or the directory of a binary data set's files.
	Path  string `json:"path,omitempty"`
	Row   int    `json:"row"`   // first row of this source in the joined set
	Count int    `json:"count"` // rows
}

// Features is a set of embeddings with their item ids and labels, joined from one or more
// `scl embed` outputs.
type Features struct {
	X       []float32 // Len × Dim, row-major
	Dim     int
	IDs     []string
	Labels  []int64 // nil when unlabelled
	Classes []string
	Sources []Source
	// Normalized is true when every source was written with --normalize.
	Normalized bool
}

// Len is the number of rows.
func (f *Features) Len() int { return len(f.IDs) }

// embedManifest holds the fields of `scl embed`'s manifest.json this package reads.
type embedManifest struct {
	Model   string `json:"model"`
	Dataset string `json:"dataset"`
	Split   string `json:"split"`
	Source  struct {
		Path string `json:"path"`
	} `json:"source"`
	Count      int      `json:"count"`
	Dim        int      `json:"dim"`
	Labelled   bool     `json:"labelled"`
	Classes    []string `json:"classes"`
	Normalized bool     `json:"l2_normalized"`
}

// ExpandDirs turns each path into the `scl embed` output folders it names, in order: the
// folder itself when it holds features.npy, otherwise its shard-* sub-folders (by name, which
// is shard order).
func ExpandDirs(paths ...string) ([]string, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("search: no feature folders given")
	}
	var out []string
	for _, p := range paths {
		if _, err := os.Stat(filepath.Join(p, "features.npy")); err == nil {
			out = append(out, p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		var shards []string
		for _, e := range entries {
			if e.IsDir() && strings.HasPrefix(e.Name(), "shard-") {
				shards = append(shards, filepath.Join(p, e.Name()))
			}
		}
		if len(shards) == 0 {
			return nil, fmt.Errorf("search: %s: no features.npy and no shard-* folders: want the output folder of scl embed", p)
		}
		slices.Sort(shards)
		out = append(out, shards...)
	}
	return out, nil
}

// LoadFeatures reads and joins the `scl embed` outputs named by paths (see ExpandDirs). All must
// have the same dimension; labelled outputs must share their class names.
func LoadFeatures(paths ...string) (*Features, error) {
	dirs, err := ExpandDirs(paths...)
	if err != nil {
		return nil, err
	}
	f := &Features{Normalized: true}
	for i, dir := range dirs {
		if err := f.add(dir, i == 0); err != nil {
			return nil, err
		}
	}
	return f, nil
}

func (f *Features) add(dir string, first bool) error {
	mp := filepath.Join(dir, "manifest.json")
	b, err := os.ReadFile(mp)
	if err != nil {
		return fmt.Errorf("search: %s: the output of scl embed is incomplete: %w", dir, err)
	}
	var m embedManifest
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("search: %s: %w", mp, err)
	}
	fp := filepath.Join(dir, "features.npy")
	x, shape, err := npy.ReadFloat32(fp)
	if err != nil {
		return fmt.Errorf("search: %w", err)
	}
	if len(shape) != 2 {
		return fmt.Errorf("search: %s: shape %v, want [N, D]", fp, shape)
	}
	n, d := shape[0], shape[1]
	if first {
		f.Dim = d
	} else if d != f.Dim {
		return fmt.Errorf("search: %s: %d-d features, want %d-d like %s", fp, d, f.Dim, f.Sources[0].Dir)
	}
	ids, err := readLines(filepath.Join(dir, "ids.txt"))
	if err != nil {
		return err
	}
	if len(ids) != n {
		return fmt.Errorf("search: %s: %d ids for %d feature rows", filepath.Join(dir, "ids.txt"), len(ids), n)
	}
	labelled := m.Labelled
	if !first && labelled != (f.Labels != nil) {
		return fmt.Errorf("search: %s: labelled %v, but %s is labelled %v: cannot join", dir, labelled, f.Sources[0].Dir, f.Labels != nil)
	}
	if labelled {
		lp := filepath.Join(dir, "labels.npy")
		labels, lshape, err := npy.ReadInts(lp)
		if err != nil {
			return fmt.Errorf("search: %w", err)
		}
		if len(lshape) != 1 || lshape[0] != n {
			return fmt.Errorf("search: %s: shape %v, want [%d]", lp, lshape, n)
		}
		if first {
			f.Classes = m.Classes
			f.Labels = make([]int64, 0, n)
		} else if !slices.Equal(m.Classes, f.Classes) {
			return fmt.Errorf("search: %s: classes %v differ from %s's %v", dir, m.Classes, f.Sources[0].Dir, f.Classes)
		}
		f.Labels = append(f.Labels, labels...)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	f.Sources = append(f.Sources, Source{Dir: abs, Model: m.Model, Dataset: m.Dataset, Split: m.Split, Path: m.Source.Path, Row: len(f.IDs), Count: n})
	f.X = append(f.X, x...)
	f.IDs = append(f.IDs, ids...)
	f.Normalized = f.Normalized && m.Normalized
	return nil
}

// SourceOf returns the source holding row r.
func (f *Features) SourceOf(r int) Source { return sourceOf(f.Sources, r) }

func sourceOf(ss []Source, r int) Source {
	i, _ := slices.BinarySearchFunc(ss, r, func(s Source, r int) int {
		switch {
		case r < s.Row:
			return 1
		case r >= s.Row+s.Count:
			return -1
		}
		return 0
	})
	if i < len(ss) {
		return ss[i]
	}
	return Source{}
}

func readLines(path string) ([]string, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("search: %w", err)
	}
	defer fh.Close()
	var out []string
	sc := bufio.NewScanner(fh)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("search: %s: %w", path, err)
	}
	return out, nil
}
