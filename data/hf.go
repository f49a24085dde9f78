package data

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/parquet-go/parquet-go"
)

// Hugging Face image data sets as their hub snapshots hold them: Parquet shards with an image
// column (a struct of bytes and path) and a label column, under data/<split>-NNNNN-of-NNNNN.parquet
// (or data/<split>/*.parquet, <split>/*.parquet). Images are read row group by row group; label
// names come from the "huggingface" key of the Parquet metadata (the datasets library's
// features) or from the dataset card's YAML (README.md, dataset_info.features class_label).

// hfSplitAliases are the names a split is looked up under.
var hfSplitAliases = map[string][]string{
	"val":        {"validation", "valid", "val"},
	"validation": {"validation", "valid", "val"},
	"valid":      {"validation", "valid", "val"},
}

// hfShards returns the Parquet files of split under dir, sorted, or nil.
func hfShards(dir, split string) []string {
	names := hfSplitAliases[split]
	if names == nil {
		names = []string{split}
	}
	for _, s := range names {
		for _, pattern := range []string{
			filepath.Join(dir, "data", s+"-*.parquet"),
			filepath.Join(dir, "data", s, "*.parquet"),
			filepath.Join(dir, s, "*.parquet"),
			filepath.Join(dir, s+"-*.parquet"),
			filepath.Join(dir, "*", s+"-*.parquet"),
		} {
			if m, _ := filepath.Glob(pattern); len(m) > 0 {
				sort.Strings(m)
				return m
			}
		}
	}
	return nil
}

var hfShardName = regexp.MustCompile(`^([A-Za-z0-9_.]+?)-\d+-of-\d+\.parquet$|^([A-Za-z0-9_.]+?)-[^-]*\.parquet$`)

// HFSplits lists the split names found in a snapshot folder.
func HFSplits(dir string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(s string) {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, d := range []string{dir, filepath.Join(dir, "data")} {
		entries, _ := os.ReadDir(d)
		for _, e := range entries {
			if e.IsDir() {
				if d == dir && e.Name() == "data" {
					continue // the shards' folder, not a split
				}
				if m, _ := filepath.Glob(filepath.Join(d, e.Name(), "*.parquet")); len(m) > 0 {
					add(e.Name())
				}
				continue
			}
			if sm := hfShardName.FindStringSubmatch(e.Name()); sm != nil {
				add(sm[1] + sm[2])
			}
		}
	}
	sort.Strings(out)
	return out
}

// IsHFSnapshot reports whether dir holds Parquet shards in one of the hub's layouts.
func IsHFSnapshot(dir string) bool { return dir != "" && len(HFSplits(dir)) > 0 }

// hfGroup is one row group of one shard.
type hfGroup struct {
	shard, group int
	first        int // global index of its first row
	rows         int
}

// HF is a Hugging Face Parquet split. It is safe for concurrent use; Close releases the files.
type HF struct {
	info     Info
	paths    []string
	osFiles  []*os.File
	files    []*parquet.File
	groups   []hfGroup
	n        int
	imageCol []string // leaf path of the image bytes
	labels   []int32  // nil when unlabeled

	mu    sync.Mutex
	cache map[int][][]byte // decoded row groups' image bytes, by group index
	order []int            // cache eviction order
}

// hfCacheGroups bounds the row groups whose images are held at once.
const hfCacheGroups = 4

// OpenHF opens split of the snapshot in dir. name labels the data set (and selects the view
// size through ImageSizeFor).
func OpenHF(dir, split, name string) (*HF, error) {
	if split == "" {
		split = "train"
	}
	paths := hfShards(dir, split)
	if paths == nil {
		return nil, fmt.Errorf("data: hf: no Parquet files for split %q in %s (want data/%s-*.parquet or %s/*.parquet; splits found: %s)",
			split, dir, split, split, strings.Join(HFSplits(dir), ", "))
	}
	if name == "" {
		name = "hf"
	}
	d := &HF{paths: paths, cache: map[int][][]byte{}}
	d.info = Info{Name: name, Split: split, ImageSize: ImageSizeFor(name)}
	ok := false
	defer func() {
		if !ok {
			d.Close()
		}
	}()
	var names []string
	labelCol := ""
	for si, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			return nil, fmt.Errorf("data: hf: %w", err)
		}
		d.osFiles = append(d.osFiles, f)
		st, err := f.Stat()
		if err != nil {
			return nil, fmt.Errorf("data: hf: %w", err)
		}
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			return nil, fmt.Errorf("%w: %s: %v", ErrFormat, p, err)
		}
		d.files = append(d.files, pf)
		if si == 0 {
			if d.imageCol, labelCol, err = hfColumns(pf.Schema()); err != nil {
				return nil, fmt.Errorf("%w: %s: %v", ErrFormat, p, err)
			}
			if meta, ok := pf.Lookup("huggingface"); ok && labelCol != "" {
				names = hfMetadataNames(meta, labelCol)
			}
		} else if img, lab, err := hfColumns(pf.Schema()); err != nil || strings.Join(img, ".") != strings.Join(d.imageCol, ".") || lab != labelCol {
			return nil, fmt.Errorf("%w: %s: columns differ from %s's", ErrFormat, p, paths[0])
		}
		for gi, rg := range pf.RowGroups() {
			rows := int(rg.NumRows())
			d.groups = append(d.groups, hfGroup{shard: si, group: gi, first: d.n, rows: rows})
			d.n += rows
			if labelCol != "" {
				l, err := hfLabels(rg, pf.Schema(), labelCol)
				if err != nil {
					return nil, fmt.Errorf("%w: %s row group %d: %v", ErrFormat, p, gi, err)
				}
				d.labels = append(d.labels, l...)
			}
		}
	}
	if d.n == 0 {
		return nil, fmt.Errorf("data: hf: split %q in %s has no rows", split, dir)
	}
	if labelCol != "" {
		if names == nil {
			names = hfCardNames(filepath.Join(dir, "README.md"), labelCol)
		}
		maxLabel := int32(-1)
		for _, l := range d.labels {
			maxLabel = max(maxLabel, l)
		}
		if names == nil || int(maxLabel) >= len(names) {
			if names != nil {
				return nil, fmt.Errorf("%w: %s: label %d, but the metadata names %d classes", ErrFormat, dir, maxLabel, len(names))
			}
			names = numberedClasses(int(maxLabel) + 1)
		}
		d.info.Classes = names
	}
	ok = true
	return d, nil
}

// hfColumns finds the image bytes leaf (a struct with bytes and path, preferably named image
// or img) and an integer label column (label, labels, fine_label), "" when none.
func hfColumns(s *parquet.Schema) (image []string, label string, err error) {
	for _, name := range []string{"image", "img", "jpg", "png"} {
		if _, ok := s.Lookup(name, "bytes"); ok {
			image = []string{name, "bytes"}
			break
		}
	}
	if image == nil {
		for _, col := range s.Columns() {
			if len(col) == 2 && col[1] == "bytes" {
				image = col
				break
			}
		}
	}
	if image == nil {
		return nil, "", fmt.Errorf("no image column (a struct of bytes and path), columns %v", s.Columns())
	}
	for _, name := range []string{"label", "labels", "fine_label"} {
		if leaf, ok := s.Lookup(name); ok && leaf.MaxRepetitionLevel == 0 {
			switch leaf.Node.Type().Kind() {
			case parquet.Int32, parquet.Int64:
				return image, name, nil
			}
		}
	}
	return image, "", nil
}

// readColumn reads every value of one leaf column of a row group (one per row).
func readColumn(rg parquet.RowGroup, col int, each func(v parquet.Value) error) error {
	pages := rg.ColumnChunks()[col].Pages()
	defer pages.Close()
	buf := make([]parquet.Value, 256)
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		r := p.Values()
		for {
			n, err := r.ReadValues(buf)
			for _, v := range buf[:n] {
				if err := each(v); err != nil {
					parquet.Release(p)
					return err
				}
			}
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				parquet.Release(p)
				return err
			}
		}
		parquet.Release(p)
	}
}

func hfLabels(rg parquet.RowGroup, s *parquet.Schema, col string) ([]int32, error) {
	leaf, _ := s.Lookup(col)
	out := make([]int32, 0, rg.NumRows())
	err := readColumn(rg, leaf.ColumnIndex, func(v parquet.Value) error {
		switch {
		case v.IsNull():
			out = append(out, -1)
		case v.Kind() == parquet.Int32:
			out = append(out, max(v.Int32(), -1))
		default:
			x := v.Int64()
			if x > 1<<30 {
				return fmt.Errorf("label %d out of range", x)
			}
			out = append(out, int32(max(x, -1)))
		}
		return nil
	})
	if err == nil && len(out) != int(rg.NumRows()) {
		err = fmt.Errorf("%d labels for %d rows", len(out), rg.NumRows())
	}
	return out, err
}

// hfMetadataNames reads the class names of column col from the datasets library's Parquet
// metadata: {"info": {"features": {col: {"_type": "ClassLabel", "names": [...]}}}}.
func hfMetadataNames(meta, col string) []string {
	var m struct {
		Info struct {
			Features map[string]struct {
				Type  string   `json:"_type"`
				Names []string `json:"names"`
			} `json:"features"`
		} `json:"info"`
	}
	if json.Unmarshal([]byte(meta), &m) != nil {
		return nil
	}
	if f, ok := m.Info.Features[col]; ok && f.Type == "ClassLabel" && len(f.Names) > 0 {
		return f.Names
	}
	return nil
}

var cardName = regexp.MustCompile(`^\s*['"]?(\d+)['"]?\s*:\s*(.*?)\s*$`)

// hfCardNames reads class names from a dataset card's YAML front matter:
//
//   - name: label
//     dtype:
//     class_label:
//     names:
//     '0': apple_pie
//
// It returns nil when the card or the list is absent or not in this form.
func hfCardNames(path, col string) []string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) > maxListFile {
		return nil
	}
	lines := strings.Split(string(b), "\n")
	if len(lines) == 0 || strings.TrimSpace(lines[0]) != "---" {
		return nil
	}
	inFeature, inNames, namesIndent := false, false, 0
	var names []string
	for _, l := range lines[1:] {
		t := strings.TrimSpace(l)
		if t == "---" {
			break
		}
		indent := len(l) - len(strings.TrimLeft(l, " "))
		switch {
		case inNames:
			m := cardName.FindStringSubmatch(l)
			if m == nil || indent <= namesIndent {
				if names != nil {
					return names
				}
				inNames = false
				continue
			}
			i, _ := strconv.Atoi(m[1])
			if i != len(names) {
				return nil
			}
			names = append(names, strings.Trim(m[2], `'"`))
		case strings.HasPrefix(t, "- name:"):
			inFeature = strings.Trim(strings.TrimSpace(strings.TrimPrefix(t, "- name:")), `'"`) == col
		case inFeature && t == "names:":
			inNames, namesIndent = true, indent
		}
	}
	return names
}

// Len is the number of rows.
func (d *HF) Len() int { return d.n }

// Info describes the split.
func (d *HF) Info() Info { return d.info }

// Label is row i's class, or -1.
func (d *HF) Label(i int) int {
	if d.labels == nil {
		return -1
	}
	return int(d.labels[i])
}

// ID is "split/index".
func (d *HF) ID(i int) string { return fmt.Sprintf("%s/%d", d.info.Split, i) }

// groupImages returns the image bytes of row group g, reading it when not cached.
func (d *HF) groupImages(g int) ([][]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if imgs, ok := d.cache[g]; ok {
		return imgs, nil
	}
	if d.files == nil {
		return nil, fmt.Errorf("data: hf: %s split used after Close", d.info.Split)
	}
	grp := d.groups[g]
	pf := d.files[grp.shard]
	rg := pf.RowGroups()[grp.group]
	leaf, _ := pf.Schema().Lookup(d.imageCol...)
	imgs := make([][]byte, 0, grp.rows)
	err := readColumn(rg, leaf.ColumnIndex, func(v parquet.Value) error {
		if v.IsNull() {
			imgs = append(imgs, nil)
		} else {
			imgs = append(imgs, append([]byte(nil), v.ByteArray()...))
		}
		return nil
	})
	if err == nil && len(imgs) != grp.rows {
		err = fmt.Errorf("%d images for %d rows", len(imgs), grp.rows)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %s row group %d: %v", ErrFormat, d.paths[grp.shard], grp.group, err)
	}
	if len(d.order) >= hfCacheGroups {
		delete(d.cache, d.order[0])
		d.order = d.order[1:]
	}
	d.cache[g] = imgs
	d.order = append(d.order, g)
	return imgs, nil
}

// Image decodes row i's image.
func (d *HF) Image(i int) (Image, error) {
	if i < 0 || i >= d.n {
		return Image{}, fmt.Errorf("data: hf: index %d out of range [0, %d)", i, d.n)
	}
	g := sort.Search(len(d.groups), func(k int) bool { return d.groups[k].first+d.groups[k].rows > i })
	imgs, err := d.groupImages(g)
	if err != nil {
		return Image{}, err
	}
	b := imgs[i-d.groups[g].first]
	if b == nil {
		return Image{}, fmt.Errorf("%w: %s: row %d has no image bytes", ErrFormat, d.paths[d.groups[g].shard], i-d.groups[g].first)
	}
	m, err := DecodeImage(b)
	if err != nil {
		return Image{}, fmt.Errorf("data: hf %s row %d: %w", d.info.Split, i, err)
	}
	return m, nil
}

// Close closes the Parquet files; it is idempotent.
func (d *HF) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var first error
	for _, f := range d.osFiles {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	d.osFiles, d.files = nil, nil
	return first
}
