package data

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// CIFAR10Classes are the class names of CIFAR-10 in label order.
var CIFAR10Classes = []string{"airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"}

// STL10Classes are the class names of STL-10 in (0-based) label order.
var STL10Classes = []string{"airplane", "bird", "car", "cat", "deer", "dog", "horse", "monkey", "ship", "truck"}

const (
	cifarSide   = 32
	cifarRecord = 1 + 3*cifarSide*cifarSide // label byte, then R, G, B planes, row-major
	stlSide     = 96
	stlImage    = 3 * stlSide * stlSide // R, G, B planes, each column-major
	// maxCIFARFile bounds what is read of one CIFAR-10 batch file (the official ones hold
	// 10,000 records; allow ten times that for custom batches).
	maxCIFARFile = 100000 * cifarRecord
)

// OpenCIFAR10 reads split "train" (data_batch_1..5.bin) or "test" (test_batch.bin) of the
// official CIFAR-10 binary version from dir (or its sub-directory cifar-10-batches-bin). Each
// record is one label byte followed by 1024 red, 1024 green and 1024 blue bytes, row-major.
// The images are held in memory.
func OpenCIFAR10(dir, split string) (Dataset, error) {
	var names []string
	switch split {
	case "train":
		for i := 1; i <= 5; i++ {
			names = append(names, fmt.Sprintf("data_batch_%d.bin", i))
		}
	case "test":
		names = []string{"test_batch.bin"}
	default:
		return nil, fmt.Errorf("data: cifar10 split %q, want train or test", split)
	}
	if py, ok := cifar10PythonDir(dir); ok && !fileExists(filepath.Join(findSubdir(dir, names[0], "cifar-10-batches-bin"), names[0])) {
		// torchvision's download: the python version.
		return openCIFAR10Python(py, split)
	}
	dir = findSubdir(dir, names[0], "cifar-10-batches-bin")
	var pix, labels []uint8
	var files []string
	for _, name := range names {
		path := filepath.Join(dir, name)
		files = append(files, path)
		if st, err := os.Stat(path); err == nil && st.Size() > maxCIFARFile {
			return nil, fmt.Errorf("%w: %s: size %d bytes, want at most %d (100,000 records of %d bytes)", ErrFormat, path, st.Size(), maxCIFARFile, cifarRecord)
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return nil, fmt.Errorf("data: cifar10 %s: %w", split, err)
		}
		p, l, err := DecodeCIFAR10(b, path)
		if err != nil {
			return nil, err
		}
		pix = append(pix, p...)
		labels = append(labels, l...)
	}
	return &memory{
		info:   Info{Name: "cifar10", Split: split, Classes: CIFAR10Classes, Width: cifarSide, Height: cifarSide, Channels: 3, ImageSize: 32},
		pix:    pix,
		labels: labels,
		n:      len(labels),
		files:  files,
	}, nil
}

// DecodeCIFAR10 decodes the records of one CIFAR-10 binary file into HWC pixels and 0-based
// labels. name is used in error messages.
func DecodeCIFAR10(b []byte, name string) (pix, labels []uint8, err error) {
	if len(b) == 0 || len(b)%cifarRecord != 0 {
		return nil, nil, fmt.Errorf("%w: %s: size %d bytes, want a positive multiple of the %d-byte CIFAR-10 record (truncated after record %d, offset %d)",
			ErrFormat, name, len(b), cifarRecord, len(b)/cifarRecord, len(b)/cifarRecord*cifarRecord)
	}
	n := len(b) / cifarRecord
	const plane = cifarSide * cifarSide
	pix = make([]uint8, n*3*plane)
	labels = make([]uint8, n)
	for i := range n {
		rec := b[i*cifarRecord : (i+1)*cifarRecord]
		if int(rec[0]) >= len(CIFAR10Classes) {
			return nil, nil, fmt.Errorf("%w: %s: record %d (offset %d): label %d, want 0..9", ErrFormat, name, i, i*cifarRecord, rec[0])
		}
		labels[i] = rec[0]
		dst := pix[i*3*plane : (i+1)*3*plane]
		r, g, bl := rec[1:1+plane], rec[1+plane:1+2*plane], rec[1+2*plane:1+3*plane]
		for k := range plane {
			dst[3*k], dst[3*k+1], dst[3*k+2] = r[k], g[k], bl[k]
		}
	}
	return pix, labels, nil
}

// findSubdir returns dir/sub when dir itself lacks probe but dir/sub has it.
func findSubdir(dir, probe, sub string) string {
	if _, err := os.Stat(filepath.Join(dir, probe)); err != nil {
		if _, err := os.Stat(filepath.Join(dir, sub, probe)); err == nil {
			return filepath.Join(dir, sub)
		}
	}
	return dir
}

// OpenSTL10 reads split "unlabeled" (unlabeled_X.bin, 100,000 images), "train"
// (train_X.bin/train_y.bin, 5,000) or "test" (test_X.bin/test_y.bin, 8,000) of the official
// STL-10 binary version from dir (or its sub-directory stl10_binary). Images are 96×96×3 stored
// as three column-major planes; labels are one byte each, 1..10 on disk, 0..9 here. Images are
// read from disk per item; Close the data set when done.
func OpenSTL10(dir, split string) (Dataset, error) {
	var xName, yName string
	switch split {
	case "unlabeled":
		xName = "unlabeled_X.bin"
	case "train", "test":
		xName, yName = split+"_X.bin", split+"_y.bin"
	default:
		return nil, fmt.Errorf("data: stl10 split %q, want unlabeled, train or test", split)
	}
	dir = findSubdir(dir, xName, "stl10_binary")
	xPath := filepath.Join(dir, xName)
	f, err := os.Open(xPath)
	if err != nil {
		return nil, fmt.Errorf("data: stl10 %s: %w", split, err)
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("data: stl10 %s: %w", split, err)
	}
	size := st.Size()
	if size == 0 || size%stlImage != 0 {
		f.Close()
		return nil, fmt.Errorf("%w: %s: size %d bytes, want a positive multiple of the %d-byte STL-10 image (truncated after image %d, offset %d)",
			ErrFormat, xPath, size, stlImage, size/stlImage, size/stlImage*stlImage)
	}
	n := int(size / stlImage)
	d := &stl{f: f, path: xPath, n: n, files: []string{xPath},
		info: Info{Name: "stl10", Split: split, Width: stlSide, Height: stlSide, Channels: 3, ImageSize: 96}}
	if yName != "" {
		yPath := filepath.Join(dir, yName)
		yb, err := os.ReadFile(yPath)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("data: stl10 %s: %w", split, err)
		}
		labels, err := DecodeSTL10Labels(yb, yPath, n)
		if err != nil {
			f.Close()
			return nil, err
		}
		d.labels = labels
		d.info.Classes = STL10Classes
		d.files = append(d.files, yPath)
	}
	return d, nil
}

// DecodeSTL10Labels checks and converts n one-byte, 1-based STL-10 labels to 0-based ones.
func DecodeSTL10Labels(b []byte, name string, n int) ([]uint8, error) {
	if len(b) != n {
		return nil, fmt.Errorf("%w: %s: %d labels, want %d (one byte per image)", ErrFormat, name, len(b), n)
	}
	out := make([]uint8, n)
	for i, l := range b {
		if l < 1 || int(l) > len(STL10Classes) {
			return nil, fmt.Errorf("%w: %s: label %d (offset %d): value %d, want 1..10", ErrFormat, name, i, i, l)
		}
		out[i] = l - 1
	}
	return out, nil
}

// DecodeSTL10Image converts one 27,648-byte STL-10 record (three column-major 96×96 planes) to
// an HWC image written into dst (allocated when nil or too small).
func DecodeSTL10Image(rec []byte, dst []uint8) (Image, error) {
	if len(rec) != stlImage {
		return Image{}, fmt.Errorf("%w: STL-10 image of %d bytes, want %d", ErrFormat, len(rec), stlImage)
	}
	if cap(dst) < stlImage {
		dst = make([]uint8, stlImage)
	}
	dst = dst[:stlImage]
	const plane = stlSide * stlSide
	for c := range 3 {
		p := rec[c*plane : (c+1)*plane]
		for x := range stlSide {
			col := p[x*stlSide : (x+1)*stlSide]
			for y, v := range col {
				dst[(y*stlSide+x)*3+c] = v
			}
		}
	}
	return Image{W: stlSide, H: stlSide, C: 3, Pix: dst}, nil
}

type stl struct {
	info   Info
	path   string
	n      int
	labels []uint8
	files  []string // the files read, for Identify

	mu sync.Mutex
	f  *os.File
}

func (d *stl) Len() int   { return d.n }
func (d *stl) Info() Info { return d.info }
func (d *stl) Label(i int) int {
	if d.labels == nil {
		return -1
	}
	return int(d.labels[i])
}
func (d *stl) ID(i int) string { return fmt.Sprintf("%s/%d", d.info.Split, i) }

func (d *stl) Image(i int) (Image, error) {
	if i < 0 || i >= d.n {
		return Image{}, fmt.Errorf("data: stl10 %s: index %d out of range [0, %d)", d.info.Split, i, d.n)
	}
	d.mu.Lock()
	f := d.f
	d.mu.Unlock()
	if f == nil {
		return Image{}, errors.New("data: stl10: read after Close")
	}
	rec := make([]byte, stlImage)
	off := int64(i) * stlImage
	if _, err := f.ReadAt(rec, off); err != nil && !(errors.Is(err, io.EOF)) {
		return Image{}, fmt.Errorf("data: %s: image %d (offset %d): %w", d.path, i, off, err)
	} else if err != nil {
		return Image{}, fmt.Errorf("%w: %s: image %d (offset %d): file shrank, want %d bytes", ErrFormat, d.path, i, off, stlImage)
	}
	return DecodeSTL10Image(rec, make([]uint8, stlImage))
}

func (d *stl) Close() error {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.f == nil {
		return nil
	}
	err := d.f.Close()
	d.f = nil
	return err
}
