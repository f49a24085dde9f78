//go:build !notorch

package torch

import "unsafe"

// UnsafeHandle returns the native handle of t for sibling cgo packages (torch/dist): a pointer
// to the `struct scl_tensor_s { at::Tensor t; }` defined in shim.cpp, or nil for a nil or
// closed tensor. The handle stays owned by t: it is valid until t is closed and must not be
// freed or kept by the callee beyond the call it is passed to. Not for general use.
func (t *Tensor) UnsafeHandle() unsafe.Pointer {
	if t == nil || t.h == nil {
		return nil
	}
	return unsafe.Pointer(t.h)
}
