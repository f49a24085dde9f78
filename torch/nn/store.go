//go:build !notorch

package nn

import (
	"fmt"
	"sort"

	"github.com/scl-dev/scl/torch"
)

// Var is a named tensor of a Store: a trainable parameter or a buffer (running statistics,
// counters).
type Var struct {
	Name string
	T    *torch.Tensor // owned by the Store
	// Param is true for trainable parameters, false for buffers.
	Param bool
}

// Store owns the named parameters and buffers of a model. The caller must Close it.
type Store struct {
	scope    *torch.Scope // owns every tensor
	vars     []*Var
	byName   map[string]*Var
	device   torch.Device
	dtype    torch.DType
	training bool
	// channelsLast stores 4-D variables created from now on in channels-last (NHWC) memory.
	channelsLast bool
}

// NewStore returns an empty store whose tensors are created on dev, in training mode, with
// float32 parameters.
func NewStore(dev torch.Device) *Store { return NewStoreOf(dev, torch.Float32) }

// NewStoreOf returns an empty store whose parameters (and float buffers of blocks that ask
// with [Store.DType]) are of type dt (Float32, or Float64 for reference-precision runs).
func NewStoreOf(dev torch.Device, dt torch.DType) *Store {
	return &Store{scope: torch.NewScope(), byName: map[string]*Var{}, device: dev, dtype: dt, training: true}
}

// Close frees every tensor of the store. Idempotent, safe on nil.
func (st *Store) Close() error {
	if st == nil {
		return nil
	}
	return st.scope.Close()
}

// Err returns the first error of any constructor or initialiser, or nil.
func (st *Store) Err() error { return st.scope.Err() }

// SetChannelsLast makes the 4-D variables (convolution weights) created from now on use the
// channels-last (NHWC) memory layout, which libtorch's CPU convolutions (oneDNN) run faster
// than the default NCHW. Shapes, values and checkpoints are unchanged: only the strides differ.
func (st *Store) SetChannelsLast(on bool) { st.channelsLast = on }

// ChannelsLast reports whether 4-D variables created now are stored channels-last.
func (st *Store) ChannelsLast() bool { return st.channelsLast }

// Device returns the device parameters are created on.
func (st *Store) Device() torch.Device { return st.device }

// DType returns the type of the store's parameters.
func (st *Store) DType() torch.DType { return st.dtype }

// Training reports whether blocks run in training mode.
func (st *Store) Training() bool { return st.training }

// SetTraining switches every block of the store between training (true) and evaluation.
func (st *Store) SetTraining(on bool) { st.training = on }

// Scope returns the store's own scope (no-grad view), through which initialisers and state
// loading run; tensors created through it live as long as the store.
func (st *Store) Scope() *torch.Scope { return st.scope.NoGrad() }

// Root returns the path of top-level names.
func (st *Store) Root() Path { return Path{st: st} }

// Vars returns every parameter and buffer in registration (state_dict) order.
func (st *Store) Vars() []*Var { return append([]*Var(nil), st.vars...) }

// Params returns the trainable parameters in registration order.
func (st *Store) Params() []*Var {
	var out []*Var
	for _, v := range st.vars {
		if v.Param {
			out = append(out, v)
		}
	}
	return out
}

// Buffers returns the buffers in registration order.
func (st *Store) Buffers() []*Var {
	var out []*Var
	for _, v := range st.vars {
		if !v.Param {
			out = append(out, v)
		}
	}
	return out
}

// Var returns the named parameter or buffer, or nil.
func (st *Store) Var(name string) *Var { return st.byName[name] }

// Names returns the sorted names of all variables.
func (st *Store) Names() []string {
	out := make([]string, 0, len(st.vars))
	for _, v := range st.vars {
		out = append(out, v.Name)
	}
	sort.Strings(out)
	return out
}

// NumParams returns the number of trainable scalars.
func (st *Store) NumParams() int64 {
	var n int64
	for _, v := range st.Params() {
		n += v.T.Numel()
	}
	return n
}

// StateDict returns name → tensor for every parameter and buffer. The tensors are the store's
// own (not copies): read them (Float32s, Bytes) before closing the store; do not Close them.
func (st *Store) StateDict() map[string]*torch.Tensor {
	out := make(map[string]*torch.Tensor, len(st.vars))
	for _, v := range st.vars {
		out[v.Name] = v.T
	}
	return out
}

// Load copies values into the store's variables by name: every variable must be present with
// the same shape (dtype and device are converted). Extra entries are an error too, so a
// checkpoint of another architecture is never half-loaded silently.
func (st *Store) Load(state map[string]*torch.Tensor) error {
	for _, v := range st.vars {
		src, ok := state[v.Name]
		if !ok {
			return fmt.Errorf("nn: load: missing %q", v.Name)
		}
		if got, want := fmt.Sprint(src.Shape()), fmt.Sprint(v.T.Shape()); got != want {
			return fmt.Errorf("nn: load: %q has shape %s, want %s", v.Name, got, want)
		}
	}
	for name := range state {
		if _, ok := st.byName[name]; !ok {
			return fmt.Errorf("nn: load: unexpected variable %q", name)
		}
	}
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	for _, v := range st.vars {
		ng.CopyInPlace(v.T, state[v.Name])
	}
	if err := s.Err(); err != nil {
		return fmt.Errorf("nn: load: %w", err)
	}
	return nil
}

// CopyFrom copies every variable's values from another store with the same names and shapes
// (for an EMA target network's initialisation, for instance).
func (st *Store) CopyFrom(src *Store) error { return st.Load(src.StateDict()) }

// ZeroGrad clears the gradient of every parameter.
func (st *Store) ZeroGrad() error {
	for _, v := range st.Params() {
		if err := v.T.ZeroGrad(); err != nil {
			return fmt.Errorf("nn: zero grad %q: %w", v.Name, err)
		}
	}
	return nil
}

// add registers t under name, taking ownership of the handle.
func (st *Store) add(name string, t *torch.Tensor, param bool) *torch.Tensor {
	if t == nil {
		return nil
	}
	if _, dup := st.byName[name]; dup {
		st.scope.Failf("nn: variable %q registered twice", name)
		return nil
	}
	st.scope.Adopt(t)
	if param {
		if err := t.SetRequiresGrad(true); err != nil {
			st.scope.Fail(fmt.Errorf("nn: %q: %w", name, err))
			return nil
		}
	}
	v := &Var{Name: name, T: t, Param: param}
	st.vars = append(st.vars, v)
	st.byName[name] = v
	return t
}

// Path is a name prefix inside a Store.
type Path struct {
	st     *Store
	prefix string
}

// Store returns the path's store.
func (p Path) Store() *Store { return p.st }

// Sub returns the path of a child module: p.Sub("layer1").Sub("0") names "layer1.0.…".
func (p Path) Sub(name string) Path {
	if p.prefix == "" {
		return Path{st: p.st, prefix: name}
	}
	return Path{st: p.st, prefix: p.prefix + "." + name}
}

// Name returns the full name of a variable called name under p.
func (p Path) Name(name string) string {
	if p.prefix == "" {
		return name
	}
	return p.prefix + "." + name
}

// Param creates a trainable parameter of the given shape, of the store's type (float32
// unless built with NewStoreOf) on its device, initialised by init, and registers it as
// p.Name(name).
func (p Path) Param(name string, init Init, shape ...int64) *torch.Tensor {
	return p.newVar(name, p.st.dtype, init, true, shape)
}

// Buffer creates a buffer (not trained) of dtype dt, initialised by init (nil: zeros).
func (p Path) Buffer(name string, dt torch.DType, init Init, shape ...int64) *torch.Tensor {
	return p.newVar(name, dt, init, false, shape)
}

// Register adds an existing caller-owned tensor (e.g. from Scope.Keep) under p.Name(name); the
// store takes ownership.
func (p Path) Register(name string, t *torch.Tensor, param bool) *torch.Tensor {
	return p.st.add(p.Name(name), t, param)
}

func (p Path) newVar(name string, dt torch.DType, init Init, param bool, shape []int64) *torch.Tensor {
	st := p.st
	s := st.Scope()
	t := s.Zeros(torch.Opts{DType: dt, Device: st.device}, shape...)
	if t == nil {
		return nil
	}
	if init != nil {
		if err := init(s, t); err != nil {
			st.scope.Fail(fmt.Errorf("nn: init %q: %w", p.Name(name), err))
			return nil
		}
	}
	if st.channelsLast && len(shape) == 4 {
		// Initialised first in the default layout, so the values (and the random stream) are
		// those of a default-layout store.
		nhwc := s.ChannelsLast(t)
		t.Close()
		t = nhwc
	}
	return st.add(p.Name(name), t, param)
}
