package data

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// MaxIDXBytes bounds the payload of an IDX file (1 GiB), whatever its header claims.
const MaxIDXBytes = 1 << 30

// IDX is a decoded IDX array of unsigned bytes (the MNIST family's file format):
// a big-endian header 0x00 0x00 0x08 ndim, ndim big-endian uint32 sizes, then the payload.
type IDX struct {
	Dims []int
	Data []uint8
}

// ReadIDX decodes an IDX array of unsigned bytes from r, gunzipping it when it starts with the
// gzip magic. name is used in error messages. The payload is read incrementally, so a header
// claiming more data than r holds costs no more memory than r's actual content.
func ReadIDX(r io.Reader, name string) (*IDX, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("data: %s: gzip header: %w", name, err)
		}
		defer zr.Close()
		br = bufio.NewReader(zr)
	}
	var head [4]byte
	if _, err := io.ReadFull(br, head[:]); err != nil {
		return nil, fmt.Errorf("%w: %s: offset 0: IDX header: %v, want 4 bytes", ErrFormat, name, err)
	}
	if head[0] != 0 || head[1] != 0 {
		return nil, fmt.Errorf("%w: %s: offset 0: IDX magic % x, want 00 00", ErrFormat, name, head[:2])
	}
	if head[2] != 0x08 {
		return nil, fmt.Errorf("%w: %s: offset 2: IDX element type 0x%02x, want 0x08 (unsigned byte)", ErrFormat, name, head[2])
	}
	ndim := int(head[3])
	if ndim < 1 || ndim > 4 {
		return nil, fmt.Errorf("%w: %s: offset 3: IDX has %d dimensions, want 1..4", ErrFormat, name, ndim)
	}
	dims := make([]int, ndim)
	total := int64(1)
	for d := range dims {
		var b [4]byte
		off := 4 + 4*d
		if _, err := io.ReadFull(br, b[:]); err != nil {
			return nil, fmt.Errorf("%w: %s: offset %d: IDX size of dimension %d: %v", ErrFormat, name, off, d, err)
		}
		v := int64(binary.BigEndian.Uint32(b[:]))
		if v == 0 {
			// A zero size would make the payload empty whatever the other sizes claim
			// (e.g. [0, 4294967295, 4294967295] passing as images of 4294967295²).
			return nil, fmt.Errorf("%w: %s: offset %d: IDX size of dimension %d is 0, want ≥ 1", ErrFormat, name, off, d)
		}
		total *= v
		if total > MaxIDXBytes {
			return nil, fmt.Errorf("%w: %s: offset %d: IDX sizes give more than %d bytes", ErrFormat, name, off, MaxIDXBytes)
		}
		dims[d] = int(v)
	}
	payload := 4 + 4*int64(ndim)
	data, err := io.ReadAll(io.LimitReader(br, total))
	if err != nil {
		return nil, fmt.Errorf("data: %s: offset %d: IDX payload: %w", name, payload+int64(len(data)), err)
	}
	if int64(len(data)) != total {
		return nil, fmt.Errorf("%w: %s: offset %d: IDX payload truncated: got %d bytes, want %d (sizes %v)", ErrFormat, name, payload+int64(len(data)), len(data), total, dims)
	}
	if n, _ := br.Read(make([]byte, 1)); n != 0 {
		return nil, fmt.Errorf("%w: %s: offset %d: trailing data after IDX payload of %d bytes", ErrFormat, name, payload+total, total)
	}
	return &IDX{Dims: dims, Data: data}, nil
}

// ReadIDXFile is ReadIDX on a file (gzipped or not).
func ReadIDXFile(path string) (*IDX, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("data: %w", err)
	}
	defer f.Close()
	return ReadIDX(f, path)
}

// FashionMNISTDir is where Debian's dataset-fashion-mnist package installs the data set.
const FashionMNISTDir = "/usr/share/datasets/fashion-mnist"

// FashionMNISTClasses are the class names of Fashion-MNIST in label order.
var FashionMNISTClasses = []string{"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"}

// OpenFashionMNIST reads split "train" (60,000 images) or "test" (10,000) from dir
// (FashionMNISTDir when empty). Files are {train,t10k}-{images-idx3,labels-idx1}-ubyte, with or
// without .gz.
func OpenFashionMNIST(dir, split string) (Dataset, error) {
	if dir == "" {
		dir = FashionMNISTDir
	}
	prefix := map[string]string{"train": "train", "test": "t10k"}[split]
	if prefix == "" {
		return nil, fmt.Errorf("data: fashion_mnist split %q, want train or test", split)
	}
	imgPath, labPath := filepath.Join(dir, prefix+"-images-idx3-ubyte"), filepath.Join(dir, prefix+"-labels-idx1-ubyte")
	imgs, err := readIDXEither(&imgPath)
	if err != nil {
		return nil, err
	}
	labs, err := readIDXEither(&labPath)
	if err != nil {
		return nil, err
	}
	d, err := newIDXDataset("fashion_mnist", split, FashionMNISTClasses, imgs, labs)
	if err != nil {
		return nil, err
	}
	d.files = []string{imgPath, labPath}
	return d, nil
}

// readIDXEither reads *path.gz if it exists, else *path, and sets *path to the file read.
func readIDXEither(path *string) (*IDX, error) {
	p := *path
	if _, err := os.Stat(p + ".gz"); err == nil {
		*path = p + ".gz"
		return ReadIDXFile(p + ".gz")
	}
	if _, err := os.Stat(p); err != nil {
		return nil, fmt.Errorf("data: missing IDX file %s (or %s.gz)", p, p)
	}
	return ReadIDXFile(p)
}

// newIDXDataset pairs an image IDX [N, H, W] with a label IDX [N].
func newIDXDataset(name, split string, classes []string, imgs, labs *IDX) (*memory, error) {
	if len(imgs.Dims) != 3 {
		return nil, fmt.Errorf("%w: %s %s images: IDX dimensions %v, want [N H W]", ErrFormat, name, split, imgs.Dims)
	}
	if len(labs.Dims) != 1 {
		return nil, fmt.Errorf("%w: %s %s labels: IDX dimensions %v, want [N]", ErrFormat, name, split, labs.Dims)
	}
	n, h, w := imgs.Dims[0], imgs.Dims[1], imgs.Dims[2]
	if labs.Dims[0] != n {
		return nil, fmt.Errorf("%w: %s %s: %d labels for %d images, want equal counts", ErrFormat, name, split, labs.Dims[0], n)
	}
	if h == 0 || w == 0 {
		return nil, fmt.Errorf("%w: %s %s: image size %dx%d, want positive", ErrFormat, name, split, w, h)
	}
	for i, l := range labs.Data {
		if int(l) >= len(classes) {
			return nil, fmt.Errorf("%w: %s %s labels: index %d (offset %d): label %d, want 0..%d", ErrFormat, name, split, i, 8+i, l, len(classes)-1)
		}
	}
	return &memory{
		info:   Info{Name: name, Split: split, Classes: classes, Width: w, Height: h, Channels: 1, ImageSize: ImageSizeFor(name)},
		pix:    imgs.Data,
		labels: labs.Data,
		n:      n,
	}, nil
}
