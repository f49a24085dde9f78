//go:build !notorch

package torch

import (
	"fmt"
	"sync"
)

// mode bits passed to every native call (see shim.h).
const (
	modeNoGrad = 1
)

// arena owns the tensors created through a Scope and its views.
type arena struct {
	mu      sync.Mutex
	tensors []*Tensor
	err     error
	closed  bool
}

// Scope creates tensors, owns them, and frees them all when closed. It also carries the
// gradient mode and autocast setting passed into every native call made through it, and a sticky
// error: after the first failure every op through the scope (and its views) returns nil and does
// nothing, and Err reports that first failure — check it once after a block of math.
//
// A Scope and the tensors it owns are not safe for concurrent use: one goroutine at a time. The
// goroutine may move between OS threads freely, since no native thread-local state is relied on
// between calls.
type Scope struct {
	a    *arena
	mode int
}

// NewScope returns an open scope with gradient recording on and autocast off. The caller must
// Close it.
func NewScope() *Scope { return &Scope{a: &arena{}} }

// NoGrad returns a view of s that shares its tensors and error but records no gradients (like
// torch.no_grad()). Closing the view closes s.
func (s *Scope) NoGrad() *Scope { return &Scope{a: s.a, mode: s.mode | modeNoGrad} }

// WithGrad returns a view of s that records gradients.
func (s *Scope) WithGrad() *Scope { return &Scope{a: s.a, mode: s.mode &^ modeNoGrad} }

// Autocast returns a view of s whose ops run under autocast to the low-precision type dt
// (Float16 or BFloat16) for tensors on devices of type dev, like torch.autocast(dev, dt).
// Autocast with dt == Default turns it off. The cast cache lives for one op only, or for as long
// as HoldAutocastCache holds it.
func (s *Scope) Autocast(dev DeviceType, dt DType) *Scope {
	m := s.mode & 0xff
	if dt != Default {
		m |= int(dt.code()+1) << 8
		m |= int(dev) << 16
	}
	return &Scope{a: s.a, mode: m}
}

// GradEnabled reports whether ops through s record gradients.
func (s *Scope) GradEnabled() bool { return s.mode&modeNoGrad == 0 }

// Err returns the first error of any op through the scope, or nil.
func (s *Scope) Err() error {
	if s == nil || s.a == nil {
		return ErrClosed
	}
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	return s.a.err
}

// Fail records err as the scope's error unless one is already recorded. It lets code built on
// top of the scope (models, losses) report its own failures the same sticky way.
func (s *Scope) Fail(err error) {
	if s == nil || s.a == nil || err == nil {
		return
	}
	s.a.mu.Lock()
	if s.a.err == nil {
		s.a.err = err
	}
	s.a.mu.Unlock()
}

// Failf records a formatted error (prefixed "torch: ") unless one is already recorded.
func (s *Scope) Failf(format string, args ...any) { s.Fail(fmt.Errorf("torch: "+format, args...)) }

// ok reports whether ops may run: the scope is open and has no error.
func (s *Scope) ok() bool {
	if s == nil || s.a == nil {
		return false
	}
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	if s.a.closed {
		if s.a.err == nil {
			s.a.err = ErrClosed
		}
		return false
	}
	return s.a.err == nil
}

// adopt registers a new tensor with the scope.
func (s *Scope) adopt(t *Tensor) *Tensor {
	if t == nil {
		return nil
	}
	s.a.mu.Lock()
	t.owner = s.a
	s.a.tensors = append(s.a.tensors, t)
	s.a.mu.Unlock()
	return t
}

// Keep removes t from the scope so that it outlives Close; the caller then owns t and must Close
// it (or Adopt it into another scope). Keep(nil) returns nil. Keeping a tensor another scope owns
// records an error.
func (s *Scope) Keep(t *Tensor) *Tensor {
	if t == nil || s == nil || s.a == nil {
		return t
	}
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	if t.owner != s.a {
		if t.owner != nil && s.a.err == nil {
			s.a.err = fmt.Errorf("torch: Keep: tensor %v belongs to another scope", t)
		}
		return t
	}
	t.owner = nil
	return t
}

// Adopt moves a caller-owned tensor (one returned by Keep, or by a Module) into the scope, which
// then frees it on Close. Adopting a tensor owned by another scope moves it.
func (s *Scope) Adopt(t *Tensor) *Tensor {
	if t == nil || s == nil || s.a == nil {
		return t
	}
	if t.owner == s.a {
		return t
	}
	// The previous owner, if any, skips tensors it no longer owns when it closes.
	return s.adopt(t)
}

// Len returns the number of tensors the scope currently owns (open handles only).
func (s *Scope) Len() int {
	if s == nil || s.a == nil {
		return 0
	}
	s.a.mu.Lock()
	defer s.a.mu.Unlock()
	n := 0
	for _, t := range s.a.tensors {
		if t.owner == s.a && t.h != nil {
			n++
		}
	}
	return n
}

// Close frees every tensor the scope still owns. It is idempotent and safe on a nil scope;
// closing any view closes the shared scope. It returns nil (the scope's op error is reported by
// Err, not Close).
func (s *Scope) Close() error {
	if s == nil || s.a == nil {
		return nil
	}
	a := s.a
	a.mu.Lock()
	ts := a.tensors
	a.tensors = nil
	a.closed = true
	a.mu.Unlock()
	for _, t := range ts {
		if t.owner == a {
			t.free()
		}
	}
	return nil
}
