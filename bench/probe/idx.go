package main

import (
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// readIDX reads a gzipped IDX file (LeCun's MNIST format, used by
// Fashion-MNIST): big-endian magic 0x0000 08 nd, nd uint32 dimensions, then
// unsigned bytes. It returns the data and the dimensions.
func readIDX(path string) ([]byte, []int, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	var magic [4]byte
	if _, err := io.ReadFull(gz, magic[:]); err != nil {
		return nil, nil, fmt.Errorf("bench: %s: %w", path, err)
	}
	if magic[0] != 0 || magic[1] != 0 || magic[2] != 0x08 {
		return nil, nil, fmt.Errorf("bench: %s: magic %x, want 0x000008nn (unsigned bytes)", path, magic)
	}
	dims := make([]int, magic[3])
	n := 1
	for i := range dims {
		var b [4]byte
		if _, err := io.ReadFull(gz, b[:]); err != nil {
			return nil, nil, fmt.Errorf("bench: %s: %w", path, err)
		}
		dims[i] = int(binary.BigEndian.Uint32(b[:]))
		n *= dims[i]
	}
	data := make([]byte, n)
	if _, err := io.ReadFull(gz, data); err != nil {
		return nil, nil, fmt.Errorf("bench: %s: want %d bytes: %w", path, n, err)
	}
	return data, dims, nil
}

// loadFashion returns images as float32 rows of 784 pixels in [0, 255] and
// int64 labels.
func loadFashion(dir, split string) ([]float32, []int64, int, error) {
	img, dims, err := readIDX(dir + "/" + split + "-images-idx3-ubyte.gz")
	if err != nil {
		return nil, nil, 0, err
	}
	lab, ldims, err := readIDX(dir + "/" + split + "-labels-idx1-ubyte.gz")
	if err != nil {
		return nil, nil, 0, err
	}
	if len(dims) != 3 || len(ldims) != 1 || dims[0] != ldims[0] {
		return nil, nil, 0, fmt.Errorf("bench: %s: image dims %v and label dims %v disagree", split, dims, ldims)
	}
	x := make([]float32, len(img))
	for i, v := range img {
		x[i] = float32(v)
	}
	y := make([]int64, len(lab))
	for i, v := range lab {
		y[i] = int64(v)
	}
	return x, y, dims[1] * dims[2], nil
}
