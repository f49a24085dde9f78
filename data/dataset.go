package data

import (
	"fmt"
)

// Dataset is a fixed, indexed collection of images. Implementations are safe for concurrent use.
type Dataset interface {
	// Len is the number of items.
	Len() int
	// Info describes the data set.
	Info() Info
	// Image returns item i (0 ≤ i < Len). Treat Pix as read-only: it may share memory with
	// the data set.
	Image(i int) (Image, error)
	// Label returns the 0-based class of item i, or -1 for unlabeled items.
	Label(i int) int
	// ID returns a stable identifier of item i: a path relative to the data set's root for
	// files, "split/index" otherwise.
	ID(i int) string
	// Close releases open files; it is idempotent and a no-op for in-memory data sets.
	Close() error
}

// Info describes a data set.
type Info struct {
	Name  string // e.g. "fashion_mnist", "cifar10", "stl10", "folder"
	Split string // e.g. "train", "test", "unlabeled"
	// Classes names the classes in label order; empty for unlabeled data.
	Classes []string
	// Width, Height and Channels are the image size when every image has the same size,
	// 0 when sizes vary (image folders).
	Width, Height, Channels int
	// ImageSize is the side s of the square training views for this data set (SPEC §6):
	// 28 fashion_mnist, 32 cifar10, 96 stl10, 64 tiny_imagenet, 192 food101 and imagenet1k.
	// 0 when unknown (user folders).
	ImageSize int
}

// NumClasses is len(Classes).
func (i Info) NumClasses() int { return len(i.Classes) }

// Shard returns shard i of n of d: the contiguous range [i·N/n, (i+1)·N/n) of items, so shards
// concatenated in order give d back. The shard shares d (closing it closes d).
func Shard(d Dataset, i, n int) (Dataset, error) {
	if n < 1 || i < 0 || i >= n {
		return nil, fmt.Errorf("data: shard %d/%d, want 0 ≤ index < count and count ≥ 1", i, n)
	}
	lo, hi := ShardRange(i, n, d.Len())
	return Subset(d, lo, hi)
}

// ShardRange returns the items [lo, hi) = [i·total/n, (i+1)·total/n) of shard i of n (0 ≤ i < n):
// contiguous ranges that cover [0, total) in order, their sizes differing by at most one.
func ShardRange(i, n, total int) (lo, hi int) {
	return int(int64(i) * int64(total) / int64(n)), int(int64(i+1) * int64(total) / int64(n))
}

// Subset returns items [lo, hi) of d as a data set sharing d.
func Subset(d Dataset, lo, hi int) (Dataset, error) {
	if lo < 0 || hi < lo || hi > d.Len() {
		return nil, fmt.Errorf("data: subset [%d, %d) of %d items, want 0 ≤ lo ≤ hi ≤ %d", lo, hi, d.Len(), d.Len())
	}
	return &subset{d: d, lo: lo, n: hi - lo}, nil
}

type subset struct {
	d     Dataset
	lo, n int
}

func (s *subset) Len() int                   { return s.n }
func (s *subset) Info() Info                 { return s.d.Info() }
func (s *subset) Image(i int) (Image, error) { return s.d.Image(s.lo + s.check(i)) }
func (s *subset) Label(i int) int            { return s.d.Label(s.lo + s.check(i)) }
func (s *subset) ID(i int) string            { return s.d.ID(s.lo + s.check(i)) }
func (s *subset) Close() error               { return s.d.Close() }

func (s *subset) check(i int) int {
	if i < 0 || i >= s.n {
		panic(fmt.Sprintf("data: index %d out of range [0, %d)", i, s.n))
	}
	return i
}

// Labels returns every label of d.
func Labels(d Dataset) []int {
	out := make([]int, d.Len())
	for i := range out {
		out[i] = d.Label(i)
	}
	return out
}

// memory is an in-memory data set of equally sized images with one label per image.
type memory struct {
	info   Info
	pix    []uint8 // n images, each H·W·C bytes, HWC
	labels []uint8 // 0-based; nil when unlabeled
	n      int
	files  []string // the files read, for Identify; nil when built in memory
}

func (m *memory) Len() int   { return m.n }
func (m *memory) Info() Info { return m.info }
func (m *memory) Image(i int) (Image, error) {
	if i < 0 || i >= m.n {
		return Image{}, fmt.Errorf("data: %s %s: index %d out of range [0, %d)", m.info.Name, m.info.Split, i, m.n)
	}
	sz := m.info.Width * m.info.Height * m.info.Channels
	return Image{W: m.info.Width, H: m.info.Height, C: m.info.Channels, Pix: m.pix[i*sz : (i+1)*sz : (i+1)*sz]}, nil
}
func (m *memory) Label(i int) int {
	if m.labels == nil {
		return -1
	}
	return int(m.labels[i])
}
func (m *memory) ID(i int) string { return fmt.Sprintf("%s/%d", m.info.Split, i) }
func (m *memory) Close() error    { return nil }
