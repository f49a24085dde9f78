//go:build !notorch

package torch

/*
#include <stdlib.h>
#include "shim.h"
*/
import "C"

import (
	"fmt"
	"sync"
	"unsafe"
)

// opRef is a lazily looked-up dispatcher operator.
type opRef struct {
	name, overload string
	once           sync.Once
	h              C.scl_op
	err            error
}

func newOp(name, overload string) *opRef { return &opRef{name: name, overload: overload} }

func (o *opRef) String() string {
	if o.overload == "" {
		return o.name
	}
	return o.name + "." + o.overload
}

func (o *opRef) handle() (C.scl_op, error) {
	o.once.Do(func() {
		cn := C.CString(o.name)
		co := C.CString(o.overload)
		defer C.free(unsafe.Pointer(cn))
		defer C.free(unsafe.Pointer(co))
		var cerr *C.char
		o.h = C.scl_op_lookup(cn, co, &cerr)
		o.err = takeError(o.String(), cerr)
	})
	return o.h, o.err
}

var opCache sync.Map // "name.overload" -> *opRef

func lookupOp(name, overload string) *opRef {
	key := name + "." + overload
	if o, ok := opCache.Load(key); ok {
		return o.(*opRef)
	}
	o, _ := opCache.LoadOrStore(key, newOp(name, overload))
	return o.(*opRef)
}

// argument kinds, matching enum scl_arg_kind in shim.h.
const (
	argNone          = 0
	argTensor        = 1
	argInt           = 2
	argDouble        = 3
	argBool          = 4
	argIntList       = 5
	argTensorList    = 6
	argDevice        = 7
	argString        = 8
	argDoubleList    = 9
	argOptTensorList = 10
)

// Args builds the boxed argument list of an operator call, in schema order. Use it with
// Scope.Call to reach any aten operator this package does not wrap.
type Args struct {
	kinds []int32
	ints  []int64
	dbls  []float64
	ts    []C.scl_tensor
	strs  []byte
	bad   string // description of the first invalid argument
}

var argsPool = sync.Pool{New: func() any { return new(Args) }}

func newArgs() *Args { return argsPool.Get().(*Args) }

func (a *Args) release() {
	a.kinds, a.ints, a.dbls, a.ts, a.strs, a.bad = a.kinds[:0], a.ints[:0], a.dbls[:0], a.ts[:0], a.strs[:0], ""
	argsPool.Put(a)
}

// Tensor appends a required tensor argument (nil or closed is an error).
func (a *Args) Tensor(t *Tensor) *Args {
	if t.Closed() && a.bad == "" {
		a.bad = fmt.Sprintf("argument %d is a nil or closed tensor", len(a.kinds))
	}
	a.kinds = append(a.kinds, argTensor)
	if t == nil {
		a.ts = append(a.ts, nil)
	} else {
		a.ts = append(a.ts, t.h)
	}
	return a
}

// OptTensor appends an optional tensor argument: nil becomes None.
func (a *Args) OptTensor(t *Tensor) *Args {
	if t == nil {
		return a.None()
	}
	return a.Tensor(t)
}

// None appends None.
func (a *Args) None() *Args { a.kinds = append(a.kinds, argNone); return a }

// Int appends an int.
func (a *Args) Int(v int64) *Args {
	a.kinds = append(a.kinds, argInt)
	a.ints = append(a.ints, v)
	return a
}

// Float appends a float (also used for Scalar arguments).
func (a *Args) Float(v float64) *Args {
	a.kinds = append(a.kinds, argDouble)
	a.dbls = append(a.dbls, v)
	return a
}

// scalarFor appends a Scalar argument for an op on t: an int when t is integral and v is a whole
// number (libtorch refuses to write a float result into an integer tensor in place), else a float.
func (a *Args) scalarFor(t *Tensor, v float64) *Args {
	if !t.DType().IsFloat() && v == float64(int64(v)) {
		return a.Int(int64(v))
	}
	return a.Float(v)
}

// Bool appends a bool.
func (a *Args) Bool(v bool) *Args {
	a.kinds = append(a.kinds, argBool)
	b := int64(0)
	if v {
		b = 1
	}
	a.ints = append(a.ints, b)
	return a
}

// Ints appends an int list.
func (a *Args) Ints(v ...int64) *Args {
	a.kinds = append(a.kinds, argIntList)
	a.ints = append(a.ints, int64(len(v)))
	a.ints = append(a.ints, v...)
	return a
}

// Floats appends a float list.
func (a *Args) Floats(v ...float64) *Args {
	a.kinds = append(a.kinds, argDoubleList)
	a.ints = append(a.ints, int64(len(v)))
	a.dbls = append(a.dbls, v...)
	return a
}

// Tensors appends a tensor list (every element required).
func (a *Args) Tensors(ts ...*Tensor) *Args {
	a.kinds = append(a.kinds, argTensorList)
	a.ints = append(a.ints, int64(len(ts)))
	for i, t := range ts {
		if t.Closed() && a.bad == "" {
			a.bad = fmt.Sprintf("argument %d: list element %d is a nil or closed tensor", len(a.kinds)-1, i)
		}
		if t == nil {
			a.ts = append(a.ts, nil)
		} else {
			a.ts = append(a.ts, t.h)
		}
	}
	return a
}

// OptTensors appends a list of optional tensors (nil elements are None), as aten::index takes.
func (a *Args) OptTensors(ts ...*Tensor) *Args {
	a.kinds = append(a.kinds, argOptTensorList)
	a.ints = append(a.ints, int64(len(ts)))
	for _, t := range ts {
		if t == nil {
			a.ts = append(a.ts, nil)
		} else {
			if t.h == nil && a.bad == "" {
				a.bad = fmt.Sprintf("argument %d: closed tensor in list", len(a.kinds)-1)
			}
			a.ts = append(a.ts, t.h)
		}
	}
	return a
}

// DType appends a ScalarType argument.
func (a *Args) DType(d DType) *Args { return a.Int(d.code()) }

// Device appends a Device argument.
func (a *Args) Device(d Device) *Args {
	a.kinds = append(a.kinds, argDevice)
	a.ints = append(a.ints, int64(d.Type), int64(d.Index))
	return a
}

// String appends a string argument.
func (a *Args) String(v string) *Args {
	a.kinds = append(a.kinds, argString)
	a.ints = append(a.ints, int64(len(v)))
	a.strs = append(a.strs, v...)
	return a
}

// run calls op with a's arguments under s's mode and returns the native results (tensors first,
// the scalar result, if any, second). The caller releases a.
func (s *Scope) run(op *opRef, a *Args) ([]*Tensor, float64, error) {
	if a.bad != "" {
		return nil, 0, &Error{Op: op.String(), Msg: a.bad}
	}
	h, err := op.handle()
	if err != nil {
		return nil, 0, err
	}
	var (
		kinds *C.int32_t
		ints  *C.int64_t
		dbls  *C.double
		ts    *C.scl_tensor
		strs  *C.char
	)
	if len(a.kinds) > 0 {
		kinds = (*C.int32_t)(unsafe.Pointer(&a.kinds[0]))
	}
	if len(a.ints) > 0 {
		ints = (*C.int64_t)(unsafe.Pointer(&a.ints[0]))
	}
	if len(a.dbls) > 0 {
		dbls = (*C.double)(unsafe.Pointer(&a.dbls[0]))
	}
	if len(a.ts) > 0 {
		ts = &a.ts[0]
	}
	if len(a.strs) > 0 {
		strs = (*C.char)(unsafe.Pointer(&a.strs[0]))
	}
	var outs *C.scl_tensor
	var nout C.int
	var scalar C.double
	var cerr *C.char
	C.scl_op_call(h, C.int(s.mode), C.int(len(a.kinds)), kinds, ints, dbls, ts, strs, &outs, &nout, &scalar, &cerr)
	if err := takeError(op.String(), cerr); err != nil {
		return nil, 0, err
	}
	var res []*Tensor
	if nout > 0 {
		hs := unsafe.Slice(outs, int(nout))
		res = make([]*Tensor, len(hs))
		for i, h := range hs {
			res[i] = newTensor(h)
		}
		C.free(unsafe.Pointer(outs))
	}
	return res, float64(scalar), nil
}

// Call runs the aten operator name (e.g. "aten::conv2d") with overload ("" for the default)
// on args, in the scope's mode, and returns its tensor results (tuples and lists flattened,
// None results as nil), owned by s. It is the escape hatch for operators without a wrapper here.
// On error (recorded in s) it returns nil.
func (s *Scope) Call(name, overload string, args *Args) []*Tensor {
	return s.callOp(lookupOp(name, overload), args)
}

// NewArgs returns an empty argument list for Scope.Call, which consumes it: build a new one
// for every call.
func NewArgs() *Args { return newArgs() }

func (s *Scope) callOp(op *opRef, a *Args) []*Tensor {
	defer a.release()
	if !s.ok() {
		return nil
	}
	res, _, err := s.run(op, a)
	if err != nil {
		s.Fail(err)
		return nil
	}
	for _, t := range res {
		s.adopt(t)
	}
	return res
}

// call1 runs an op with one tensor result.
func (s *Scope) call1(op *opRef, a *Args) *Tensor {
	res := s.callOp(op, a)
	if len(res) == 0 {
		if s.ok() {
			s.Fail(&Error{Op: op.String(), Msg: "operator returned no tensor"})
		}
		return nil
	}
	return res[0]
}

// call2 runs an op with two tensor results.
func (s *Scope) call2(op *opRef, a *Args) (*Tensor, *Tensor) {
	res := s.callOp(op, a)
	if len(res) < 2 {
		if s.ok() {
			s.Fail(&Error{Op: op.String(), Msg: fmt.Sprintf("operator returned %d tensors, want 2", len(res))})
		}
		return nil, nil
	}
	return res[0], res[1]
}

// inplace runs an in-place op and frees the returned alias handle at once.
func (s *Scope) inplace(op *opRef, a *Args) {
	defer a.release()
	if !s.ok() {
		return
	}
	res, _, err := s.run(op, a)
	for _, t := range res {
		t.free()
	}
	if err != nil {
		s.Fail(err)
	}
}
