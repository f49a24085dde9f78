package search

import (
	"fmt"
	"sync"

	"github.com/scl-dev/scl/data"
)

// Images finds the images of indexed rows again: each row's source (an `scl embed` output)
// names its data set and where it was read from, and the row's id names the item. Data sets are
// opened on first use and kept open until Close. Safe for concurrent use.
type Images struct {
	sources []Source
	ids     []string
	// Dir, when set, replaces every source's recorded path (the images moved, or the index was
	// built elsewhere).
	Dir string

	mu   sync.Mutex
	open map[int]*openSource // by source index
}

type openSource struct {
	ds    data.Dataset
	index map[string]int // item id → data set index
	err   error
}

// NewImages returns a lookup for rows described by sources and ids (as in Features or Index).
func NewImages(sources []Source, ids []string) *Images {
	return &Images{sources: sources, ids: ids, open: map[int]*openSource{}}
}

// Image returns the decoded image of row r.
func (im *Images) Image(r int) (data.Image, error) {
	if r < 0 || r >= len(im.ids) {
		return data.Image{}, fmt.Errorf("search: row %d out of range [0, %d)", r, len(im.ids))
	}
	si := -1
	for i, s := range im.sources {
		if r >= s.Row && r < s.Row+s.Count {
			si = i
			break
		}
	}
	if si < 0 {
		return data.Image{}, fmt.Errorf("search: row %d belongs to no source", r)
	}
	os, err := im.source(si)
	if err != nil {
		return data.Image{}, err
	}
	i, ok := os.index[im.ids[r]]
	if !ok {
		return data.Image{}, fmt.Errorf("search: row %d: item %q is not in %s %s (%s)", r, im.ids[r], im.sources[si].Dataset, im.sources[si].Split, im.sources[si].Path)
	}
	return os.ds.Image(i)
}

func (im *Images) source(si int) (*openSource, error) {
	im.mu.Lock()
	defer im.mu.Unlock()
	if os, ok := im.open[si]; ok {
		return os, os.err
	}
	s := im.sources[si]
	src := data.Source{Name: s.Dataset, Split: s.Split, Dir: s.Path}
	if im.Dir != "" {
		src.Dir = im.Dir
	}
	if s.Dataset == "files" {
		src.Dir, src.List = "", s.Path
		if im.Dir != "" {
			src.Dir = im.Dir
		}
	}
	os := &openSource{}
	im.open[si] = os
	ds, err := data.Open(src)
	if err != nil {
		os.err = fmt.Errorf("search: images of %s: %w (pass the images' folder with --data-dir)", s.Dir, err)
		return os, os.err
	}
	os.ds = ds
	os.index = make(map[string]int, ds.Len())
	for i := range ds.Len() {
		os.index[ds.ID(i)] = i
	}
	return os, nil
}

// Close closes the opened data sets.
func (im *Images) Close() error {
	im.mu.Lock()
	defer im.mu.Unlock()
	var first error
	for _, os := range im.open {
		if os.ds != nil {
			if err := os.ds.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	im.open = map[int]*openSource{}
	return first
}
