//go:build !notorch

package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"runtime"
)

// AdamUpdate holds the scalars of one fused Adam step (see FusedAdam).
type AdamUpdate struct {
	LR, Beta1, Beta2, Eps float64
	// StepSize is lr/(1−β₁ᵗ); BC2Sqrt is √(1−β₂ᵗ).
	StepSize, BC2Sqrt float64
	// Decoupled applies weight decay to the parameter (AdamW) instead of the gradient.
	Decoupled bool
}

// FusedAdam applies one Adam update to every parameter ps[i] (gradient gs[i], moments ms[i] and
// vs[i], weight decay wds[i]) in one pass over each tensor's memory, in the order of float
// operations of the multi-tensor sequence it replaces (torch/fused.cpp). It reports false and
// changes nothing when a tensor is not a CPU tensor of its parameter's dtype (float32 or
// float64) and size, dense in the parameter's memory layout (contiguous or channels-last, the
// same strides); the caller then uses the Foreach ops. No gradient is recorded.
func (s *Scope) FusedAdam(ps, gs, ms, vs []*Tensor, wds []float64, u AdamUpdate) bool {
	n := len(ps)
	if len(gs) != n || len(ms) != n || len(vs) != n || len(wds) != n {
		s.Fail(&Error{Op: "FusedAdam", Msg: fmt.Sprintf("%d parameters, %d gradients, %d first and %d second moments, %d weight decays",
			n, len(gs), len(ms), len(vs), len(wds))})
		return false
	}
	if n == 0 || !s.ok() {
		return n == 0
	}
	hs, ok := handles(ps, gs, ms, vs)
	if !ok {
		return false
	}
	dec := C.int(0)
	if u.Decoupled {
		dec = 1
	}
	cw := make([]C.double, n)
	for i, w := range wds {
		cw[i] = C.double(w)
	}
	var cerr *C.char
	done := C.scl_fused_adam(C.int(n), &hs[0][0], &hs[1][0], &hs[2][0], &hs[3][0], &cw[0],
		C.double(u.LR), C.double(u.Beta1), C.double(u.Beta2), C.double(u.Eps),
		C.double(u.StepSize), C.double(u.BC2Sqrt), dec, &cerr)
	runtime.KeepAlive(ps)
	runtime.KeepAlive(gs)
	runtime.KeepAlive(ms)
	runtime.KeepAlive(vs)
	if err := takeError("FusedAdam", cerr); err != nil {
		s.Fail(err)
		return false
	}
	return done != 0
}

// FusedLerp sets ts[i] ← β·ts[i] + (1−β)·os[i] in one pass per tensor, under FusedAdam's
// conditions (false, nothing changed, when a tensor does not qualify or a target is its own
// source).
func (s *Scope) FusedLerp(ts, os []*Tensor, beta float64) bool {
	n := len(ts)
	if len(os) != n {
		s.Fail(&Error{Op: "FusedLerp", Msg: fmt.Sprintf("%d targets, %d sources", n, len(os))})
		return false
	}
	if n == 0 || !s.ok() {
		return n == 0
	}
	hs, ok := handles(ts, os)
	if !ok {
		return false
	}
	var cerr *C.char
	done := C.scl_fused_lerp(C.int(n), &hs[0][0], &hs[1][0], C.double(beta), &cerr)
	runtime.KeepAlive(ts)
	runtime.KeepAlive(os)
	if err := takeError("FusedLerp", cerr); err != nil {
		s.Fail(err)
		return false
	}
	return done != 0
}

// handles returns the native handles of each list, or false when a tensor is nil or closed.
func handles(lists ...[]*Tensor) ([][]C.scl_tensor, bool) {
	out := make([][]C.scl_tensor, len(lists))
	for i, l := range lists {
		out[i] = make([]C.scl_tensor, len(l))
		for j, t := range l {
			if t.Closed() {
				return nil, false
			}
			out[i][j] = t.h
		}
	}
	return out, true
}
