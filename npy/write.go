package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"math"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// WriteFloat32 writes data with the given shape to path as a float32 .npy
// file, atomically. The product of shape must equal len(data).
func WriteFloat32(path string, data []float32, shape ...int) error {
	return writeFile(path, Float32, shape, len(data), func(w *bufio.Writer) error {
		var b [4]byte
		for _, v := range data {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteFloat64 writes data with the given shape to path as a float64 .npy
// file, atomically.
func WriteFloat64(path string, data []float64, shape ...int) error {
	return writeFile(path, Float64, shape, len(data), func(w *bufio.Writer) error {
		var b [8]byte
		for _, v := range data {
			binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

// WriteInt64 writes data with the given shape to path as an int64 .npy file,
// atomically.
func WriteInt64(path string, data []int64, shape ...int) error {
	return writeFile(path, Int64, shape, len(data), func(w *bufio.Writer) error {
		var b [8]byte
		for _, v := range data {
			binary.LittleEndian.PutUint64(b[:], uint64(v))
			if _, err := w.Write(b[:]); err != nil {
				return err
			}
		}
		return nil
	})
}

func writeFile(path string, dtype DType, shape []int, n int, body func(*bufio.Writer) error) error {
	want, err := checkedLen(shape, dtype.Size())
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	if want != int64(n) {
		return fmt.Errorf("npy: %s: shape %v holds %d elements, got %d", path, shape, want, n)
	}
	hdr, err := encodeHeader(dtype, shape, 0)
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	err = atomicfile.Write(path, func(f io.Writer) error {
		w := bufio.NewWriterSize(f, 1<<16)
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if err := body(w); err != nil {
			return err
		}
		return w.Flush()
	})
	if err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}
