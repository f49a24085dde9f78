package probe

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/npy"
)

// Shard is one pair of feature and label files.
type Shard struct {
	Features, Labels string
}

// ResolveShards turns the paths naming one split into feature/label file
// pairs, in order. Each path may be
//   - a features file (float32 [N, D] .npy): its labels are the file of the
//     same name with "features" replaced by "labels" (features.npy →
//     labels.npy, features-00003.npy → labels-00003.npy);
//   - a directory holding features.npy and labels.npy;
//   - a directory of shards: files features*.npy (with their labels*.npy
//     twins), or subdirectories each holding features.npy and labels.npy,
//     taken in natural order (shard-2 before shard-10).
func ResolveShards(paths ...string) ([]Shard, error) {
	if len(paths) == 0 {
		return nil, fmt.Errorf("probe: no feature files given")
	}
	var out []Shard
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("probe: %w", err)
		}
		if !st.IsDir() {
			s, err := shardOf(p)
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		if _, err := os.Stat(filepath.Join(p, "features.npy")); err == nil {
			s, err := shardOf(filepath.Join(p, "features.npy"))
			if err != nil {
				return nil, err
			}
			out = append(out, s)
			continue
		}
		found, err := shardsIn(p)
		if err != nil {
			return nil, err
		}
		out = append(out, found...)
	}
	return out, nil
}

func shardOf(features string) (Shard, error) {
	dir, base := filepath.Split(features)
	if !strings.Contains(base, "features") {
		return Shard{}, fmt.Errorf("probe: %s: cannot find its labels file: name has no \"features\" to replace by \"labels\"", features)
	}
	labels := filepath.Join(dir, strings.Replace(base, "features", "labels", 1))
	if _, err := os.Stat(labels); err != nil {
		return Shard{}, fmt.Errorf("probe: labels for %s: %w", features, err)
	}
	return Shard{Features: features, Labels: labels}, nil
}

func shardsIn(dir string) ([]Shard, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	var files, subdirs []string
	for _, e := range entries {
		name := e.Name()
		switch {
		case e.IsDir():
			if _, err := os.Stat(filepath.Join(dir, name, "features.npy")); err == nil {
				subdirs = append(subdirs, name)
			}
		case strings.HasPrefix(name, "features") && strings.HasSuffix(name, ".npy"):
			files = append(files, name)
		}
	}
	if len(files) > 0 && len(subdirs) > 0 {
		return nil, fmt.Errorf("probe: %s holds both features*.npy files and shard directories; name the ones to use", dir)
	}
	if err := checkShardSet(dir, entries); err != nil {
		return nil, err
	}
	var out []Shard
	names := append(files, subdirs...)
	slices.SortFunc(names, naturalCompare)
	for _, name := range names {
		f := filepath.Join(dir, name)
		if len(subdirs) > 0 {
			f = filepath.Join(f, "features.npy")
		}
		s, err := shardOf(f)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("probe: %s: no features.npy, features*.npy shards or shard directories", dir)
	}
	return out, nil
}

// naturalCompare orders strings with embedded decimal numbers by value.
func naturalCompare(a, b string) int {
	for a != "" && b != "" {
		da, db := digitPrefix(a), digitPrefix(b)
		if da > 0 && db > 0 {
			na, _ := strconv.ParseUint(strings.TrimLeft(a[:da], "0")+"0", 10, 64)
			nb, _ := strconv.ParseUint(strings.TrimLeft(b[:db], "0")+"0", 10, 64)
			if na != nb {
				if na < nb {
					return -1
				}
				return 1
			}
			a, b = a[da:], b[db:]
			continue
		}
		if a[0] != b[0] {
			if a[0] < b[0] {
				return -1
			}
			return 1
		}
		a, b = a[1:], b[1:]
	}
	return len(a) - len(b)
}

func digitPrefix(s string) int {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}

// LoadSplit reads the shards named by paths (see ResolveShards) and joins
// them in order into one Dataset. name ("train", "test") is used in errors.
// Features must be float32 [N, D] with the same D in every shard; labels
// int64 (or int32) [N].
func LoadSplit(name string, paths ...string) (*Dataset, error) {
	shards, err := ResolveShards(paths...)
	if err != nil {
		return nil, fmt.Errorf("%w (%s split)", err, name)
	}
	return LoadShards(name, shards)
}

// LoadShards reads and joins the given shards in order.
func LoadShards(name string, shards []Shard) (*Dataset, error) {
	if len(shards) == 0 {
		return nil, fmt.Errorf("probe: %s split: no shards", name)
	}
	var ds *Dataset
	for _, s := range shards {
		x, shape, err := npy.ReadFloat32(s.Features)
		if err != nil {
			return nil, fmt.Errorf("probe: %s features: %w", name, err)
		}
		if len(shape) != 2 {
			return nil, fmt.Errorf("probe: %s: features of shape %v, want [N, D]", s.Features, shape)
		}
		y, lshape, err := npy.ReadInts(s.Labels)
		if err != nil {
			return nil, fmt.Errorf("probe: %s labels: %w", name, err)
		}
		if len(lshape) != 1 {
			return nil, fmt.Errorf("probe: %s: labels of shape %v, want [N]", s.Labels, lshape)
		}
		if shape[0] == 0 {
			return nil, fmt.Errorf("probe: %s: empty features (shape %v)", s.Features, shape)
		}
		part, err := NewDataset(s.Features+" with "+s.Labels, x, shape[0], shape[1], y)
		if err != nil {
			return nil, err
		}
		if ds == nil {
			ds = part
			continue
		}
		if part.Dim != ds.Dim {
			return nil, fmt.Errorf("probe: %s: %d feature columns, want %d as in %s", s.Features, part.Dim, ds.Dim, shards[0].Features)
		}
		ds.X = append(ds.X, part.X...)
		ds.Labels = append(ds.Labels, part.Labels...)
		ds.Rows += part.Rows
	}
	return ds, nil
}

// checkShardSet verifies that directories named shard-I-of-N (as written by
// `scl embed --shard`) form a complete set, each with its features.npy, so
// that an unfinished extraction is not probed silently.
func checkShardSet(dir string, entries []os.DirEntry) error {
	total := -1
	seen := map[int]bool{}
	for _, e := range entries {
		var i, n int
		if !e.IsDir() {
			continue
		}
		if _, err := fmt.Sscanf(e.Name(), "shard-%d-of-%d", &i, &n); err != nil {
			continue
		}
		if total >= 0 && n != total {
			return fmt.Errorf("probe: %s: shard directories disagree on the shard count (%d and %d)", dir, total, n)
		}
		total = n
		if _, err := os.Stat(filepath.Join(dir, e.Name(), "features.npy")); err != nil {
			return fmt.Errorf("probe: %s: shard %d of %d is incomplete: %w", dir, i, n, err)
		}
		seen[i] = true
	}
	for i := 0; i < total; i++ {
		if !seen[i] {
			return fmt.Errorf("probe: %s: shard %d of %d is missing", dir, i, total)
		}
	}
	return nil
}
