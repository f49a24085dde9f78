package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"os"
	"path/filepath"
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
	return atomicWrite(path, func(f *os.File) error {
		w := bufio.NewWriterSize(f, 1<<16)
		if _, err := w.Write(hdr); err != nil {
			return err
		}
		if err := body(w); err != nil {
			return err
		}
		return w.Flush()
	})
}

// atomicWrite creates a temporary file beside path, lets fill write it, then
// fsyncs, closes and renames it over path and fsyncs the directory. On any
// error the temporary file is removed and path is untouched.
func atomicWrite(path string, fill func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = fill(f); err != nil {
		return fmt.Errorf("npy: writing %s: %w", path, err)
	}
	return commit(f, tmp, path)
}

// commit fsyncs and closes f (named tmp), renames it to path and fsyncs the
// directory.
func commit(f *os.File, tmp, path string) error {
	if err := f.Sync(); err != nil {
		return fmt.Errorf("npy: syncing %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("npy: %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("npy: closing %s: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	if d, err := os.Open(filepath.Dir(path)); err == nil {
		// Best effort: some file systems refuse fsync on directories.
		_ = d.Sync()
		d.Close()
	}
	return nil
}
