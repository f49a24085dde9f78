//go:build !notorch

package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

// Backward accumulates into the .grad of every leaf the gradient of root (a one-element tensor;
// for others use BackwardWith). The graph is freed afterwards. The error is also recorded in s.
func (s *Scope) Backward(root *Tensor) error { return s.backward(root, nil, false) }

// BackwardWith accumulates the vector-Jacobian product gradᵀ·∂root/∂leaf into every leaf's .grad;
// grad has root's shape. With retainGraph the graph survives for another backward pass.
func (s *Scope) BackwardWith(root, grad *Tensor, retainGraph bool) error {
	if grad.Closed() {
		err := &Error{Op: "Backward", Msg: "nil or closed gradient"}
		s.Fail(err)
		return err
	}
	return s.backward(root, grad, retainGraph)
}

func (s *Scope) backward(root, grad *Tensor, retain bool) error {
	if !s.ok() {
		return s.Err()
	}
	if root.Closed() {
		err := &Error{Op: "Backward", Msg: "nil or closed root tensor"}
		s.Fail(err)
		return err
	}
	roots := []C.scl_tensor{root.h}
	var grads *C.scl_tensor
	gs := []C.scl_tensor{nil}
	if grad != nil {
		gs[0] = grad.h
		grads = &gs[0]
	}
	r := C.int(0)
	if retain {
		r = 1
	}
	var cerr *C.char
	C.scl_backward(1, &roots[0], grads, r, 0, &cerr)
	if err := takeError("Backward", cerr); err != nil {
		s.Fail(err)
		return err
	}
	return nil
}

// Grad returns a handle (owned by s) to x's accumulated gradient, or nil when x has none.
func (s *Scope) Grad(x *Tensor) *Tensor {
	if !s.ok() {
		return nil
	}
	if x.Closed() {
		s.Fail(&Error{Op: "Grad", Msg: "nil or closed tensor"})
		return nil
	}
	var cerr *C.char
	h := C.scl_tensor_grad(x.h, &cerr)
	if err := takeError("Grad", cerr); err != nil {
		s.Fail(err)
		return nil
	}
	if h == nil {
		return nil
	}
	return s.adopt(newTensor(h))
}

// SetGrad replaces x's gradient with g (shared, not copied); nil clears it.
func (x *Tensor) SetGrad(g *Tensor) error {
	if x.Closed() {
		return ErrClosed
	}
	var gh C.scl_tensor
	if g != nil {
		if g.h == nil {
			return ErrClosed
		}
		gh = g.h
	}
	var cerr *C.char
	C.scl_tensor_set_grad(x.h, gh, &cerr)
	return takeError("SetGrad", cerr)
}

// ZeroGrad clears x's gradient (sets it to None, as PyTorch's zero_grad(set_to_none=True)).
func (x *Tensor) ZeroGrad() error { return x.SetGrad(nil) }
