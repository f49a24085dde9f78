//go:build !notorch

package optim

import (
	"fmt"
	"sort"
	"strings"

	"github.com/scl-dev/scl/torch"
	"github.com/scl-dev/scl/torch/nn"
)

// Optimizer updates parameters from their gradients.
type Optimizer interface {
	// Step applies one update to every parameter that has a gradient and advances Steps.
	Step() error
	// LR returns the learning rate the next Step uses; SetLR changes it (schedules call it).
	LR() float64
	SetLR(lr float64)
	// Steps returns the number of Step calls so far (PyTorch's per-parameter "step").
	Steps() int64
	// State returns the optimizer's state as named tensors: the live state tensors (do not
	// Close them) plus "step", a one-element int64 tensor. Valid until the next State call or
	// Close.
	State() (map[string]*torch.Tensor, error)
	// LoadState copies a State map back in; names and shapes must match.
	LoadState(state map[string]*torch.Tensor) error
	// Close frees the state tensors. Idempotent.
	Close() error
}

// fusedUpdates lets optimizers use the single-pass CPU kernels (torch.FusedAdam); tests turn it
// off to compare them with the multi-tensor ops.
var fusedUpdates = true

// DecayFilter reports whether weight decay applies to a parameter. nil means every parameter.
type DecayFilter func(v *nn.Var) bool

// ExcludeOneDim is a DecayFilter that spares 1-D parameters (biases, batch-norm affine weights),
// the usual choice for LARS.
func ExcludeOneDim(v *nn.Var) bool { return v.T.Dim() > 1 }

// base holds what every optimizer shares.
type base struct {
	params []*nn.Var
	lr     float64
	steps  int64
	scope  *torch.Scope                        // owns state tensors
	bufs   map[string]map[string]*torch.Tensor // state kind → parameter name → tensor
	kinds  []string
	stepT  *torch.Tensor
}

func newBase(params []*nn.Var, lr float64, kinds ...string) base {
	b := base{params: params, lr: lr, scope: torch.NewScope(), bufs: map[string]map[string]*torch.Tensor{}, kinds: kinds}
	for _, k := range kinds {
		b.bufs[k] = map[string]*torch.Tensor{}
	}
	return b
}

func (b *base) LR() float64      { return b.lr }
func (b *base) SetLR(lr float64) { b.lr = lr }
func (b *base) Steps() int64     { return b.steps }

func (b *base) Close() error { return b.scope.Close() }

// buf returns the state tensor kind for v, creating it as zeros like v's data on first use.
func (b *base) buf(kind string, v *nn.Var) *torch.Tensor {
	if t, ok := b.bufs[kind][v.Name]; ok {
		return t
	}
	ng := b.scope.NoGrad()
	t := ng.ZerosLike(v.T)
	if t != nil {
		b.bufs[kind][v.Name] = t
	}
	return t
}

func (b *base) State() (map[string]*torch.Tensor, error) {
	if err := b.scope.Err(); err != nil {
		return nil, err
	}
	out := map[string]*torch.Tensor{}
	for _, k := range b.kinds {
		for name, t := range b.bufs[k] {
			out[k+"."+name] = t
		}
	}
	b.stepT.Close()
	b.stepT = b.scope.FromInt64s([]int64{b.steps})
	if err := b.scope.Err(); err != nil {
		return nil, err
	}
	out["step"] = b.stepT
	return out, nil
}

func (b *base) LoadState(state map[string]*torch.Tensor) error {
	st, ok := state["step"]
	if !ok {
		return fmt.Errorf("optim: load state: missing \"step\"")
	}
	steps, err := st.Item()
	if err != nil {
		return fmt.Errorf("optim: load state: step: %w", err)
	}
	byName := map[string]*nn.Var{}
	for _, v := range b.params {
		byName[v.Name] = v
	}
	names := make([]string, 0, len(state))
	for n := range state {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if n == "step" {
			continue
		}
		kind, pname, ok := strings.Cut(n, ".")
		if _, known := b.bufs[kind]; !ok || !known {
			return fmt.Errorf("optim: load state: unexpected entry %q (want %v.<param>)", n, b.kinds)
		}
		v := byName[pname]
		if v == nil {
			return fmt.Errorf("optim: load state: %q names no parameter of this optimizer", n)
		}
		if got, want := fmt.Sprint(state[n].Shape()), fmt.Sprint(v.T.Shape()); got != want {
			return fmt.Errorf("optim: load state: %q has shape %s, want %s", n, got, want)
		}
		dst := b.buf(kind, v)
		b.scope.NoGrad().CopyInPlace(dst, state[n])
	}
	if err := b.scope.Err(); err != nil {
		return fmt.Errorf("optim: load state: %w", err)
	}
	b.steps = int64(steps)
	return nil
}

// each runs fn for every parameter with a gradient, through a fresh no-grad scope for the
// step's temporaries, and records the step.
func (b *base) each(fn func(s *torch.Scope, v *nn.Var, g *torch.Tensor)) error {
	if err := b.scope.Err(); err != nil {
		return fmt.Errorf("optim: step: %w", err)
	}
	s := torch.NewScope()
	defer s.Close()
	ng := s.NoGrad()
	b.steps++
	for _, v := range b.params {
		g := ng.Grad(v.T)
		if g == nil {
			continue
		}
		fn(ng, v, g)
		if err := s.Err(); err != nil {
			return fmt.Errorf("optim: step %d, parameter %q: %w", b.steps, v.Name, err)
		}
		if err := b.scope.Err(); err != nil {
			return fmt.Errorf("optim: step %d, parameter %q: %w", b.steps, v.Name, err)
		}
	}
	return s.Err()
}
