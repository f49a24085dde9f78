//go:build !notorch

package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"strings"
	"sync/atomic"
	"unsafe"
)

// live counts open native tensor handles.
var live atomic.Int64

// LiveTensors returns the number of open tensor handles in the process. Tests assert it returns
// to its starting value once every scope and module is closed.
func LiveTensors() int64 { return live.Load() }

// Tensor is a handle to a libtorch tensor. A Tensor is owned either by the Scope that created it
// (freed when the scope closes) or, after Scope.Keep, by the caller, who must Close it. Several
// handles may refer to the same storage (views, shared parameters); closing one handle never
// invalidates another. Not safe for concurrent use.
type Tensor struct {
	h     C.scl_tensor
	owner *arena
}

func newTensor(h C.scl_tensor) *Tensor {
	if h == nil {
		return nil
	}
	live.Add(1)
	return &Tensor{h: h}
}

func (t *Tensor) free() {
	if t == nil || t.h == nil {
		return
	}
	C.scl_tensor_free(t.h)
	t.h = nil
	live.Add(-1)
}

// Close frees the handle now. It is idempotent and safe on nil; closing a tensor that a scope
// owns frees it early (the scope then skips it).
func (t *Tensor) Close() error {
	t.free()
	return nil
}

// Closed reports whether the handle has been freed (true for nil).
func (t *Tensor) Closed() bool { return t == nil || t.h == nil }

type tensorInfo struct {
	dtype        DType
	device       Device
	ndim         int
	requiresGrad bool
}

func (t *Tensor) info() (tensorInfo, bool) {
	if t == nil || t.h == nil {
		return tensorInfo{}, false
	}
	var dt, devType, devIndex, ndim, rg C.int
	if C.scl_tensor_info(t.h, &dt, &devType, &devIndex, &ndim, &rg) == 0 {
		return tensorInfo{}, false
	}
	idx := int(devIndex)
	if DeviceType(devType) == CPUDevice {
		idx = 0
	}
	return tensorInfo{
		dtype:        dtypeFromCode(int(dt)),
		device:       Device{Type: DeviceType(devType), Index: idx},
		ndim:         int(ndim),
		requiresGrad: rg != 0,
	}, true
}

// DType returns the element type (Default for a nil or closed tensor).
func (t *Tensor) DType() DType { i, _ := t.info(); return i.dtype }

// Device returns the device the tensor lives on.
func (t *Tensor) Device() Device { i, _ := t.info(); return i.device }

// Dim returns the number of dimensions.
func (t *Tensor) Dim() int { i, _ := t.info(); return i.ndim }

// RequiresGrad reports whether autograd records operations on the tensor.
func (t *Tensor) RequiresGrad() bool { i, _ := t.info(); return i.requiresGrad }

// Shape returns the sizes of the dimensions (nil for a nil or closed tensor).
func (t *Tensor) Shape() []int64 {
	s, _ := t.shapeStrides()
	return s
}

// Strides returns the strides of the dimensions, in elements.
func (t *Tensor) Strides() []int64 {
	_, s := t.shapeStrides()
	return s
}

func (t *Tensor) shapeStrides() ([]int64, []int64) {
	i, ok := t.info()
	if !ok {
		return nil, nil
	}
	sizes := make([]int64, i.ndim)
	strides := make([]int64, i.ndim)
	if i.ndim > 0 {
		C.scl_tensor_shape(t.h, (*C.int64_t)(unsafe.Pointer(&sizes[0])), (*C.int64_t)(unsafe.Pointer(&strides[0])), C.int(i.ndim))
	}
	return sizes, strides
}

// Numel returns the number of elements.
func (t *Tensor) Numel() int64 {
	if t.Closed() {
		return 0
	}
	n := int64(1)
	for _, d := range t.Shape() {
		n *= d
	}
	return n
}

// String describes the tensor, e.g. "Tensor[2 3 float32 cpu]".
func (t *Tensor) String() string {
	i, ok := t.info()
	if !ok {
		return "Tensor[closed]"
	}
	var b strings.Builder
	b.WriteString("Tensor[")
	for _, d := range t.Shape() {
		fmt.Fprintf(&b, "%d ", d)
	}
	fmt.Fprintf(&b, "%s %s", i.dtype, i.device)
	if i.requiresGrad {
		b.WriteString(" grad")
	}
	b.WriteString("]")
	return b.String()
}

// SetRequiresGrad sets whether autograd records operations on the tensor (a leaf).
func (t *Tensor) SetRequiresGrad(flag bool) error {
	if t.Closed() {
		return ErrClosed
	}
	var cerr *C.char
	f := C.int(0)
	if flag {
		f = 1
	}
	C.scl_tensor_set_requires_grad(t.h, f, &cerr)
	return takeError("SetRequiresGrad", cerr)
}

// takeError converts and frees a native error message.
func takeError(op string, cerr *C.char) error {
	if cerr == nil {
		return nil
	}
	msg := C.GoString(cerr)
	C.free(unsafe.Pointer(cerr))
	return &Error{Op: op, Msg: strings.TrimSpace(msg)}
}

// copyOut copies the tensor's elements (converted to dt on the native side) into dst.
func (t *Tensor) copyOut(op string, dt DType, dst unsafe.Pointer, nbytes int) error {
	if t.Closed() {
		return ErrClosed
	}
	var cerr *C.char
	C.scl_tensor_copy_to(t.h, dst, C.int64_t(nbytes), &cerr)
	return takeError(op, cerr)
}

func copyOutAs[E any](t *Tensor, op string, dt DType) ([]E, error) {
	if t.Closed() {
		return nil, ErrClosed
	}
	if got := t.DType(); got != dt {
		return nil, &Error{Op: op, Msg: fmt.Sprintf("tensor has dtype %s, want %s (convert with Scope.To)", got, dt)}
	}
	out := make([]E, t.Numel())
	if len(out) == 0 {
		return out, nil
	}
	err := t.copyOut(op, dt, unsafe.Pointer(&out[0]), len(out)*dt.Size())
	return out, err
}

// Float32s copies a float32 tensor's elements, row-major, to a new slice (from any device).
func (t *Tensor) Float32s() ([]float32, error) { return copyOutAs[float32](t, "Float32s", Float32) }

// Float64s copies a float64 tensor's elements to a new slice.
func (t *Tensor) Float64s() ([]float64, error) { return copyOutAs[float64](t, "Float64s", Float64) }

// Int64s copies an int64 tensor's elements to a new slice.
func (t *Tensor) Int64s() ([]int64, error) { return copyOutAs[int64](t, "Int64s", Int64) }

// Int32s copies an int32 tensor's elements to a new slice.
func (t *Tensor) Int32s() ([]int32, error) { return copyOutAs[int32](t, "Int32s", Int32) }

// Uint8s copies a uint8 tensor's elements to a new slice.
func (t *Tensor) Uint8s() ([]uint8, error) { return copyOutAs[uint8](t, "Uint8s", Uint8) }

// Bools copies a bool tensor's elements to a new slice.
func (t *Tensor) Bools() ([]bool, error) { return copyOutAs[bool](t, "Bools", Bool) }

// Bytes copies the raw elements (any dtype, native byte order, row-major) to a new slice; with
// Shape and DType it is what a checkpoint writer needs.
func (t *Tensor) Bytes() ([]byte, error) {
	i, ok := t.info()
	if !ok {
		return nil, ErrClosed
	}
	out := make([]byte, int(t.Numel())*i.dtype.Size())
	if len(out) == 0 {
		return out, nil
	}
	err := t.copyOut("Bytes", i.dtype, unsafe.Pointer(&out[0]), len(out))
	return out, err
}

// Item returns the value of a one-element tensor of any dtype as a float64.
func (t *Tensor) Item() (float64, error) {
	if t.Closed() {
		return 0, ErrClosed
	}
	if n := t.Numel(); n != 1 {
		return 0, &Error{Op: "Item", Msg: fmt.Sprintf("tensor has %d elements, want 1", n)}
	}
	s := NewScope()
	defer s.Close()
	v := s.NoGrad().To(t, Float64)
	if err := s.Err(); err != nil {
		return 0, err
	}
	f, err := v.Float64s()
	if err != nil {
		return 0, err
	}
	return f[0], nil
}

// fromData creates a CPU tensor from raw element bytes.
func (s *Scope) fromData(op string, data unsafe.Pointer, nbytes int, shape []int64, dt DType) *Tensor {
	if !s.ok() {
		return nil
	}
	var cerr *C.char
	var shp *C.int64_t
	if len(shape) > 0 {
		shp = (*C.int64_t)(unsafe.Pointer(&shape[0]))
	}
	h := C.scl_tensor_from_data(data, C.int64_t(nbytes), shp, C.int(len(shape)), C.int(dt.code()), &cerr)
	if err := takeError(op, cerr); err != nil {
		s.Fail(err)
		return nil
	}
	return s.adopt(newTensor(h))
}

func fromSlice[E any](s *Scope, op string, data []E, shape []int64, dt DType) *Tensor {
	if shape == nil {
		shape = []int64{int64(len(data))}
	}
	n := int64(1)
	for _, d := range shape {
		n *= d
	}
	if n != int64(len(data)) {
		s.Fail(&Error{Op: op, Msg: fmt.Sprintf("%d values for shape %v (%d elements)", len(data), shape, n)})
		return nil
	}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return s.fromData(op, p, len(data)*dt.Size(), shape, dt)
}

// FromFloat32s copies data into a new float32 CPU tensor of the given shape (nil shape: 1-D).
func (s *Scope) FromFloat32s(data []float32, shape ...int64) *Tensor {
	return fromSlice(s, "FromFloat32s", data, shape, Float32)
}

// FromFloat64s copies data into a new float64 CPU tensor.
func (s *Scope) FromFloat64s(data []float64, shape ...int64) *Tensor {
	return fromSlice(s, "FromFloat64s", data, shape, Float64)
}

// FromInt64s copies data into a new int64 CPU tensor.
func (s *Scope) FromInt64s(data []int64, shape ...int64) *Tensor {
	return fromSlice(s, "FromInt64s", data, shape, Int64)
}

// FromInt32s copies data into a new int32 CPU tensor.
func (s *Scope) FromInt32s(data []int32, shape ...int64) *Tensor {
	return fromSlice(s, "FromInt32s", data, shape, Int32)
}

// FromUint8s copies data into a new uint8 CPU tensor.
func (s *Scope) FromUint8s(data []uint8, shape ...int64) *Tensor {
	return fromSlice(s, "FromUint8s", data, shape, Uint8)
}

// FromBools copies data into a new bool CPU tensor.
func (s *Scope) FromBools(data []bool, shape ...int64) *Tensor {
	return fromSlice(s, "FromBools", data, shape, Bool)
}

// FromBytes copies raw elements of type dt (native byte order, row-major) into a new CPU tensor.
func (s *Scope) FromBytes(data []byte, dt DType, shape ...int64) *Tensor {
	if dt == Default {
		dt = Float32
	}
	var p unsafe.Pointer
	if len(data) > 0 {
		p = unsafe.Pointer(&data[0])
	}
	return s.fromData("FromBytes", p, len(data), shape, dt)
}

// Share returns a second handle to the same tensor (no copy), owned by s.
func (s *Scope) Share(t *Tensor) *Tensor {
	if !s.ok() {
		return nil
	}
	if t.Closed() {
		s.Fail(&Error{Op: "Share", Msg: "nil or closed tensor"})
		return nil
	}
	var cerr *C.char
	h := C.scl_tensor_share(t.h, &cerr)
	if err := takeError("Share", cerr); err != nil {
		s.Fail(err)
		return nil
	}
	return s.adopt(newTensor(h))
}
