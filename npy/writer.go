package npy

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/scl-dev/scl/internal/atomicfile"
)

// Writer streams rows of an array whose first dimension is not known in
// advance (for example features extracted batch by batch) into a .npy file.
// The header reserves room for any row count and is rewritten by Close, which
// then commits the file atomically (temp file, fsync, rename; missing parent
// directories are created). Until Close
// returns nil nothing appears under the final name.
//
// A Writer is not safe for concurrent use. Call Close to commit or Abort to
// discard; Abort after Close is a no-op, so `defer w.Abort()` is safe.
type Writer struct {
	path     string
	f        *atomicfile.File
	w        *bufio.Writer
	dtype    DType
	rowShape []int
	rowLen   int
	rows     int
	done     bool
	buf      [8]byte
}

// Create starts a streaming .npy file at path with element type dtype and
// rows of shape rowShape (empty for a 1-D array, e.g. labels).
func Create(path string, dtype DType, rowShape ...int) (*Writer, error) {
	if dtype.Size() == 0 {
		return nil, fmt.Errorf("npy: %s: unsupported dtype %q", path, string(dtype))
	}
	rowLen := 1
	for _, s := range rowShape {
		if s < 0 {
			return nil, fmt.Errorf("npy: %s: negative dimension in row shape %v", path, rowShape)
		}
		rowLen *= s
	}
	wr := &Writer{path: path, dtype: dtype, rowShape: append([]int(nil), rowShape...), rowLen: rowLen}
	hdr, err := wr.header()
	if err != nil {
		return nil, err
	}
	f, err := atomicfile.Create(path)
	if err != nil {
		return nil, fmt.Errorf("npy: %w", err)
	}
	wr.f = f
	wr.w = bufio.NewWriterSize(f, 1<<16)
	if _, err := wr.w.Write(hdr); err != nil {
		wr.Abort()
		return nil, fmt.Errorf("npy: writing %s: %w", path, err)
	}
	return wr, nil
}

// header encodes the header for the current row count, with the shape padded
// to the widest possible text so its length never changes.
func (wr *Writer) header() ([]byte, error) {
	shape := append([]int{wr.rows}, wr.rowShape...)
	widest := append([]int{math.MaxInt64}, wr.rowShape...)
	hdr, err := encodeHeader(wr.dtype, shape, shapeTextLen(widest))
	if err != nil {
		return nil, fmt.Errorf("npy: %s: %w", wr.path, err)
	}
	return hdr, nil
}

func shapeTextLen(shape []int) int {
	parts := make([]string, len(shape))
	for i, s := range shape {
		parts[i] = strconv.Itoa(s)
	}
	n := len("(") + len(strings.Join(parts, ", ")) + len(")")
	if len(shape) == 1 {
		n++
	}
	return n
}

// Rows returns the number of complete rows written so far.
func (wr *Writer) Rows() int { return wr.rows }

// WriteFloat32 appends rows of float32 data; len(data) must be a multiple of
// the row length and the writer's dtype must be Float32.
func (wr *Writer) WriteFloat32(data []float32) error {
	if err := wr.check(Float32, len(data)); err != nil {
		return err
	}
	for _, v := range data {
		binary.LittleEndian.PutUint32(wr.buf[:4], math.Float32bits(v))
		if _, err := wr.w.Write(wr.buf[:4]); err != nil {
			return fmt.Errorf("npy: writing %s: %w", wr.path, err)
		}
	}
	wr.addRows(len(data))
	return nil
}

// WriteInt64 appends rows of int64 data; len(data) must be a multiple of the
// row length and the writer's dtype must be Int64.
func (wr *Writer) WriteInt64(data []int64) error {
	if err := wr.check(Int64, len(data)); err != nil {
		return err
	}
	for _, v := range data {
		binary.LittleEndian.PutUint64(wr.buf[:], uint64(v))
		if _, err := wr.w.Write(wr.buf[:]); err != nil {
			return fmt.Errorf("npy: writing %s: %w", wr.path, err)
		}
	}
	wr.addRows(len(data))
	return nil
}

func (wr *Writer) addRows(n int) {
	if wr.rowLen > 0 {
		wr.rows += n / wr.rowLen
	}
}

func (wr *Writer) check(dtype DType, n int) error {
	if wr.done {
		return fmt.Errorf("npy: %s: write after Close or Abort", wr.path)
	}
	if wr.dtype != dtype {
		return fmt.Errorf("npy: %s: writing %s data to a %s file", wr.path, dtype, wr.dtype)
	}
	if wr.rowLen == 0 {
		if n != 0 {
			return fmt.Errorf("npy: %s: rows of shape %v hold no elements, got %d", wr.path, wr.rowShape, n)
		}
		return nil
	}
	if n%wr.rowLen != 0 {
		return fmt.Errorf("npy: %s: %d elements is not a whole number of rows of %d", wr.path, n, wr.rowLen)
	}
	return nil
}

// Close rewrites the header with the final row count and commits the file
// under its final name. It is an error to call Close twice.
func (wr *Writer) Close() (err error) {
	if wr.done {
		return fmt.Errorf("npy: %s: Close after Close or Abort", wr.path)
	}
	defer func() {
		if err != nil {
			wr.Abort()
		}
	}()
	if err := wr.w.Flush(); err != nil {
		return fmt.Errorf("npy: writing %s: %w", wr.path, err)
	}
	hdr, err := wr.header()
	if err != nil {
		return err
	}
	if _, err := wr.f.WriteAt(hdr, 0); err != nil {
		return fmt.Errorf("npy: writing header of %s: %w", wr.path, err)
	}
	if err := wr.f.Commit(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	wr.done = true
	return nil
}

// Abort discards the temporary file. It is a no-op after Close or Abort.
func (wr *Writer) Abort() error {
	if wr.done {
		return nil
	}
	wr.done = true
	if err := wr.f.Abort(); err != nil {
		return fmt.Errorf("npy: %w", err)
	}
	return nil
}
