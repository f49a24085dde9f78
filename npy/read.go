package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/scl-dev/scl/internal/safefile"
)

// ReadHeader reads and validates the header of the .npy file at path, and
// checks that the file length matches the header's shape and dtype.
func ReadHeader(path string) (Header, error) {
	f, err := safefile.Open(path) // a FIFO or device would block or never end
	if err != nil {
		return Header{}, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	h, err := readHeader(bufio.NewReader(f), path)
	if err != nil {
		return Header{}, err
	}
	if err := checkSize(f, h, path); err != nil {
		return Header{}, err
	}
	return h, nil
}

// ReadFloat32 reads a float32 array and returns its elements in C order and
// its shape. Any other dtype is an error naming the file.
func ReadFloat32(path string) ([]float32, []int, error) {
	var out []float32
	h, err := readFile(path, Float32, func(h Header, raw []byte) {
		out = make([]float32, h.Len())
		order := byteOrder(h)
		for i := range out {
			out[i] = math.Float32frombits(order.Uint32(raw[4*i:]))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return out, h.Shape, nil
}

// ReadFloat64 reads a float64 array and returns its elements in C order and
// its shape. Any other dtype is an error naming the file.
func ReadFloat64(path string) ([]float64, []int, error) {
	var out []float64
	h, err := readFile(path, Float64, func(h Header, raw []byte) {
		out = make([]float64, h.Len())
		order := byteOrder(h)
		for i := range out {
			out[i] = math.Float64frombits(order.Uint64(raw[8*i:]))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return out, h.Shape, nil
}

// ReadInt64 reads an int64 array and returns its elements in C order and its
// shape. Any other dtype is an error naming the file; see [ReadInts] for a
// reader that also accepts int32.
func ReadInt64(path string) ([]int64, []int, error) {
	var out []int64
	h, err := readFile(path, Int64, func(h Header, raw []byte) {
		out = make([]int64, h.Len())
		order := byteOrder(h)
		for i := range out {
			out[i] = int64(order.Uint64(raw[8*i:]))
		}
	})
	if err != nil {
		return nil, nil, err
	}
	return out, h.Shape, nil
}

// ReadInts reads an int64 or int32 array (labels written by other tools are
// often int32) and returns its elements widened to int64, with its shape.
func ReadInts(path string) ([]int64, []int, error) {
	h, err := ReadHeader(path)
	if err != nil {
		return nil, nil, err
	}
	if h.DType == Int64 {
		return ReadInt64(path)
	}
	var out []int64
	h, err = readFile(path, Int32, func(h Header, raw []byte) {
		out = make([]int64, h.Len())
		order := byteOrder(h)
		for i := range out {
			out[i] = int64(int32(order.Uint32(raw[4*i:])))
		}
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%w (int64 also accepted)", err)
	}
	return out, h.Shape, nil
}

func byteOrder(h Header) binary.ByteOrder {
	if h.BigEndian {
		return binary.BigEndian
	}
	return binary.LittleEndian
}

// readFile opens path, validates its header against want and its length,
// reads the raw data and hands it to decode.
func readFile(path string, want DType, decode func(Header, []byte)) (Header, error) {
	f, err := safefile.Open(path) // a FIFO or device would block or never end
	if err != nil {
		return Header{}, fmt.Errorf("npy: %w", err)
	}
	defer f.Close()
	br := bufio.NewReaderSize(f, 1<<16)
	h, err := readHeader(br, path)
	if err != nil {
		return Header{}, err
	}
	if h.DType != want {
		return Header{}, fmt.Errorf("npy: %s: dtype %s, want %s", path, h.DType, want)
	}
	if err := checkSize(f, h, path); err != nil {
		return Header{}, err
	}
	n, _ := checkedLen(h.Shape, h.DType.Size()) // checked by checkSize
	raw := make([]byte, n*int64(h.DType.Size()))
	if _, err := io.ReadFull(br, raw); err != nil {
		return Header{}, fmt.Errorf("npy: %s: reading %d data bytes: %w", path, len(raw), err)
	}
	decode(h, raw)
	return h, nil
}

// checkSize verifies that the file holds exactly the data the header announces.
func checkSize(f *os.File, h Header, path string) error {
	n, err := checkedLen(h.Shape, h.DType.Size())
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	want := h.DataOffset + n*int64(h.DType.Size())
	if st.Size() != want {
		return fmt.Errorf("npy: %s: file is %d bytes, want %d for %s data of shape %v (truncated or trailing bytes)",
			path, st.Size(), want, h.DType, h.Shape)
	}
	return nil
}
